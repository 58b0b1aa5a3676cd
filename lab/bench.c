#include "bench.h"
#include "doctor.h"
#include "err.h"
#include "lab.h"
#include "netns.h"
#include "recorder.h"
#include "state.h"
#include "uml.h"
#include "util.h"

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int run_script(const char *script, const char *dir, const char *name)
{
	char *path = lab_find_file(script);
	char *cmd = xasprintf("sh %s %s %s", path, dir, name);
	int st = system(cmd);

	free(cmd);
	free(path);
	if (st != 0)
		return err_set("%s failed (status %d)", script, st);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Inside the kernel that runs the lab: measure both, alternating. */
static int bench_up_here(int rounds)
{
	double *ik = xcalloc((size_t)rounds, sizeof(double));
	double *sh = xcalloc((size_t)rounds, sizeof(double));
	struct up_opts o = { .name = "bench-ikelab", .quiet = true };
	int r = 0;

	for (int i = 0; i < rounds && r == 0; i++) {
		int64_t t0 = mono_ns();

		r = lab_up_host(&o);
		ik[i] = (double)(mono_ns() - t0) / 1e9;
		if (r == 0)
			r = lab_down_host(o.name);
		if (r < 0)
			break;
		t0 = mono_ns();
		r = run_script("scripts/baseline-up.sh", "/tmp/ikelab-baseline", "bench-shell");
		sh[i] = (double)(mono_ns() - t0) / 1e9;
		run_script("scripts/baseline-down.sh", "/tmp/ikelab-baseline", "bench-shell");
		if (r == 0)
			printf("round %d: ikelab %.3f s, shell baseline %.3f s\n", i + 1, ik[i], sh[i]);
	}
	if (r == 0) {
		double mi = median(ik, rounds), ms = median(sh, rounds);

		printf("up to trap policies, median of %d: ikelab %.3f s, shell baseline %.3f s, "
		       "ratio %.2f\n", rounds, mi, ms, mi / ms);
		printf("BENCH up_seconds=%.3f baseline_seconds=%.3f ratio=%.3f\n", mi, ms, mi / ms);
	}
	free(ik);
	free(sh);
	return r;
}

/* ---- probe traffic through ESP --------------------------------------------- */

struct probe_run {
	pid_t pid;
	int out;
	double rx_pps;
};

static int probe_launch(struct probe_run *pr, const char *netns, const char *local,
			const char *remote, const char *secs)
{
	char exe[PATH_MAX], *bin;
	int pfd[2], nsfd = netns_open(netns);

	if (nsfd < 0 || pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	snprintf(exe, sizeof(exe), "%s", self_exe());
	bin = xasprintf("%s/ikelab-probe", dirname(exe));
	pr->pid = fork();
	if (pr->pid == 0) {
		if (setns(nsfd, CLONE_NEWNET) < 0)
			_exit(126);
		dup2(pfd[1], 1);
		execl(bin, "ikelab-probe", "--local", local, "--remote", remote, "--rate", "0",
		      "--duration", secs, "--port", "7100", (char *)NULL);
		_exit(127);
	}
	free(bin);
	close(nsfd);
	close(pfd[1]);
	pr->out = pfd[0];
	return pr->pid < 0 ? err_sys("fork") : 0;
}

/* Read the probe's output to its end line: packets received per second. */
static void probe_collect(struct probe_run *pr, double secs)
{
	struct strbuf sb = { 0 };
	char buf[4096], *end;
	ssize_t n;

	while ((n = read(pr->out, buf, sizeof(buf))) > 0)
		sb_add(&sb, buf, (size_t)n);
	close(pr->out);
	waitpid(pr->pid, NULL, 0);
	pr->rx_pps = 0;
	end = sb.buf ? strstr(sb.buf, "\"type\":\"end\"") : NULL;
	if (end) {
		char *rx = strstr(end, "\"rx_total\":");

		if (rx)
			pr->rx_pps = strtod(rx + strlen("\"rx_total\":"), NULL) / secs;
	}
	sb_free(&sb);
}

/* Both probes unpaced for `secs`, between the given addresses. */
static void probe_pair(const char *lab, const char *a, const char *b, double secs, double pps[2])
{
	char *na = xasprintf("%s-alice", lab), *nb = xasprintf("%s-bob", lab), s[16];
	struct probe_run pa, pb;

	snprintf(s, sizeof(s), "%g", secs);
	if (probe_launch(&pa, na, a, b, s) == 0 && probe_launch(&pb, nb, b, a, s) == 0) {
		probe_collect(&pa, secs);
		probe_collect(&pb, secs);
		pps[0] = pb.rx_pps;     /* alice>bob, as bob received it */
		pps[1] = pa.rx_pps;
	}
	free(na);
	free(nb);
}

static int bench_esp_here(void)
{
	struct up_opts o = { .name = "bench-esp", .quiet = true };
	double clear[2] = { 0 }, esp[2] = { 0 };
	int r = lab_up_host(&o);

	if (r < 0)
		return -1;
	/* Warm-up: the first packets hit the trap and bring the SAs up. */
	probe_pair(o.name, "10.1.0.1", "10.2.0.1", 2, esp);
	probe_pair(o.name, "192.0.2.1", "192.0.2.2", 5, clear);
	probe_pair(o.name, "10.1.0.1", "10.2.0.1", 5, esp);
	lab_down_host(o.name);
	printf("probe, unpaced, both directions at once, under user-mode Linux:\n");
	printf("  cleartext (transport addresses)  alice>bob %8.0f pps  bob>alice %8.0f pps\n",
	       clear[0], clear[1]);
	printf("  through ESP (AES-GCM tunnel)     alice>bob %8.0f pps  bob>alice %8.0f pps\n",
	       esp[0], esp[1]);
	printf("BENCH esp_pps=%.0f cleartext_pps=%.0f ratio=%.2f\n", (esp[0] + esp[1]) / 2,
	       (clear[0] + clear[1]) / 2, (clear[0] + clear[1]) > 0 ?
	       (esp[0] + esp[1]) / (clear[0] + clear[1]) : 0);
	return 0;
}

/* ---- recorder overhead ---------------------------------------------------- */

static int bench_record_here(double secs, int traffic)
{
	struct up_opts o = { .name = "bench-rec", .quiet = true };
	struct rec_opts ro = { .lab = o.name, .out = "/tmp/ikelab-bench-record",
			       .duration = secs, .rate = 10, .grace = 2 };
	struct recorder *rec;
	json_t *s;
	int r;

	double warm[2];

	if (lab_up_host(&o) < 0)
		return -1;
	/* Measured on a lab whose tunnel is up, as `record` usually is. */
	probe_pair(o.name, "10.1.0.1", "10.2.0.1", 2, warm);
	rec = rec_open(&ro);
	r = rec ? 0 : -1;
	if (r < 0)
		err_wrap("recording %s", o.name);
	if (r == 0 && traffic)
		r = rec_start_traffic(rec, traffic);
	while (r == 0 && rec_now(rec) < secs && !rec_failed(rec))
		r = rec_poll(rec, 100);
	if (rec && rec_finish(rec, false) != 0)
		r = -1;
	rec_free(rec);
	lab_down_host(o.name);
	if (r < 0)
		return -1;
	s = json_load_file("/tmp/ikelab-bench-record/summary.json", 0, NULL);
	{
		double cpu = json_real_value(json_object_get(s, "recorder_cpu_s"));
		double dur = json_real_value(json_object_get(s, "duration_s"));
		double gap = json_real_value(json_object_get(s, "max_sample_gap_s"));

		printf("record at 10 Hz on two peers, %.0f s%s: recorder CPU %.2f s per minute "
		       "(%.1f%% of one core), largest gap between samples %.3f s (%.1f x the "
		       "interval)\n", dur, traffic ? ", with probe traffic" : "", cpu / dur * 60,
		       cpu / dur * 100, gap, gap / 0.1);
		printf("BENCH record_cpu_pct=%.2f traffic=%d max_gap_s=%.3f\n", cpu / dur * 100,
		       traffic, gap);
	}
	json_decref(s);
	rm_rf("/tmp/ikelab-bench-record");
	return 0;
}

int bench_esp(const char *kernel)
{
	if (inside_uml() || !strcmp(kernel, "host"))
		return bench_esp_here();
	{
		char *const inner[] = { "bench", "esp", NULL };

		return uml_boot_and_run("bench", inner, NULL, false) == 0 ? 0 : -1;
	}
}

int bench_record(double secs, const char *kernel)
{
	char ss[32];

	if (inside_uml() || !strcmp(kernel, "host"))
		return bench_record_here(secs, 0) < 0 ? -1 : bench_record_here(secs, 1000);
	snprintf(ss, sizeof(ss), "%g", secs);
	{
		char *const inner[] = { "bench", "record", "--duration", ss, NULL };

		return uml_boot_and_run("bench", inner, NULL, false) == 0 ? 0 : -1;
	}
}

int bench_up(int rounds, const char *kernel)
{
	char rs[16];

	if (inside_uml() || !strcmp(kernel, "host"))
		return bench_up_here(rounds);
	snprintf(rs, sizeof(rs), "%d", rounds);
	{
		char *const inner[] = { "bench", "up", "--rounds", rs, NULL };
		int rc = uml_boot_and_run("bench", inner, NULL, false);

		return rc == 0 ? 0 : -1;
	}
}

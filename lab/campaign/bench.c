#include "campaign/bench.h"
#include "backend/doctor.h"
#include "base/err.h"
#include "base/home.h"
#include "base/json.h"
#include "backend/lab.h"
#include "kernel/netns.h"
#include "base/spawn.h"
#include "record/recorder.h"
#include "backend/state.h"
#include "backend/uml/uml.h"
#include "base/util.h"
#include "kernel/xfrm.h"

#include <libgen.h>
#include <limits.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCRIPT_TIMEOUT_MS 120000 /* a baseline script; a lab is up in seconds */
#define PROBE_MARGIN_MS 30000    /* a probe beyond its duration */

/* A private scratch directory (mkdtemp: 0700, a new name nobody could
 * have planted) for what a benchmark writes; the caller removes it with
 * rm_rf and frees the path. NULL when it cannot be made. */
static char *bench_scratch(const char *what)
{
	char *dir = xasprintf("/tmp/ikelab-%s.XXXXXX", what);

	if (!mkdtemp(dir)) {
		err_sys("mkdtemp %s", dir);
		free(dir);
		return NULL;
	}
	return dir;
}

/* A baseline script, as `sh SCRIPT DIR NAME` with our stdio (argv, no
 * shell string): it sets a lab up (or takes it down) with the usual
 * tools, which takes seconds. DIR is bench_scratch's: the scripts write
 * only there and refuse a directory that is not private. */
static int run_script(const char *script, const char *dir, const char *name)
{
	char *path = lab_find_file(script);
	char *const argv[] = { "sh", path, (char *)dir, (char *)name, NULL };
	struct spawn_opts o = { .io = { SPAWN_INHERIT, SPAWN_INHERIT, SPAWN_INHERIT },
				.search_path = true };
	int r = spawn_run(argv, &o, SCRIPT_TIMEOUT_MS, NULL, NULL);

	free(path);
	return r < 0 ? err_wrap("%s", script) : 0;
}

/* One round of the shell baseline, in a scratch directory of its own:
 * seconds from start to both trap policies, or -1. */
static double baseline_round(void)
{
	char *dir = bench_scratch("baseline");
	int64_t t0 = mono_ns();
	double secs;
	int r;

	if (!dir)
		return -1;
	r = run_script("scripts/baseline-up.sh", dir, "bench-shell");
	secs = (double)(mono_ns() - t0) / 1e9;
	if (run_script("scripts/baseline-down.sh", dir, "bench-shell") < 0 && r == 0)
		r = -1;
	rm_rf(dir);
	free(dir);
	return r < 0 ? -1 : secs;
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
		sh[i] = baseline_round();
		r = sh[i] < 0 ? -1 : 0;
		if (r == 0)
			printf("round %d: ikelab %.3f s, shell baseline %.3f s\n", i + 1, ik[i],
			       sh[i]);
	}
	if (r == 0) {
		double mi = median(ik, rounds), ms = median(sh, rounds);

		printf("up to trap policies, median of %d: ikelab %.3f s, shell baseline %.3f s, "
		       "ratio %.2f\n",
		       rounds, mi, ms, mi / ms);
		printf("BENCH up_seconds=%.3f baseline_seconds=%.3f ratio=%.3f\n", mi, ms, mi / ms);
	}
	free(ik);
	free(sh);
	return r;
}

/* ---- probe traffic through ESP --------------------------------------------- */

struct probe_run {
	struct spawn_proc proc;
	double rx_pps;
};

/* ikelab-probe (beside our binary) in NETNS, unpaced for SECS seconds; its
 * stdout is captured for probe_collect. */
static int probe_launch(struct probe_run *pr, const char *netns, const char *local,
			const char *remote, const char *secs)
{
	struct spawn_opts o = { .io = { SPAWN_NULL, SPAWN_CAPTURE, SPAWN_INHERIT },
				.enter_netns = true };
	struct argv a = { 0 };
	char *probe;
	int r;

	probe = home_helper("ikelab-probe");
	if (!probe)
		return -1;
	o.netns_fd = netns_open(netns);
	if (o.netns_fd < 0) {
		free(probe);
		return -1;
	}
	argv_add(&a, probe);
	free(probe);
	argv_addv(&a,
		  (char *const[]){ "--local", (char *)local, "--remote", (char *)remote, "--rate",
				   "0", "--duration", (char *)secs, "--port", "7100", NULL });
	r = spawn_start(&pr->proc, a.v, &o);
	argv_free(&a);
	close(o.netns_fd);
	return r;
}

/* Wait for the probe's end line (at most SECS and a margin): packets
 * received per second. */
static void probe_collect(struct probe_run *pr, double secs)
{
	const char *out, *end;

	if (spawn_wait(&pr->proc, (int)(secs * 1000) + PROBE_MARGIN_MS) < 0)
		err_clear();
	out = pr->proc.out.buf;
	pr->rx_pps = 0;
	end = out ? strstr(out, "\"type\":\"end\"") : NULL;
	if (end) {
		const char *rx = strstr(end, "\"rx_total\":");

		if (rx)
			pr->rx_pps = strtod(rx + strlen("\"rx_total\":"), NULL) / secs;
	}
	spawn_proc_free(&pr->proc);
}

/* Both probes unpaced for `secs`, between the given addresses. */
static void probe_pair(const char *lab, const char *a, const char *b, double secs, double pps[2])
{
	char *na = xasprintf("%s-alice", lab), *nb = xasprintf("%s-bob", lab), s[16];
	struct probe_run pa, pb;

	snprintf(s, sizeof(s), "%g", secs);
	if (probe_launch(&pa, na, a, b, s) == 0) {
		if (probe_launch(&pb, nb, b, a, s) == 0) {
			probe_collect(&pa, secs);
			probe_collect(&pb, secs);
			pps[0] = pb.rx_pps; /* alice>bob, as bob received it */
			pps[1] = pa.rx_pps;
		} else {
			spawn_proc_free(&pa.proc);
		}
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
	       (clear[0] + clear[1]) / 2,
	       (clear[0] + clear[1]) > 0 ? (esp[0] + esp[1]) / (clear[0] + clear[1]) : 0);
	return 0;
}

/* ---- recorder overhead ---------------------------------------------------- */

/* What the recorder reported in dir/summary.json. */
static int record_report(const char *dir, int traffic)
{
	char *path = xasprintf("%s/summary.json", dir);
	json_t *s = json_load_file(path, 0, NULL);
	double cpu, dur, gap;

	free(path);
	if (!s)
		return err_set("bench record: no summary.json in %s", dir);
	cpu = json_real_value(json_object_get(s, "recorder_cpu_s"));
	dur = json_real_value(json_object_get(s, "duration_s"));
	gap = json_real_value(json_object_get(s, "max_sample_gap_s"));
	printf("record at 10 Hz on two peers, %.0f s%s: recorder CPU %.2f s per minute "
	       "(%.1f%% of one core), largest gap between samples %.3f s (%.1f x the "
	       "interval)\n",
	       dur, traffic ? ", with probe traffic" : "", cpu / dur * 60, cpu / dur * 100, gap,
	       gap / 0.1);
	printf("BENCH record_cpu_pct=%.2f traffic=%d max_gap_s=%.3f\n", cpu / dur * 100, traffic,
	       gap);
	json_decref(s);
	return 0;
}

/* The recording goes to a private scratch directory, removed after. */
static int bench_record_here(double secs, int traffic)
{
	struct up_opts o = { .name = "bench-rec", .quiet = true };
	struct rec_opts ro = { .lab = o.name, .duration = secs, .rate = 10, .grace = 2 };
	char *dir = bench_scratch("bench-record");
	struct recorder *rec;
	double warm[2];
	int r;

	if (!dir)
		return -1;
	ro.out = dir;
	if (lab_up_host(&o) < 0) {
		rm_rf(dir);
		free(dir);
		return -1;
	}
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
	if (r == 0)
		r = record_report(dir, traffic);
	rm_rf(dir);
	free(dir);
	return r;
}

int bench_esp(const char *kernel)
{
	if (state_inside_uml() || !strcmp(kernel, "host"))
		return bench_esp_here();
	{
		char *const inner[] = { "bench", "esp", NULL };

		return uml_boot_and_run("bench", inner, NULL, false) == 0 ? 0 : -1;
	}
}

int bench_record(double secs, const char *kernel)
{
	char ss[32];

	if (state_inside_uml() || !strcmp(kernel, "host"))
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

	if (state_inside_uml() || !strcmp(kernel, "host"))
		return bench_up_here(rounds);
	snprintf(rs, sizeof(rs), "%d", rounds);
	{
		char *const inner[] = { "bench", "up", "--rounds", rs, NULL };
		int rc = uml_boot_and_run("bench", inner, NULL, false);

		return rc == 0 ? 0 : -1;
	}
}

/* ---- the first ESP SA of a fresh kernel --------------------------------- */

/* Microseconds one AES-GCM SA install takes on a socket. */
static double timed_sa_add(struct nl_sock *s, uint32_t spi)
{
	int64_t t0 = mono_ns();

	if (xfrm_add_test_sa(s, &xfrm_aes_gcm, spi) < 0)
		return -1;
	return (double)(mono_ns() - t0) / 1e3;
}

/* Inside the fresh kernel: `up`, then three SAs in alice's namespace, the
 * way charon installs one (XFRM_MSG_NEWSA), timed one by one. */
static int bench_first_sa_here(const char *out)
{
	struct up_opts o = { .name = "bench-sa", .quiet = true };
	double us[3] = { -1, -1, -1 }, up_s;
	int64_t t0 = mono_ns();
	struct netns_switch sw;
	struct nl_sock *s = NULL;
	int r = lab_up_host(&o), fd = -1;

	up_s = (double)(mono_ns() - t0) / 1e9;
	if (r == 0 && (fd = netns_open("bench-sa-alice")) >= 0 && netns_enter(&sw, fd) == 0) {
		s = nl_socket_alloc();
		if (!s || nl_connect(s, NETLINK_XFRM) < 0)
			r = err_set("no xfrm netlink socket in bench-sa-alice");
		netns_leave(&sw);
	}
	for (int i = 0; r == 0 && i < 3; i++)
		if ((us[i] = timed_sa_add(s, 0x2000 + (uint32_t)i)) < 0)
			r = -1;
	if (s)
		nl_socket_free(s);
	if (fd >= 0)
		close(fd);
	if (r == 0) {
		json_t *j = json_pack("{s:f,s:f,s:f,s:f,s:f}", "up_s", up_s, "first_us", us[0],
				      "second_us", us[1], "third_us", us[2], "inner_s",
				      (double)(mono_ns() - t0) / 1e9);
		char *path = xasprintf("%s/first-sa.json", out), *text = json_dumps(j, 0);

		r = text ? write_file(path, text, strlen(text), 0644) : err_set("write %s", path);
		free(text);
		free(path);
		json_decref(j);
	}
	lab_down_host(o.name);
	return r;
}

struct first_sa_round {
	double boot_s, up_s, first_us, second_us;
};

/* One fresh kernel, warmed at boot or left cold (IKELAB_UML_COLD). */
static int first_sa_boot(bool cold, struct first_sa_round *res)
{
	char dir[] = "/tmp/ikelab-bench-sa.XXXXXX";
	char *const inner[] = { "bench", "first-sa", "--out", dir, NULL };
	const char *rw[] = { dir, NULL };
	json_t *j;
	int64_t t0;
	int rc;

	if (!mkdtemp(dir))
		return err_sys("mkdtemp %s", dir);
	if (cold)
		setenv("IKELAB_UML_COLD", "1", 1);
	else
		unsetenv("IKELAB_UML_COLD");
	t0 = mono_ns();
	rc = uml_boot_and_run("bench-sa", inner, rw, false);
	res->boot_s = (double)(mono_ns() - t0) / 1e9;
	unsetenv("IKELAB_UML_COLD");
	/* The guest wrote it: no link followed, no FIFO waited for. */
	j = rc == 0 ? json_load_beneath(dir, "first-sa.json", JSON_RUN_MAX) : NULL;
	rm_rf(dir);
	if (!j)
		return rc < 0 ? -1
			      : err_wrap("bench first-sa: no result from the %s kernel",
					 cold ? "cold" : "warm");
	res->up_s = json_real_value(json_object_get(j, "up_s"));
	res->first_us = json_real_value(json_object_get(j, "first_us"));
	res->second_us = json_real_value(json_object_get(j, "second_us"));
	/* Boot and halt: the whole run less what the command inside took. */
	res->boot_s -= json_real_value(json_object_get(j, "inner_s"));
	json_decref(j);
	return 0;
}

static void first_sa_report(const char *what, struct first_sa_round *v, int n, double m[4])
{
	double col[4][64];

	for (int i = 0; i < n; i++) {
		col[0][i] = v[i].boot_s;
		col[1][i] = v[i].up_s;
		col[2][i] = v[i].first_us / 1e3;
		col[3][i] = v[i].second_us / 1e3;
	}
	for (int k = 0; k < 4; k++)
		m[k] = median(col[k], n);
	printf("  %-5s boot and halt %5.2f s   up %5.3f s   first SA %8.2f ms   second SA %6.2f ms"
	       "   first/second %6.1f\n",
	       what, m[0], m[1], m[2], m[3], m[2] / m[3]);
}

/* Cold and warm kernels alternate, so both see the same machine. */
static int bench_first_sa_uml(int rounds)
{
	struct first_sa_round cold[64], warm[64];
	double mc[4], mw[4];

	if (rounds > 64)
		rounds = 64;
	for (int i = 0; i < rounds; i++) {
		bool cold_first = i % 2 == 0;

		if (first_sa_boot(cold_first, cold_first ? &cold[i] : &warm[i]) < 0 ||
		    first_sa_boot(!cold_first, cold_first ? &warm[i] : &cold[i]) < 0)
			return -1;
		printf("round %d: cold first SA %.1f ms, up %.3f s | warm first SA %.2f ms, up "
		       "%.3f s\n",
		       i + 1, cold[i].first_us / 1e3, cold[i].up_s, warm[i].first_us / 1e3,
		       warm[i].up_s);
	}
	printf("medians of %d fresh kernels each (AES-GCM SA in a peer's namespace):\n", rounds);
	first_sa_report("cold", cold, rounds, mc);
	first_sa_report("warm", warm, rounds, mw);
	printf("BENCH first_sa_ms_cold=%.2f first_sa_ms_warm=%.3f second_sa_ms_warm=%.3f "
	       "up_s_cold=%.3f up_s_warm=%.3f boot_s_cold=%.2f boot_s_warm=%.2f "
	       "ratio_first_sa=%.4f ratio_up=%.3f ratio_boot=%.3f\n",
	       mc[2], mw[2], mw[3], mc[1], mw[1], mc[0], mw[0], mw[2] / mc[2], mw[1] / mc[1],
	       mw[0] / mc[0]);
	return 0;
}

int bench_first_sa(int rounds, const char *kernel, const char *out)
{
	if (state_inside_uml())
		return out ? bench_first_sa_here(out) : err_set("bench first-sa: --out is missing");
	if (!strcmp(kernel, "host"))
		return err_set("bench first-sa compares fresh user-mode Linux kernels; the host "
			       "kernel booted long ago");
	return bench_first_sa_uml(rounds);
}

/*
 * main.c - the ikelab command line. It parses arguments and wires modules
 * together; the work happens in lab.c, uml.c, status.c and doctor.c.
 */
#include "campaign/bench.h"
#include "backend/doctor.h"
#include "base/err.h"
#include "backend/lab.h"
#include "judge/plot.h"
#include "campaign/nightly.h"
#include "record/recorder.h"
#include "schedule/run.h"
#include "config/scenario.h"
#include "campaign/shrink.h"
#include "backend/uml/remote.h"
#include "backend/state.h"
#include "backend/status.h"
#include "backend/uml/uml.h"
#include "base/util.h"
#include "backend/uml/warm.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: ikelab COMMAND [options]\n"
	"\n"
	"  up       [--name LAB] [--topology FILE] [--peers FILE] [--kernel auto|host|uml]\n"
	"           [--charon PATH]     build a lab and start one charon per peer\n"
	"  status   [--name LAB] [--json]   charon, IKE_SAs, CHILD_SAs and kernel state per peer\n"
	"  exec     [--name LAB] PEER -- CMD...  run CMD in a peer's namespaces\n"
	"  down     [--name LAB | --all]    stop charons, remove everything the lab made\n"
	"  record   [--name LAB] [--duration S] [--rate HZ] [--traffic PPS] [--grace S] [--out DIR]\n"
	"           SA counts, events, kernel acquires and probe loss over time, into a run dir\n"
	"  plot     RUN_DIR                 timeline.svg and timeline.png of a recorded run\n"
	"  run      SCENARIO.yaml [--seed S] [--seeds N] [--out DIR] [--kernel ...] [--charon PATH]\n"
	"           reproduce a race: build, act on schedule, record, judge; exit 0 as expected,\n"
	"           1 not, 2 lab error\n"
	"  shrink   RUN_DIR [--seeds K] [--out FILE]   the smallest scenario that still fails\n"
	"           as one seed's run did, into RUN_DIR/shrunk.yaml; exit 0 found, 1 not shrinkable\n"
	"  nightly  [SCENARIO...] [--seeds N] [--jobs J] [--charon PATH] [--baseline FILE] [--out DIR]\n"
	"           every scenario with N seeds, J labs at a time: junit.xml, summary.json, index.html\n"
	"  doctor   [--json]                what this host can do, which backend auto picks\n"
	"  bench    up [--rounds N] | esp | record [--duration S] | first-sa [--rounds N]\n"
	"                                                          benchmarks (make bench)\n"
	"\n"
	"--name defaults to 'lab'. Options may come anywhere before '--'.\n"
	"Labs live in /run/ikelab/NAME (IKELAB_RUN moves them).\n";

struct cli {
	const char *cmd;
	const char *name;
	const char *topology, *peers, *kernel, *charon, *rounds;
	const char *duration, *rate, *out, *traffic, *grace, *seed, *seeds;
	const char *jobs, *baseline;
	bool json, all;
	char **pos;             /* positional arguments before "--" */
	int npos;
	char **rest;            /* after "--" */
	char **argv;            /* everything after the command, for forwarding */
};

static int fail(void)
{
	fprintf(stderr, "ikelab: %s\n", err_msg());
	return 1;
}

static int need_value(int argc, char **argv, int i)
{
	if (i + 1 >= argc || !strncmp(argv[i + 1], "--", 2))
		return err_set("option %s needs a value", argv[i]);
	return 0;
}

static int parse(struct cli *c, int argc, char **argv)
{
	struct { const char *opt; const char **dst; } vals[] = {
		{ "--name", &c->name }, { "--topology", &c->topology }, { "--peers", &c->peers },
		{ "--kernel", &c->kernel }, { "--charon", &c->charon }, { "--rounds", &c->rounds },
		{ "--duration", &c->duration }, { "--rate", &c->rate }, { "--out", &c->out },
		{ "--traffic", &c->traffic }, { "--grace", &c->grace }, { "--seed", &c->seed },
		{ "--seeds", &c->seeds }, { "--jobs", &c->jobs }, { "--baseline", &c->baseline },
	};

	memset(c, 0, sizeof(*c));
	c->name = LAB_DEFAULT_NAME;
	c->pos = xcalloc((size_t)argc + 1, sizeof(char *));
	c->argv = argv + 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool matched = false;

		if (!strcmp(a, "--")) {
			c->rest = argv + i + 1;
			break;
		}
		for (size_t k = 0; k < ARRAY_LEN(vals); k++) {
			if (strcmp(a, vals[k].opt))
				continue;
			if (need_value(argc, argv, i) < 0)
				return -1;
			*vals[k].dst = argv[++i];
			matched = true;
		}
		if (matched)
			continue;
		if (!strcmp(a, "--json"))
			c->json = true;
		else if (!strcmp(a, "--all"))
			c->all = true;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			c->cmd = "help";
		else if (a[0] == '-' && a[1])
			return err_set("unknown option '%s' (see 'ikelab --help')", a);
		else if (!c->cmd)
			c->cmd = a;
		else
			c->pos[c->npos++] = argv[i];
	}
	if (!c->cmd)
		c->cmd = "help";
	return lab_name_check(c->name);
}

/* ---- up ------------------------------------------------------------------ */

static const char *pick_kernel(const struct cli *c)
{
	const char *k = c->kernel ? c->kernel : "auto";

	if (inside_uml())
		return "host";
	if (!strcmp(k, "host") || !strcmp(k, "uml"))
		return k;
	if (strcmp(k, "auto")) {
		err_set("--kernel must be auto, host or uml, not '%s'", k);
		return NULL;
	}
	return doctor_pick_backend();
}

static int cmd_up(const struct cli *c)
{
	struct up_opts o = { .name = c->name, .topology = c->topology, .peers = c->peers,
			     .kernel = c->kernel, .charon = c->charon };
	const char *kernel = pick_kernel(c);
	struct lab_plan plan;
	char *topo, *peers;
	int rc;

	if (c->npos)
		return err_set("up takes no positional arguments ('%s')", c->pos[0]), fail();
	if (!kernel)
		return fail();
	if (!strcmp(kernel, "host"))
		return lab_up_host(&o) < 0 ? fail() : 0;

	/* Check the files here, where the user can fix them, before a
	 * kernel boots. */
	if (lab_plan_load(&plan, &o) < 0)
		return fail();
	topo = xstrdup(plan.topo->path);
	peers = xstrdup(plan.profile[0]->path);
	lab_plan_free(&plan);
	{
		char *topo_abs = abs_path(topo), *peers_abs = abs_path(peers);
		char *inner[] = { "up", "--kernel", "host", "--name", (char *)c->name, "--topology",
				  topo_abs, "--peers", peers_abs, c->charon ? "--charon" : NULL,
				  (char *)c->charon, NULL };

		printf("booting user-mode Linux for lab '%s' (this kernel cannot hold ESP SAs)\n",
		       c->name);
		fflush(stdout);
		rc = uml_boot_and_run(c->name, inner, NULL, true);
		free(topo_abs);
		free(peers_abs);
	}
	free(topo);
	free(peers);
	if (rc < 0)
		return fail();
	return rc;
}

/* ---- the others ---------------------------------------------------------- */

static bool uml_is_lab_name(const char *name)
{
	char *dir = lab_dir(name);
	bool r = uml_is_lab(dir);

	free(dir);
	return r;
}

static int remote_run_lab(const char *name, char *const argv[], int flags)
{
	char *dir = lab_dir(name);
	int rc = remote_run(dir, argv, flags, 5000);

	free(dir);
	return rc < 0 ? fail() : rc;
}

/* The command's own arguments with one option's value replaced (or
 * added); the strings stay owned by the caller. */
static char **forward_args(const struct cli *c, const char *opt, char *val)
{
	size_t n = 0;
	char **out;
	bool set = false;

	while (c->argv[n])
		n++;
	out = xcalloc(n + 3, sizeof(char *));
	for (size_t i = 0, k = 0; i < n; i++) {
		out[k++] = c->argv[i];
		if (!strcmp(c->argv[i], opt) && i + 1 < n) {
			out[k++] = val;
			i++;
			set = true;
		}
		if (i + 1 == n && !set) {
			out[k++] = (char *)opt;
			out[k++] = val;
		}
	}
	return out;
}

/* A UML lab seen from the host: run the same command inside. */
static bool forwarded(const struct cli *c, int flags, int *rc)
{
	bool remote = !inside_uml() && uml_is_lab_name(c->name);

	if (remote)
		*rc = remote_run_lab(c->name, c->argv, flags);
	return remote;
}

static int down_one(const char *name)
{
	char *dir = lab_dir(name);
	int r;

	if (!inside_uml() && uml_is_lab(dir))
		r = uml_down(name);
	else if (!path_exists(dir))
		r = err_set("no lab named '%s' (nothing at %s)", name, dir);
	else
		r = lab_down_host(name);
	free(dir);
	/* Inside UML the host side reports; say it once. */
	if (r == 0 && !inside_uml())
		printf("lab '%s' is down\n", name);
	return r;
}

static int cmd_down(const struct cli *c)
{
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (!c->all)
		return down_one(c->name) < 0 ? fail() : 0;
	d = opendir(lab_base_dir());
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && name_valid(e->d_name, LAB_NAME_MAX) && down_one(e->d_name) < 0)
			rc = fail();
	closedir(d);
	return rc;
}

static int cmd_status(const struct cli *c)
{
	int rc;

	if (forwarded(c, 0, &rc))
		return rc;
	return status_host(c->name, c->json) < 0 ? fail() : 0;
}

static int cmd_exec(const struct cli *c)
{
	int rc;

	if (c->npos != 1 || !c->rest || !c->rest[0])
		return err_set("usage: ikelab exec [--name LAB] PEER -- CMD [ARGS...]"), fail();
	if (forwarded(c, REMOTE_STDIN | REMOTE_TTY, &rc))
		return rc;
	exec_host(c->name, c->pos[0], c->rest);
	return fail();
}

/* Positive integer option, or -1 with err_msg(). */
static long number(const char *opt, const char *val, long dflt, long max)
{
	char *end;
	long n;

	if (!val)
		return dflt;
	n = strtol(val, &end, 10);
	if (*end || end == val || n < 1 || n > max)
		return err_set("%s must be a whole number from 1 to %ld, not '%s'", opt, max, val);
	return n;
}

/* Decimal option within [min, max], or -1 with err_msg(). */
static int decimal(const char *opt, const char *val, double dflt, double min, double max,
		   double *out)
{
	char *end;

	*out = dflt;
	if (!val)
		return 0;
	*out = strtod(val, &end);
	if (*end || end == val || *out < min || *out > max)
		return err_set("%s must be a number from %g to %g, not '%s'", opt, min, max, val);
	return 0;
}

/* Where a command writes (runs/NAME-DATE-TIME unless --out says), made
 * here, on the host, and absolute: a UML lab can share only what exists on
 * the host. */
static char *run_dir(const char *out, const char *name)
{
	char stamp[32], *dir;
	time_t now = time(NULL);
	struct tm tm;

	if (out) {
		dir = xstrdup(out);
	} else {
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		dir = xasprintf("runs/%s-%s", name, stamp);
	}
	if (mkdir_p(dir, 0755) < 0) {
		free(dir);
		return NULL;
	}
	{
		char *abs = abs_path(dir);

		free(dir);
		return abs;
	}
}

static int cmd_record(const struct cli *c)
{
	struct rec_opts o = { .lab = c->name, .live = isatty(1), .share = true,
			      .crash_is_lab_error = true };
	long traffic = c->traffic ? number("--traffic", c->traffic, 0, 2000000) : 0;
	char *dir;
	int rc;

	if (decimal("--duration", c->duration, 60, 0.1, 86400 * 7, &o.duration) < 0 ||
	    decimal("--rate", c->rate, 10, 0.1, 1000, &o.rate) < 0 ||
	    decimal("--grace", c->grace, 2, 0, 3600, &o.grace) < 0 || traffic < 0)
		return fail();
	if (c->npos)
		return err_set("record takes no positional arguments ('%s')", c->pos[0]), fail();
	dir = run_dir(c->out, c->name);
	if (!dir)
		return fail();
	if (!inside_uml() && uml_is_lab_name(c->name)) {
		char **argv = forward_args(c, "--out", dir);

		rc = remote_run_lab(c->name, argv, o.live ? REMOTE_STDIN | REMOTE_TTY : 0);
		free(argv);
		free(dir);
		return rc;
	}
	o.out = dir;
	rc = record_main(&o, (int)traffic);
	free(dir);
	if (rc < 0)
		return fail();
	if (rc == 2)
		fprintf(stderr, "ikelab: %s\n", err_msg());
	return rc;
}

static int cmd_run(const struct cli *c)
{
	struct run_opts o = { .live = isatty(1), .charon = c->charon };
	long seeds = number("--seeds", c->seeds, 1, 1000);
	const char *kernel;
	struct scenario *s;
	char *file, *out, *seed_s, name[40];
	int rc;

	if (c->npos != 1)
		return err_set("usage: ikelab run SCENARIO.yaml [--seed S] [--seeds N] [--out DIR]"), fail();
	if (seeds < 0)
		return fail();
	if (c->seed) {
		char *end;

		o.seed = strtoull(c->seed, &end, 10);
		if (*end || !o.seed)
			return err_set("--seed must be a whole number from 1, not '%s'", c->seed), fail();
	}
	/* Refused here, before anything is built or booted. */
	file = lab_find_file(c->pos[0]);
	s = scenario_load(file);
	if (!s) {
		free(file);
		return fail();
	}
	kernel = pick_kernel(c);
	out = kernel ? run_dir(c->out, s->name) : NULL;
	scenario_free(s);
	if (!out) {
		free(file);
		return fail();
	}
	/* Each run its own lab, so runs can go side by side. */
	if (strcmp(c->name, LAB_DEFAULT_NAME))
		snprintf(name, sizeof(name), "%s", c->name);
	else
		snprintf(name, sizeof(name), "run%d", (int)getpid());
	o.scenario = file;
	o.out = out;
	o.lab = name;
	o.seeds = (unsigned)seeds;
	if (!strcmp(kernel, "host")) {
		rc = run_here(&o);
	} else {
		char *abs = abs_path(file), ns[24];
		const char *rw[] = { out, NULL };
		char *inner[16] = { "run", abs ? abs : file, "--kernel", "host", "--out", out,
				    "--name", name, "--seeds", ns };
		int k = 10;

		snprintf(ns, sizeof(ns), "%ld", seeds);
		seed_s = c->seed ? (char *)c->seed : NULL;
		if (seed_s) {
			inner[k++] = "--seed";
			inner[k++] = seed_s;
		}
		if (c->charon) {
			inner[k++] = "--charon";
			inner[k++] = (char *)c->charon;
		}
		inner[k] = NULL;
		rc = uml_boot_and_run(name, inner, rw, false);
		free(abs);
	}
	free(file);
	free(out);
	return rc < 0 ? fail() : rc;
}

static int cmd_nightly(const struct cli *c)
{
	struct nightly_opts o = { .live = isatty(1), .charon = c->charon, .baseline = c->baseline,
				  .scenarios = c->pos, .n_scenarios = c->npos };
	long seeds = number("--seeds", c->seeds, 3, 1000);
	long jobs = c->jobs ? number("--jobs", c->jobs, 0, 64) : 0;
	int rc;

	if (seeds < 0 || jobs < 0 || !(o.out = run_dir(c->out, "nightly")))
		return fail();
	o.seeds = (unsigned)seeds;
	o.jobs = (unsigned)jobs;
	rc = nightly_main(&o);
	free((char *)o.out);
	return rc < 0 ? fail() : rc;
}

static int cmd_shrink(const struct cli *c)
{
	long seeds = number("--seeds", c->seeds, 2, 100);
	int rc;

	if (c->npos != 1)
		return err_set("usage: ikelab shrink RUN_DIR [--seeds K] [--out FILE]"), fail();
	if (seeds < 0)
		return fail();
	rc = shrink_main(c->pos[0], (unsigned)seeds, c->out);
	return rc < 0 ? fail() : rc;
}

static int cmd_plot(const struct cli *c)
{
	if (c->npos != 1)
		return err_set("usage: ikelab plot RUN_DIR"), fail();
	if (plot_run(c->pos[0]) < 0)
		return fail();
	printf("%s/timeline.png\n%s/timeline.svg\n", c->pos[0], c->pos[0]);
	return 0;
}

static int cmd_bench(const struct cli *c)
{
	long rounds = number("--rounds", c->rounds, 5, 1000);
	const char *kernel = pick_kernel(c);

	double secs;

	if (rounds < 0 || !kernel || decimal("--duration", c->duration, 60, 1, 3600, &secs) < 0)
		return fail();
	if (c->npos == 1 && !strcmp(c->pos[0], "up"))
		return bench_up((int)rounds, kernel) < 0 ? fail() : 0;
	if (c->npos == 1 && !strcmp(c->pos[0], "esp"))
		return bench_esp(kernel) < 0 ? fail() : 0;
	if (c->npos == 1 && !strcmp(c->pos[0], "record"))
		return bench_record(secs, kernel) < 0 ? fail() : 0;
	if (c->npos == 1 && !strcmp(c->pos[0], "first-sa"))
		return bench_first_sa((int)rounds, kernel, c->out) < 0 ? fail() : 0;
	return err_set("usage: ikelab bench up [--rounds N] | esp | record [--duration S] | "
		       "first-sa [--rounds N]"), fail();
}

int main(int argc, char **argv)
{
	struct cli c;
	int rc;

	if (argc >= 2 && !strcmp(argv[1], "uml-init"))
		return uml_init_main(argc, argv);
	if (argc >= 1 && !strcmp(argv[0], WARM_MODPROBE))
		return warm_modprobe_main(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse(&c, argc, argv) < 0) {
		free(c.pos);
		return fail();
	}
	if (!strcmp(c.cmd, "help")) {
		fputs(usage, stdout);
		rc = 0;
	} else if (!strcmp(c.cmd, "up")) {
		rc = cmd_up(&c);
	} else if (!strcmp(c.cmd, "down")) {
		rc = cmd_down(&c);
	} else if (!strcmp(c.cmd, "status")) {
		rc = cmd_status(&c);
	} else if (!strcmp(c.cmd, "exec")) {
		rc = cmd_exec(&c);
	} else if (!strcmp(c.cmd, "record")) {
		rc = cmd_record(&c);
	} else if (!strcmp(c.cmd, "nightly")) {
		rc = cmd_nightly(&c);
	} else if (!strcmp(c.cmd, "run")) {
		rc = cmd_run(&c);
	} else if (!strcmp(c.cmd, "shrink")) {
		rc = cmd_shrink(&c);
	} else if (!strcmp(c.cmd, "plot")) {
		rc = cmd_plot(&c);
	} else if (!strcmp(c.cmd, "bench")) {
		rc = cmd_bench(&c);
	} else if (!strcmp(c.cmd, "doctor")) {
		rc = doctor_run(c.json);
	} else {
		err_set("unknown command '%s' (see 'ikelab --help')", c.cmd);
		rc = fail();
	}
	free(c.pos);
	return rc;
}

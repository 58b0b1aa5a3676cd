/*
 * runs.c - scenarios: run one, run all of them nightly, shrink a failing one.
 */
#include "cmd/cmd.h"
#include "backend/lab.h"
#include "backend/state.h"
#include "backend/uml/uml.h"
#include "base/spawn.h"
#include "base/err.h"
#include "base/util.h"
#include "campaign/nightly.h"
#include "config/profile.h"
#include "campaign/shrink.h"
#include "campaign/sweep.h"
#include "config/scenario.h"
#include "schedule/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_run(const struct cli *c)
{
	struct run_opts o = { .live = isatty(1) };
	long seeds = number("--seeds", c->seeds, 1, 1000);
	const char *kernel;
	struct scenario *s;
	char *file, *out, *charon, name[40];
	int rc;

	if (c->npos != 1)
		return usage_fail(c);
	if (seeds < 0)
		return fail();
	if (c->seed) {
		char *end;

		o.seed = strtoull(c->seed, &end, 10);
		if (*end || !o.seed)
			return err_set("--seed must be a whole number from 1, not '%s'", c->seed),
			       fail();
	}
	/* Refused here, before anything is built or booted. */
	file = lab_find_file(c->pos[0]);
	s = scenario_load_set(file, c->sets, (unsigned)c->n_sets);
	if (!s) {
		free(file);
		return fail();
	}
	kernel = pick_kernel(c);
	/* A version is built before the run directory is made. */
	if (kernel && charon_arg_checked(c, &charon) == 0)
		out = run_dir(c->out, s->name);
	else
		charon = out = NULL;
	scenario_free(s);
	if (!out) {
		free(charon);
		free(file);
		return fail();
	}
	o.charon = charon;
	/* Each run its own lab, so runs can go side by side. */
	if (strcmp(c->name, LAB_DEFAULT_NAME))
		snprintf(name, sizeof(name), "%s", c->name);
	else
		snprintf(name, sizeof(name), "run%d", (int)getpid());
	o.scenario = file;
	o.out = out;
	o.lab = name;
	o.seeds = (unsigned)seeds;
	o.full_duration = c->full_duration;
	o.sets = c->sets;
	o.n_sets = (unsigned)c->n_sets;
	if (!strcmp(kernel, "host")) {
		rc = run_here(&o);
	} else {
		char *abs = abs_path(file), ns[24];
		const char *rw[] = { out, NULL };
		struct argv inner = { 0 };

		snprintf(ns, sizeof(ns), "%ld", seeds);
		argv_addv(&inner,
			  (char *const[]){ "run", abs ? abs : file, "--kernel", "host", "--out",
					   out, "--name", name, "--seeds", ns, NULL });
		if (c->seed)
			argv_addv(&inner, (char *const[]){ "--seed", (char *)c->seed, NULL });
		if (charon)
			argv_addv(&inner, (char *const[]){ "--charon", charon, NULL });
		if (c->trust)
			argv_add(&inner, "--trust");
		if (c->full_duration)
			argv_add(&inner, "--full-duration");
		for (int i = 0; i < c->n_sets; i++)
			argv_addv(&inner, (char *const[]){ "--set", (char *)c->sets[i], NULL });
		rc = uml_boot_and_run(name, inner.v, rw, false);
		argv_free(&inner);
		free(abs);
	}
	free(file);
	free(out);
	free(charon);
	return rc < 0 ? fail() : rc;
}

/*
 * The nightly's runs on one lab slot share a user-mode Linux kernel: each
 * job runs `ikelab uml-pool POOL RW_DIR -- run ...`, which boots the
 * kernel POOL (sharing RW_DIR, where the runs write) the first time and
 * reuses it after (backend/uml/uml.h), so a run costs its lab and not a
 * boot. The run itself checks that the kernel holds nothing of the last
 * one (residue.h).
 */
int uml_pool_main(int argc, char **argv)
{
	const char *rw[2] = { NULL, NULL };
	bool booted;
	int rc;

	if (argc < 6 || strcmp(argv[4], "--") || state_name_check(argv[2]) < 0 ||
	    argv[3][0] != '/' || dir_ours(argv[3]) < 0) {
		fprintf(stderr,
			"ikelab: uml-pool POOL RW_DIR -- ARGS...: the nightly's way to "
			"run in a reused kernel, not run by hand%s%s\n",
			err_msg()[0] ? ": " : "", err_msg());
		return 2;
	}
	rw[0] = argv[3];
	rc = uml_pool_run(argv[2], argv + 5, rw, &booted);
	if (rc < 0) {
		fail();
		return 2;
	}
	return rc;
}

/* Every --charon as a binary, versions built first, one after the other. */
static int nightly_charons(const struct cli *c, struct nightly_opts *o)
{
	o->labels = (char **)c->charons;
	return charon_values(c, &o->charons, &o->n_charons);
}

static void nightly_charons_free(struct nightly_opts *o)
{
	for (int i = 0; i < o->n_charons; i++)
		free(o->charons[i]);
	free(o->charons);
}

/* nightly merge SHARD_DIR...: only --out and --baseline mean anything. */
static int nightly_merge_cmd(const struct cli *c)
{
	struct nightly_opts o = { .baseline = c->baseline };
	int rc = -1;

	if (c->seeds || c->budget || c->jobs || c->n_charons || c->shard || c->trust ||
	    c->full_duration || c->fresh) {
		err_set("nightly merge takes --out and --baseline only: the shards ran the rest");
		return fail();
	}
	if (c->npos < 2)
		return usage_fail(c);
	if ((o.out = run_dir(c->out, "nightly")))
		rc = nightly_merge(&o, c->pos + 1, c->npos - 1);
	free((char *)o.out);
	return rc < 0 ? fail() : rc;
}

/* --budget as seconds (strongSwan's notation: 90m, 2h, 3600), or -1. */
static double budget_arg(const char *v)
{
	uint32_t s;

	if (duration_parse(v, &s) < 0 || s == 0) {
		err_set("--budget %s: expected a duration such as 3600, 90m or 2h", v);
		return -1;
	}
	return s;
}

int cmd_nightly(const struct cli *c)
{
	struct nightly_opts o = { .live = isatty(1),
				  .full_duration = c->full_duration,
				  .fresh = c->fresh,
				  .baseline = c->baseline,
				  .scenarios = c->pos,
				  .n_scenarios = c->npos };
	long seeds = number("--seeds", c->seeds, 3, 1000);
	long jobs = c->jobs ? number("--jobs", c->jobs, 0, 64) : 0;
	int rc = -1;

	if (c->npos && !strcmp(c->pos[0], "merge"))
		return nightly_merge_cmd(c);
	if (c->budget && c->seeds) {
		err_set("--budget and --seeds: one says how many runs, the other how long");
		return fail();
	}
	if (c->budget && (o.budget_s = budget_arg(c->budget)) < 0)
		return fail();
	if (c->shard && nightly_shard_arg(c->shard, &o.shard, &o.shards) < 0)
		return fail();
	/* The versions are built before the night starts. */
	if (seeds >= 0 && jobs >= 0 && nightly_charons(c, &o) == 0 &&
	    (o.out = run_dir(c->out, "nightly"))) {
		o.seeds = o.budget_s > 0 ? 0 : (unsigned)seeds;
		o.jobs = (unsigned)jobs;
		rc = nightly_main(&o);
	}
	free((char *)o.out);
	nightly_charons_free(&o);
	return rc < 0 ? fail() : rc;
}

int cmd_sweep(const struct cli *c)
{
	struct sweep_opts o = { .live = isatty(1),
				.full_duration = c->full_duration,
				.set = c->set };
	long seeds = number("--seeds", c->seeds, 5, 1000);
	long jobs = c->jobs ? number("--jobs", c->jobs, 0, 64) : 0;
	char *file, *charon = NULL, *out = NULL;
	struct scenario *s;
	int rc = -1;

	if (c->npos != 1 || !c->set)
		return usage_fail(c);
	file = lab_find_file(c->pos[0]);
	o.scenario = file;
	s = seeds >= 0 && jobs >= 0 ? scenario_load(file) : NULL;
	/* Every value checked, and a version built, before the sweep's
	 * directory is made. */
	if (s && sweep_check(&o) == 0 && charon_arg_checked(c, &charon) == 0 &&
	    (out = run_dir(c->out, "sweep"))) {
		o.charon = charon;
		o.out = out;
		o.seeds = (unsigned)seeds;
		o.jobs = (unsigned)jobs;
		rc = sweep_main(&o);
	}
	scenario_free(s);
	free(out);
	free(charon);
	free(file);
	return rc < 0 ? fail() : rc;
}

int cmd_shrink(const struct cli *c)
{
	struct shrink_opts o = { .out = c->out,
				 .reproduces = c->reproduces,
				 .scenario = c->scenario,
				 .signature = c->signature };
	char *charon = NULL;
	long seeds = number("--seeds", c->seeds, 2, 100);
	int rc;

	if (c->npos != 1)
		return usage_fail(c);
	if (seeds < 0 || (c->budget && (o.budget_s = budget_arg(c->budget)) < 0))
		return fail();
	o.seeds = (unsigned)seeds;
	/* A version is built before anything runs. */
	if (charon_arg_checked(c, &charon) < 0)
		return fail();
	o.charon = charon;
	rc = shrink_main(c->pos[0], &o);
	free(charon);
	return rc < 0 ? fail() : rc;
}

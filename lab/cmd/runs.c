/*
 * runs.c - scenarios: run one, run all of them nightly, shrink a failing one.
 */
#include "cmd/cmd.h"
#include "backend/lab.h"
#include "backend/state.h"
#include "backend/uml/uml.h"
#include "base/err.h"
#include "base/util.h"
#include "campaign/nightly.h"
#include "campaign/shrink.h"
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
	char *file, *out, *seed_s, *charon, name[40];
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
	s = scenario_load(file);
	if (!s) {
		free(file);
		return fail();
	}
	kernel = pick_kernel(c);
	/* A version is built before the run directory is made. */
	if (kernel && charon_arg(c, &charon) == 0)
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
	if (!strcmp(kernel, "host")) {
		rc = run_here(&o);
	} else {
		char *abs = abs_path(file), ns[24];
		const char *rw[] = { out, NULL };
		char *inner[20] = { "run", abs ? abs : file, "--kernel", "host",    "--out",
				    out,   "--name",         name,       "--seeds", ns };
		int k = 10;

		snprintf(ns, sizeof(ns), "%ld", seeds);
		seed_s = c->seed ? (char *)c->seed : NULL;
		if (seed_s) {
			inner[k++] = "--seed";
			inner[k++] = seed_s;
		}
		if (charon) {
			inner[k++] = "--charon";
			inner[k++] = charon;
		}
		if (c->trust)
			inner[k++] = "--trust";
		if (c->full_duration)
			inner[k++] = "--full-duration";
		inner[k] = NULL;
		rc = uml_boot_and_run(name, inner, rw, false);
		free(abs);
	}
	free(file);
	free(out);
	free(charon);
	return rc < 0 ? fail() : rc;
}

/* Every --charon as a binary, versions built first, one after the other. */
static int nightly_charons(const struct cli *c, struct nightly_opts *o)
{
	o->charons = xcalloc((size_t)c->n_charons + 1, sizeof(char *));
	o->labels = (char **)c->charons;
	for (int i = 0; i < c->n_charons; i++) {
		if (charon_value(c->charons[i], &o->charons[i]) < 0)
			return -1;
		o->n_charons = i + 1;
	}
	return 0;
}

static void nightly_charons_free(struct nightly_opts *o)
{
	for (int i = 0; i < o->n_charons; i++)
		free(o->charons[i]);
	free(o->charons);
}

int cmd_nightly(const struct cli *c)
{
	struct nightly_opts o = { .live = isatty(1),
				  .full_duration = c->full_duration,
				  .baseline = c->baseline,
				  .scenarios = c->pos,
				  .n_scenarios = c->npos };
	long seeds = number("--seeds", c->seeds, 3, 1000);
	long jobs = c->jobs ? number("--jobs", c->jobs, 0, 64) : 0;
	int rc = -1;

	/* The versions are built before the night starts. */
	if (seeds >= 0 && jobs >= 0 && nightly_charons(c, &o) == 0 &&
	    (o.out = run_dir(c->out, "nightly"))) {
		o.seeds = (unsigned)seeds;
		o.jobs = (unsigned)jobs;
		rc = nightly_main(&o);
	}
	free((char *)o.out);
	nightly_charons_free(&o);
	return rc < 0 ? fail() : rc;
}

int cmd_shrink(const struct cli *c)
{
	long seeds = number("--seeds", c->seeds, 2, 100);
	int rc;

	if (c->npos != 1)
		return usage_fail(c);
	if (seeds < 0)
		return fail();
	rc = shrink_main(c->pos[0], (unsigned)seeds, c->out);
	return rc < 0 ? fail() : rc;
}

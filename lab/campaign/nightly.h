/*
 * nightly.h - every scenario, several seeds, several labs at a time, and
 * the reports a team reads in the morning: junit.xml for CI, summary.json
 * for programs (and the next night's baseline), index.html for people.
 *
 * Given several charon versions, the night is a matrix, scenario x seed x
 * version: every scenario runs with its seeds on every version, each
 * version's runs in a folder of their own (v1-LABEL/, v2-LABEL/), and
 * summary.json's "matrix" puts each scenario's versions side by side. A
 * scenario whose bug (a reproduction reproducing, a clean scenario failing)
 * shows in some run on one version and in no run on the next is "fixed in"
 * the next; the reverse is "regressed in" it.
 *
 * A night can be split over machines: shard I of N runs a fixed part of
 * the matrix, the unit being a scenario on one version with all its seeds
 * (so the extra seeds of a scenario that flipped stay in its shard). The
 * units are dealt out by their expected time, longest first, each to the
 * shard with the least so far: every shard computes the same deal from
 * the same files. `nightly merge` puts the shards' reports back into the
 * night they would have been, copying their runs beside them.
 *
 * Under user-mode Linux each of the J lab slots boots one kernel and its
 * runs reuse it, one after the other, each building its lab afresh; each
 * run first checks that the kernel holds nothing of the one before
 * (backend/uml/residue.h). --fresh boots a kernel for every run instead.
 *
 * With a budget instead of a seed count, seeds are handed out one at a
 * time to the scenario with the fewest so far, while the next run is
 * expected to finish within the budget; every scenario gets one run even
 * when the budget is smaller than that.
 */
#ifndef IKELAB_NIGHTLY_H
#define IKELAB_NIGHTLY_H

#include <jansson.h>
#include <stdbool.h>

/*
 * A night whose scenarios are made while it runs (ikelab explore,
 * explore/explore.h) instead of files given up front: each is run once,
 * with the seed it names. The night asks for the next while a lab slot is
 * free (and, under a budget, while a run is expected to end within it),
 * tells the source about every run that ended instead of printing its
 * progress line, draws no plots, and writes only summary.json.
 */
struct nightly_source {
	/* The next scenario file (allocated, the night's to free), or NULL
	 * when there is no other: the night ends with what runs. */
	char *(*next)(void *ctx);
	/* A run ended: RES is its entry in the night's summary (borrowed),
	 * REL its run directory below the night's out. */
	void (*done)(void *ctx, const json_t *res, const char *rel);
	void *ctx;
	unsigned max; /* at most this many scenarios */
};

struct nightly_opts {
	char **scenarios; /* files; none: every scenarios/ *.yaml */
	int n_scenarios;
	unsigned seeds;
	unsigned jobs; /* labs at a time; 0: one per CPU */
	/* The versions: each scenario runs on each, side by side in the
	 * reports. charons[i] is the binary (a version built already), labels[i]
	 * what the user typed; none: the default charon. */
	char **charons, **labels;
	int n_charons;
	/* With versions: sets[i] ("PATH=VALUE", or NULL) is the --set of
	 * every run on version i; NULL: none anywhere. A sweep's values are
	 * such versions (campaign/sweep.h). */
	char **sets;
	const char *baseline; /* an earlier night's summary.json */
	const char *out;
	bool live;
	bool full_duration;     /* every run to its end (run --full-duration) */
	unsigned shard, shards; /* shard SHARD (from 1) of SHARDS; 0: the whole night */
	double budget_s;        /* > 0: seeds while they fit in this time, not SEEDS */
	bool fresh;             /* a kernel booted for every run, none reused */
	const struct nightly_source *source; /* scenarios made as it goes, or NULL */
};

/* 0 when every scenario met its expectation in every run, 1 otherwise;
 * -1 with err_msg() when the night could not run at all. */
int nightly_main(const struct nightly_opts *o);

/* --shard's value as SHARD of SHARDS: "I/N" (I from 1), "auto" (GitLab's
 * parallel: CI_NODE_INDEX and CI_NODE_TOTAL), or "auto/N" (a Kubernetes
 * Indexed Job: JOB_COMPLETION_INDEX, from 0; else CI_NODE_INDEX). 0, or
 * -1 with err_msg(). */
int nightly_shard_arg(const char *arg, unsigned *shard, unsigned *shards);

/* `nightly merge`: the shards' directories DIRS (each a night run with
 * --shard, together all of one night's shards) into one night in o->out,
 * as if it had not been split: summary.json, junit.xml, index.html, and a
 * copy of every run. o->baseline: compared as the night would have been.
 * The exit status of that night, or -1 with err_msg(). */
int nightly_merge(const struct nightly_opts *o, char *const *dirs, int n_dirs);

/* A charon binary from a path that names one, or a strongSwan build tree
 * or install prefix holding one (allocated), or NULL with err_msg(). */
char *charon_resolve(const char *path);

#endif

/*
 * run.h - `ikelab run`: a scenario, executed.
 *
 * For each seed: build the lab with the scenario's topology and per-peer
 * profiles, open the fault wire on its routers, start recording, carry out
 * the schedule at its times, judge the recording against the
 * expectations, take the lab down. One directory per seed, and a
 * result.json over all seeds with the rate at which the scenario did what
 * it expects.
 */
#ifndef IKELAB_RUN_H
#define IKELAB_RUN_H

#include <stdbool.h>
#include <stdint.h>

struct run_opts {
	const char *scenario;    /* file */
	const char *out;         /* directory for the seeds' run directories */
	const char *lab;         /* lab name */
	const char *charon;      /* overrides the profiles' binary */
	uint64_t seed;           /* first seed; 0: the scenario's */
	unsigned seeds;          /* how many, from seed on */
	bool live;               /* status line on a terminal */
	bool full_duration;      /* no early verdict: every run to its end */
	const char *const *sets; /* "PATH=VALUE" in place of the file's */
	unsigned n_sets;
};

/* Runs here (host kernel, or inside user-mode Linux). Exit status: 0 when
 * every seed did what the scenario expects, 1 when one did not, 2 when the
 * lab failed; -1 with err_msg() when nothing could run. */
int run_here(const struct run_opts *o);

#endif

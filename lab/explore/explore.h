/*
 * explore.h - `ikelab explore`: races nobody reported, found by running
 * generated schedules and checking invariants, the way Jepsen tests
 * databases.
 *
 * Trial i draws its scenario from the generator (gen.h) with seed SEED+i
 * -- profiles, short lifetimes, traffic, actions, faults, and the
 * invariants as expectations -- and runs it once through the nightly's
 * machinery (campaign/nightly.h, struct nightly_source: J labs at a time,
 * under user-mode Linux each slot's kernel reused), to its end: a race
 * early in a trial does not hide one later in it. Each moment a run
 * violates an invariant is a finding; findings are grouped by signature
 * (sig.h, group.h) as they come, a trial counting once in each group it
 * shows, with a line of progress per trial.
 *
 * Afterwards every new group -- one the known list does not name -- is
 * shrunk (`ikelab shrink --reproduces`, J at a time, each within its own
 * budget, each invariant's most frequent group first, none started once
 * the shrinking has taken its total) into a small scenario that reproduces it, and that scenario is
 * run SEEDS times on every version given with --charon (the first is the
 * one explored): the first later version where it shows in no run is the
 * group's "fixed_in". The reports: findings.json (programs, the next
 * night's --known), index.html (people: a row per group with its
 * timeline and its shrunk scenario), junit.xml (CI: a new group fails).
 *
 * Shards split the trials, not the time: shard I of N runs the trials
 * whose index is I-1 modulo N, so N machines with one seed and budget
 * explore N times as many schedules, none twice; `explore merge` puts
 * their findings together.
 *
 * Directory: OUT/scenarios/ (every trial's file), OUT/trials/ (the
 * nightly's runs and summary.json), OUT/shrunk/ID/ID.yaml with its log and runs
 * beside it, OUT/versions/ID/, and the reports.
 */
#ifndef IKELAB_EXPLORE_H
#define IKELAB_EXPLORE_H

#include <stdbool.h>
#include <stdint.h>

#include "explore/gen.h"

struct explore_opts {
	struct gen_opts gen; /* profiles, topology, invariants (borrowed strings) */
	uint64_t seed;       /* trial i draws SEED + i */
	unsigned trials;     /* this many (over all shards); 0: while the budget lasts */
	double budget_s;     /* > 0: trials start while a run fits in it */
	unsigned jobs;       /* labs at a time; 0: one per CPU */
	/* charons[0] is explored, the others check shrunk scenarios; labels
	 * are what the user typed; none: the default charon. */
	char **charons, **labels;
	int n_charons;
	const char *known;      /* the known list, or NULL */
	const char *out;        /* the report's directory (made already) */
	unsigned shard, shards; /* shard SHARD (from 1) of SHARDS; 0: all */
	unsigned seeds;         /* shrink: further seeds a candidate must fail with;
	                           versions: runs of a shrunk scenario on each */
	double shrink_s;        /* each group's shrink budget; 0: no shrinking */
	double shrink_total_s;  /* no shrink starts after this long; 0: no limit */
	bool live, fresh;
};

/* 0 when no new group was found, 1 when one was, 128+N when signal N
 * ended it early (the reports hold what ran), -1 with err_msg(). */
int explore_main(const struct explore_opts *o);

/* `explore merge`: the shards' directories into OUT as one exploration:
 * findings.json, index.html and junit.xml, each group's run and shrunk
 * scenario copied; a group KNOWN (a known list, or NULL) names is known
 * whatever its shard said -- also one directory judged again against a
 * newer list. The exit status as explore_main's, or -1. */
int explore_merge(const char *out, char *const *dirs, int n_dirs, const char *known);

#endif

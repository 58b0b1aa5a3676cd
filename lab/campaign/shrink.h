/*
 * shrink.h - `ikelab shrink RUN_DIR`: the smallest scenario that still
 * fails the way one seed's run failed.
 *
 * A run failed when its result was `fail` (a clean scenario's expectation
 * was violated) or `reproduced` (a reproduction showed its bug). Failing
 * the same way means the same result with at least the expectations the
 * run violated. Candidates are the scenario with parts taken away, in this
 * order, each change kept when the candidate fails the same way:
 *
 *   1. schedule entries, ddmin-style: halves first, then smaller chunks,
 *      down to single entries;
 *   2. fault rules, the same way, with the `release` entries that named
 *      only their holds;
 *   3. the settings of the peers' `set:`, one key at a time (again ddmin);
 *   4. background traffic: none at all, else 1 pps, else the pps halved
 *      while that holds (before the duration: traffic.start bounds it);
 *   5. the duration: halved while that holds, then bisected to a second,
 *      never below the last remaining action + 2 s + grace.
 *
 * The search itself is pure (shrink_search with a callback that judges a
 * candidate, shrink.c), so it can be tested without a lab; shrink_main
 * judges by running `ikelab run` on each candidate (shrink_run.c).
 */
#ifndef IKELAB_SHRINK_H
#define IKELAB_SHRINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/scenario.h"

/* What a candidate keeps of the original scenario. */
struct shrink_cand {
	bool *entry; /* per schedule entry */
	bool *fault; /* per fault rule */
	bool *leaf;  /* per setting of the peers' set: (see below) */
	unsigned n_entries, n_faults, n_leaves;
	uint32_t duration_ms;
	uint32_t pps; /* traffic.pps; 0: no background traffic */
};

/* Everything kept. */
void shrink_cand_init(struct shrink_cand *c, const struct scenario *s);
void shrink_cand_copy(struct shrink_cand *dst, const struct shrink_cand *src);
void shrink_cand_free(struct shrink_cand *c);

/*
 * The settings of `set:` a candidate can drop, in file order: peers[i] in
 * order, and in each set every key of a nested section (ike.unique,
 * settings.send_delay) or a top-level key (plugins, charon). Their name
 * as "peers[bob].set.ike.unique" into buf; the number of leaves.
 */
unsigned shrink_leaves(const struct scenario *s);
const char *shrink_leaf_name(const struct scenario *s, unsigned leaf, char *buf, size_t len);

/* Drop the `release` entries that name no hold a kept rule makes. */
void shrink_drop_releases(const struct scenario *s, struct shrink_cand *c);

/* The shortest duration (ms, a whole second) a candidate may have: its
 * last action (jitter and skew included) or traffic start, plus 2 s and
 * the grace, so what it set off has time to show. */
uint32_t shrink_duration_floor(const struct scenario *s, const struct shrink_cand *c);

/*
 * The scenario a candidate stands for, sharing S's strings: with SEED as
 * its seed. Write it with scenario_save(); free it with shrink_view_free
 * (which frees only what the view made), never with scenario_free.
 */
struct scenario *shrink_view(const struct scenario *s, const struct shrink_cand *c, uint64_t seed);
void shrink_view_free(struct scenario *v);

/* Whether the candidate still fails the same way; WHAT says what it
 * changes ("schedule: drop #3 install"). */
typedef bool (*shrink_try_fn)(void *ctx, const struct shrink_cand *c, const char *what);

/* Shrink BEST (on entry: what is known to fail) in the order above. */
void shrink_search(const struct scenario *s, struct shrink_cand *best, shrink_try_fn try_fn,
		   void *ctx);

/* `ikelab shrink`: RUN_DIR is one seed's run directory; SEEDS further
 * seeds are tried per candidate; the result goes to OUT (default
 * RUN_DIR/shrunk.yaml), the candidates' runs to the folder beside it,
 * shrink/. Exit status: 0 a scenario was written (even if nothing could be
 * removed), 1 the run is not shrinkable, 2 runs ended as lab errors (the
 * result, if written, may be less small than it could be); -1 with
 * err_msg(). */
int shrink_main(const char *run_dir, unsigned seeds, const char *out);

#endif

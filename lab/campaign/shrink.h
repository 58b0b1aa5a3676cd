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
 * No candidate keeps an outage without what ends it (shrink_mend): a
 * `link` down and the `link` up of the same interface after it, a `kill`
 * and the `restart` of that peer after it, STOP and CONT, `netem` and its
 * `clear`, `uninstall` and `install`, each opener paired with the first
 * such entry after it (the way explore writes them); a hold rule and the
 * `release` entries that name it. Dropping one of a pair of entries drops
 * the other (a mender left alone would act on its own: a restart is an
 * outage of its own); dropping a release drops its hold rule, and
 * dropping a hold rule its releases. Otherwise a liveness failure would
 * "shrink" to a tunnel that is simply left down.
 *
 * The search stops early when the caller's stop function says so
 * (`--budget`): no candidate is tried after that, and the best so far is
 * the result.
 *
 * With `--reproduces` the result is a bug report's reproduction: `expect:
 * reproduces` and only the expectations the run violated
 * (shrink_view_reproduces); candidates are judged as without it.
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

/* An outage and what ends it: schedule entry MENDER undoes entry OPENER
 * (FAULT: fault rule OPENER, a hold, which MENDER releases). */
struct shrink_mend {
	bool fault;
	unsigned opener, mender;
};
/* The pairs of S (see the top), into *OUT (the caller frees it); their
 * number. */
unsigned shrink_menders(const struct scenario *s, struct shrink_mend **out);
/* The first pair whose opener C keeps without its mender, or -1. */
int shrink_unmended(const struct scenario *s, const struct shrink_cand *c);
/* C with every pair whole or gone: a dropped mender takes its opener,
 * a dropped opening entry its mender, and releases of no kept hold go
 * (shrink_drop_releases). */
void shrink_mend(const struct scenario *s, struct shrink_cand *c);

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
/* View V (of shrink_view) made a reproduction: `expect: reproduces`, and
 * of its expectations only those whose verdict names are among VIOLATED
 * (summary.json's expectations[].name; a stats, events or logs entry by
 * the name the verdict gives it, verdict.h, so two sharing a name both
 * stay); `no_crash: false` unless no_crash is among them. VIOLATED stays
 * the caller's; what V gains is freed with it. */
void shrink_view_reproduces(struct scenario *v, const char *const *violated, unsigned n);

/* Whether the candidate still fails the same way; WHAT says what it
 * changes ("schedule: drop #3 install"). */
typedef bool (*shrink_try_fn)(void *ctx, const struct shrink_cand *c, const char *what);

/* Whether the search is to stop now (asked before each candidate). */
typedef bool (*shrink_stop_fn)(void *ctx);

/* Shrink BEST (on entry: what is known to fail) in the order above. */
void shrink_search(const struct scenario *s, struct shrink_cand *best, shrink_try_fn try_fn,
		   void *ctx);
/* The same, until STOP_FN (may be NULL) says to stop: true when it did. */
bool shrink_search_until(const struct scenario *s, struct shrink_cand *best, shrink_try_fn try_fn,
			 shrink_stop_fn stop_fn, void *ctx);

struct shrink_opts {
	unsigned seeds;        /* further seeds tried per candidate */
	const char *out;       /* the result; NULL: RUN_DIR/shrunk.yaml (borrowed) */
	bool reproduces;       /* the result a reproduction of what was violated */
	double budget_s;       /* > 0: no candidate started after this long */
	const char *charon;    /* the charon the candidates run, or NULL: the
	                       default (borrowed) */
	const char *scenario;  /* the file to shrink, the caller's own, instead
	                         of the run's copy or the file it names; NULL:
	                         those (borrowed) */
	const char *signature; /* an explore group's id: a candidate fails the
	                          same way when its run (to its end) shows a
	                          finding of that group (explore/sig.h), and the
	                          result keeps that finding's expectations;
	                          NULL: the run's result and violations */
};

/* `ikelab shrink`: RUN_DIR is one seed's run directory; O->seeds further
 * seeds are tried per candidate; the result goes to O->out, the
 * candidates' runs to the folder beside it, shrink/. Exit status: 0 a
 * scenario was written (even if nothing could be removed, or the budget
 * ended the search), 1 the run is not shrinkable, 2 runs ended as lab
 * errors (the result, if written, may be less small than it could be);
 * -1 with err_msg(). */
int shrink_main(const char *run_dir, const struct shrink_opts *o);

#endif

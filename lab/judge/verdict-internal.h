/*
 * verdict-internal.h - what verdict.c and verdict_counts.c share; not for
 * use outside lab/judge (the API is verdict.h).
 *
 *   verdict.c         the verdict: SA counts, growth, acquires, loss,
 *                     crashes, the result and the report;
 *   verdict_counts.c  limits on things counted over the run: charon's
 *                     counters (stats), events of a kind (events), lines
 *                     of charon's log (logs).
 */
#ifndef IKELAB_VERDICT_INTERNAL_H
#define IKELAB_VERDICT_INTERNAL_H

#include <jansson.h>

#include "config/scenario.h"

/* One judging: what the run wrote, and what is found. Everything here
 * is the judging's own and freed by it. */
struct run {
	json_t *summary;
	json_t *events;  /* array of event objects */
	json_t *traffic; /* array of [t, lost] */
	const struct scenario *s;
	json_t *out;   /* expectations */
	char *missing; /* what makes the judging a lab error (a stats counter
			  no reading had, a log that cannot be read) */
};

/* Each appends one entry per expectation of its kind to r->out. */
void vj_expect_stats(struct run *r);
void vj_expect_events(struct run *r);
void vj_expect_logs(struct run *r, const char *run_dir);

/* PEER's charon.log lines within half a second of AT (at most 16, each
 * {"t", "line"}), placed in the run by their time; an empty array when the
 * log cannot be read. A new reference. */
json_t *vj_log_around(const struct run *r, const char *run_dir, const char *peer, double at);

/* A stats event as shown around a violation of the expectation NAME:
 * only NAME's counter ("stats: ikesas.half-open"), and nothing around the
 * others (NULL). A new reference. */
json_t *vj_stats_around(const json_t *ev, const char *name);

#endif

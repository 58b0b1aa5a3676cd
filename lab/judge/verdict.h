/*
 * verdict.h - judging a recorded run against a scenario's expectations.
 *
 * Works on the run directory alone (summary.json, events.jsonl,
 * traffic.csv), so a run can be judged again later, and tested without a
 * lab. A scenario that reproduces a known bug (`expect: reproduces`)
 * passes when an expectation of correct behaviour is violated.
 */
#ifndef IKELAB_VERDICT_H
#define IKELAB_VERDICT_H

#include <jansson.h>

#include "config/scenario.h"

enum verdict_result {
	VERDICT_PASS,           /* clean scenario: every expectation held */
	VERDICT_FAIL,           /* clean scenario: one was violated */
	VERDICT_REPRODUCED,     /* reproduction: the bug showed */
	VERDICT_NOT_REPRODUCED, /* reproduction: everything held */
	VERDICT_LAB_ERROR,      /* the lab itself failed */
};

/* Evaluate; returns a JSON object {"result", "expectations": [...]}, or
 * NULL with err_msg() when the run directory cannot be read. */
json_t *verdict_evaluate(const char *run_dir, const struct scenario *s);
enum verdict_result verdict_result_of(const json_t *v);
const char *verdict_name(enum verdict_result r);
/* Settled before the run's end? so_far is what the recorder counted up to
 * now (rec_so_far: summary.json's "peers", only the numbers that never
 * fall, and its "ledger"). Returns the first expectation that is violated already and can
 * no longer hold, as in the verdict's "expectations" (the caller's), or
 * NULL while the end of the run may still decide. */
json_t *verdict_decided(const json_t *so_far, const struct scenario *s);
/* The name the verdict gives an entry of expectations.stats, .events or
 * .logs ("stats: ikesas.half-open", "events: child-rekey per peer",
 * "logs: /.../"), into BUF (returned). Two entries may share one. */
const char *verdict_stat_name(const struct sc_stat *x, char *buf, size_t len);
const char *verdict_events_name(const struct sc_events *x, char *buf, size_t len);
const char *verdict_logs_name(const struct sc_logs *x, char *buf, size_t len);
/* Exit status for `ikelab run`: 0 as expected, 1 not, 2 lab error. */
int verdict_exit(enum verdict_result r);
/* The report a person reads: which expectation, when, the events around. */
char *verdict_report(const json_t *v, const struct scenario *s, uint64_t seed);

#endif

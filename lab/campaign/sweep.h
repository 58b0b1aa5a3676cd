/*
 * sweep.h - `ikelab sweep`: one scenario over one parameter, the rate at
 * which its bug shows per value: the race window, measured.
 *
 * A sweep is a nightly whose columns are values instead of charon
 * versions: every value's runs get `--set PATH=VALUE` (the scenario's
 * value at PATH replaced, config/yamlcheck.h), N seeds each, J labs at a
 * time, with the nightly's reports (index.html side by side, junit.xml,
 * summary.json) in OUT. From its summary the sweep writes, per value, the
 * runs, the runs where the bug showed (a reproduction reproducing, a
 * clean scenario failing), the lab errors, the rate and its 95 % Wilson
 * interval: OUT/sweep.csv, OUT/sweep.json, and OUT/sweep.svg and .png
 * (gnuplot). A rate is measured, not judged: the exit status says whether
 * every value got runs, not whether the bug showed.
 *
 * Values: FROM..TO/STEP (decimal integers, all with the same unit, if any:
 * 0..1000/100, 5s..20s/5s) or a list (100,200,500, yes,no). Each is
 * checked by loading the scenario with it before anything runs.
 */
#ifndef IKELAB_SWEEP_H
#define IKELAB_SWEEP_H

#include <stdbool.h>

#define SWEEP_MAX_VALUES 100

struct sweep_opts {
	const char *scenario; /* file */
	const char *set;      /* PATH=VALUES */
	const char *charon;   /* the binary every run gets as --charon, or NULL */
	const char *out;      /* the directory, made already */
	unsigned seeds, jobs;
	bool live, full_duration;
};

/* 0 when every value got at least one run that was not a lab error, 1
 * otherwise; -1 with err_msg() when the sweep could not start (a bad
 * range, a value the scenario refuses). */
int sweep_main(const struct sweep_opts *o);

/* The values of o->set, each checked against o->scenario, without running
 * anything (o->out is not used): 0, or -1 with err_msg(). */
int sweep_check(const struct sweep_opts *o);

/* VALUES expanded into *out (allocated strings in an allocated array, NULL
 * terminated; the caller frees both), their count returned; -1 with
 * err_msg() for a malformed range, a step of 0, TO before FROM, units
 * that differ, or more than SWEEP_MAX_VALUES values. */
int sweep_values(const char *values, char ***out);

#endif

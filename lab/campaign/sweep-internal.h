/*
 * sweep-internal.h - what the files of `ikelab sweep` share (sweep.h is
 * the module's face): sweep.c checks the values and runs them,
 * sweep_report.c writes the rates.
 */
#ifndef IKELAB_SWEEP_INTERNAL_H
#define IKELAB_SWEEP_INTERNAL_H

#include "campaign/sweep.h"

#include <stdbool.h>

/* One sweep; every array has n entries and is the sweep's own, except the
 * strings of charons (all o->charon). */
struct sweep {
	const struct sweep_opts *o;
	char *path;    /* PATH of --set */
	char **values; /* as sweep_values gave them */
	char **sets;   /* "PATH=VALUE", each value's --set */
	char **labels; /* "skew_us=VALUE", its column in the reports */
	char **charons;
	int n;
	char *name; /* the scenario's */
	bool reproduces;
};

/* sweep.c */
void sweep_free_values(char **v);

/* sweep_report.c */
/* From the night's OUT/summary.json: sweep.csv, sweep.json, sweep.svg and
 * sweep.png in OUT, and the table on stdout. The exit status of sweep_main
 * (0: every value got a run that was not a lab error), or -1. */
int sweep_report(const struct sweep *S);

#endif

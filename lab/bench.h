/*
 * bench.h - `make bench`: ikelab against baselines measured in the same
 * run, so that noisy machines still give honest ratios.
 */
#ifndef IKELAB_BENCH_H
#define IKELAB_BENCH_H

/* Time from `up` to trap policies in both peers, ikelab against the shell
 * baseline (scripts/baseline-up.sh), alternating, in one kernel boot. */
int bench_up(int rounds, const char *kernel);

#endif

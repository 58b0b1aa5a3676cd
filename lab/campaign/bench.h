/*
 * bench.h - `make bench`: ikelab against baselines measured in the same
 * run, so that noisy machines still give honest ratios.
 */
#ifndef IKELAB_BENCH_H
#define IKELAB_BENCH_H

/* Time from `up` to trap policies in both peers, ikelab against the shell
 * baseline (scripts/baseline-up.sh), alternating, in one kernel boot. */
int bench_up(int rounds, const char *kernel);
/* Probe packets per second through an ESP tunnel, against the same probes
 * in cleartext between the same namespaces, in one boot. */
int bench_esp(const char *kernel);
/* The recorder's CPU time per minute at 10 Hz, without and with traffic. */
int bench_record(double secs, const char *kernel);

/* The first ESP SA of a freshly booted user-mode Linux kernel and the
 * second, with the boot's warm-up (warm.h) and without it, alternating;
 * also the time of `up` and of a whole boot. `out`: the directory the
 * inner half writes its result to (inside the kernel only). */
int bench_first_sa(int rounds, const char *kernel, const char *out);

#endif

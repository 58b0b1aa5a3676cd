/*
 * netem.h - link impairments on one interface inside a lab namespace:
 * delay, jitter and loss with the netem qdisc, over rtnetlink (libnl-route),
 * as `tc qdisc replace dev DEV root netem delay D jitter J loss L%` would.
 *
 * The kernel needs sch_netem; where it lacks it (these machines' own
 * kernel) netem_set fails with a message saying so, and the lab runs under
 * user-mode Linux instead.
 */
#ifndef IKELAB_NETEM_H
#define IKELAB_NETEM_H

#include <stdint.h>

/* netem keeps times in 32-bit scheduler ticks of 64 ns: about 274 s. */
#define NETEM_MAX_MS 270000u

/* Replace whatever root qdisc DEV has with netem. loss_pct in [0, 100]. */
int netem_set(int nsfd, const char *dev, uint32_t delay_ms, uint32_t jitter_ms, double loss_pct);
/* Remove DEV's root netem qdisc; nothing there is not an error, another
 * kind of root qdisc is (it is not ours to remove). */
int netem_clear(int nsfd, const char *dev);

#endif

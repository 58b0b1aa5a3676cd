/*
 * residue.h - what one lab leaves in a user-mode Linux kernel that the
 * next lab in it would meet.
 *
 * A kernel is booted once and reused for many runs (the seeds of one
 * `run --seeds N`, a nightly's runs on one lab slot), each building its
 * namespaces and charons afresh. That is sound only if nothing of one run
 * survives into the next, so the kernel is compared, before every run and
 * after its `down`, with the state its agent recorded right after boot
 * (residue_baseline): network namespaces under /run/netns; processes
 * other than the agent, kernel threads and the checking command's own
 * ancestors; links, XFRM SAs and policies in the kernel's own namespace;
 * mount points; and files -- everything written into the throwaway root
 * (the overlay's upper layer, which the agent shows read-only under
 * RESIDUE_DIR), /dev/shm, /run, and the lab's run directory but for the
 * host's records. Namespaces take their SAs, policies, qdiscs, fault
 * rules, conntrack entries and links down with them, so a namespace that
 * is gone leaves none of those behind; one that is not gone is found.
 */
#ifndef IKELAB_RESIDUE_H
#define IKELAB_RESIDUE_H

#include <stdbool.h>

/* Inside the kernel: where the agent keeps the baseline and shows the
 * overlay's upper layer. */
#define RESIDUE_DIR "/run/.ikelab-kernel"
#define RESIDUE_BASELINE RESIDUE_DIR "/baseline.json"
#define RESIDUE_UPPER RESIDUE_DIR "/upper"

/* The agent, once booted and warmed up: record the kernel's state in
 * RESIDUE_BASELINE. LABDIR is the lab's run directory. 0, or -1 with
 * err_msg(). */
int residue_baseline(const char *labdir);

/* Whether the agent recorded a baseline: without one (its setup failed,
 * said on the console) a reused kernel cannot be checked. */
bool residue_checked(void);

/* What the kernel holds now that its baseline did not: NULL when nothing
 * (or when there is no baseline), else one line per item, "; "-joined,
 * at most a few hundred bytes (allocated). */
char *residue_now(const char *labdir);

/* How many runs this kernel had before the calling one, counted by
 * residue_count_run (0 in a fresh kernel). */
unsigned residue_runs_before(void);
void residue_count_run(void);

#endif

/*
 * run-internal.h - what the files of `ikelab run` share; not for use
 * outside lab/schedule (the API is run.h).
 *
 * One struct runner carries a scenario run: the lab's plan, the seed's
 * schedule, the recorder, a VICI connection per peer, the fault wires.
 *   run.c      building and tearing down, waiting for a step's time, one
 *              seed, all seeds;
 *   actions.c  carrying out each kind of scheduled action.
 * run_here owns the runner and frees what it holds: o is the caller's,
 * plan's topology is the scenario's; rec, the wires, the VICI connections
 * and the schedule last one seed (run_seed frees them).
 */
#ifndef IKELAB_RUN_INTERNAL_H
#define IKELAB_RUN_INTERNAL_H

#include "schedule/run.h"
#include "backend/lab.h"
#include "config/scenario.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct recorder;
struct vici_conn;
struct wire;

#define VICI_MS 5000
#define MAX_WIRES 4

struct runner {
	const struct run_opts *o;
	struct scenario *s;
	struct lab_plan plan;
	struct sc_plan sched;
	struct recorder *rec;
	uint64_t seed;
	char *dir;
	char peer[2][32];
	struct vici_conn *vici[2];
	bool pending[2]; /* a command sent, its response not read */
	struct wire *wire[MAX_WIRES];
	int n_wire;
	bool traffic_on, steady_started;
	double crash_at;
	/* The verdict is settled before the end (judge/verdict.h): the run
	 * stops. checked: the sampling round last looked at, and when. */
	bool settled;
	int checked;
	double checked_at;
	/* Schedule events are written once no other step is microseconds
	 * away: writing one costs more than a tight skew. */
	struct {
		char peer[32];
		const char *kind;
		json_t *args;
	} later[16];
	int n_later;
	/* In a reused user-mode Linux kernel (backend/uml/residue.h): the
	 * runs it had before this one, and what this one's down left. */
	int kernel_runs_before; /* -1: not inside user-mode Linux */
	bool kernel_checked;    /* the kernel has a baseline to compare with */
	bool kernel_refused;    /* it held what an earlier run left */
	char *residue;
};

/* run.c */
/* (Re)connect to peer i's charon; a command still pending is dropped. */
int run_open_vici(struct runner *R, int i);
/* Read the response of each command sent and not answered yet; a
 * failure is an event in the recording, not an error. */
void run_finish_pending(struct runner *R);
/* Write the schedule events held back while steps were close together. */
void run_flush_later(struct runner *R);
/* Until at_us after the recording started, the recorder and the wires
 * running meanwhile. False when the run stops first: interrupted, or its
 * verdict settled. */
bool run_wait_until(struct runner *R, uint64_t at_us);

/* actions.c */
/* Wait for the step's time, carry it out, and queue its schedule event
 * (with the error, if it failed: a failed action does not end the run). */
void run_step(struct runner *R, const struct sc_step *st);

#endif

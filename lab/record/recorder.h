/*
 * recorder.h - watching a running lab: every SA that comes and goes, every
 * kernel acquire and expire, every lost probe packet, on one time axis.
 *
 * Per peer: a VICI event connection (ike-updown, child-updown, ike-rekey,
 * child-rekey, ike-update), list-sas (noblock) sampled on a second
 * connection, an XFRM netlink socket for acquires and expires and one for
 * dumps, and optionally a traffic probe. What comes out is described in
 * docs/run-directory.md.
 *
 * The recorder is driven by its caller (`ikelab record`, a scenario run):
 * open, poll until done, finish. Callers can add their own events to the
 * stream (a scheduled action, say).
 */
#ifndef IKELAB_RECORDER_H
#define IKELAB_RECORDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct recorder;

struct rec_opts {
	const char *lab;
	const char *out;         /* run directory; created if missing */
	double duration;         /* seconds, for the status line */
	double rate;             /* samples per second */
	double grace;            /* seconds a duplicate must last to count */
	bool live;               /* one status line on the terminal */
	bool share;              /* inside UML: out is a host directory to share */
	bool crash_is_lab_error; /* `record`: a dying charon is a lab failure;
	                            scenario runs judge it as "no_crash" instead */
};

struct recorder *rec_open(const struct rec_opts *o);
/* Start a probe in every peer, sending `pps` packets per second to the
 * other peer's protected address. */
int rec_start_traffic(struct recorder *r, int pps);
/* Process everything that happens for up to timeout_ms. */
int rec_poll(struct recorder *r, int timeout_ms);
/* Seconds since the recording started, and when that was (CLOCK_MONOTONIC
 * ns): the zero of every time in the run directory. */
double rec_now(const struct recorder *r);
int64_t rec_t0(const struct recorder *r);
/* True once the lab failed (a charon died): the caller should stop. */
bool rec_failed(const struct recorder *r);
/* How many charons died without rec_expect_exit. */
int rec_crashes(const struct recorder *r);

/* For scenario actions: */
/* Also poll fd, calling cb when it is readable. */
void rec_watch(struct recorder *r, int fd, void (*cb)(void *ctx), void *ctx);
/* No more of fd: its owner is about to close it. */
void rec_unwatch(struct recorder *r, int fd);
/* The next exit of this peer's charon is the schedule's doing. */
void rec_expect_exit(struct recorder *r, const char *peer);
/* Stop sampling a peer (its charon is stopped with SIGSTOP) or resume. */
void rec_pause(struct recorder *r, const char *peer, bool paused);
/* The peer's charon was started again: reconnect to it (its event ledger
 * starts over). */
int rec_reattach(struct recorder *r, const char *peer);
/* Stop the probes (their last reports are merged). */
void rec_stop_traffic(struct recorder *r);
/* Send `packets` datagrams from a peer's protected address to the other
 * peer's now: a burst that hits the trap policy. */
int rec_burst(struct recorder *r, const char *peer, unsigned packets);
/* The last list-sas answer of a peer (borrowed), for finding SAs. */
const json_t *rec_last_sas(const struct recorder *r, const char *peer);
/* Add a line to events.jsonl; takes ownership of fields (may be NULL). */
void rec_emit(struct recorder *r, const char *peer, const char *source, const char *kind,
	      json_t *fields);
/* Stop the probes, wait for their last reports, write summary.json.
 * Returns 0 when the run is clean, 2 for a lab error (err_msg() says
 * which), -1 when the recorder itself failed. */
int rec_finish(struct recorder *r, bool interrupted);
void rec_free(struct recorder *r);

const char *rec_dir(const struct recorder *r);

/* For a verdict settled before the end (judge/verdict.h): */
/* The numbers that can only grow as the run goes on, as summary.json has
 * them at the end: {"peers": {NAME: {"sustained_max_ike_per_pair",
 * "sustained_max_child_per_ts" and their "..._since", "acquires",
 * "acquires_during_rekey"}}, "ledger": {"mismatches", "details"}}. The
 * caller's. */
json_t *rec_so_far(const struct recorder *r);
/* How many sampling rounds so far: rec_so_far changes only with them and
 * with acquires (a ledger mismatch of weight is found by a sample). */
int rec_samples(const struct recorder *r);
/* The run stops before its duration: why becomes summary.json's
 * ended_early (the recorder takes it over). */
void rec_ended_early(struct recorder *r, json_t *why);

/* `ikelab record`: open, optionally start traffic, run for the duration
 * or until SIGINT/SIGTERM, finish. Exit status as rec_finish. */
int record_main(const struct rec_opts *o, int traffic_pps);

#endif

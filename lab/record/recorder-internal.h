/*
 * recorder-internal.h - the state the recorder's files share; not for use
 * outside lab/record (the API is recorder.h).
 *
 * One recorder is split by what it does, all on one struct recorder:
 *   recorder.c  opening, the loop that polls everything, what scenario
 *               actions ask of it (watch, pause, reattach);
 *   observe.c   what it learns about each peer: list-sas samples and the
 *               kernel's counts (timeline.csv), VICI events, kernel
 *               acquires and expires, fed to the ledger and duplicates;
 *   traffic.c   the traffic probes: starting ikelab-probe in each peer,
 *               reading its JSON lines, traffic.csv, bursts;
 *   stats.c     charon's counters from VICI stats, once a second;
 *   summary.c   finishing: summary.json, the warning about missed ticks,
 *               freeing, and `ikelab record`.
 * Everything runs on the caller's thread, inside rec_poll and the calls
 * around it, so nothing here is locked. Everything a struct recorder
 * points to (strings, JSON, sockets, files, probes) is its own, and
 * rec_free (summary.c) releases it.
 */
#ifndef IKELAB_RECORDER_INTERNAL_H
#define IKELAB_RECORDER_INTERNAL_H

#include "record/recorder.h"
#include "record/analysis.h"
#include "base/spawn.h"
#include "base/util.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct nl_sock;
struct vici_conn;
struct xfrm_note;
struct xfrmmon;

#define MAX_PEERS 8
#define VICI_MS 2000

/* One 100 ms interval of one direction of probe traffic. */
struct interval {
	long long start_ns;
	long tx, txerr, rx, dup, reorder, late;
	bool have_tx, have_rx, done;
};

/* One direction of probe traffic ("alice>bob"), its intervals and totals. */
struct direction {
	char name[40]; /* "alice>bob" */
	struct interval *iv;
	int n;
	int next; /* first interval not written yet */
	long tx, txerr, rx, lost, dup, reorder;
	json_t *windows;
	long last_seq_sent, highest_seq_rx;
	long long last_send_ns;
};

/* One peer, as the recorder sees it. */
struct rec_peer {
	char *name, *dir, *netns, *protected_addr;
	int nsfd;
	struct proc_id charon;
	struct vici_conn *ev, *cmd;
	struct xfrmmon *mon;
	struct nl_sock *xfrm;
	bool dead;
	/* what the last sample said */
	struct sa_sample last;
	json_t *last_list;                      /* the last list-sas answer, carried SAs included */
	bool expect_exit;                       /* the schedule kills this charon */
	double expect_exit_t;                   /* since when (rec_now) */
	double silent_since;                    /* exiting and silent since (< 0: not yet) */
	bool paused;                            /* stopped on purpose: do not sample */
	bool asked;                             /* list-sas sent for the sample being taken */
	char *ask_err;                          /* why it could not be sent */
	int burst_fd;                           /* UDP socket in the peer's namespace */
	int *pair_series, *ts_series;           /* for sustained maxima */
	int *reqid_series;                      /* max_ts_per_reqid per sample */
	int *sa_gap_series, *policy_gap_series; /* kernel_gaps per sample */
	struct kernel_gaps gaps;                /* the last sample's */
	json_t *seen;                           /* IKE_SAs by id: {"t": last listed, "sa": {...}} */
	int busy;                               /* IKE_SAs carried over in the last sample */
	int kernel_sas, kernel_policies;
	json_t *stats;                 /* the last VICI stats, flattened ("ikesas.half-open") */
	double stats_t, stats_written; /* when asked, when last written to events.jsonl */
	/* CHILD_SA names seen so far, so that children.csv says 0 once
	 * one is gone (at most SAMPLE_KIDS). */
	char kid_names[SAMPLE_KIDS][SAMPLE_KID_NAME];
	int n_kid_names;
	int acquires, acquires_in_rekey, expires_soft, expires_hard;
	int ike_rekeys, child_rekeys;
	double last_rekey_t; /* any rekey or reauth-like event */
	struct dup_tracker dup_ike, dup_child, dup_reqid;
	struct ledger ledger;
	/* maxima and series for growth */
	int max_ike, max_ike_est, max_child_inst, max_child_per_ts;
	double *ts, *ike_series, *child_series;
	int n_series;
	json_t *ike_ids, *child_ids;
	/* probe: fd[STDIN_FILENO] is its stdin, one byte starts its sender
	 * (closed once written); fd[STDOUT_FILENO] its JSON lines */
	struct spawn_proc probe;
	bool probe_ready;
	struct strbuf probe_buf;
	bool probe_eof;
};

/* One recording: its peers, its files, what it counted so far. */
struct recorder {
	struct rec_opts o;
	char *dir;
	struct rec_peer p[MAX_PEERS];
	int n;
	FILE *events, *timeline, *traffic;
	FILE *children; /* children.csv: INSTALLED CHILD_SAs per name */
	int64_t t0;
	double cpu0; /* this process's CPU time when recording began */
	int timer;
	bool failed;
	char *failure;
	bool stopping_probes; /* a probe ending now is expected */
	int samples;
	long missed_ticks; /* timer ticks that passed while we were busy */
	double last_sample_t, max_gap;
	double slowest_sample; /* longest rec_sample_all(): waiting on charon and the kernel */
	double last_status;
	struct direction dirs[MAX_PEERS];
	int n_dirs;
	json_t *duplicates, *mismatches;
	char *charon_version;
	json_t *charon_plugins;
	/* The first peer's charon: its binary and, for a build of ikelab's,
	 * lab.json's charon_build (version, commit, key, source). */
	json_t *charon_binary, *charon_build;
	int crashes;
	json_t *ended_early;               /* why the run stopped before its duration, or NULL */
	long rss_first, rss_max, rss_last; /* this process, kB */
	double rss_at;
	struct {
		int fd;
		void (*cb)(void *ctx);
		void *ctx;
	} watch[8];
	int n_watch;
};

/* What rec_on_note needs: xfrmmon_read passes one pointer. */
struct note_ctx {
	struct recorder *r;
	struct rec_peer *p;
};

/* recorder.c */
/* Now in UTC, ISO 8601 with microseconds ("2024-05-01T12:00:00.123456Z"). */
void rec_wall_iso(char *buf, size_t len);
/* What recording cost so far: this process's CPU time and memory. */
double rec_self_cpu_s(void);
long rec_self_rss_kb(void);
/* The peer of that name, or NULL (borrowed). */
struct rec_peer *rec_peer_named(struct recorder *r, const char *name);

/* observe.c */
/* One sample of every peer: list-sas, the kernel's SA and policy counts,
 * a timeline.csv line each. A charon found dead or hung is noted. */
void rec_sample_all(struct recorder *r);
/* Everything that arrived on p's VICI event connection. */
void rec_on_vici(struct recorder *r, struct rec_peer *p);
/* An acquire or expire from p's kernel; ctx is a struct note_ctx. */
void rec_on_note(void *ctx, const struct xfrm_note *n);
/* A duplicate that lasted (e may be NULL: nothing to note). */
void rec_note_duplicate(struct recorder *r, struct rec_peer *p, const char *kind,
			const struct episode *e);

/* stats.c */
/* VICI stats of p, at most once a second: a "stats" event when a counter
 * changed (the allocator's at most every 10 s). */
void rec_sample_stats(struct recorder *r, struct rec_peer *p, double t);

/* traffic.c */
/* What p's probe wrote on its stdout since the last call. */
void rec_on_probe(struct recorder *r, struct rec_peer *p);
/* Write the intervals that are complete (all: every interval left). */
void rec_flush_traffic(struct recorder *r, bool all);
/* SIGTERM to the probes, their last reports merged, then they are reaped. */
void rec_stop_probes(struct recorder *r);
/* Every direction's totals and loss windows into summary.json's traffic. */
void rec_finish_traffic(struct recorder *r, json_t *traffic);

#endif

/*
 * sig-internal.h - what the files of the signature share (sig.h is the
 * module's face): sig.c reads the verdict and the ledger, sig_log.c the
 * peers' charon.log.
 */
#ifndef IKELAB_EXPLORE_SIG_INTERNAL_H
#define IKELAB_EXPLORE_SIG_INTERNAL_H

#include "explore/sig.h"

#include <stdbool.h>

#define SIG_LOG_MAX ((size_t)32 << 20) /* a charon.log read back, at most */
#define SIG_EXCHANGE_WINDOW_S 2.0      /* exchanges this long before a violation */

/* A run's time line: t = wall - t0 (both in seconds). */
struct sig_clock {
	double t0;       /* the wall clock (UTC, s since the epoch) at t = 0 */
	double first_up; /* wall time of the first ike-updown (up) per the ledger, or -1 */
	bool known;
};

/* Seconds since the epoch of "2026-12-04T16:16:10.547540Z" or of a log
 * line's "2026-12-04 16:16:10.547", read as UTC; -1 when it is neither. */
double sig_parse_wall(const char *s);

#define SIG_MAX_EXCHANGES 8

/* The exchanges seen so far, each once. */
struct sig_exchanges {
	char *name[SIG_MAX_EXCHANGES];
	unsigned n;
	char last[32]; /* the last request but an INFORMATIONAL, or "" */
	double last_t;
};

/* The exchanges (into EX) and markers (into F) of PEER's charon.log in
 * RUN_DIR in the window [from, to] (run time); with EX NULL, only the
 * markers that key a signature (another peer's: the end that acted is
 * often not the end that shows it). */
void sig_read_log(const char *run_dir, const char *peer, const struct sig_clock *clk, double from,
		  double to, struct sig_exchanges *ex, struct finding *f);
/* EX's names sorted and joined by ",", "-" for none (allocated); EX is
 * emptied. */
char *sig_exchanges_take(struct sig_exchanges *ex);

#endif

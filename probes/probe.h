/*
 * probe.h - what the two halves of ikelab-probe share: the datagram format
 * and its constants, the options, the receiver's bookkeeping, and the one
 * way either thread writes a line of output. probe.c holds the program
 * (arguments, socket, the paced sender, the process); receiver.c turns
 * datagrams into counts per interval, gaps and resets (see probe.c's
 * opening comment for the format and the output).
 */
#ifndef IKELAB_PROBES_PROBE_H
#define IKELAB_PROBES_PROBE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define PROG "ikelab-probe"
#define PROG "ikelab-probe"
/* How far in the future a send time may lie (see rx_packet). */
#define FUTURE_NS (1000 * 1000000LL)
#define MAGIC "IKLP"
#define VERSION 1
#define HDR_LEN 32
#define BATCH 64
#define MAX_RATE 100000000ULL
#define MAX_SIZE 65507
#define NS 1000000000LL
#define MS 1000000LL
/* Seqs remembered for duplicate detection: ~2 s at 1 Mpps. A power of two
 * of whole 64-bit words, so seq % WIN_BITS maps onto words cleanly. */
#define WIN_BITS (1ULL << 21)
/* The receiver wakes at least this often to report finished intervals. */
#define RX_WAKE_NS (10 * MS)
/* A deep receive queue rides out the receiver thread being descheduled. */
#define RCVBUF (8 << 20)

struct opts {
	const char *local, *remote;
	unsigned port;
	uint64_t rate; /* packets per second, 0 = unpaced */
	size_t size;
	int64_t duration_ns; /* 0 = until a signal */
	int64_t interval_ns;
	int64_t grace_ns;
	bool wait_go; /* send only after a byte on stdin */
};

struct rx_bucket {
	uint64_t rx, dup, reorder, late;
};

/* Seqs first..last are missing; start_ns and end_ns are the send times of
 * the packets either side of them. */
struct gap {
	uint64_t first, last;
	int64_t start_ns, end_ns;
};

enum seq_kind {
	SEQ_NEW,
	SEQ_DUP,
	SEQ_REORDER,
	SEQ_STALE
};

struct receiver {
	int fd;
	const struct opts *o;
	_Atomic int64_t deadline; /* 0 while running */

	unsigned char bufs[BATCH][HDR_LEN];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];

	struct rx_bucket *ring; /* intervals not yet reported */
	int64_t nring;
	int64_t next_report; /* interval index */

	uint64_t run_id, prev_run_id;
	uint64_t highest; /* 0: nothing of this run yet */
	int64_t highest_ns;
	int64_t run_epoch; /* earliest a seq could be seen */
	uint64_t *seen;    /* WIN_BITS bits */

	struct gap *gaps; /* [gap_head, ngaps), by seq */
	size_t gap_head, ngaps, gap_cap;

	uint64_t rx_total, dup_total, reorder_total;
	uint64_t late_total, lost_total;
};

/* One line of JSON on stdout, written with one write(2): lines from both
 * threads never interleave. A failed write ends the program. */
void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t get_be64(const unsigned char *p);

/* The receiver of datagrams on fd, counting from epoch (CLOCK_MONOTONIC
 * ns). receiver_main is its thread: it runs until deadline is set and
 * passed, then reports everything pending. */
void receiver_init(struct receiver *r, int fd, const struct opts *o, int64_t epoch);
void *receiver_main(void *arg);

#endif

/*
 * probe.c - ikelab-probe: paced UDP traffic through a tunnel, and what
 * became of it.
 *
 * One probe runs in each peer's network namespace. It sends numbered
 * datagrams from --local:PORT to --remote:PORT and receives the other
 * probe's datagrams on --local:PORT, so two probes measure both directions
 * at once. The peers share one kernel clock, so the send time carried in a
 * packet is comparable with the receiver's clock: everything is counted by
 * send time, in intervals aligned to multiples of --interval-ms.
 *
 * Payload, network byte order, zero-padded to --size:
 *	0	"IKLP"
 *	4	version (1), then 3 zero bytes
 *	8	seq, u64, from 1
 *	16	send time, u64, CLOCK_MONOTONIC ns
 *	24	sender run id, u64, random per process
 *
 * Output: one JSON object per line on stdout, written with one write(2)
 * each, so a reader on a pipe sees whole lines as they happen:
 *	tx	per interval sent, once it has ended: tx datagrams the
 *		kernel took, txerr those it refused (no SA, a blocking
 *		policy, no route); each used a seq, so the receiver sees
 *		refused ones as loss
 *	rx	per interval received, once it is older than --grace-ms;
 *		rx counts datagrams by send time; late counts those whose
 *		own interval was reported already, in the interval current
 *		when they arrived; dup and reorder are among rx or late
 *	loss	a gap in the seqs that stayed a gap for --grace-ms
 *	reset	the remote sender restarted (new run id)
 *	end	totals, once, at exit; achieved_pps is seqs used per second
 *		of sending, highest_seq_rx lets the other side's
 *		last_seq_sent tell the loss at the tail no gap can show,
 *		rcvbuf_drops is loss at our own full receive queue
 *
 * With --wait-go it prints {"type":"ready"} once it listens and starts
 * sending only when a byte arrives on stdin.
 *
 * SIGTERM or SIGINT (or --duration) stops sending; receiving goes on for
 * --grace-ms, then everything pending is reported, "end" last, exit 0.
 */
#include "cli.h"
#include "base/err.h"
#include "base/util.h"

#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/sock_diag.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROG		"ikelab-probe"
/* How far in the future a send time may lie (see rx_packet). */
#define FUTURE_NS	(1000 * 1000000LL)
#define MAGIC		"IKLP"
#define VERSION		1
#define HDR_LEN		32
#define BATCH		64
#define MAX_RATE	100000000ULL
#define MAX_SIZE	65507
#define NS		1000000000LL
#define MS		1000000LL
/* Seqs remembered for duplicate detection: ~2 s at 1 Mpps. A power of two
 * of whole 64-bit words, so seq % WIN_BITS maps onto words cleanly. */
#define WIN_BITS	(1ULL << 21)
/* The receiver wakes at least this often to report finished intervals. */
#define RX_WAKE_NS	(10 * MS)
/* A deep receive queue rides out the receiver thread being descheduled. */
#define RCVBUF		(8 << 20)

struct opts {
	const char	*local, *remote;
	unsigned	 port;
	uint64_t	 rate;		/* packets per second, 0 = unpaced */
	size_t		 size;
	int64_t		 duration_ns;	/* 0 = until a signal */
	int64_t		 interval_ns;
	int64_t		 grace_ns;
	bool		 wait_go;	/* send only after a byte on stdin */
};

struct sender {
	int			 fd;
	const struct opts	*o;
	struct sockaddr_storage	 dst;
	socklen_t		 dst_len;
	uint64_t		 run_id;
	atomic_bool		 stop;

	unsigned char		*bufs;
	struct iovec		 iov[BATCH];
	struct mmsghdr		 msgs[BATCH];

	int64_t			 t0, t_end;
	uint64_t		 seq;		/* last seq used */
	int64_t			 ivl_start;
	uint64_t		 ivl_tx, ivl_txerr;
	uint64_t		 tx_total, txerr_total;
};

struct rx_bucket {
	uint64_t	rx, dup, reorder, late;
};

/* Seqs first..last are missing; start_ns and end_ns are the send times of
 * the packets either side of them. */
struct gap {
	uint64_t	first, last;
	int64_t		start_ns, end_ns;
};

enum seq_kind { SEQ_NEW, SEQ_DUP, SEQ_REORDER, SEQ_STALE };

struct receiver {
	int			 fd;
	const struct opts	*o;
	_Atomic int64_t		 deadline;	/* 0 while running */

	unsigned char		 bufs[BATCH][HDR_LEN];
	struct iovec		 iov[BATCH];
	struct mmsghdr		 msgs[BATCH];

	struct rx_bucket	*ring;		/* intervals not yet reported */
	int64_t			 nring;
	int64_t			 next_report;	/* interval index */

	uint64_t		 run_id, prev_run_id;
	uint64_t		 highest;	/* 0: nothing of this run yet */
	int64_t			 highest_ns;
	int64_t			 run_epoch;	/* earliest a seq could be seen */
	uint64_t		*seen;		/* WIN_BITS bits */

	struct gap		*gaps;		/* [gap_head, ngaps), by seq */
	size_t			 gap_head, ngaps, gap_cap;

	uint64_t		 rx_total, dup_total, reorder_total;
	uint64_t		 late_total, lost_total;
};

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

/* One line, one write(2): lines from both threads never interleave. */
static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	size_t len, off = 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	len = (size_t)n < sizeof(line) - 1 ? (size_t)n : sizeof(line) - 2;
	line[len++] = '\n';
	pthread_mutex_lock(&out_lock);
	while (off < len) {
		ssize_t w = write(STDOUT_FILENO, line + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			err_sys("writing to stdout");
			cli_die();
		}
		off += (size_t)w;
	}
	pthread_mutex_unlock(&out_lock);
}

static void put_be64(unsigned char *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

static uint64_t get_be64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static struct timespec ts_of(int64_t ns)
{
	struct timespec ts = { ns / NS, ns % NS };

	return ts;
}

/* ---- arguments ---- */

static uint64_t parse_uint(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || v < min || v > max)
		cli_usage_error("%s: expected an integer from %" PRIu64 " to %" PRIu64 ", got '%s'",
		    opt, min, max, s);
	return v;
}

static int64_t parse_seconds(const char *opt, const char *s)
{
	double v;
	char *end;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !(v >= 0 && v <= 1e7))
		cli_usage_error("%s: expected seconds from 0 to 10000000, got '%s'", opt, s);
	return (int64_t)(v * NS);
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "local",	 required_argument, NULL, 'l' },
		{ "remote",	 required_argument, NULL, 'r' },
		{ "port",	 required_argument, NULL, 'p' },
		{ "rate",	 required_argument, NULL, 'R' },
		{ "size",	 required_argument, NULL, 's' },
		{ "duration",	 required_argument, NULL, 'd' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "grace-ms",	 required_argument, NULL, 'g' },
		{ "wait-go",	 no_argument,	    NULL, 'w' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	*o = (struct opts){ .port = 7000, .rate = 1000, .size = HDR_LEN,
	    .interval_ns = 100 * MS, .grace_ns = 1000 * MS };
	opterr = 0;
	/* The leading ':' makes a missing value ':' rather than '?'. */
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': o->local = optarg; break;
		case 'r': o->remote = optarg; break;
		case 'p': o->port = parse_uint("--port", optarg, 1, 65535); break;
		case 'R': o->rate = parse_uint("--rate", optarg, 0, MAX_RATE); break;
		case 's': o->size = parse_uint("--size", optarg, HDR_LEN, MAX_SIZE); break;
		case 'd': o->duration_ns = parse_seconds("--duration", optarg); break;
		case 'i': o->interval_ns = parse_uint("--interval-ms", optarg, 1, 60000) * MS; break;
		case 'g': o->grace_ns = parse_uint("--grace-ms", optarg, 0, 600000) * MS; break;
		case 'w': o->wait_go = true; break;
		case ':':
			cli_usage_error("%s: needs a value", argv[optind - 1]);
		default:
			if (optopt)
				cli_usage_error("-%c: unknown option", optopt);
			cli_usage_error("%s: unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		cli_usage_error("%s: unexpected argument", argv[optind]);
	if (!o->local || !o->remote)
		cli_usage_error("%s is required (usage: " PROG " --local ADDR --remote ADDR"
		    " [--port 7000] [--rate PPS] [--size BYTES] [--duration SECONDS]"
		    " [--interval-ms 100] [--grace-ms 1000] [--wait-go])", o->local ? "--remote" : "--local");
}

/* ---- socket ---- */

/* A socket on --local, for a remote of the given address family. */
static int open_socket(const struct opts *o, int family)
{
	struct sockaddr_storage ss;
	struct timeval tv = { 0, RX_WAKE_NS / 1000 };
	socklen_t len;
	int fd, buf = RCVBUF;

	cli_resolve("--local", o->local, o->port, &ss, &len);
	if (ss.ss_family != family)
		cli_usage_error("--remote: %s is not of the address family of --local %s",
		    o->remote, o->local);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys("socket for %s", o->local);
	/* FORCE needs CAP_NET_ADMIN; without it the capped size will do. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)) < 0)
		return err_sys("setsockopt SO_RCVBUF on %s", o->local);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return err_sys("setsockopt SO_RCVTIMEO on %s", o->local);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		return err_sys("bind %s port %u", o->local, o->port);
	return fd;
}

/* Drops counted by the kernel because our receive queue was full. */
static uint32_t socket_drops(int fd)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0)
		return 0;
	return mem[SK_MEMINFO_DROPS];
}

/* ---- sender ---- */

/* Refusals a tunnel outage explains: no SA yet, a blocking policy, a
 * missing route or address while things are reconfigured, and the errors
 * the xfrm output path returns while an SA is being replaced or has just
 * expired (EINVAL, ENOENT, EEXIST among them). Only errors that mean this
 * probe is broken stop it. */
static bool outage_errno(int e)
{
	switch (e) {
	case EBADF: case EFAULT: case ENOTSOCK: case EDESTADDRREQ: case EMSGSIZE:
	case EOPNOTSUPP: case EAFNOSUPPORT: case ENOMEM:
		return false;
	}
	return true;
}

static void sender_init(struct sender *s, const struct opts *o)
{
	unsigned char *p;
	unsigned i;

	s->o = o;
	cli_resolve("--remote", o->remote, o->port, &s->dst, &s->dst_len);
	do {
		if (getrandom(&s->run_id, sizeof(s->run_id), 0) != sizeof(s->run_id)) {
			err_sys("getrandom");
			cli_die();
		}
	} while (s->run_id == 0);
	s->bufs = xcalloc(BATCH, o->size);
	for (i = 0; i < BATCH; i++) {
		p = s->bufs + i * o->size;
		memcpy(p, MAGIC, 4);
		p[4] = VERSION;
		put_be64(p + 24, s->run_id);
		s->iov[i] = (struct iovec){ p, o->size };
		s->msgs[i].msg_hdr = (struct msghdr){ .msg_name = &s->dst,
		    .msg_namelen = s->dst_len, .msg_iov = &s->iov[i], .msg_iovlen = 1 };
	}
}

/* Packets that should have gone out by `now`: the first at t0, then one
 * every 1/rate s. Split so that rate * elapsed cannot overflow. */
static uint64_t packets_due(const struct sender *s, int64_t now)
{
	int64_t el = now - s->t0;

	return (uint64_t)(el / NS) * s->o->rate +
	    (uint64_t)(el % NS) * s->o->rate / NS + 1;
}

/* When packet number k (from 1) is due. */
static int64_t packet_time(const struct sender *s, uint64_t k)
{
	uint64_t q = (k - 1) / s->o->rate, r = (k - 1) % s->o->rate;

	return s->t0 + (int64_t)q * NS + (int64_t)((r * NS + s->o->rate - 1) / s->o->rate);
}

/* Report every interval that ended before `now`. */
static void tx_roll(struct sender *s, int64_t now)
{
	int64_t cur = now - now % s->o->interval_ns;

	while (s->ivl_start < cur) {
		emit("{\"type\":\"tx\",\"start_ns\":%" PRId64 ",\"tx\":%" PRIu64 ",\"txerr\":%" PRIu64 "}",
		    s->ivl_start, s->ivl_tx, s->ivl_txerr);
		s->ivl_tx = s->ivl_txerr = 0;
		s->ivl_start += s->o->interval_ns;
	}
}

/* Sends msgs[0..n); a datagram refused for a reason an outage explains is
 * counted as failed and skipped. sendmmsg stops at the first failure and
 * reports it only when nothing was sent, hence the loop. */
static unsigned send_batch(struct sender *s, unsigned n)
{
	unsigned off = 0, failed = 0;
	int r;

	while (off < n) {
		r = sendmmsg(s->fd, s->msgs + off, n - off, 0);
		if (r >= 0) {
			off += (unsigned)r;
		} else if (errno == EINTR) {
			continue;
		} else if (outage_errno(errno)) {
			failed++;
			off++;
		} else {
			err_sys("sendmmsg to %s port %u", s->o->remote, s->o->port);
			cli_die();
		}
	}
	return failed;
}

static void send_due(struct sender *s, unsigned n, int64_t now)
{
	unsigned char *p;
	unsigned i, failed;

	for (i = 0; i < n; i++) {
		p = s->bufs + i * s->o->size;
		put_be64(p + 8, ++s->seq);
		put_be64(p + 16, (uint64_t)now);
	}
	failed = send_batch(s, n);
	s->ivl_tx += n - failed;
	s->ivl_txerr += failed;
	s->tx_total += n - failed;
	s->txerr_total += failed;
}

/* Sleep until the next packet is due, or the interval ends, whichever is
 * first, so tx lines come out on time even at low rates. */
static void sleep_until_due(const struct sender *s)
{
	int64_t t = s->ivl_start + s->o->interval_ns;
	int64_t next = packet_time(s, s->seq + 1);
	struct timespec ts;

	ts = ts_of(next < t ? next : t);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	uint64_t due;
	int64_t now;
	unsigned n;

	s->t0 = mono_ns();
	s->ivl_start = s->t0 - s->t0 % s->o->interval_ns;
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		now = mono_ns();
		tx_roll(s, now);
		n = BATCH;
		if (s->o->rate) {
			due = packets_due(s, now) - s->seq;
			n = due < BATCH ? (unsigned)due : BATCH;
		}
		if (n)
			send_due(s, n, now);
		else
			sleep_until_due(s);
	}
	s->t_end = mono_ns();
	tx_roll(s, s->t_end);
	/* The interval the sender stopped in, partial. */
	tx_roll(s, s->ivl_start + s->o->interval_ns);
	return NULL;
}

/* ---- receiver: seqs ---- */

static bool seen_test_set(uint64_t *seen, uint64_t seq)
{
	uint64_t bit = seq % WIN_BITS, mask = 1ULL << (bit % 64);
	bool was = seen[bit / 64] & mask;

	seen[bit / 64] |= mask;
	return was;
}

/* The window moves from (.., from] to (.., to]: forget what the slots of
 * seqs from+1..to held, a whole word at a time where possible. Counted
 * from `from`, so that a seq near 2^64 from the network cannot make the
 * loop wrap around and never end. */
static void seen_advance(uint64_t *seen, uint64_t from, uint64_t to)
{
	uint64_t seq, bit;

	if (to - from >= WIN_BITS) {
		memset(seen, 0, WIN_BITS / 8);
		return;
	}
	for (seq = from + 1; seq - from <= to - from; seq++) {
		bit = seq % WIN_BITS;
		if (bit % 64 == 0 && to - seq >= 63) {
			seen[bit / 64] = 0;
			seq += 63;
		} else {
			seen[bit / 64] &= ~(1ULL << (bit % 64));
		}
	}
}

static void gap_emit(struct receiver *r, const struct gap *g)
{
	uint64_t n = g->last - g->first + 1;

	r->lost_total += n;
	emit("{\"type\":\"loss\",\"start_ns\":%" PRId64 ",\"end_ns\":%" PRId64
	    ",\"packets\":%" PRIu64 ",\"first_seq\":%" PRIu64 ",\"last_seq\":%" PRIu64 "}",
	    g->start_ns, g->end_ns, n, g->first, g->last);
}

/* Open a slot at absolute index `at`, compacting the consumed head first
 * when that makes room. Returns where the slot ended up. */
static size_t gap_open(struct receiver *r, size_t at)
{
	size_t live = r->ngaps - r->gap_head;

	if (r->ngaps == r->gap_cap && r->gap_head) {
		memmove(r->gaps, r->gaps + r->gap_head, live * sizeof(*r->gaps));
		at -= r->gap_head;
		r->ngaps = live;
		r->gap_head = 0;
	}
	if (r->ngaps == r->gap_cap) {
		r->gap_cap = r->gap_cap ? r->gap_cap * 2 : 64;
		r->gaps = xrealloc(r->gaps, r->gap_cap * sizeof(*r->gaps));
	}
	memmove(r->gaps + at + 1, r->gaps + at, (r->ngaps - at) * sizeof(*r->gaps));
	r->ngaps++;
	return at;
}

static void gap_add(struct receiver *r, uint64_t first, uint64_t last,
    int64_t start_ns, int64_t end_ns)
{
	size_t at = gap_open(r, r->ngaps);

	r->gaps[at] = (struct gap){ first, last, start_ns, end_ns };
}

/* A packet that was missing arrived after all: shrink or split its gap. */
static void gap_fill(struct receiver *r, uint64_t seq, int64_t sent)
{
	size_t lo = r->gap_head, hi = r->ngaps, mid;
	struct gap *g;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->gaps[mid].last < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == r->ngaps || r->gaps[lo].first > seq)
		return;
	g = &r->gaps[lo];
	if (g->first == g->last) {
		memmove(g, g + 1, (r->ngaps - lo - 1) * sizeof(*g));
		r->ngaps--;
	} else if (seq == g->first) {
		g->first++;
		g->start_ns = sent;
	} else if (seq == g->last) {
		g->last--;
		g->end_ns = sent;
	} else {
		/* gap_open may move the array and the gap in it. */
		lo = gap_open(r, lo + 1) - 1;
		g = &r->gaps[lo];
		g[1] = (struct gap){ seq + 1, g->last, sent, g->end_ns };
		g->last = seq - 1;
		g->end_ns = sent;
	}
}

/* Gaps are ordered by seq, and so by end time: report from the head. */
static void gaps_final(struct receiver *r, int64_t now, bool all)
{
	while (r->gap_head < r->ngaps &&
	    (all || now - r->gaps[r->gap_head].end_ns >= r->o->grace_ns))
		gap_emit(r, &r->gaps[r->gap_head++]);
	if (r->gap_head == r->ngaps)
		r->gap_head = r->ngaps = 0;
}

static enum seq_kind seq_track(struct receiver *r, uint64_t seq, int64_t sent)
{
	if (seq > r->highest) {
		if (seq > r->highest + 1)
			gap_add(r, r->highest + 1, seq - 1,
			    r->highest ? r->highest_ns : (r->run_epoch < sent ? r->run_epoch : sent),
			    sent);
		seen_advance(r->seen, r->highest, seq);
		seen_test_set(r->seen, seq);
		r->highest = seq;
		r->highest_ns = sent;
		return SEQ_NEW;
	}
	/* Older than the window: no telling a duplicate; it may fill a gap. */
	if (r->highest - seq >= WIN_BITS) {
		gap_fill(r, seq, sent);
		return SEQ_REORDER;
	}
	if (seen_test_set(r->seen, seq))
		return SEQ_DUP;
	gap_fill(r, seq, sent);
	return SEQ_REORDER;
}

/* A new sender: what is missing of the old one will not come any more. */
static void run_reset(struct receiver *r, uint64_t run, int64_t now)
{
	gaps_final(r, now, true);
	emit("{\"type\":\"reset\",\"run_id\":\"%016" PRIx64 "\",\"prev_run_id\":\"%016" PRIx64
	    "\",\"prev_highest_seq_rx\":%" PRIu64 "}", run, r->run_id, r->highest);
	r->prev_run_id = r->run_id;
	r->run_id = run;
	r->run_epoch = r->highest_ns;
	r->highest = 0;
	memset(r->seen, 0, WIN_BITS / 8);
}

static enum seq_kind seq_classify(struct receiver *r, uint64_t run, uint64_t seq,
    int64_t sent, int64_t now)
{
	if (run == r->prev_run_id && r->prev_run_id)
		return SEQ_STALE;
	if (r->run_id == 0)
		r->run_id = run;
	else if (run != r->run_id)
		run_reset(r, run, now);
	return seq_track(r, seq, sent);
}

/* ---- receiver: intervals ---- */

static void rx_emit(struct receiver *r, int64_t idx)
{
	struct rx_bucket *b = &r->ring[idx % r->nring];

	emit("{\"type\":\"rx\",\"start_ns\":%" PRId64 ",\"rx\":%" PRIu64 ",\"dup\":%" PRIu64
	    ",\"reorder\":%" PRIu64 ",\"late\":%" PRIu64 "}",
	    idx * r->o->interval_ns, b->rx, b->dup, b->reorder, b->late);
	*b = (struct rx_bucket){ 0 };
}

/* Report intervals once they are older than the grace period, or, at the
 * end, every interval up to now. */
static void rx_roll(struct receiver *r, int64_t now, bool all)
{
	int64_t ivl = r->o->interval_ns;

	while (all ? r->next_report <= now / ivl :
	    (r->next_report + 1) * ivl + r->o->grace_ns <= now)
		rx_emit(r, r->next_report++);
}

/* The bucket a packet counts in: its send interval, or the current one if
 * that was reported already. rx_roll(now) has run, so the unreported
 * intervals up to now fit in the ring. */
static struct rx_bucket *rx_bucket(struct receiver *r, int64_t sent, int64_t now, bool *late)
{
	int64_t cur = now / r->o->interval_ns;
	int64_t idx = sent / r->o->interval_ns;

	if (idx > cur)
		idx = cur;
	*late = sent < 0 || idx < r->next_report;
	return &r->ring[(*late ? cur : idx) % r->nring];
}

static void rx_packet(struct receiver *r, const unsigned char *p, size_t len, int64_t now)
{
	struct rx_bucket *b;
	enum seq_kind kind;
	uint64_t seq;
	int64_t sent;
	bool late;

	if (len < HDR_LEN || memcmp(p, MAGIC, 4) != 0 || p[4] != VERSION)
		return;
	seq = get_be64(p + 8);
	sent = (int64_t)get_be64(p + 16);
	/* Both probes read one kernel's clock: a send time before boot or
	 * far after now is not from a probe, and would overflow the
	 * arithmetic on times here and in the recorder (loss lines carry
	 * it). A little after now is allowed: the tests' scripted senders
	 * stamp planned times and send some a few ms early. */
	if (seq == 0 || sent < 0 || sent > now + FUTURE_NS)
		return;
	r->rx_total++;
	b = rx_bucket(r, sent, now, &late);
	if (late) {
		b->late++;
		r->late_total++;
	} else {
		b->rx++;
	}
	kind = seq_classify(r, get_be64(p + 24), seq, sent, now);
	if (kind == SEQ_DUP) {
		b->dup++;
		r->dup_total++;
	} else if (kind == SEQ_REORDER) {
		b->reorder++;
		r->reorder_total++;
	}
}

static void receiver_init(struct receiver *r, int fd, const struct opts *o, int64_t epoch)
{
	unsigned i;

	r->fd = fd;
	r->o = o;
	r->nring = o->grace_ns / o->interval_ns + 3;
	r->ring = xcalloc((size_t)r->nring, sizeof(*r->ring));
	r->next_report = epoch / o->interval_ns;
	r->run_epoch = epoch;
	r->seen = xcalloc(WIN_BITS / 64, sizeof(*r->seen));
	for (i = 0; i < BATCH; i++) {
		r->iov[i] = (struct iovec){ r->bufs[i], HDR_LEN };
		r->msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &r->iov[i], .msg_iovlen = 1 };
	}
}

static void *receiver_main(void *arg)
{
	struct receiver *r = arg;
	int64_t now, deadline;
	int i, n;

	for (;;) {
		n = recvmmsg(r->fd, r->msgs, BATCH, MSG_WAITFORONE, NULL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			err_sys("recvmmsg on %s port %u", r->o->local, r->o->port);
			cli_die();
		}
		now = mono_ns();
		rx_roll(r, now, false);
		for (i = 0; i < n; i++)
			rx_packet(r, r->bufs[i], r->msgs[i].msg_len, now);
		gaps_final(r, now, false);
		deadline = atomic_load(&r->deadline);
		if (deadline && now >= deadline)
			break;
	}
	gaps_final(r, now, true);
	rx_roll(r, now, true);
	return NULL;
}

/* ---- process ---- */

/* Never outlive whatever started us, even if it is already gone. */
static void tie_to_parent(void)
{
	pid_t parent = getppid();

	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0) {
		err_sys("prctl PR_SET_PDEATHSIG");
		cli_die();
	}
	if (getppid() != parent) {
		fputs(PROG ": parent exited before the probe started\n", stderr);
		exit(2);
	}
}

/* Returns when SIGTERM or SIGINT arrives, or after duration_ns (if set). */
static void wait_for_stop(const sigset_t *set, int64_t start, int64_t duration_ns)
{
	struct timespec ts;
	int64_t left;

	for (;;) {
		if (!duration_ns) {
			if (sigwaitinfo(set, NULL) >= 0)
				return;
			continue;
		}
		left = start + duration_ns - mono_ns();
		if (left <= 0)
			return;
		ts = ts_of(left);
		if (sigtimedwait(set, NULL, &ts) >= 0)
			return;
	}
}

static void start_thread(pthread_t *t, void *(*fn)(void *), void *arg, const char *what)
{
	int e = pthread_create(t, NULL, fn, arg);

	if (e) {
		errno = e;
		err_sys("pthread_create %s", what);
		cli_die();
	}
}

static void emit_end(const struct sender *s, const struct receiver *r)
{
	double secs = (double)(s->t_end - s->t0) / NS;

	emit("{\"type\":\"end\",\"tx_total\":%" PRIu64 ",\"txerr_total\":%" PRIu64
	    ",\"rx_total\":%" PRIu64 ",\"dup_total\":%" PRIu64 ",\"reorder_total\":%" PRIu64
	    ",\"last_seq_sent\":%" PRIu64 ",\"highest_seq_rx\":%" PRIu64 ",\"achieved_pps\":%.1f"
	    ",\"late_total\":%" PRIu64 ",\"lost_total\":%" PRIu64 ",\"rcvbuf_drops\":%" PRIu32
	    ",\"run_id\":\"%016" PRIx64 "\"}",
	    s->tx_total, s->txerr_total, r->rx_total, r->dup_total, r->reorder_total,
	    s->seq, r->highest, secs > 0 ? (double)s->seq / secs : 0.0,
	    r->late_total, r->lost_total, socket_drops(r->fd), s->run_id);
}

/* "ready" on stdout, then one byte on stdin: go. EOF: the starter is gone. */
static bool wait_go(void)
{
	char c;
	ssize_t n;

	emit("{\"type\":\"ready\"}");
	do
		n = read(0, &c, 1);
	while (n < 0 && errno == EINTR);
	return n == 1;
}

int main(int argc, char **argv)
{
	static struct sender s;
	static struct receiver r;
	struct opts o;
	pthread_t st, rt;
	sigset_t set;
	int64_t start;
	int fd;

	parse_args(argc, argv, &o);
	tie_to_parent();
	/* Blocked here, so every thread inherits it and only sigwait sees
	 * the signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	sender_init(&s, &o);
	/* Before bind, so every packet we can receive was sent after it. */
	start = mono_ns();
	if ((fd = open_socket(&o, s.dst.ss_family)) < 0)
		cli_die();
	s.fd = fd;
	receiver_init(&r, fd, &o, start);
	start_thread(&rt, receiver_main, &r, "receiver");
	/* With two probes, each must listen before either sends, or the
	 * first packets count as lost: the starter says when. */
	if (o.wait_go && !wait_go()) {
		atomic_store(&r.deadline, mono_ns());
		pthread_join(rt, NULL);
		return 0;
	}
	start_thread(&st, sender_main, &s, "sender");

	wait_for_stop(&set, start, o.duration_ns);
	atomic_store(&s.stop, true);
	pthread_join(st, NULL);
	/* The other side's last packets are still on their way. */
	atomic_store(&r.deadline, mono_ns() + o.grace_ns);
	pthread_join(rt, NULL);
	emit_end(&s, &r);
	return 0;
}

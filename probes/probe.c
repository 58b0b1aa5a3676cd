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
#include "probe.h"
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

struct sender {
	int fd;
	const struct opts *o;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	uint64_t run_id;
	atomic_bool stop;

	unsigned char *bufs;
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];

	int64_t t0, t_end;
	uint64_t seq; /* last seq used */
	int64_t ivl_start;
	uint64_t ivl_tx, ivl_txerr;
	uint64_t tx_total, txerr_total;
};

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

/* One line, one write(2): lines from both threads never interleave. */
void emit(const char *fmt, ...)
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

uint64_t get_be64(const unsigned char *p)
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
	static const struct option longopts[] = { { "local", required_argument, NULL, 'l' },
						  { "remote", required_argument, NULL, 'r' },
						  { "port", required_argument, NULL, 'p' },
						  { "rate", required_argument, NULL, 'R' },
						  { "size", required_argument, NULL, 's' },
						  { "duration", required_argument, NULL, 'd' },
						  { "interval-ms", required_argument, NULL, 'i' },
						  { "grace-ms", required_argument, NULL, 'g' },
						  { "wait-go", no_argument, NULL, 'w' },
						  { NULL, 0, NULL, 0 } };
	int c;

	*o = (struct opts){ .port = 7000,
			    .rate = 1000,
			    .size = HDR_LEN,
			    .interval_ns = 100 * MS,
			    .grace_ns = 1000 * MS };
	opterr = 0;
	/* The leading ':' makes a missing value ':' rather than '?'. */
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o->local = optarg;
			break;
		case 'r':
			o->remote = optarg;
			break;
		case 'p':
			o->port = parse_uint("--port", optarg, 1, 65535);
			break;
		case 'R':
			o->rate = parse_uint("--rate", optarg, 0, MAX_RATE);
			break;
		case 's':
			o->size = parse_uint("--size", optarg, HDR_LEN, MAX_SIZE);
			break;
		case 'd':
			o->duration_ns = parse_seconds("--duration", optarg);
			break;
		case 'i':
			o->interval_ns = parse_uint("--interval-ms", optarg, 1, 60000) * MS;
			break;
		case 'g':
			o->grace_ns = parse_uint("--grace-ms", optarg, 0, 600000) * MS;
			break;
		case 'w':
			o->wait_go = true;
			break;
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
				" [--interval-ms 100] [--grace-ms 1000] [--wait-go])",
				o->local ? "--remote" : "--local");
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
	case EBADF:
	case EFAULT:
	case ENOTSOCK:
	case EDESTADDRREQ:
	case EMSGSIZE:
	case EOPNOTSUPP:
	case EAFNOSUPPORT:
	case ENOMEM:
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
						      .msg_namelen = s->dst_len,
						      .msg_iov = &s->iov[i],
						      .msg_iovlen = 1 };
	}
}

/* Packets that should have gone out by `now`: the first at t0, then one
 * every 1/rate s. Split so that rate * elapsed cannot overflow. */
static uint64_t packets_due(const struct sender *s, int64_t now)
{
	int64_t el = now - s->t0;

	return (uint64_t)(el / NS) * s->o->rate + (uint64_t)(el % NS) * s->o->rate / NS + 1;
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
		emit("{\"type\":\"tx\",\"start_ns\":%" PRId64 ",\"tx\":%" PRIu64
		     ",\"txerr\":%" PRIu64 "}",
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
	     s->tx_total, s->txerr_total, r->rx_total, r->dup_total, r->reorder_total, s->seq,
	     r->highest, secs > 0 ? (double)s->seq / secs : 0.0, r->late_total, r->lost_total,
	     socket_drops(r->fd), s->run_id);
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

/*
 * blast.c - ikelab-blast: the ruler ikelab-probe is measured against.
 *
 * Unpaced sendmmsg/recvmmsg of 32-byte datagrams in batches of 64, from
 * --local:PORT to --remote:PORT and back, with nothing counted but packets:
 * what the kernel and a plain sender/receiver thread pair can do, so the
 * probe's own cost shows as the difference.
 *
 * At exit one JSON line: {"type":"blast","tx":n,"tx_pps":x,"rx":n,"rx_pps":x}
 * where rx_pps is taken between the first and the last datagram received.
 */
#include "cli.h"
#include "base/err.h"
#include "base/util.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROG "ikelab-blast"
#define BATCH 64
#define SIZE 32
#define NS 1000000000LL
/* Same receive queue as the probe, so both are measured alike. */
#define RCVBUF (8 << 20)
/* How long the receiver keeps listening after the sender stopped. */
#define TAIL_NS (200 * 1000000LL)

struct blast {
	const char *local, *remote;
	unsigned port;
	int64_t duration_ns;
	bool send, recv;
	int fd;
	struct sockaddr_storage dst;
	socklen_t dst_len;

	atomic_bool stop_send;
	_Atomic int64_t rx_deadline; /* 0 while running */
	uint64_t tx, rx;
	int64_t tx_t0, tx_t1, rx_t0, rx_t1;
};

static void parse_args(int argc, char **argv, struct blast *b)
{
	static const struct option longopts[] = { { "local", required_argument, NULL, 'l' },
						  { "remote", required_argument, NULL, 'r' },
						  { "port", required_argument, NULL, 'p' },
						  { "duration", required_argument, NULL, 'd' },
						  { "send-only", no_argument, NULL, 'S' },
						  { "recv-only", no_argument, NULL, 'R' },
						  { NULL, 0, NULL, 0 } };
	unsigned long v;
	double d;
	char *end;
	int c;

	b->port = 7000;
	b->duration_ns = 3 * NS;
	b->send = b->recv = true;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			b->local = optarg;
			break;
		case 'r':
			b->remote = optarg;
			break;
		case 'p':
			v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || v < 1 || v > 65535)
				cli_usage_error("--port: expected 1 to 65535, got '%s'", optarg);
			b->port = (unsigned)v;
			break;
		case 'd':
			d = strtod(optarg, &end);
			if (!*optarg || *end || !(d > 0 && d <= 3600))
				cli_usage_error(
					"--duration: expected seconds from 0 to 3600, got '%s'",
					optarg);
			b->duration_ns = (int64_t)(d * NS);
			break;
		case 'S':
			b->recv = false;
			break;
		case 'R':
			b->send = false;
			break;
		case ':':
			cli_usage_error("%s: needs a value", argv[optind - 1]);
		default:
			cli_usage_error("%s: unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		cli_usage_error("%s: unexpected argument", argv[optind]);
	if (!b->local || !b->remote)
		cli_usage_error("usage: " PROG " --local ADDR --remote ADDR [--port 7000]"
				" [--duration 3] [--send-only | --recv-only]");
	if (!b->send && !b->recv)
		cli_usage_error("--send-only and --recv-only exclude each other");
}

static void open_socket(struct blast *b)
{
	struct sockaddr_storage ss;
	struct timeval tv = { 0, 10000 };
	socklen_t len;
	int buf = RCVBUF;

	cli_resolve("--local", b->local, b->port, &ss, &len);
	cli_resolve("--remote", b->remote, b->port, &b->dst, &b->dst_len);
	b->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (b->fd < 0) {
		err_sys("socket for %s", b->local);
		cli_die();
	}
	if (setsockopt(b->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(b->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(b->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		err_sys("setsockopt SO_RCVTIMEO on %s", b->local);
		cli_die();
	}
	if (bind(b->fd, (struct sockaddr *)&ss, len) < 0) {
		err_sys("bind %s port %u", b->local, b->port);
		cli_die();
	}
}

static void *sender_main(void *arg)
{
	struct blast *b = arg;
	static unsigned char payload[BATCH][SIZE];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	int i, n;

	for (i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ payload[i], SIZE };
		msgs[i].msg_hdr = (struct msghdr){ .msg_name = &b->dst,
						   .msg_namelen = b->dst_len,
						   .msg_iov = &iov[i],
						   .msg_iovlen = 1 };
	}
	b->tx_t0 = mono_ns();
	while (!atomic_load_explicit(&b->stop_send, memory_order_relaxed)) {
		n = sendmmsg(b->fd, msgs, BATCH, 0);
		if (n > 0) {
			b->tx += (unsigned)n;
		} else if (errno != EINTR && errno != EAGAIN && errno != ENOBUFS) {
			err_sys("sendmmsg to %s port %u", b->remote, b->port);
			cli_die();
		}
	}
	b->tx_t1 = mono_ns();
	return NULL;
}

static void *receiver_main(void *arg)
{
	struct blast *b = arg;
	static unsigned char payload[BATCH][SIZE];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	int64_t now, deadline;
	int i, n;

	for (i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ payload[i], SIZE };
		msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
	}
	for (;;) {
		n = recvmmsg(b->fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		now = mono_ns();
		if (n > 0) {
			if (!b->rx)
				b->rx_t0 = now;
			b->rx += (unsigned)n;
			b->rx_t1 = now;
		} else if (errno != EAGAIN && errno != EINTR) {
			err_sys("recvmmsg on %s port %u", b->local, b->port);
			cli_die();
		}
		deadline = atomic_load(&b->rx_deadline);
		if (deadline && now >= deadline)
			return NULL;
	}
}

static double pps(uint64_t n, int64_t t0, int64_t t1)
{
	return t1 > t0 ? (double)n * NS / (double)(t1 - t0) : 0.0;
}

int main(int argc, char **argv)
{
	static struct blast b;
	struct timespec ts;
	pthread_t st, rt;
	sigset_t set;

	parse_args(argc, argv, &b);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	open_socket(&b);
	if ((b.recv && pthread_create(&rt, NULL, receiver_main, &b) != 0) ||
	    (b.send && pthread_create(&st, NULL, sender_main, &b) != 0)) {
		err_set("pthread_create failed");
		cli_die();
	}

	ts = (struct timespec){ b.duration_ns / NS, b.duration_ns % NS };
	while (sigtimedwait(&set, NULL, &ts) < 0 && errno == EINTR)
		;
	atomic_store(&b.stop_send, true);
	if (b.send)
		pthread_join(st, NULL);
	atomic_store(&b.rx_deadline, mono_ns() + TAIL_NS);
	if (b.recv)
		pthread_join(rt, NULL);
	printf("{\"type\":\"blast\",\"tx\":%" PRIu64 ",\"tx_pps\":%.1f,\"rx\":%" PRIu64
	       ",\"rx_pps\":%.1f}\n",
	       b.tx, pps(b.tx, b.tx_t0, b.tx_t1), b.rx, pps(b.rx, b.rx_t0, b.rx_t1));
	return 0;
}

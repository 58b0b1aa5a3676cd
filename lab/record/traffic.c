/*
 * traffic.c - the traffic probes: one ikelab-probe in each peer, its JSON
 * lines merged into traffic.csv, and bursts (see recorder-internal.h).
 */
#include "record/recorder-internal.h"
#include "base/json.h"
#include "base/err.h"
#include "base/home.h"
#include "kernel/netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROBE_INTERVAL_NS 100000000LL
#define PROBE_DRAIN_MS 4000 /* probes keep receiving for their grace, then report */

/* ---- probes ------------------------------------------------------------------- */

static struct direction *direction(struct recorder *r, const char *from, const char *to)
{
	char name[40];

	snprintf(name, sizeof(name), "%s>%s", from, to);
	for (int i = 0; i < r->n_dirs; i++)
		if (!strcmp(r->dirs[i].name, name))
			return &r->dirs[i];
	if (r->n_dirs == MAX_PEERS)
		return NULL;
	snprintf(r->dirs[r->n_dirs].name, sizeof(r->dirs[0].name), "%s", name);
	r->dirs[r->n_dirs].windows = json_array();
	return &r->dirs[r->n_dirs++];
}

static struct interval *interval_at(struct direction *d, long long start)
{
	for (int i = d->n - 1; i >= 0 && i >= d->n - 200; i--)
		if (d->iv[i].start_ns == start)
			return &d->iv[i];
	d->iv = xrealloc(d->iv, (size_t)(d->n + 1) * sizeof(*d->iv));
	memset(&d->iv[d->n], 0, sizeof(*d->iv));
	d->iv[d->n].start_ns = start;
	return &d->iv[d->n++];
}

static void interval_emit(struct recorder *r, struct direction *d, struct interval *iv)
{
	long sent = iv->tx + iv->txerr;
	long unique = iv->rx - iv->dup; /* dups are among rx */
	long lost = sent > unique ? sent - unique : 0;
	double t = (double)(iv->start_ns - r->t0) / 1e9;

	iv->done = true;
	d->tx += iv->tx;
	d->txerr += iv->txerr;
	d->rx += iv->rx;
	d->lost += lost;
	d->dup += iv->dup;
	d->reorder += iv->reorder;
	if (!r->traffic) {
		char *path = xasprintf("%s/traffic.csv", r->dir);

		r->traffic = file_fopen(path, 0644, FILE_REPLACE);
		free(path);
		if (!r->traffic)
			return;
		fprintf(r->traffic, "t,dir,tx,rx,lost,dup,reorder\n");
	}
	fprintf(r->traffic, "%.3f,%s,%ld,%ld,%ld,%ld,%ld\n", t, d->name, sent, iv->rx, lost,
		iv->dup, iv->reorder);
	if (lost || iv->dup || iv->reorder)
		rec_emit(r, NULL, "probe", "interval",
			 json_pack("{s:s, s:f, s:i, s:i, s:i, s:i, s:i}", "dir", d->name, "start",
				   t, "tx", (int)sent, "rx", (int)iv->rx, "lost", (int)lost, "dup",
				   (int)iv->dup, "reorder", (int)iv->reorder));
}

/* Intervals are written in order: each once both probes reported it, or
 * once it is old enough that the receiver's report is not coming (nothing
 * arrived: all of it was lost). */
#define INTERVAL_STALE_NS 3000000000LL

static void flush_dir(struct recorder *r, struct direction *d, bool all)
{
	long long now = mono_ns();

	while (d->next < d->n) {
		struct interval *iv = &d->iv[d->next];

		if (!(iv->have_tx && iv->have_rx) && !all && now - iv->start_ns < INTERVAL_STALE_NS)
			break;
		if (!iv->done && iv->have_tx)
			interval_emit(r, d, iv);
		d->next++;
	}
}

void rec_flush_traffic(struct recorder *r, bool all)
{
	for (int i = 0; i < r->n_dirs; i++)
		flush_dir(r, &r->dirs[i], all);
}

static void probe_line(struct recorder *r, struct rec_peer *me, struct rec_peer *other,
		       const char *line)
{
	json_t *j = json_loads(line, 0, NULL);
	const char *type = jget_str(j, "type");
	long long start = json_integer_value(json_object_get(j, "start_ns"));
	struct direction *out = direction(r, me->name, other->name);
	struct direction *in = direction(r, other->name, me->name);
	struct interval *iv;

	if (!type || !out || !in) {
		json_decref(j);
		return;
	}
	if (!strcmp(type, "tx")) {
		iv = interval_at(out, start);
		iv->tx = (long)json_integer_value(json_object_get(j, "tx"));
		iv->txerr = (long)json_integer_value(json_object_get(j, "txerr"));
		iv->have_tx = true;
		flush_dir(r, out, false);
	} else if (!strcmp(type, "rx")) {
		iv = interval_at(in, start);
		iv->rx = (long)json_integer_value(json_object_get(j, "rx"));
		iv->dup = (long)json_integer_value(json_object_get(j, "dup"));
		iv->reorder = (long)json_integer_value(json_object_get(j, "reorder"));
		iv->have_rx = true;
		flush_dir(r, in, false);
	} else if (!strcmp(type, "loss")) {
		double s =
			(double)(json_integer_value(json_object_get(j, "start_ns")) - r->t0) / 1e9;
		double e = (double)(json_integer_value(json_object_get(j, "end_ns")) - r->t0) / 1e9;
		int n = (int)json_integer_value(json_object_get(j, "packets"));

		json_array_append_new(in->windows, json_pack("{s:f, s:f, s:i}", "start", s, "end",
							     e, "packets", n));
		rec_emit(r, NULL, "probe", "loss-window",
			 json_pack("{s:s, s:f, s:f, s:i}", "dir", in->name, "start", s, "end", e,
				   "packets", n));
	} else if (!strcmp(type, "end")) {
		out->last_seq_sent = (long)json_integer_value(json_object_get(j, "last_seq_sent"));
		in->highest_seq_rx = (long)json_integer_value(json_object_get(j, "highest_seq_rx"));
	} else if (!strcmp(type, "ready")) {
		me->probe_ready = true;
	} else if (!strcmp(type, "reset")) {
		rec_emit(r, me->name, "probe", "reset", json_pack("{s:s}", "dir", in->name));
	}
	json_decref(j);
}

static struct rec_peer *other_peer(struct recorder *r, struct rec_peer *p)
{
	for (int i = 0; i < r->n; i++)
		if (&r->p[i] != p)
			return &r->p[i];
	return p;
}

/* A probe that ends on its own takes the loss measurement with it: the
 * run cannot be trusted, which is a lab failure. */
static void probe_died(struct recorder *r, struct rec_peer *p)
{
	char *path = xasprintf("%s/probe-%s.err", r->dir, p->name), *text = NULL;

	if (read_file(path, &text, NULL) < 0)
		err_clear();
	if (text)
		text[strcspn(text, "\n")] = '\0';
	rec_emit(r, p->name, "lab", "probe-exit",
		 json_pack("{s:s}", "error", text && *text ? text : "exited"));
	if (!r->failed) {
		r->failed = true;
		r->failure = xasprintf("the traffic probe in %s stopped at t=%.1f s: %s", p->name,
				       rec_now(r), text && *text ? text : "exited");
	}
	free(text);
	free(path);
}

void rec_on_probe(struct recorder *r, struct rec_peer *p)
{
	char buf[8192];
	ssize_t n = read(p->probe.fd[STDOUT_FILENO], buf, sizeof(buf));
	char *nl;

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			p->probe_eof = true;
			if (!r->stopping_probes)
				probe_died(r, p);
		}
		return;
	}
	sb_add(&p->probe_buf, buf, (size_t)n);
	while ((nl = memchr(p->probe_buf.buf, '\n', p->probe_buf.len))) {
		*nl = '\0';
		probe_line(r, p, other_peer(r, p), p->probe_buf.buf);
		p->probe_buf.len -= (size_t)(nl + 1 - p->probe_buf.buf);
		memmove(p->probe_buf.buf, nl + 1, p->probe_buf.len);
	}
}

static char *probe_binary(void)
{
	return home_helper("ikelab-probe");
}

/*
 * The probe runs in the peer's namespace: its stdin is a pipe that gets
 * one byte once both probes listen (--wait-go), its stdout the pipe
 * rec_poll reads, its stderr probe-<peer>.err (read when it dies). spawn
 * gives it the default priority: the recorder's is the observer's, not
 * the traffic's.
 */
static int probe_start(struct recorder *r, struct rec_peer *p, int pps)
{
	char *bin = probe_binary(), *errlog;
	struct spawn_opts o = { .io = { SPAWN_PIPE, SPAWN_PIPE, SPAWN_FD },
				.enter_netns = true,
				.netns_fd = p->nsfd,
				.death_signal = SIGTERM };
	struct argv a = { 0 };
	int rc;

	if (!bin)
		return -1;
	errlog = xasprintf("%s/probe-%s.err", r->dir, p->name);
	/* A probe started again after rec_stop_traffic starts clean. */
	spawn_proc_free(&p->probe);
	p->probe_eof = false;
	p->probe_ready = false;
	p->probe_buf.len = 0;
	if (access(bin, X_OK) < 0) {
		err_sys("probe %s", bin);
		free(bin);
		free(errlog);
		return err_wrap("run make");
	}
	o.fd[STDERR_FILENO] = file_create(errlog, 0644, FILE_REPLACE);
	if (o.fd[STDERR_FILENO] < 0) {
		free(bin);
		free(errlog);
		return -1;
	}
	argv_addv(&a, (char *const[]){ bin, "--local", p->protected_addr, "--remote",
				       other_peer(r, p)->protected_addr, "--rate", NULL });
	argv_addf(&a, "%d", pps);
	argv_add(&a, "--wait-go");
	rc = spawn_start(&p->probe, a.v, &o);
	close(o.fd[STDERR_FILENO]);
	argv_free(&a);
	free(bin);
	free(errlog);
	if (rc < 0)
		return -1;
	fcntl(p->probe.fd[STDOUT_FILENO], F_SETFL, O_NONBLOCK);
	return 0;
}

#define PROBE_READY_MS 5000

int rec_start_traffic(struct recorder *r, int pps)
{
	int64_t deadline = mono_ns() + (int64_t)PROBE_READY_MS * 1000000;

	if (r->n != 2)
		return err_set("probe traffic needs exactly two peers");
	for (int i = 0; i < r->n; i++)
		if (probe_start(r, &r->p[i], pps) < 0)
			return err_wrap("peer %s", r->p[i].name);
	/* Both listen before either sends, or the first packets look lost. */
	while (!(r->p[0].probe_ready && r->p[1].probe_ready)) {
		if (mono_ns() > deadline || r->p[0].probe_eof || r->p[1].probe_eof)
			return err_set("the traffic probes did not start (see %s/probe-*.err)",
				       r->dir);
		rec_poll(r, 20);
	}
	for (int i = 0; i < r->n; i++) {
		int *go = &r->p[i].probe.fd[STDIN_FILENO];

		if (write(*go, "g", 1) != 1)
			return err_sys("start the probe in %s", r->p[i].name);
		close(*go);
		*go = -1;
	}
	rec_emit(r, NULL, "lab", "traffic-start", json_pack("{s:i}", "pps", pps));
	return 0;
}

/* ---- finishing ---------------------------------------------------------------- */

/* Started and not reaped yet. */
static bool probe_running(const struct rec_peer *p)
{
	return p->probe.pid > 0 && !p->probe.reaped;
}

void rec_stop_probes(struct recorder *r)
{
	int64_t deadline = mono_ns() + (int64_t)PROBE_DRAIN_MS * 1000000;
	bool running = false;

	r->stopping_probes = true;
	for (int i = 0; i < r->n; i++)
		if (probe_running(&r->p[i])) {
			kill(r->p[i].probe.pid, SIGTERM);
			running = true;
		}
	if (!running)
		return;
	/* Their last reports come after their grace period. */
	for (;;) {
		bool open = false;

		for (int i = 0; i < r->n; i++)
			if (r->p[i].probe.fd[STDOUT_FILENO] >= 0 && !r->p[i].probe_eof)
				open = true;
		if (!open || mono_ns() > deadline)
			break;
		rec_poll(r, 50);
	}
	for (int i = 0; i < r->n; i++) {
		struct rec_peer *p = &r->p[i];

		if (!probe_running(p))
			continue;
		kill(p->probe.pid, SIGKILL);
		while (waitpid(p->probe.pid, &p->probe.status, 0) < 0 && errno == EINTR)
			;
		/* Its pipes stay open (what it wrote last is still read); the
		 * mark tells spawn_proc_free, which closes them, not to wait
		 * again. */
		p->probe.reaped = true;
	}
	r->stopping_probes = false;
}

void rec_finish_traffic(struct recorder *r, json_t *traffic)
{
	for (int d = 0; d < r->n_dirs; d++) {
		struct direction *dir = &r->dirs[d];

		/* Intervals one side never reported: what was sent and not
		 * confirmed received is lost. */
		flush_dir(r, dir, true);
		json_object_set_new(traffic, dir->name,
				    json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:O}", "tx",
					      (int)(dir->tx + dir->txerr), "tx_failed",
					      (int)dir->txerr, "rx", (int)dir->rx, "lost",
					      (int)dir->lost, "dup", (int)dir->dup, "reorder",
					      (int)dir->reorder, "loss_windows", dir->windows));
	}
}

/* ---- for scenario actions -------------------------------------------------- */

void rec_stop_traffic(struct recorder *r)
{
	rec_stop_probes(r);
	rec_emit(r, NULL, "lab", "traffic-stop", NULL);
}

/* ADDR (IPv4 or IPv6, as the topology checked it) and PORT into SS. */
static socklen_t sockaddr_of(const char *addr, unsigned port, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':')) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		return sizeof(*s6);
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &s4->sin_addr);
	return sizeof(*s4);
}

static int burst_socket(struct rec_peer *p)
{
	struct sockaddr_storage sa;
	socklen_t len = sockaddr_of(p->protected_addr, 0, &sa);
	struct netns_switch sw;
	int fd;

	if (netns_enter(&sw, p->nsfd) < 0)
		return -1;
	fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	netns_leave(&sw);
	if (fd < 0)
		return err_sys("socket in %s", p->netns);
	if (bind(fd, (struct sockaddr *)&sa, len) < 0) {
		err_sys("bind %s in %s", p->protected_addr, p->netns);
		close(fd);
		return -1;
	}
	return fd;
}

int rec_burst(struct recorder *r, const char *peer, unsigned packets)
{
	struct rec_peer *p = rec_peer_named(r, peer);
	static const char payload[32] = "ikelab burst";
	struct sockaddr_storage to;
	socklen_t len;

	if (!p)
		return err_set("no peer named '%s'", peer);
	if (p->burst_fd < 0 && (p->burst_fd = burst_socket(p)) < 0)
		return -1;
	len = sockaddr_of(other_peer(r, p)->protected_addr, 9, &to);
	/* Refused sends are expected while the trap holds the first ones. */
	for (unsigned i = 0; i < packets; i++)
		sendto(p->burst_fd, payload, sizeof(payload), 0, (struct sockaddr *)&to, len);
	return 0;
}

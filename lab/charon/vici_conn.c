/*
 * vici_conn.c - VICI connections (see vici.h): commands, streamed commands
 * and events over charon's unix socket, every wait bounded by a deadline.
 * The bytes are framed and decoded by vici_msg.c.
 *
 * Everything charon sends is untrusted: a segment's announced length is
 * checked against VICI_SEGMENT_MAX before anything is allocated.
 */
#include "charon/vici.h"
#include "base/err.h"
#include "base/util.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CONNECT_RETRY_MS 20

/* ---- connections ----------------------------------------------------- */

struct vici_event {
	char *name;
	struct vici_node *msg;
	struct vici_event *next;
};

struct vici_conn {
	int fd;
	char *path;
	char *broken; /* why the connection is unusable */
	/* A segment being received survives timeouts, so a later call
	 * resumes where the previous one stopped. */
	uint8_t hdr[4];
	size_t hdr_got;
	uint8_t *seg;
	size_t seg_len, seg_got;
	struct vici_event *queue, **queue_tail;
	char pending[256]; /* command sent by vici_cmd_start */
};

/* One exchange: its deadline, and where streamed events go. */
struct req {
	char op[320]; /* "command 'list-sas'", for messages */
	int timeout_ms;
	int64_t deadline;
	const char *stream;
	vici_event_cb cb;
	void *ctx;
	char *cb_err; /* first callback failure */
};

static int64_t deadline_in(int timeout_ms)
{
	return mono_ns() + (int64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000;
}

static int remaining_ms(int64_t deadline)
{
	int64_t left = deadline - mono_ns();

	if (left <= 0)
		return 0;
	/* Round up: a sub-millisecond rest must not turn into a busy loop. */
	left = (left + 999999) / 1000000;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* 1 when fd is ready (or in error: the next call reports it), 0 on timeout. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int r = poll(&p, 1, remaining_ms(deadline));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_sys("poll");
		return r;
	}
}

static bool connect_retryable(int e)
{
	return e == ENOENT || e == ECONNREFUSED || e == EAGAIN || e == EINTR;
}

/* A fresh socket per attempt: a failed connect leaves it unspecified. */
static int try_connect(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int e;

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		return fd;
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

struct vici_conn *vici_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = deadline_in(timeout_ms);
	struct vici_conn *c;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		err_set("vici socket path is %zu bytes, at most %zu: %s", strlen(path),
			sizeof(sa.sun_path) - 1, path);
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	while ((fd = try_connect(&sa)) < 0) {
		int ms = remaining_ms(deadline);

		if (!connect_retryable(errno)) {
			err_sys("connect to vici socket %s", path);
			return NULL;
		}
		if (ms == 0) {
			err_sys("connect to vici socket %s: still failing after %d ms", path,
				timeout_ms);
			return NULL;
		}
		sleep_ms(ms < CONNECT_RETRY_MS ? ms : CONNECT_RETRY_MS);
	}
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->path = xstrdup(path);
	c->queue_tail = &c->queue;
	return c;
}

void vici_close(struct vici_conn *c)
{
	if (!c)
		return;
	while (c->queue) {
		struct vici_event *e = c->queue;

		c->queue = e->next;
		free(e->name);
		vici_node_free(e->msg);
		free(e);
	}
	close(c->fd);
	free(c->seg);
	free(c->broken);
	free(c->path);
	free(c);
}

int vici_fd(const struct vici_conn *c)
{
	return c->fd;
}

/* Records the current error as the reason the connection is unusable. */
static int conn_break(struct vici_conn *c)
{
	if (!c->broken)
		c->broken = xstrdup(err_msg());
	return -1;
}

static int conn_usable(struct vici_conn *c)
{
	if (c->broken)
		return err_set("connection unusable after an earlier error: %s", c->broken);
	return 0;
}

static int recv_closed(struct vici_conn *c)
{
	if (c->hdr_got == 0)
		return err_set("connection closed by charon");
	if (c->hdr_got < sizeof(c->hdr))
		return err_set(
			"connection closed by charon after %zu of 4 bytes of a segment header",
			c->hdr_got);
	return err_set("connection closed by charon after %zu of %zu bytes of a segment",
		       c->seg_got, c->seg_len);
}

/* The header is complete: check the length before allocating for it. */
static int recv_header(struct vici_conn *c)
{
	uint32_t len = (uint32_t)c->hdr[0] << 24 | (uint32_t)c->hdr[1] << 16 |
		       (uint32_t)c->hdr[2] << 8 | c->hdr[3];

	if (len == 0)
		return err_set("charon sent an empty segment");
	if (len > VICI_SEGMENT_MAX)
		return err_set("charon sent a segment of %u bytes, more than VICI_SEGMENT_MAX (%d)",
			       len, VICI_SEGMENT_MAX);
	c->seg = xmalloc(len);
	c->seg_len = len;
	c->seg_got = 0;
	return 0;
}

/* 1 once a whole segment is in c->seg, 0 on timeout, -1 on error. */
static int recv_segment(struct vici_conn *c, int64_t deadline)
{
	while (!c->seg || c->seg_got < c->seg_len) {
		bool in_hdr = c->hdr_got < sizeof(c->hdr);
		uint8_t *dst = in_hdr ? c->hdr + c->hdr_got : c->seg + c->seg_got;
		size_t want = in_hdr ? sizeof(c->hdr) - c->hdr_got : c->seg_len - c->seg_got;
		ssize_t n = read(c->fd, dst, want);
		int r;

		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return recv_closed(c);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return err_sys("read");
		if (n < 0) {
			if ((r = wait_fd(c->fd, POLLIN, deadline)) <= 0)
				return r;
			continue;
		}
		if (!in_hdr) {
			c->seg_got += (size_t)n;
			continue;
		}
		c->hdr_got += (size_t)n;
		if (c->hdr_got == sizeof(c->hdr) && recv_header(c) < 0)
			return -1;
	}
	return 1;
}

/* Hands the received segment to the caller and readies the next one. */
static uint8_t *take_segment(struct vici_conn *c, size_t *len)
{
	uint8_t *seg = c->seg;

	*len = c->seg_len;
	c->seg = NULL;
	c->hdr_got = c->seg_len = c->seg_got = 0;
	return seg;
}

static void queue_event(struct vici_conn *c, const char *name, struct vici_node *msg)
{
	struct vici_event *e = xcalloc(1, sizeof(*e));

	e->name = xstrdup(name);
	e->msg = msg;
	*c->queue_tail = e;
	c->queue_tail = &e->next;
}

static int send_all(struct vici_conn *c, struct req *r, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
		int w;

		if (n >= 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EPIPE || errno == ECONNRESET)
			return err_set("%s: connection closed by charon", r->op);
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return err_sys("%s: send", r->op);
		if ((w = wait_fd(c->fd, POLLOUT, r->deadline)) < 0)
			return -1;
		if (w == 0)
			return err_set("%s: could not send within %d ms", r->op, r->timeout_ms);
	}
	return 0;
}

/* Sends a request. Only failures after bytes may have left break the
 * connection; a request that cannot be encoded leaves it intact. */
static int send_request(struct vici_conn *c, struct req *r, uint8_t type, const char *name,
			struct vici_msg *msg)
{
	const uint8_t *body = NULL;
	size_t body_len = 0, len;
	uint8_t *seg;
	int rc;

	if (msg && vici_msg_bytes(msg, &body, &body_len) < 0)
		return err_wrap("%s", r->op);
	if (vici_packet_encode(type, name, body, body_len, &seg, &len) < 0)
		return err_wrap("%s", r->op);
	rc = send_all(c, r, seg, len);
	free(seg);
	return rc < 0 ? conn_break(c) : 0;
}

/* An event during a request: the streamed name goes to the callback,
 * everything else waits in the queue. */
static int handle_event(struct vici_conn *c, struct req *r, const struct vici_packet *p)
{
	struct vici_node *msg = vici_decode(p->msg, p->msg_len);

	if (!msg)
		return err_wrap("%s: event '%s'", r->op, p->name);
	if (!r->stream || strcmp(p->name, r->stream)) {
		queue_event(c, p->name, msg);
		return 0;
	}
	err_clear();
	if (r->cb(r->ctx, p->name, msg) != 0 && !r->cb_err)
		r->cb_err = xstrdup(err_msg());
	vici_node_free(msg);
	return 0;
}

/* One packet while waiting for a reply: 0 for an event (handled), else
 * the reply's type, with the message decoded when msg asks for it. */
static int reply_packet(struct vici_conn *c, struct req *r, const uint8_t *seg, size_t len,
			uint8_t ok, uint8_t unknown, struct vici_node **msg)
{
	struct vici_packet p;

	if (vici_packet_parse(seg, len, &p) < 0)
		return err_wrap("%s", r->op);
	if (p.type == VICI_EVENT)
		return handle_event(c, r, &p);
	if (p.type != ok && p.type != unknown)
		return err_set("%s: unexpected %s packet from charon", r->op,
			       vici_packet_name(p.type));
	if (p.type == ok && msg && !(*msg = vici_decode(p.msg, p.msg_len)))
		return err_wrap("%s: %s", r->op, vici_packet_name(ok));
	return p.type;
}

/* Reads until the reply (of type ok or unknown) arrives and returns its
 * type. Every failure breaks the connection. */
static int recv_reply(struct vici_conn *c, struct req *r, uint8_t ok, uint8_t unknown,
		      struct vici_node **msg)
{
	int rc;

	do {
		uint8_t *seg;
		size_t len;

		rc = recv_segment(c, r->deadline);
		if (rc == 0)
			err_set("no reply from charon within %d ms", r->timeout_ms);
		if (rc <= 0) {
			err_wrap("%s", r->op);
			return conn_break(c);
		}
		seg = take_segment(c, &len);
		rc = reply_packet(c, r, seg, len, ok, unknown, msg);
		free(seg);
	} while (rc == 0);
	return rc < 0 ? conn_break(c) : rc;
}

static void req_init(struct req *r, int timeout_ms)
{
	memset(r, 0, sizeof(*r));
	r->timeout_ms = timeout_ms;
	r->deadline = deadline_in(timeout_ms);
}

static int cmd_step(struct vici_conn *c, struct req *r, const char *cmd, struct vici_msg *req,
		    struct vici_node **resp)
{
	int type;

	snprintf(r->op, sizeof(r->op), "command '%s'", cmd);
	if (conn_usable(c) < 0 || send_request(c, r, VICI_CMD_REQUEST, cmd, req) < 0)
		return -1;
	type = recv_reply(c, r, VICI_CMD_RESPONSE, VICI_CMD_UNKNOWN, resp);
	if (type == VICI_CMD_UNKNOWN)
		return err_set("charon does not know command '%s'", cmd);
	return type < 0 ? -1 : 0;
}

static int event_step(struct vici_conn *c, struct req *r, uint8_t type, const char *event)
{
	int reply;

	snprintf(r->op, sizeof(r->op), "%s event '%s'",
		 type == VICI_EVENT_REGISTER ? "registering for" : "unregistering from", event);
	if (conn_usable(c) < 0 || send_request(c, r, type, event, NULL) < 0)
		return -1;
	reply = recv_reply(c, r, VICI_EVENT_CONFIRM, VICI_EVENT_UNKNOWN, NULL);
	if (reply == VICI_EVENT_UNKNOWN)
		return err_set("%s: charon does not know event '%s'", r->op, event);
	return reply < 0 ? -1 : 0;
}

int vici_cmd(struct vici_conn *c, const char *cmd, struct vici_msg *req, struct vici_node **resp,
	     int timeout_ms)
{
	struct req r;

	*resp = NULL;
	req_init(&r, timeout_ms);
	if (cmd_step(c, &r, cmd, req, resp) < 0)
		return err_wrap("vici %s", c->path);
	return 0;
}

int vici_cmd_start(struct vici_conn *c, const char *cmd, struct vici_msg *req, int timeout_ms)
{
	struct req r;

	if (c->pending[0])
		return err_set("vici %s: command '%s' is still waiting for its response", c->path,
			       c->pending);
	req_init(&r, timeout_ms);
	snprintf(r.op, sizeof(r.op), "command '%s'", cmd);
	if (conn_usable(c) < 0 || send_request(c, &r, VICI_CMD_REQUEST, cmd, req) < 0)
		return err_wrap("vici %s", c->path);
	snprintf(c->pending, sizeof(c->pending), "%s", cmd);
	return 0;
}

int vici_cmd_finish(struct vici_conn *c, struct vici_node **resp, int timeout_ms)
{
	struct req r;
	int type;

	*resp = NULL;
	if (!c->pending[0])
		return err_set("vici %s: no command waiting for a response", c->path);
	req_init(&r, timeout_ms);
	snprintf(r.op, sizeof(r.op), "command '%s'", c->pending);
	type = recv_reply(c, &r, VICI_CMD_RESPONSE, VICI_CMD_UNKNOWN, resp);
	if (type == VICI_CMD_UNKNOWN)
		err_set("charon does not know command '%s'", c->pending);
	c->pending[0] = '\0';
	if (type == VICI_CMD_UNKNOWN || type < 0)
		return err_wrap("vici %s", c->path);
	return 0;
}

int vici_cmd_stream(struct vici_conn *c, const char *cmd, const char *event, struct vici_msg *req,
		    vici_event_cb cb, void *ctx, struct vici_node **resp, int timeout_ms)
{
	char *fail = NULL;
	struct req r;

	*resp = NULL;
	req_init(&r, timeout_ms);
	if (event_step(c, &r, VICI_EVENT_REGISTER, event) < 0)
		return err_wrap("vici %s: command '%s'", c->path, cmd);
	r.stream = event;
	r.cb = cb;
	r.ctx = ctx;
	if (cmd_step(c, &r, cmd, req, resp) < 0)
		fail = xstrdup(err_msg());
	else if (r.cb_err)
		fail = xasprintf("command '%s': handling event '%s': %s", cmd, event, r.cb_err);
	r.stream = NULL;
	/* Unregister even after a failed command, unless nothing can pass. */
	if (!c->broken && event_step(c, &r, VICI_EVENT_UNREGISTER, event) < 0 && !fail)
		fail = xasprintf("command '%s': %s", cmd, err_msg());
	free(r.cb_err);
	if (!fail)
		return 0;
	vici_node_free(*resp);
	*resp = NULL;
	err_set("vici %s: %s", c->path, fail);
	free(fail);
	return -1;
}

int vici_register(struct vici_conn *c, const char *event, int timeout_ms)
{
	struct req r;

	req_init(&r, timeout_ms);
	if (event_step(c, &r, VICI_EVENT_REGISTER, event) < 0)
		return err_wrap("vici %s", c->path);
	return 0;
}

int vici_unregister(struct vici_conn *c, const char *event, int timeout_ms)
{
	struct req r;

	req_init(&r, timeout_ms);
	if (event_step(c, &r, VICI_EVENT_UNREGISTER, event) < 0)
		return err_wrap("vici %s", c->path);
	return 0;
}

/* With no request pending only events may arrive; a timeout is harmless
 * here because no reply can be mistaken for another. */
static int recv_event(struct vici_conn *c, int64_t deadline, char **name, struct vici_node **msg)
{
	struct vici_packet p;
	uint8_t *seg;
	size_t len;
	int rc;

	if ((rc = recv_segment(c, deadline)) <= 0)
		return rc;
	seg = take_segment(c, &len);
	rc = vici_packet_parse(seg, len, &p);
	if (rc == 0 && p.type != VICI_EVENT)
		rc = err_set("unexpected %s packet from charon while no request is pending",
			     vici_packet_name(p.type));
	if (rc == 0 && !(*msg = vici_decode(p.msg, p.msg_len)))
		rc = err_wrap("event '%s'", p.name);
	if (rc == 0)
		*name = xstrdup(p.name);
	free(seg);
	return rc < 0 ? -1 : 1;
}

int vici_next_event(struct vici_conn *c, char **name, struct vici_node **msg, int timeout_ms)
{
	struct vici_event *e = c->queue;
	int rc;

	*name = NULL;
	*msg = NULL;
	if (e) {
		c->queue = e->next;
		if (!c->queue)
			c->queue_tail = &c->queue;
		*name = e->name;
		*msg = e->msg;
		free(e);
		return 1;
	}
	if (conn_usable(c) < 0)
		return err_wrap("vici %s: waiting for events", c->path);
	rc = recv_event(c, deadline_in(timeout_ms), name, msg);
	if (rc < 0) {
		conn_break(c);
		return err_wrap("vici %s: waiting for events", c->path);
	}
	return rc;
}

/*
 * vici.c - VICI client: message codec, packet framing and connections.
 *
 * Written from the protocol description in strongSwan's vici plugin README.
 * Everything charon sends is treated as untrusted input: lengths are checked
 * before anything is allocated or copied, and the decoder never recurses.
 */
#include "charon/vici.h"
#include "base/err.h"
#include "base/util.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define VICI_NAME_MAX 255
#define VICI_VALUE_MAX 65535
#define CONNECT_RETRY_MS 20

static const char *const packet_names[] = {
	[VICI_CMD_REQUEST] = "CMD_REQUEST",
	[VICI_CMD_RESPONSE] = "CMD_RESPONSE",
	[VICI_CMD_UNKNOWN] = "CMD_UNKNOWN",
	[VICI_EVENT_REGISTER] = "EVENT_REGISTER",
	[VICI_EVENT_UNREGISTER] = "EVENT_UNREGISTER",
	[VICI_EVENT_CONFIRM] = "EVENT_CONFIRM",
	[VICI_EVENT_UNKNOWN] = "EVENT_UNKNOWN",
	[VICI_EVENT] = "EVENT",
};

/* For messages; the connection names the packets it did not expect. */
const char *vici_packet_name(uint8_t type)
{
	return type <= VICI_EVENT ? packet_names[type] : "unknown packet type";
}

/* ---- decoder --------------------------------------------------------- */

struct dec {
	const uint8_t *buf;
	size_t len, off;
	size_t elem;			/* offset of the element being decoded */
	int depth;			/* open sections below the root */
	struct vici_node *sec[VICI_DEPTH_MAX + 1];
	struct vici_node **tail[VICI_DEPTH_MAX + 1];
	struct vici_node *list;		/* the open list, if any */
	struct vici_node **list_tail;
};

static int dec_err(const struct dec *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int dec_err(const struct dec *d, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return err_set("malformed vici message at byte offset %zu: %s", d->elem, detail);
}

/* A length-prefixed field: 1 length byte for names, 2 for values. */
static int dec_field(struct dec *d, size_t width, const char *what,
		     const uint8_t **data, size_t *n)
{
	if (d->len - d->off < width)
		return dec_err(d, "%s length truncated (message ends at byte offset %zu)",
			       what, d->len);
	*n = width == 1 ? d->buf[d->off] :
		(size_t)d->buf[d->off] << 8 | d->buf[d->off + 1];
	d->off += width;
	if (d->len - d->off < *n)
		return dec_err(d, "%s truncated at byte offset %zu (%zu bytes announced, %zu left)",
			       what, d->off, *n, d->len - d->off);
	*data = d->buf + d->off;
	d->off += *n;
	return 0;
}

static char *dec_name(struct dec *d)
{
	const uint8_t *p;
	size_t n;
	char *s;

	if (dec_field(d, 1, "name", &p, &n) < 0)
		return NULL;
	/* A NUL would silently shorten the name every lookup compares. */
	if (memchr(p, '\0', n)) {
		dec_err(d, "name contains a NUL byte");
		return NULL;
	}
	s = xmalloc(n + 1);
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static int dec_value(struct dec *d, char **val, size_t *len)
{
	const uint8_t *p;

	if (dec_field(d, 2, "value", &p, len) < 0)
		return -1;
	*val = xmalloc(*len + 1);
	memcpy(*val, p, *len);
	(*val)[*len] = '\0';
	return 0;
}

static struct vici_node *dec_append(struct vici_node ***tail,
				    enum vici_node_type type, char *name)
{
	struct vici_node *n = xcalloc(1, sizeof(*n));

	n->type = type;
	n->name = name;
	**tail = n;
	*tail = &n->next;
	return n;
}

static int dec_section_start(struct dec *d)
{
	struct vici_node *n;
	char *name;

	if (d->depth == VICI_DEPTH_MAX)
		return dec_err(d, "sections nested deeper than %d levels", VICI_DEPTH_MAX);
	if (!(name = dec_name(d)))
		return -1;
	n = dec_append(&d->tail[d->depth], VICI_NODE_SECTION, name);
	d->depth++;
	d->sec[d->depth] = n;
	d->tail[d->depth] = &n->children;
	return 0;
}

static int dec_key_value(struct dec *d)
{
	struct vici_node *n;
	char *name, *val;
	size_t len;

	if (!(name = dec_name(d)))
		return -1;
	if (dec_value(d, &val, &len) < 0) {
		free(name);
		return -1;
	}
	n = dec_append(&d->tail[d->depth], VICI_NODE_VALUE, name);
	n->value = val;
	n->value_len = len;
	return 0;
}

static int dec_list_start(struct dec *d)
{
	char *name;

	if (!(name = dec_name(d)))
		return -1;
	d->list = dec_append(&d->tail[d->depth], VICI_NODE_LIST, name);
	d->list_tail = &d->list->children;
	return 0;
}

static int dec_list_item(struct dec *d)
{
	struct vici_node *n;
	char *val;
	size_t len;

	if (dec_value(d, &val, &len) < 0)
		return -1;
	n = dec_append(&d->list_tail, VICI_NODE_VALUE, NULL);
	n->value = val;
	n->value_len = len;
	return 0;
}

/* Inside a list only LIST_ITEM and LIST_END may appear. */
static int dec_in_list(struct dec *d, uint8_t type)
{
	static const char *const names[] = {
		[VICI_SECTION_START] = "SECTION_START",
		[VICI_SECTION_END] = "SECTION_END",
		[VICI_KEY_VALUE] = "KEY_VALUE",
		[VICI_LIST_START] = "nested LIST_START",
	};

	switch (type) {
	case VICI_LIST_ITEM:
		return dec_list_item(d);
	case VICI_LIST_END:
		d->list = NULL;
		d->list_tail = NULL;
		return 0;
	case VICI_SECTION_START:
	case VICI_SECTION_END:
	case VICI_KEY_VALUE:
	case VICI_LIST_START:
		return dec_err(d, "%s inside list '%s'", names[type], d->list->name);
	default:
		return dec_err(d, "unknown element type %u", type);
	}
}

static int dec_element(struct dec *d, uint8_t type)
{
	if (d->list)
		return dec_in_list(d, type);
	switch (type) {
	case VICI_SECTION_START:
		return dec_section_start(d);
	case VICI_SECTION_END:
		if (d->depth == 0)
			return dec_err(d, "SECTION_END without an open section");
		d->depth--;
		return 0;
	case VICI_KEY_VALUE:
		return dec_key_value(d);
	case VICI_LIST_START:
		return dec_list_start(d);
	case VICI_LIST_ITEM:
		return dec_err(d, "LIST_ITEM outside a list");
	case VICI_LIST_END:
		return dec_err(d, "LIST_END without an open list");
	default:
		return dec_err(d, "unknown element type %u", type);
	}
}

static int dec_finish(struct dec *d)
{
	d->elem = d->len;
	if (d->list)
		return dec_err(d, "list '%s' not closed at end of message", d->list->name);
	if (d->depth > 0)
		return dec_err(d, "section '%s' not closed at end of message",
			       d->sec[d->depth]->name);
	return 0;
}

struct vici_node *vici_decode(const uint8_t *buf, size_t len)
{
	struct dec d = { .buf = buf, .len = len };
	struct vici_node *root = xcalloc(1, sizeof(*root));

	root->type = VICI_NODE_SECTION;
	d.sec[0] = root;
	d.tail[0] = &root->children;
	while (d.off < len) {
		d.elem = d.off++;
		if (dec_element(&d, buf[d.elem]) < 0)
			goto fail;
	}
	if (dec_finish(&d) < 0)
		goto fail;
	return root;
fail:
	vici_node_free(root);
	return NULL;
}

/* Recursion only follows children, which the decoder limits in depth. */
void vici_node_free(struct vici_node *node)
{
	while (node) {
		struct vici_node *next = node->next;

		vici_node_free(node->children);
		free(node->name);
		free(node->value);
		free(node);
		node = next;
	}
}

const struct vici_node *vici_child(const struct vici_node *sec, const char *name)
{
	if (!sec)
		return NULL;
	for (const struct vici_node *n = sec->children; n; n = n->next)
		if (n->name && !strcmp(n->name, name))
			return n;
	return NULL;
}

const char *vici_str(const struct vici_node *sec, const char *name)
{
	const struct vici_node *n = vici_child(sec, name);

	return n && n->type == VICI_NODE_VALUE ? n->value : NULL;
}

size_t vici_count(const struct vici_node *node)
{
	size_t count = 0;

	if (!node || node->type == VICI_NODE_VALUE)
		return 0;
	for (const struct vici_node *n = node->children; n; n = n->next)
		count++;
	return count;
}

int vici_check_success(const struct vici_node *resp, const char *what)
{
	const char *ok = vici_str(resp, "success");
	const char *msg = vici_str(resp, "errmsg");

	if (ok && !strcmp(ok, "yes"))
		return 0;
	if (msg)
		return err_set("%s failed: %s", what, msg);
	return err_set("%s failed: charon gave no errmsg (success = %s)",
		       what, ok ? ok : "missing");
}

/* ---- builder --------------------------------------------------------- */

struct vici_msg {
	struct strbuf sb;
	char *err;			/* first misuse; later calls do nothing */
	int depth;
	char *open[VICI_DEPTH_MAX];	/* names of open sections, for messages */
	char *list;			/* name of the open list */
};

static void msg_fail(struct vici_msg *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void msg_fail(struct vici_msg *m, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (m->err)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	m->err = xstrdup(buf);
}

static bool msg_name_ok(struct vici_msg *m, const char *name, const char *what)
{
	size_t n;

	if (m->err)
		return false;
	if (!name) {
		msg_fail(m, "%s without a name", what);
		return false;
	}
	n = strlen(name);
	if (n > VICI_NAME_MAX) {
		msg_fail(m, "%s name '%.32s...' is %zu bytes, at most %d",
			 what, name, n, VICI_NAME_MAX);
		return false;
	}
	if (m->list) {
		msg_fail(m, "%s '%s' inside list '%s'", what, name, m->list);
		return false;
	}
	return true;
}

/* Appends one element; name and value are present as its type demands. */
static void msg_elem(struct vici_msg *m, uint8_t type, const char *name,
		     const void *val, size_t vlen)
{
	bool named = type == VICI_SECTION_START || type == VICI_KEY_VALUE ||
		     type == VICI_LIST_START;
	bool valued = type == VICI_KEY_VALUE || type == VICI_LIST_ITEM;
	size_t nlen = named ? strlen(name) : 0;
	size_t need = 1 + (named ? 1 + nlen : 0) + (valued ? 2 + vlen : 0);
	uint8_t hdr[2];

	/* Type byte and an empty name must still fit around the message. */
	if (m->sb.len + need > VICI_SEGMENT_MAX - 2) {
		msg_fail(m, "message larger than a segment (%d bytes) may carry",
			 VICI_SEGMENT_MAX);
		return;
	}
	sb_add(&m->sb, &type, 1);
	if (named) {
		hdr[0] = (uint8_t)nlen;
		sb_add(&m->sb, hdr, 1);
		sb_add(&m->sb, name, nlen);
	}
	if (valued) {
		hdr[0] = (uint8_t)(vlen >> 8);
		hdr[1] = (uint8_t)vlen;
		sb_add(&m->sb, hdr, 2);
		sb_add(&m->sb, val, vlen);
	}
}

struct vici_msg *vici_msg_new(void)
{
	return xcalloc(1, sizeof(struct vici_msg));
}

void vici_msg_free(struct vici_msg *m)
{
	if (!m)
		return;
	while (m->depth > 0)
		free(m->open[--m->depth]);
	free(m->list);
	free(m->err);
	sb_free(&m->sb);
	free(m);
}

void vici_section_begin(struct vici_msg *m, const char *name)
{
	if (!msg_name_ok(m, name, "section"))
		return;
	if (m->depth == VICI_DEPTH_MAX) {
		msg_fail(m, "section '%s' nested deeper than %d levels", name, VICI_DEPTH_MAX);
		return;
	}
	m->open[m->depth++] = xstrdup(name);
	msg_elem(m, VICI_SECTION_START, name, NULL, 0);
}

void vici_section_end(struct vici_msg *m)
{
	if (m->err)
		return;
	if (m->list) {
		msg_fail(m, "section end inside list '%s'", m->list);
		return;
	}
	if (m->depth == 0) {
		msg_fail(m, "section end without an open section");
		return;
	}
	free(m->open[--m->depth]);
	msg_elem(m, VICI_SECTION_END, NULL, NULL, 0);
}

void vici_kv_raw(struct vici_msg *m, const char *key, const void *val, size_t len)
{
	if (!msg_name_ok(m, key, "key"))
		return;
	if (len > VICI_VALUE_MAX) {
		msg_fail(m, "value of key '%s' is %zu bytes, at most %d",
			 key, len, VICI_VALUE_MAX);
		return;
	}
	msg_elem(m, VICI_KEY_VALUE, key, val, len);
}

void vici_kv(struct vici_msg *m, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *val;
	int n;

	if (m->err)
		return;
	va_start(ap, fmt);
	n = vasprintf(&val, fmt, ap);
	va_end(ap);
	if (n < 0) {
		msg_fail(m, "formatting the value of key '%s' failed", key ? key : "");
		return;
	}
	vici_kv_raw(m, key, val, (size_t)n);
	free(val);
}

void vici_list_begin(struct vici_msg *m, const char *name)
{
	if (!msg_name_ok(m, name, "list"))
		return;
	m->list = xstrdup(name);
	msg_elem(m, VICI_LIST_START, name, NULL, 0);
}

void vici_list_item(struct vici_msg *m, const char *fmt, ...)
{
	va_list ap;
	char *val;
	int n;

	if (m->err)
		return;
	if (!m->list) {
		msg_fail(m, "list item outside a list");
		return;
	}
	va_start(ap, fmt);
	n = vasprintf(&val, fmt, ap);
	va_end(ap);
	if (n < 0) {
		msg_fail(m, "formatting an item of list '%s' failed", m->list);
		return;
	}
	if ((size_t)n > VICI_VALUE_MAX)
		msg_fail(m, "item of list '%s' is %d bytes, at most %d",
			 m->list, n, VICI_VALUE_MAX);
	else
		msg_elem(m, VICI_LIST_ITEM, NULL, val, (size_t)n);
	free(val);
}

void vici_list_end(struct vici_msg *m)
{
	if (m->err)
		return;
	if (!m->list) {
		msg_fail(m, "list end without an open list");
		return;
	}
	free(m->list);
	m->list = NULL;
	msg_elem(m, VICI_LIST_END, NULL, NULL, 0);
}

int vici_msg_bytes(struct vici_msg *m, const uint8_t **buf, size_t *len)
{
	if (m->err)
		return err_set("building vici message: %s", m->err);
	if (m->list)
		return err_set("building vici message: list '%s' not closed", m->list);
	if (m->depth > 0)
		return err_set("building vici message: section '%s' not closed",
			       m->open[m->depth - 1]);
	*buf = m->sb.len ? (const uint8_t *)m->sb.buf : (const uint8_t *)"";
	*len = m->sb.len;
	return 0;
}

/* ---- packets --------------------------------------------------------- */

static bool packet_named(uint8_t type)
{
	return type == VICI_CMD_REQUEST || type == VICI_EVENT_REGISTER ||
	       type == VICI_EVENT_UNREGISTER || type == VICI_EVENT;
}

int vici_packet_parse(const uint8_t *seg, size_t len, struct vici_packet *out)
{
	size_t off = 1, nlen;

	if (len == 0)
		return err_set("empty vici packet");
	if (len > VICI_SEGMENT_MAX)
		return err_set("vici packet of %zu bytes exceeds VICI_SEGMENT_MAX (%d)",
			       len, VICI_SEGMENT_MAX);
	if (seg[0] > VICI_EVENT)
		return err_set("unknown vici packet type %u", seg[0]);
	memset(out, 0, sizeof(*out));
	out->type = seg[0];
	if (packet_named(seg[0])) {
		if (len < 2)
			return err_set("%s packet truncated before its name length",
				       packet_names[seg[0]]);
		nlen = seg[1];
		off = 2;
		if (len - off < nlen)
			return err_set("%s packet name truncated at byte offset %zu (%zu bytes announced, %zu left)",
				       packet_names[seg[0]], off, nlen, len - off);
		if (memchr(seg + off, '\0', nlen))
			return err_set("%s packet name contains a NUL byte",
				       packet_names[seg[0]]);
		memcpy(out->name, seg + off, nlen);
		out->name[nlen] = '\0';
		off += nlen;
	}
	out->msg = seg + off;
	out->msg_len = len - off;
	return 0;
}

int vici_packet_encode(uint8_t type, const char *name, const uint8_t *msg,
		       size_t msg_len, uint8_t **out, size_t *out_len)
{
	size_t nlen = name ? strlen(name) : 0;
	size_t head, payload;
	uint8_t *p;

	if (type > VICI_EVENT)
		return err_set("unknown vici packet type %u", type);
	if (packet_named(type) && !name)
		return err_set("%s packet needs a name", packet_names[type]);
	if (!packet_named(type) && nlen)
		return err_set("%s packet takes no name (got '%s')", packet_names[type], name);
	if (nlen > VICI_NAME_MAX)
		return err_set("%s packet name '%.32s...' is %zu bytes, at most %d",
			       packet_names[type], name, nlen, VICI_NAME_MAX);
	head = packet_named(type) ? 2 + nlen : 1;
	if (msg_len > VICI_SEGMENT_MAX - head)
		return err_set("%s packet of %zu bytes exceeds VICI_SEGMENT_MAX (%d)",
			       packet_names[type], head + msg_len, VICI_SEGMENT_MAX);
	payload = head + msg_len;
	p = xmalloc(4 + payload);
	p[0] = (uint8_t)(payload >> 24);
	p[1] = (uint8_t)(payload >> 16);
	p[2] = (uint8_t)(payload >> 8);
	p[3] = (uint8_t)payload;
	p[4] = type;
	if (packet_named(type)) {
		p[5] = (uint8_t)nlen;
		memcpy(p + 6, name, nlen);
	}
	if (msg_len)
		memcpy(p + 4 + head, msg, msg_len);
	*out = p;
	*out_len = 4 + payload;
	return 0;
}

/* ---- connections ----------------------------------------------------- */

struct vici_event {
	char *name;
	struct vici_node *msg;
	struct vici_event *next;
};

struct vici_conn {
	int fd;
	char *path;
	char *broken;			/* why the connection is unusable */
	/* A segment being received survives timeouts, so a later call
	 * resumes where the previous one stopped. */
	uint8_t hdr[4];
	size_t hdr_got;
	uint8_t *seg;
	size_t seg_len, seg_got;
	struct vici_event *queue, **queue_tail;
	char pending[256];		/* command sent by vici_cmd_start */
};

/* One exchange: its deadline, and where streamed events go. */
struct req {
	char op[320];			/* "command 'list-sas'", for messages */
	int timeout_ms;
	int64_t deadline;
	const char *stream;
	vici_event_cb cb;
	void *ctx;
	char *cb_err;			/* first callback failure */
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
		err_set("vici socket path is %zu bytes, at most %zu: %s",
			strlen(path), sizeof(sa.sun_path) - 1, path);
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
			err_sys("connect to vici socket %s: still failing after %d ms",
				path, timeout_ms);
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
		return err_set("connection closed by charon after %zu of 4 bytes of a segment header",
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
static int send_request(struct vici_conn *c, struct req *r, uint8_t type,
			const char *name, struct vici_msg *msg)
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
static int reply_packet(struct vici_conn *c, struct req *r, const uint8_t *seg,
			size_t len, uint8_t ok, uint8_t unknown, struct vici_node **msg)
{
	struct vici_packet p;

	if (vici_packet_parse(seg, len, &p) < 0)
		return err_wrap("%s", r->op);
	if (p.type == VICI_EVENT)
		return handle_event(c, r, &p);
	if (p.type != ok && p.type != unknown)
		return err_set("%s: unexpected %s packet from charon",
			       r->op, vici_packet_name(p.type));
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

static int cmd_step(struct vici_conn *c, struct req *r, const char *cmd,
		    struct vici_msg *req, struct vici_node **resp)
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

int vici_cmd(struct vici_conn *c, const char *cmd, struct vici_msg *req,
	     struct vici_node **resp, int timeout_ms)
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
		return err_set("vici %s: command '%s' is still waiting for its response",
			       c->path, c->pending);
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

int vici_cmd_stream(struct vici_conn *c, const char *cmd, const char *event,
		    struct vici_msg *req, vici_event_cb cb, void *ctx,
		    struct vici_node **resp, int timeout_ms)
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
static int recv_event(struct vici_conn *c, int64_t deadline, char **name,
		      struct vici_node **msg)
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

int vici_next_event(struct vici_conn *c, char **name, struct vici_node **msg,
		    int timeout_ms)
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

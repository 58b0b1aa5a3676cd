/*
 * vici_msg.c - VICI codec (see vici.h): the message decoder and builder, and
 * packet framing. No I/O: vici_conn.c moves the bytes.
 *
 * Written from the protocol description in strongSwan's vici plugin README.
 * Everything charon sends is treated as untrusted input: lengths are checked
 * before anything is allocated or copied, and the decoder never recurses.
 */
#include "charon/vici.h"
#include "base/err.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VICI_NAME_MAX 255
#define VICI_VALUE_MAX 65535

static const char *const packet_names[] = {
	[VICI_CMD_REQUEST] = "CMD_REQUEST",           [VICI_CMD_RESPONSE] = "CMD_RESPONSE",
	[VICI_CMD_UNKNOWN] = "CMD_UNKNOWN",           [VICI_EVENT_REGISTER] = "EVENT_REGISTER",
	[VICI_EVENT_UNREGISTER] = "EVENT_UNREGISTER", [VICI_EVENT_CONFIRM] = "EVENT_CONFIRM",
	[VICI_EVENT_UNKNOWN] = "EVENT_UNKNOWN",       [VICI_EVENT] = "EVENT",
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
	size_t elem; /* offset of the element being decoded */
	int depth;   /* open sections below the root */
	struct vici_node *sec[VICI_DEPTH_MAX + 1];
	struct vici_node **tail[VICI_DEPTH_MAX + 1];
	struct vici_node *list; /* the open list, if any */
	struct vici_node **list_tail;
};

static int dec_err(const struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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
static int dec_field(struct dec *d, size_t width, const char *what, const uint8_t **data, size_t *n)
{
	if (d->len - d->off < width)
		return dec_err(d, "%s length truncated (message ends at byte offset %zu)", what,
			       d->len);
	*n = width == 1 ? d->buf[d->off] : (size_t)d->buf[d->off] << 8 | d->buf[d->off + 1];
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

static struct vici_node *dec_append(struct vici_node ***tail, enum vici_node_type type, char *name)
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
	return err_set("%s failed: charon gave no errmsg (success = %s)", what,
		       ok ? ok : "missing");
}

/* ---- builder --------------------------------------------------------- */

struct vici_msg {
	struct strbuf sb;
	char *err; /* first misuse; later calls do nothing */
	int depth;
	char *open[VICI_DEPTH_MAX]; /* names of open sections, for messages */
	char *list;                 /* name of the open list */
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
		msg_fail(m, "%s name '%.32s...' is %zu bytes, at most %d", what, name, n,
			 VICI_NAME_MAX);
		return false;
	}
	if (m->list) {
		msg_fail(m, "%s '%s' inside list '%s'", what, name, m->list);
		return false;
	}
	return true;
}

/* Appends one element; name and value are present as its type demands. */
static void msg_elem(struct vici_msg *m, uint8_t type, const char *name, const void *val,
		     size_t vlen)
{
	bool named =
		type == VICI_SECTION_START || type == VICI_KEY_VALUE || type == VICI_LIST_START;
	bool valued = type == VICI_KEY_VALUE || type == VICI_LIST_ITEM;
	size_t nlen = named ? strlen(name) : 0;
	size_t need = 1 + (named ? 1 + nlen : 0) + (valued ? 2 + vlen : 0);
	uint8_t hdr[2];

	/* Type byte and an empty name must still fit around the message. */
	if (m->sb.len + need > VICI_SEGMENT_MAX - 2) {
		msg_fail(m, "message larger than a segment (%d bytes) may carry", VICI_SEGMENT_MAX);
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
		msg_fail(m, "value of key '%s' is %zu bytes, at most %d", key, len, VICI_VALUE_MAX);
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
		msg_fail(m, "item of list '%s' is %d bytes, at most %d", m->list, n,
			 VICI_VALUE_MAX);
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
		return err_set("vici packet of %zu bytes exceeds VICI_SEGMENT_MAX (%d)", len,
			       VICI_SEGMENT_MAX);
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
			return err_set("%s packet name truncated at byte offset %zu (%zu bytes "
				       "announced, %zu left)",
				       packet_names[seg[0]], off, nlen, len - off);
		if (memchr(seg + off, '\0', nlen))
			return err_set("%s packet name contains a NUL byte", packet_names[seg[0]]);
		memcpy(out->name, seg + off, nlen);
		out->name[nlen] = '\0';
		off += nlen;
	}
	out->msg = seg + off;
	out->msg_len = len - off;
	return 0;
}

int vici_packet_encode(uint8_t type, const char *name, const uint8_t *msg, size_t msg_len,
		       uint8_t **out, size_t *out_len)
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

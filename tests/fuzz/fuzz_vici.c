/*
 * fuzz_vici.c - what charon sends, and what we send it.
 *
 * Each input is used three ways:
 *  1. as a message for vici_decode(); a message that decodes is encoded
 *     again with the builder from its tree, which must give back the very
 *     same bytes (the encoding is canonical), and the accessors are run
 *     over the tree;
 *  2. as a segment for vici_packet_parse(); a packet that parses is
 *     encoded again with vici_packet_encode() (same bytes, after the
 *     length prefix) and its message is decoded;
 *  3. as a program for the builder (sections, key/values, lists, misuse
 *     included); whatever vici_msg_bytes() accepts must decode into the
 *     tree the program built.
 */
#include "base/err.h"
#include "base/util.h"
#include "charon/vici.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Does the tree hold a list item with a NUL (which vici_list_item's
 * printf interface cannot produce)? */
static bool has_nul_item(const struct vici_node *n)
{
	for (; n; n = n->next) {
		if (n->type == VICI_NODE_LIST)
			for (const struct vici_node *i = n->children; i; i = i->next)
				if (memchr(i->value, '\0', i->value_len))
					return true;
		if (n->type == VICI_NODE_SECTION && has_nul_item(n->children))
			return true;
	}
	return false;
}

/* Members of a section into the builder; depth bounded by the decoder. */
static void rebuild(struct vici_msg *m, const struct vici_node *n)
{
	for (; n; n = n->next) {
		switch (n->type) {
		case VICI_NODE_SECTION:
			vici_section_begin(m, n->name);
			rebuild(m, n->children);
			vici_section_end(m);
			break;
		case VICI_NODE_VALUE:
			CHECK(n->name && n->value && n->value[n->value_len] == '\0');
			vici_kv_raw(m, n->name, n->value, n->value_len);
			break;
		case VICI_NODE_LIST:
			vici_list_begin(m, n->name);
			for (const struct vici_node *i = n->children; i; i = i->next) {
				CHECK(!i->name && i->type == VICI_NODE_VALUE);
				vici_list_item(m, "%s", i->value);
			}
			vici_list_end(m);
			break;
		}
	}
}

static void accessors(const struct vici_node *sec)
{
	size_t count = vici_count(sec), seen = 0;

	for (const struct vici_node *n = sec->children; n; n = n->next) {
		seen++;
		if (n->name)
			CHECK(vici_child(sec, n->name) != NULL);
		if (n->type != VICI_NODE_VALUE)
			accessors(n);
	}
	CHECK(seen == count);
	vici_str(sec, "success");
	if (vici_check_success(sec, "fuzz") < 0)
		CHECK(err_msg()[0]);
}

static void decode_one(const uint8_t *buf, size_t len)
{
	struct vici_node *root = vici_decode(buf, len);
	struct vici_msg *m;
	const uint8_t *out;
	size_t out_len;

	if (!root) {
		CHECK(strstr(err_msg(), "malformed vici message"));
		return;
	}
	CHECK(root->type == VICI_NODE_SECTION && !root->name);
	accessors(root);
	if (!has_nul_item(root->children)) {
		m = vici_msg_new();
		rebuild(m, root->children);
		CHECK(vici_msg_bytes(m, &out, &out_len) == 0);
		CHECK(out_len == len && (!len || !memcmp(out, buf, len)));
		vici_msg_free(m);
	}
	vici_node_free(root);
}

static void packet_one(const uint8_t *buf, size_t len)
{
	struct vici_packet p;
	uint8_t *seg;
	size_t seg_len;

	if (vici_packet_parse(buf, len, &p) < 0)
		return;
	CHECK(p.type <= VICI_EVENT);
	CHECK(p.msg >= buf && p.msg + p.msg_len == buf + len);
	CHECK(strlen(p.name) < sizeof(p.name));
	CHECK(vici_packet_encode(
		      p.type,
		      p.name[0] || p.type == VICI_CMD_REQUEST || p.type == VICI_EVENT_REGISTER ||
				      p.type == VICI_EVENT_UNREGISTER || p.type == VICI_EVENT
			      ? p.name
			      : NULL,
		      p.msg, p.msg_len, &seg, &seg_len) == 0);
	CHECK(seg_len == len + 4 && !memcmp(seg + 4, buf, len));
	free(seg);
	decode_one(p.msg, p.msg_len);
}

/* The builder program: one op byte, then the op's arguments, each a
 * length byte and that many bytes. */
struct prog {
	const uint8_t *p, *end;
};

static size_t arg(struct prog *pr, char *buf, size_t max, bool cstr)
{
	size_t n;

	if (pr->p >= pr->end) {
		buf[0] = '\0';
		return 0;
	}
	n = *pr->p++;
	if (n > max - 1)
		n = max - 1;
	if (n > (size_t)(pr->end - pr->p))
		n = (size_t)(pr->end - pr->p);
	memcpy(buf, pr->p, n);
	pr->p += n;
	buf[n] = '\0';
	if (cstr)
		n = strlen(buf);
	return n;
}

static void build_one(const uint8_t *data, size_t size)
{
	struct prog pr = { data, data + size };
	struct vici_msg *m = vici_msg_new();
	struct vici_node *root;
	const uint8_t *out;
	size_t out_len;
	char name[300], val[300];
	int depth = 0, ops = 0;
	bool in_list = false, misuse = false;

	while (pr.p < pr.end && ops++ < 4096) {
		uint8_t op = *pr.p++;
		size_t vlen;

		switch (op % 8) {
		case 0:
			misuse |= arg(&pr, name, sizeof(name), true) > 255;
			misuse |= in_list || depth == VICI_DEPTH_MAX;
			vici_section_begin(m, name);
			depth += !in_list && depth < VICI_DEPTH_MAX;
			break;
		case 1:
			misuse |= in_list || depth == 0;
			vici_section_end(m);
			depth -= !in_list && depth > 0;
			break;
		case 2:
			misuse |= arg(&pr, name, sizeof(name), true) > 255;
			vlen = arg(&pr, val, sizeof(val), false);
			misuse |= in_list;
			vici_kv_raw(m, name, val, vlen);
			break;
		case 3:
			misuse |= arg(&pr, name, sizeof(name), true) > 255;
			vici_kv(m, name, "%s=%u", name, (unsigned)op);
			misuse |= in_list;
			break;
		case 4:
			misuse |= arg(&pr, name, sizeof(name), true) > 255;
			misuse |= in_list;
			vici_list_begin(m, name);
			in_list = true;
			break;
		case 5:
			arg(&pr, val, sizeof(val), true);
			misuse |= !in_list;
			vici_list_item(m, "%s", val);
			break;
		case 6:
			misuse |= !in_list;
			vici_list_end(m);
			in_list = false;
			break;
		default:
			/* A name the wire cannot carry. */
			memset(name, 'n', 256);
			name[256] = '\0';
			misuse = true;
			vici_kv(m, name, "x");
			break;
		}
	}
	if (vici_msg_bytes(m, &out, &out_len) < 0) {
		CHECK(strstr(err_msg(), "building vici message"));
	} else {
		CHECK(!misuse && !in_list && depth == 0);
		root = vici_decode(out, out_len);
		CHECK(root != NULL);
		vici_node_free(root);
		decode_one(out, out_len);
	}
	vici_msg_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_one(data, size);
	packet_one(data, size);
	build_one(data, size);
	err_clear();
	return 0;
}

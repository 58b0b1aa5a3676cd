/*
 * test_vici.c - the VICI client against hand-built bytes and a mock charon.
 *
 * Byte sequences come from the protocol description in strongSwan's vici
 * README, not from our encoder, so encoder and decoder cannot agree on a
 * shared mistake. The mock charon is a thread serving a unix socket in a
 * temporary directory; it records what it did not like in m->fail.
 */
#include "charon/vici.h"
#include "base/err.h"
#include "base/util.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define ck_assert_err_has(needle) \
	ck_assert_msg(strstr(err_msg(), (needle)), "error '%s' lacks '%s'", err_msg(), (needle))

static long elapsed_ms(int64_t since)
{
	return (long)((mono_ns() - since) / 1000000);
}

/* The README's encoding example, verbatim. */
static const char readme_msg[] = {
	/* key1 = value1 */
	3,
	4,
	'k',
	'e',
	'y',
	'1',
	0,
	6,
	'v',
	'a',
	'l',
	'u',
	'e',
	'1',
	/* section1 */
	1,
	8,
	's',
	'e',
	'c',
	't',
	'i',
	'o',
	'n',
	'1',
	/* sub-section */
	1,
	11,
	's',
	'u',
	'b',
	'-',
	's',
	'e',
	'c',
	't',
	'i',
	'o',
	'n',
	/* key2 = value2 */
	3,
	4,
	'k',
	'e',
	'y',
	'2',
	0,
	6,
	'v',
	'a',
	'l',
	'u',
	'e',
	'2',
	/* sub-section end */
	2,
	/* list1 */
	4,
	5,
	'l',
	'i',
	's',
	't',
	'1',
	/* item1 */
	5,
	0,
	5,
	'i',
	't',
	'e',
	'm',
	'1',
	/* item2 */
	5,
	0,
	5,
	'i',
	't',
	'e',
	'm',
	'2',
	/* list1 end */
	6,
	/* section1 end */
	2,
};

#define README ((const uint8_t *)readme_msg)

static void check_readme_tree(const struct vici_node *root)
{
	const struct vici_node *sec, *sub, *list;

	ck_assert_ptr_nonnull(root);
	ck_assert_int_eq(root->type, VICI_NODE_SECTION);
	ck_assert_ptr_null(root->name);
	ck_assert_uint_eq(vici_count(root), 2);
	ck_assert_str_eq(vici_str(root, "key1"), "value1");
	ck_assert_uint_eq(vici_child(root, "key1")->value_len, 6);
	sec = vici_child(root, "section1");
	ck_assert_ptr_nonnull(sec);
	ck_assert_int_eq(sec->type, VICI_NODE_SECTION);
	ck_assert_uint_eq(vici_count(sec), 2);
	sub = vici_child(sec, "sub-section");
	ck_assert_ptr_nonnull(sub);
	ck_assert_uint_eq(vici_count(sub), 1);
	ck_assert_str_eq(vici_str(sub, "key2"), "value2");
	list = vici_child(sec, "list1");
	ck_assert_ptr_nonnull(list);
	ck_assert_int_eq(list->type, VICI_NODE_LIST);
	ck_assert_uint_eq(vici_count(list), 2);
	ck_assert_ptr_null(list->children->name);
	ck_assert_str_eq(list->children->value, "item1");
	ck_assert_str_eq(list->children->next->value, "item2");
	ck_assert_ptr_null(list->children->next->next);
	/* Sections and lists are not values. */
	ck_assert_ptr_null(vici_str(root, "section1"));
	ck_assert_ptr_null(vici_str(sec, "list1"));
}

/* ---- decoder --------------------------------------------------------- */

START_TEST(decode_readme_example)
{
	struct vici_node *root = vici_decode(README, sizeof(readme_msg));

	ck_assert_uint_eq(sizeof(readme_msg), 77);
	check_readme_tree(root);
	vici_node_free(root);
}
END_TEST

START_TEST(decode_empty)
{
	struct vici_node *root = vici_decode(NULL, 0);

	ck_assert_ptr_nonnull(root);
	ck_assert_int_eq(root->type, VICI_NODE_SECTION);
	ck_assert_uint_eq(vici_count(root), 0);
	ck_assert_ptr_null(vici_child(root, "x"));
	vici_node_free(root);
}
END_TEST

START_TEST(decode_binary_value)
{
	static const uint8_t msg[] = {
		3, 3, 'b', 'i', 'n', 0, 5, 'a', 0, 'b', 0, 'c',
		4, 1, 'l', 5,   0,   0, 5, 0,   2, 0,   0, 6,
	};
	struct vici_node *root = vici_decode(msg, sizeof(msg));
	const struct vici_node *bin, *l;

	ck_assert_ptr_nonnull(root);
	bin = vici_child(root, "bin");
	ck_assert_uint_eq(bin->value_len, 5);
	ck_assert_int_eq(memcmp(bin->value, "a\0b\0c", 6), 0);
	l = vici_child(root, "l");
	ck_assert_uint_eq(vici_count(l), 2);
	ck_assert_uint_eq(l->children->value_len, 0);
	ck_assert_str_eq(l->children->value, "");
	ck_assert_uint_eq(l->children->next->value_len, 2);
	ck_assert_int_eq(l->children->next->value[2], '\0');
	vici_node_free(root);
}
END_TEST

struct bad_msg {
	const char *what;
	uint8_t bytes[16];
	size_t len;
	const char *err;
};

static const struct bad_msg bad_msgs[] = {
	{ "type 0", { 0 }, 1, "at byte offset 0: unknown element type 0" },
	{ "type 7", { 7 }, 1, "unknown element type 7" },
	{ "type 255", { 255 }, 1, "unknown element type 255" },
	{ "garbage after valid",
	  { 3, 1, 'k', 0, 0, 9 },
	  6,
	  "at byte offset 5: unknown element type 9" },
	{ "no name length", { 3 }, 1, "name length truncated" },
	{ "short name",
	  { 3, 4, 'k', 'e' },
	  4,
	  "name truncated at byte offset 2 (4 bytes announced, 2 left)" },
	{ "no value length", { 3, 1, 'k', 0 }, 4, "value length truncated" },
	{ "short value",
	  { 3, 1, 'k', 0, 5, 'a', 'b' },
	  7,
	  "value truncated at byte offset 5 (5 bytes announced, 2 left)" },
	{ "short item", { 4, 1, 'l', 5, 0, 3, 'a' }, 7, "at byte offset 3: value truncated" },
	{ "NUL in name", { 3, 2, 'a', 0, 0, 0 }, 6, "name contains a NUL byte" },
	{ "end at top", { 2 }, 1, "SECTION_END without an open section" },
	{ "end after kv",
	  { 3, 1, 'k', 0, 0, 2 },
	  6,
	  "at byte offset 5: SECTION_END without an open section" },
	{ "unclosed section",
	  { 1, 1, 's', 1, 1, 't', 2 },
	  7,
	  "at byte offset 7: section 's' not closed" },
	{ "unclosed list", { 4, 1, 'l', 5, 0, 0 }, 6, "list 'l' not closed" },
	{ "item outside list", { 5, 0, 1, 'x' }, 4, "LIST_ITEM outside a list" },
	{ "list end outside list", { 6 }, 1, "LIST_END without an open list" },
	{ "kv in list",
	  { 4, 1, 'l', 3, 1, 'k', 0, 0, 6 },
	  9,
	  "at byte offset 3: KEY_VALUE inside list 'l'" },
	{ "section in list", { 4, 1, 'l', 1, 1, 's', 2, 6 }, 8, "SECTION_START inside list 'l'" },
	{ "section end in list", { 1, 1, 's', 4, 1, 'l', 2 }, 7, "SECTION_END inside list 'l'" },
	{ "nested list", { 4, 1, 'l', 4, 1, 'm', 6, 6 }, 8, "nested LIST_START inside list 'l'" },
	{ "unknown type in list", { 4, 1, 'l', 9 }, 4, "unknown element type 9" },
};

START_TEST(decode_rejects)
{
	const struct bad_msg *b = &bad_msgs[_i];

	err_clear();
	ck_assert_msg(!vici_decode(b->bytes, b->len), "%s: accepted", b->what);
	ck_assert_msg(strstr(err_msg(), b->err), "%s: error '%s' lacks '%s'", b->what, err_msg(),
		      b->err);
	ck_assert_msg(!strncmp(err_msg(), "malformed vici message at byte offset ", 38), "%s: '%s'",
		      b->what, err_msg());
}
END_TEST

/* A cut is a valid message exactly where it ends on an element boundary
 * at the top level: nothing, after "key1 = value1", and the whole. */
START_TEST(decode_every_cut)
{
	for (size_t cut = 0; cut <= sizeof(readme_msg); cut++) {
		uint8_t *copy = xmalloc(cut);
		struct vici_node *root;

		/* A private copy of exactly cut bytes lets ASan catch overreads. */
		memcpy(copy, README, cut);
		root = vici_decode(copy, cut);
		if (cut == 0 || cut == 14 || cut == sizeof(readme_msg)) {
			ck_assert_msg(root, "cut %zu rejected: %s", cut, err_msg());
			ck_assert_uint_eq(vici_count(root), cut == 0 ? 0 : cut == 14 ? 1 : 2);
		} else {
			ck_assert_msg(!root, "cut %zu accepted", cut);
			ck_assert_str_ne(err_msg(), "unknown error");
		}
		vici_node_free(root);
		free(copy);
	}
}
END_TEST

static uint8_t *nested(size_t depth, size_t *len)
{
	uint8_t *p = xmalloc(depth * 4);

	for (size_t i = 0; i < depth; i++) {
		p[i * 3] = VICI_SECTION_START;
		p[i * 3 + 1] = 1;
		p[i * 3 + 2] = 's';
	}
	memset(p + depth * 3, VICI_SECTION_END, depth);
	*len = depth * 4;
	return p;
}

START_TEST(decode_depth_limit)
{
	const struct vici_node *n;
	struct vici_node *root;
	uint8_t *buf;
	size_t len, depth = 0;

	buf = nested(VICI_DEPTH_MAX, &len);
	root = vici_decode(buf, len);
	ck_assert_msg(root, "%s", err_msg());
	for (n = root; vici_count(n); n = n->children)
		depth++;
	ck_assert_uint_eq(depth, VICI_DEPTH_MAX);
	vici_node_free(root);
	free(buf);

	buf = nested(VICI_DEPTH_MAX + 1, &len);
	ck_assert_ptr_null(vici_decode(buf, len));
	ck_assert_err_has("at byte offset 192: sections nested deeper than 64 levels");
	free(buf);
}
END_TEST

START_TEST(decode_hostile_nesting)
{
	size_t len;
	uint8_t *buf = nested(100000, &len);

	ck_assert_ptr_null(vici_decode(buf, len));
	ck_assert_err_has("nested deeper than 64");
	free(buf);
}
END_TEST

START_TEST(accessors)
{
	struct vici_node *root = vici_decode(README, sizeof(readme_msg));
	const struct vici_node *list = vici_child(vici_child(root, "section1"), "list1");

	ck_assert_ptr_null(vici_child(NULL, "x"));
	ck_assert_ptr_null(vici_str(NULL, "x"));
	ck_assert_uint_eq(vici_count(NULL), 0);
	ck_assert_uint_eq(vici_count(vici_child(root, "key1")), 0);
	/* List items have no names to find. */
	ck_assert_ptr_null(vici_child(list, "item1"));
	ck_assert_ptr_null(vici_child(root, "key2"));
	vici_node_free(root);
}
END_TEST

START_TEST(check_success)
{
	static const uint8_t yes[] = {
		3, 7, 's', 'u', 'c', 'c', 'e', 's', 's', 0, 3, 'y', 'e', 's'
	};
	static const uint8_t no[] = {
		3, 7,   's', 'u', 'c', 'c', 'e', 's', 's', 0,   2,   'n', 'o', 3,
		6, 'e', 'r', 'r', 'm', 's', 'g', 0,   4,   'b', 'u', 's', 'y',
	};
	struct vici_node *n;

	n = vici_decode(yes, sizeof(yes));
	ck_assert_int_eq(vici_check_success(n, "load-conn"), 0);
	vici_node_free(n);

	n = vici_decode(no, sizeof(no));
	ck_assert_int_eq(vici_check_success(n, "load-conn"), -1);
	ck_assert_str_eq(err_msg(), "load-conn failed: busy");
	vici_node_free(n);

	n = vici_decode(NULL, 0);
	ck_assert_int_eq(vici_check_success(n, "initiate"), -1);
	ck_assert_str_eq(err_msg(), "initiate failed: charon gave no errmsg (success = missing)");
	vici_node_free(n);
}
END_TEST

/* ---- builder --------------------------------------------------------- */

static void build_readme(struct vici_msg *m)
{
	vici_kv(m, "key1", "value%d", 1);
	vici_section_begin(m, "section1");
	vici_section_begin(m, "sub-section");
	vici_kv(m, "key2", "%s", "value2");
	vici_section_end(m);
	vici_list_begin(m, "list1");
	vici_list_item(m, "item%d", 1);
	vici_list_item(m, "%s", "item2");
	vici_list_end(m);
	vici_section_end(m);
}

START_TEST(build_readme_example)
{
	struct vici_msg *m = vici_msg_new();
	const uint8_t *buf;
	size_t len;

	build_readme(m);
	ck_assert_int_eq(vici_msg_bytes(m, &buf, &len), 0);
	ck_assert_uint_eq(len, sizeof(readme_msg));
	ck_assert_mem_eq(buf, README, len);
	vici_msg_free(m);
}
END_TEST

START_TEST(build_empty)
{
	struct vici_msg *m = vici_msg_new();
	const uint8_t *buf = NULL;
	size_t len = 99;

	ck_assert_int_eq(vici_msg_bytes(m, &buf, &len), 0);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(len, 0);
	vici_msg_free(m);
}
END_TEST

START_TEST(round_trip)
{
	struct vici_msg *m = vici_msg_new();
	const struct vici_node *outer, *inner, *items;
	struct vici_node *root;
	const uint8_t *buf;
	size_t len;

	vici_kv(m, "num", "%d", 42);
	vici_kv(m, "empty", "%s", "");
	vici_kv_raw(m, "bin", "a\0b", 3);
	vici_section_begin(m, "outer");
	vici_section_begin(m, "inner");
	vici_list_begin(m, "none");
	vici_list_end(m);
	vici_list_begin(m, "items");
	vici_list_item(m, "%s-%d", "x", 1);
	vici_list_item(m, "y");
	vici_list_end(m);
	vici_section_end(m);
	vici_kv(m, "after", "inner");
	vici_section_end(m);
	ck_assert_int_eq(vici_msg_bytes(m, &buf, &len), 0);
	root = vici_decode(buf, len);
	ck_assert_msg(root, "%s", err_msg());

	ck_assert_uint_eq(vici_count(root), 4);
	ck_assert_str_eq(vici_str(root, "num"), "42");
	ck_assert_uint_eq(vici_child(root, "empty")->value_len, 0);
	ck_assert_uint_eq(vici_child(root, "bin")->value_len, 3);
	ck_assert_mem_eq(vici_child(root, "bin")->value, "a\0b", 4);
	outer = vici_child(root, "outer");
	ck_assert_uint_eq(vici_count(outer), 2);
	ck_assert_str_eq(outer->children->name, "inner");
	ck_assert_str_eq(vici_str(outer, "after"), "inner");
	inner = vici_child(outer, "inner");
	ck_assert_int_eq(vici_child(inner, "none")->type, VICI_NODE_LIST);
	ck_assert_uint_eq(vici_count(vici_child(inner, "none")), 0);
	items = vici_child(inner, "items");
	ck_assert_uint_eq(vici_count(items), 2);
	ck_assert_str_eq(items->children->value, "x-1");
	ck_assert_str_eq(items->children->next->value, "y");
	vici_node_free(root);
	vici_msg_free(m);
}
END_TEST

START_TEST(build_limits)
{
	char name[257], *val = xmalloc(65536);
	struct vici_msg *m = vici_msg_new();
	const uint8_t *buf;
	size_t len;
	struct vici_node *root;

	memset(name, 'n', 255);
	name[255] = '\0';
	memset(val, 'v', 65536);
	vici_kv_raw(m, name, val, 65535);
	ck_assert_int_eq(vici_msg_bytes(m, &buf, &len), 0);
	ck_assert_uint_eq(len, 1 + 1 + 255 + 2 + 65535);
	ck_assert_uint_eq(buf[1], 255);
	ck_assert_uint_eq(buf[257], 0xff);
	ck_assert_uint_eq(buf[258], 0xff);
	root = vici_decode(buf, len);
	ck_assert_uint_eq(vici_child(root, name)->value_len, 65535);
	vici_node_free(root);
	vici_msg_free(m);

	m = vici_msg_new();
	name[255] = 'n';
	name[256] = '\0';
	vici_section_begin(m, name);
	ck_assert_int_eq(vici_msg_bytes(m, &buf, &len), -1);
	ck_assert_err_has(
		"section name 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...' is 256 bytes, at most 255");
	vici_msg_free(m);

	m = vici_msg_new();
	vici_kv_raw(m, "k", val, 65536);
	ck_assert_int_eq(vici_msg_bytes(m, &buf, &len), -1);
	ck_assert_err_has("value of key 'k' is 65536 bytes, at most 65535");
	vici_msg_free(m);

	m = vici_msg_new();
	vici_list_begin(m, "l");
	vici_list_item(m, "%65536s", "");
	vici_list_end(m);
	ck_assert_int_eq(vici_msg_bytes(m, &buf, &len), -1);
	ck_assert_err_has("item of list 'l' is 65536 bytes, at most 65535");
	vici_msg_free(m);
	free(val);
}
END_TEST

START_TEST(build_too_large)
{
	struct vici_msg *m = vici_msg_new();
	char *val = xcalloc(1, 65535);
	const uint8_t *buf;
	size_t len;

	for (int i = 0; i < 9; i++)
		vici_kv_raw(m, "k", val, 65535);
	ck_assert_int_eq(vici_msg_bytes(m, &buf, &len), -1);
	ck_assert_err_has("message larger than a segment (524288 bytes) may carry");
	vici_msg_free(m);
	free(val);
}
END_TEST

START_TEST(build_depth_limit)
{
	struct vici_msg *m = vici_msg_new();
	const uint8_t *buf;
	size_t len;

	for (int i = 0; i < VICI_DEPTH_MAX; i++)
		vici_section_begin(m, "s");
	for (int i = 0; i < VICI_DEPTH_MAX; i++)
		vici_section_end(m);
	ck_assert_int_eq(vici_msg_bytes(m, &buf, &len), 0);
	ck_assert_uint_eq(len, VICI_DEPTH_MAX * 4);
	for (int i = 0; i <= VICI_DEPTH_MAX; i++)
		vici_section_begin(m, "s");
	ck_assert_int_eq(vici_msg_bytes(m, &buf, &len), -1);
	ck_assert_err_has("section 's' nested deeper than 64 levels");
	vici_msg_free(m);
}
END_TEST

struct misuse {
	void (*build)(struct vici_msg *m);
	const char *err;
};

static void mis_end(struct vici_msg *m)
{
	vici_section_end(m);
}
static void mis_item(struct vici_msg *m)
{
	vici_list_item(m, "x");
}
static void mis_list_end(struct vici_msg *m)
{
	vici_list_end(m);
}
static void mis_kv_null(struct vici_msg *m)
{
	vici_kv(m, NULL, "x");
}
static void mis_unclosed_list(struct vici_msg *m)
{
	vici_list_begin(m, "l");
}

static void mis_kv_in_list(struct vici_msg *m)
{
	vici_list_begin(m, "l");
	vici_kv(m, "k", "v");
	vici_list_end(m);
}

static void mis_section_in_list(struct vici_msg *m)
{
	vici_list_begin(m, "l");
	vici_section_begin(m, "s");
}

static void mis_nested_list(struct vici_msg *m)
{
	vici_list_begin(m, "l");
	vici_list_begin(m, "m");
}

static void mis_end_in_list(struct vici_msg *m)
{
	vici_section_begin(m, "s");
	vici_list_begin(m, "l");
	vici_section_end(m);
}

static void mis_unclosed_section(struct vici_msg *m)
{
	vici_section_begin(m, "outer");
	vici_section_begin(m, "inner");
	vici_kv(m, "k", "v");
}

/* The first mistake is reported; whatever follows does nothing. */
static void mis_first_wins(struct vici_msg *m)
{
	vici_kv(m, "ok", "1");
	vici_section_end(m);
	vici_list_item(m, "x");
	vici_section_begin(m, "s");
	vici_section_end(m);
	vici_list_end(m);
}

static const struct misuse misuses[] = {
	{ mis_end, "section end without an open section" },
	{ mis_item, "list item outside a list" },
	{ mis_list_end, "list end without an open list" },
	{ mis_kv_null, "key without a name" },
	{ mis_unclosed_list, "list 'l' not closed" },
	{ mis_kv_in_list, "key 'k' inside list 'l'" },
	{ mis_section_in_list, "section 's' inside list 'l'" },
	{ mis_nested_list, "list 'm' inside list 'l'" },
	{ mis_end_in_list, "section end inside list 'l'" },
	{ mis_unclosed_section, "section 'inner' not closed" },
	{ mis_first_wins, "section end without an open section" },
};

START_TEST(build_misuse)
{
	struct vici_msg *m = vici_msg_new();
	const uint8_t *buf;
	size_t len;
	char want[256];

	misuses[_i].build(m);
	ck_assert_int_eq(vici_msg_bytes(m, &buf, &len), -1);
	snprintf(want, sizeof(want), "building vici message: %s", misuses[_i].err);
	ck_assert_str_eq(err_msg(), want);
	vici_msg_free(m);
}
END_TEST

/* ---- packets --------------------------------------------------------- */

struct packet_case {
	uint8_t bytes[16];
	size_t len;
	const char *name;
	size_t msg_off, msg_len;
};

static const struct packet_case packets[] = {
	[VICI_CMD_REQUEST] = { { 0, 7, 'v', 'e', 'r', 's', 'i', 'o', 'n' }, 9, "version", 9, 0 },
	[VICI_CMD_RESPONSE] = { { 1, 3, 1, 'a', 0, 1, 'b' }, 7, "", 1, 6 },
	[VICI_CMD_UNKNOWN] = { { 2 }, 1, "", 1, 0 },
	[VICI_EVENT_REGISTER] = { { 3, 3, 'l', 'o', 'g' }, 5, "log", 5, 0 },
	[VICI_EVENT_UNREGISTER] = { { 4, 3, 'l', 'o', 'g' }, 5, "log", 5, 0 },
	[VICI_EVENT_CONFIRM] = { { 5 }, 1, "", 1, 0 },
	[VICI_EVENT_UNKNOWN] = { { 6 }, 1, "", 1, 0 },
	[VICI_EVENT] = { { 7, 3, 'l', 'o', 'g', 3, 1, 'm', 0, 2, 'h', 'i' }, 12, "log", 5, 7 },
};

START_TEST(packet_parse_each_type)
{
	const struct packet_case *pc = &packets[_i];
	struct vici_packet p;

	ck_assert_int_eq(vici_packet_parse(pc->bytes, pc->len, &p), 0);
	ck_assert_uint_eq(p.type, (unsigned)_i);
	ck_assert_str_eq(p.name, pc->name);
	ck_assert_ptr_eq(p.msg, pc->bytes + pc->msg_off);
	ck_assert_uint_eq(p.msg_len, pc->msg_len);
}
END_TEST

START_TEST(packet_encode_each_type)
{
	const struct packet_case *pc = &packets[_i];
	const char *name = pc->name[0] ? pc->name : NULL;
	uint8_t *out;
	size_t len;

	ck_assert_int_eq(vici_packet_encode((uint8_t)_i, name, pc->bytes + pc->msg_off, pc->msg_len,
					    &out, &len),
			 0);
	ck_assert_uint_eq(len, 4 + pc->len);
	ck_assert_uint_eq(out[0], 0);
	ck_assert_uint_eq(out[1], 0);
	ck_assert_uint_eq(out[2], 0);
	ck_assert_uint_eq(out[3], pc->len);
	ck_assert_mem_eq(out + 4, pc->bytes, pc->len);
	free(out);
}
END_TEST

START_TEST(packet_parse_rejects)
{
	static const uint8_t unknown[] = { 8 }, nolen[] = { 0 };
	static const uint8_t shortname[] = { 7, 5, 'a', 'b' }, nul[] = { 3, 2, 'a', 0 };
	uint8_t *big = xcalloc(1, VICI_SEGMENT_MAX + 1);
	struct vici_packet p;

	ck_assert_int_eq(vici_packet_parse(unknown, 0, &p), -1);
	ck_assert_str_eq(err_msg(), "empty vici packet");
	ck_assert_int_eq(vici_packet_parse(unknown, 1, &p), -1);
	ck_assert_str_eq(err_msg(), "unknown vici packet type 8");
	ck_assert_int_eq(vici_packet_parse(nolen, 1, &p), -1);
	ck_assert_str_eq(err_msg(), "CMD_REQUEST packet truncated before its name length");
	ck_assert_int_eq(vici_packet_parse(shortname, sizeof(shortname), &p), -1);
	ck_assert_str_eq(
		err_msg(),
		"EVENT packet name truncated at byte offset 2 (5 bytes announced, 2 left)");
	ck_assert_int_eq(vici_packet_parse(nul, sizeof(nul), &p), -1);
	ck_assert_str_eq(err_msg(), "EVENT_REGISTER packet name contains a NUL byte");
	big[0] = VICI_CMD_RESPONSE;
	ck_assert_int_eq(vici_packet_parse(big, VICI_SEGMENT_MAX, &p), 0);
	ck_assert_uint_eq(p.msg_len, VICI_SEGMENT_MAX - 1);
	ck_assert_int_eq(vici_packet_parse(big, VICI_SEGMENT_MAX + 1, &p), -1);
	ck_assert_err_has("524289 bytes exceeds VICI_SEGMENT_MAX (524288)");
	free(big);
}
END_TEST

START_TEST(packet_encode_rejects)
{
	uint8_t *big = xcalloc(1, VICI_SEGMENT_MAX), *out = NULL;
	char name[257];
	size_t len;

	ck_assert_int_eq(vici_packet_encode(9, NULL, NULL, 0, &out, &len), -1);
	ck_assert_str_eq(err_msg(), "unknown vici packet type 9");
	ck_assert_int_eq(vici_packet_encode(VICI_EVENT, NULL, NULL, 0, &out, &len), -1);
	ck_assert_str_eq(err_msg(), "EVENT packet needs a name");
	ck_assert_int_eq(vici_packet_encode(VICI_CMD_RESPONSE, "x", NULL, 0, &out, &len), -1);
	ck_assert_str_eq(err_msg(), "CMD_RESPONSE packet takes no name (got 'x')");
	memset(name, 'a', 256);
	name[256] = '\0';
	ck_assert_int_eq(vici_packet_encode(VICI_CMD_REQUEST, name, NULL, 0, &out, &len), -1);
	ck_assert_err_has("is 256 bytes, at most 255");
	ck_assert_int_eq(
		vici_packet_encode(VICI_CMD_RESPONSE, NULL, big, VICI_SEGMENT_MAX, &out, &len), -1);
	ck_assert_err_has("CMD_RESPONSE packet of 524289 bytes exceeds VICI_SEGMENT_MAX");
	ck_assert_ptr_null(out);
	ck_assert_int_eq(
		vici_packet_encode(VICI_CMD_RESPONSE, NULL, big, VICI_SEGMENT_MAX - 1, &out, &len),
		0);
	ck_assert_uint_eq(len, 4 + VICI_SEGMENT_MAX);
	ck_assert_uint_eq(out[1], 0x08);
	free(out);
	free(big);
}
END_TEST

/* ---- mock charon ----------------------------------------------------- */

#define MOCK_WAIT_MS 3000

struct mock;
typedef void (*script_fn)(struct mock *m, int fd);

struct mock {
	char dir[64];
	char path[108];
	int lfd;
	int delay_ms; /* listen only after this long */
	script_fn script;
	pthread_t thread;
	char fail[512]; /* what the mock did not like */
};

static void mock_fail(struct mock *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void mock_fail(struct mock *m, const char *fmt, ...)
{
	va_list ap;

	if (m->fail[0])
		return;
	va_start(ap, fmt);
	vsnprintf(m->fail, sizeof(m->fail), fmt, ap);
	va_end(ap);
}

static int listen_at(const char *path, bool do_listen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (do_listen && listen(fd, 4) < 0)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static bool srv_ready(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, MOCK_WAIT_MS) == 1;
}

static int srv_read(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n;

		if (!srv_ready(fd, POLLIN))
			return -1;
		n = read(fd, p, len);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void srv_write(struct mock *m, int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0) {
			mock_fail(m, "write: %s", strerror(errno));
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

/* Reads one packet and checks its type and name; returns its message. */
static struct vici_node *srv_expect(struct mock *m, int fd, uint8_t type, const char *name)
{
	struct vici_node *msg = NULL;
	struct vici_packet p;
	uint8_t hdr[4], *seg;
	uint32_t len;

	if (m->fail[0])
		return NULL;
	if (srv_read(fd, hdr, 4) < 0) {
		mock_fail(m, "expected packet type %u '%s', got nothing", type, name);
		return NULL;
	}
	len = (uint32_t)hdr[0] << 24 | hdr[1] << 16 | hdr[2] << 8 | hdr[3];
	if (len == 0 || len > VICI_SEGMENT_MAX) {
		mock_fail(m, "segment length %u", len);
		return NULL;
	}
	seg = xmalloc(len);
	if (srv_read(fd, seg, len) < 0)
		mock_fail(m, "short segment");
	else if (vici_packet_parse(seg, len, &p) < 0)
		mock_fail(m, "parse: %s", err_msg());
	else if (p.type != type || strcmp(p.name, name))
		mock_fail(m, "expected type %u '%s', got type %u '%s'", type, name, p.type, p.name);
	else if (!(msg = vici_decode(p.msg, p.msg_len)))
		mock_fail(m, "decode: %s", err_msg());
	free(seg);
	return msg;
}

static void srv_expect_only(struct mock *m, int fd, uint8_t type, const char *name)
{
	vici_node_free(srv_expect(m, fd, type, name));
}

/* Sends a packet, in two writes with a pause between when split. */
static void srv_send_split(struct mock *m, int fd, uint8_t type, const char *name,
			   struct vici_msg *msg, bool split)
{
	const uint8_t *body = NULL;
	size_t body_len = 0, len;
	uint8_t *seg;

	if (msg && vici_msg_bytes(msg, &body, &body_len) < 0) {
		mock_fail(m, "build: %s", err_msg());
		return;
	}
	if (vici_packet_encode(type, name, body, body_len, &seg, &len) < 0) {
		mock_fail(m, "encode: %s", err_msg());
		return;
	}
	if (split) {
		srv_write(m, fd, seg, 5);
		sleep_ms(10);
		srv_write(m, fd, seg + 5, len - 5);
	} else {
		srv_write(m, fd, seg, len);
	}
	free(seg);
	vici_msg_free(msg);
}

static void srv_send(struct mock *m, int fd, uint8_t type, const char *name, struct vici_msg *msg)
{
	srv_send_split(m, fd, type, name, msg, false);
}

static struct vici_msg *kv_msg(const char *key, const char *val)
{
	struct vici_msg *msg = vici_msg_new();

	vici_kv(msg, key, "%s", val);
	return msg;
}

/* Keeps the connection open until the client hangs up. */
static void srv_wait_close(struct mock *m, int fd)
{
	char buf[64];

	while (srv_ready(fd, POLLIN))
		if (read(fd, buf, sizeof(buf)) <= 0)
			return;
	mock_fail(m, "client did not hang up");
}

static void *mock_main(void *arg)
{
	struct mock *m = arg;
	int fd;

	if (m->delay_ms) {
		sleep_ms(m->delay_ms);
		m->lfd = listen_at(m->path, true);
	}
	if (m->lfd < 0 || !srv_ready(m->lfd, POLLIN)) {
		mock_fail(m, "no client connected");
		return NULL;
	}
	fd = accept4(m->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		mock_fail(m, "accept: %s", strerror(errno));
		return NULL;
	}
	m->script(m, fd);
	close(fd);
	return NULL;
}

static void mock_dir(struct mock *m)
{
	memset(m, 0, sizeof(*m));
	m->lfd = -1;
	snprintf(m->dir, sizeof(m->dir), "/tmp/vici-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(m->dir));
	snprintf(m->path, sizeof(m->path), "%s/charon.vici", m->dir);
}

static void mock_start(struct mock *m, script_fn script, int delay_ms)
{
	mock_dir(m);
	m->script = script;
	m->delay_ms = delay_ms;
	if (!delay_ms) {
		m->lfd = listen_at(m->path, true);
		ck_assert_int_ge(m->lfd, 0);
	}
	ck_assert_int_eq(pthread_create(&m->thread, NULL, mock_main, m), 0);
}

static void mock_cleanup(struct mock *m)
{
	if (m->lfd >= 0)
		close(m->lfd);
	unlink(m->path);
	rmdir(m->dir);
}

static void mock_stop(struct mock *m)
{
	pthread_join(m->thread, NULL);
	mock_cleanup(m);
	ck_assert_msg(!m->fail[0], "mock charon: %s", m->fail);
}

static struct vici_conn *mock_connect(struct mock *m)
{
	struct vici_conn *c = vici_connect(m->path, 1000);

	ck_assert_msg(c, "%s", err_msg());
	return c;
}

/* ---- connections ----------------------------------------------------- */

static void script_cmd_event(struct mock *m, int fd)
{
	struct vici_node *req = srv_expect(m, fd, VICI_CMD_REQUEST, "version");

	if (req && (!vici_str(req, "verbose") || strcmp(vici_str(req, "verbose"), "yes")))
		mock_fail(m, "request lacks verbose = yes");
	vici_node_free(req);
	srv_send(m, fd, VICI_EVENT, "log", kv_msg("msg", "hello"));
	srv_send(m, fd, VICI_EVENT, "ike-updown", kv_msg("up", "yes"));
	srv_send_split(m, fd, VICI_CMD_RESPONSE, NULL, kv_msg("daemon", "charon"), true);
	srv_wait_close(m, fd);
}

START_TEST(cmd_with_interleaved_event)
{
	struct vici_msg *req = vici_msg_new();
	struct vici_node *resp, *msg;
	struct vici_conn *c;
	struct mock m;
	int64_t t0;
	char *name;

	mock_start(&m, script_cmd_event, 0);
	c = mock_connect(&m);
	ck_assert_int_ge(vici_fd(c), 0);
	vici_kv(req, "verbose", "yes");
	ck_assert_msg(vici_cmd(c, "version", req, &resp, 2000) == 0, "%s", err_msg());
	ck_assert_str_eq(vici_str(resp, "daemon"), "charon");
	vici_node_free(resp);

	ck_assert_int_eq(vici_next_event(c, &name, &msg, 0), 1);
	ck_assert_str_eq(name, "log");
	ck_assert_str_eq(vici_str(msg, "msg"), "hello");
	free(name);
	vici_node_free(msg);
	ck_assert_int_eq(vici_next_event(c, &name, &msg, 0), 1);
	ck_assert_str_eq(name, "ike-updown");
	ck_assert_str_eq(vici_str(msg, "up"), "yes");
	free(name);
	vici_node_free(msg);

	t0 = mono_ns();
	ck_assert_int_eq(vici_next_event(c, &name, &msg, 50), 0);
	ck_assert_int_ge(elapsed_ms(t0), 45);
	ck_assert_ptr_null(name);
	ck_assert_ptr_null(msg);
	vici_close(c);
	vici_msg_free(req);
	mock_stop(&m);
}
END_TEST

static void script_stream(struct mock *m, int fd)
{
	srv_expect_only(m, fd, VICI_EVENT_REGISTER, "list-sa");
	srv_send(m, fd, VICI_EVENT_CONFIRM, NULL, NULL);
	srv_expect_only(m, fd, VICI_CMD_REQUEST, "list-sas");
	srv_send(m, fd, VICI_EVENT, "list-sa", kv_msg("ike", "a"));
	srv_send(m, fd, VICI_EVENT, "ike-updown", kv_msg("up", "yes"));
	srv_send(m, fd, VICI_EVENT, "list-sa", kv_msg("ike", "b"));
	srv_send_split(m, fd, VICI_EVENT, "list-sa", kv_msg("ike", "c"), true);
	srv_send(m, fd, VICI_CMD_RESPONSE, NULL, NULL);
	srv_expect_only(m, fd, VICI_EVENT_UNREGISTER, "list-sa");
	srv_send(m, fd, VICI_EVENT_CONFIRM, NULL, NULL);
	srv_wait_close(m, fd);
}

struct collect {
	char seen[64];
	int calls;
	const char *fail_on;
};

static int collect_cb(void *ctx, const char *name, const struct vici_node *msg)
{
	struct collect *col = ctx;
	const char *ike = vici_str(msg, "ike");

	col->calls++;
	if (strcmp(name, "list-sa") || !ike)
		return err_set("unexpected event '%s'", name);
	strcat(col->seen, ike);
	if (col->fail_on && !strcmp(ike, col->fail_on))
		return err_set("bad sa %s", ike);
	return 0;
}

START_TEST(cmd_stream_events_then_response)
{
	struct collect col = { .fail_on = NULL };
	struct vici_node *resp, *msg;
	struct vici_conn *c;
	struct mock m;
	char *name;

	mock_start(&m, script_stream, 0);
	c = mock_connect(&m);
	ck_assert_msg(
		vici_cmd_stream(c, "list-sas", "list-sa", NULL, collect_cb, &col, &resp, 2000) == 0,
		"%s", err_msg());
	ck_assert_ptr_nonnull(resp);
	ck_assert_uint_eq(vici_count(resp), 0);
	ck_assert_str_eq(col.seen, "abc");
	ck_assert_int_eq(col.calls, 3);
	vici_node_free(resp);

	/* The other event waited in the queue. */
	ck_assert_int_eq(vici_next_event(c, &name, &msg, 0), 1);
	ck_assert_str_eq(name, "ike-updown");
	ck_assert_str_eq(vici_str(msg, "up"), "yes");
	free(name);
	vici_node_free(msg);
	ck_assert_int_eq(vici_next_event(c, &name, &msg, 0), 0);
	vici_close(c);
	mock_stop(&m);
}
END_TEST

START_TEST(cmd_stream_callback_failure)
{
	struct collect col = { .fail_on = "b" };
	struct vici_node *resp;
	struct vici_conn *c;
	struct mock m;

	mock_start(&m, script_stream, 0);
	c = mock_connect(&m);
	ck_assert_int_eq(
		vici_cmd_stream(c, "list-sas", "list-sa", NULL, collect_cb, &col, &resp, 2000), -1);
	ck_assert_ptr_null(resp);
	/* Failing did not stop the stream, and the mock saw the unregister. */
	ck_assert_int_eq(col.calls, 3);
	ck_assert_str_eq(col.seen, "abc");
	ck_assert_err_has(m.path);
	ck_assert_err_has("command 'list-sas': handling event 'list-sa': bad sa b");
	vici_close(c);
	mock_stop(&m);
}
END_TEST

static void script_register(struct mock *m, int fd)
{
	srv_expect_only(m, fd, VICI_EVENT_REGISTER, "ike-updown");
	srv_send(m, fd, VICI_EVENT_CONFIRM, NULL, NULL);
	srv_expect_only(m, fd, VICI_EVENT_REGISTER, "nope");
	srv_send(m, fd, VICI_EVENT_UNKNOWN, NULL, NULL);
	srv_expect_only(m, fd, VICI_EVENT_UNREGISTER, "ike-updown");
	srv_send(m, fd, VICI_EVENT, "ike-updown", kv_msg("up", "no"));
	srv_send(m, fd, VICI_EVENT_CONFIRM, NULL, NULL);
	srv_expect_only(m, fd, VICI_CMD_REQUEST, "version");
	srv_send(m, fd, VICI_CMD_RESPONSE, NULL, kv_msg("daemon", "charon"));
	srv_wait_close(m, fd);
}

START_TEST(register_confirm_and_unknown)
{
	struct vici_node *resp, *msg;
	struct vici_conn *c;
	struct mock m;
	char *name;

	mock_start(&m, script_register, 0);
	c = mock_connect(&m);
	ck_assert_msg(vici_register(c, "ike-updown", 1000) == 0, "%s", err_msg());
	ck_assert_int_eq(vici_register(c, "nope", 1000), -1);
	ck_assert_err_has("charon does not know event 'nope'");
	ck_assert_err_has(m.path);
	/* EVENT_UNKNOWN leaves the connection usable. */
	ck_assert_msg(vici_unregister(c, "ike-updown", 1000) == 0, "%s", err_msg());
	ck_assert_msg(vici_cmd(c, "version", NULL, &resp, 1000) == 0, "%s", err_msg());
	ck_assert_str_eq(vici_str(resp, "daemon"), "charon");
	vici_node_free(resp);
	ck_assert_int_eq(vici_next_event(c, &name, &msg, 0), 1);
	ck_assert_str_eq(name, "ike-updown");
	free(name);
	vici_node_free(msg);
	vici_close(c);
	mock_stop(&m);
}
END_TEST

static void script_cmd_unknown(struct mock *m, int fd)
{
	srv_expect_only(m, fd, VICI_CMD_REQUEST, "frobnicate");
	srv_send(m, fd, VICI_CMD_UNKNOWN, NULL, NULL);
	srv_expect_only(m, fd, VICI_CMD_REQUEST, "version");
	srv_send(m, fd, VICI_CMD_RESPONSE, NULL, kv_msg("daemon", "charon"));
	srv_wait_close(m, fd);
}

START_TEST(cmd_unknown)
{
	struct vici_msg *bad = vici_msg_new();
	struct vici_node *resp;
	struct vici_conn *c;
	struct mock m;
	char want[256];

	mock_start(&m, script_cmd_unknown, 0);
	c = mock_connect(&m);
	/* A request that cannot be built is refused before anything is sent. */
	vici_section_end(bad);
	ck_assert_int_eq(vici_cmd(c, "broken", bad, &resp, 1000), -1);
	ck_assert_err_has("command 'broken': building vici message: section end without");
	ck_assert_int_eq(vici_cmd(c, "frobnicate", NULL, &resp, 1000), -1);
	ck_assert_ptr_null(resp);
	snprintf(want, sizeof(want), "vici %s: charon does not know command 'frobnicate'", m.path);
	ck_assert_str_eq(err_msg(), want);
	ck_assert_msg(vici_cmd(c, "version", NULL, &resp, 1000) == 0, "%s", err_msg());
	ck_assert_str_eq(vici_str(resp, "daemon"), "charon");
	vici_node_free(resp);
	vici_close(c);
	vici_msg_free(bad);
	mock_stop(&m);
}
END_TEST

static void script_silent(struct mock *m, int fd)
{
	srv_expect_only(m, fd, VICI_CMD_REQUEST, "version");
	srv_wait_close(m, fd);
}

START_TEST(cmd_timeout)
{
	struct vici_node *resp;
	struct vici_conn *c;
	struct mock m;
	int64_t t0;
	long ms;

	mock_start(&m, script_silent, 0);
	c = mock_connect(&m);
	t0 = mono_ns();
	ck_assert_int_eq(vici_cmd(c, "version", NULL, &resp, 200), -1);
	ms = elapsed_ms(t0);
	ck_assert_int_ge(ms, 195);
	ck_assert_int_le(ms, 600);
	ck_assert_err_has("command 'version': no reply from charon within 200 ms");
	/* A late reply could be taken for the next command's. */
	t0 = mono_ns();
	ck_assert_int_eq(vici_cmd(c, "stats", NULL, &resp, 1000), -1);
	ck_assert_int_le(elapsed_ms(t0), 50);
	ck_assert_err_has(
		"connection unusable after an earlier error: command 'version': no reply");
	vici_close(c);
	mock_stop(&m);
}
END_TEST

static void script_close_mid_segment(struct mock *m, int fd)
{
	static const uint8_t partial[] = { 0, 0, 0, 10, VICI_CMD_RESPONSE, 3, 1 };

	srv_expect_only(m, fd, VICI_CMD_REQUEST, "version");
	srv_write(m, fd, partial, sizeof(partial));
}

START_TEST(closed_mid_segment)
{
	struct vici_node *resp, *msg;
	struct vici_conn *c;
	struct mock m;
	char *name;

	mock_start(&m, script_close_mid_segment, 0);
	c = mock_connect(&m);
	ck_assert_int_eq(vici_cmd(c, "version", NULL, &resp, 2000), -1);
	ck_assert_err_has(
		"command 'version': connection closed by charon after 3 of 10 bytes of a segment");
	ck_assert_err_has(m.path);
	ck_assert_int_eq(vici_next_event(c, &name, &msg, 100), -1);
	ck_assert_err_has("waiting for events: connection unusable");
	vici_close(c);
	mock_stop(&m);
}
END_TEST

static void script_close_in_header(struct mock *m, int fd)
{
	static const uint8_t partial[] = { 0, 0 };

	srv_write(m, fd, partial, sizeof(partial));
}

START_TEST(closed_mid_header)
{
	struct vici_node *msg;
	struct vici_conn *c;
	struct mock m;
	char *name;

	mock_start(&m, script_close_in_header, 0);
	c = mock_connect(&m);
	ck_assert_int_eq(vici_next_event(c, &name, &msg, 2000), -1);
	ck_assert_err_has("waiting for events: connection closed by charon after 2 of 4 bytes of a "
			  "segment header");
	vici_close(c);
	mock_stop(&m);
}
END_TEST

static void script_oversized(struct mock *m, int fd)
{
	static const uint8_t hdr[] = { 0x00, 0x08, 0x00, 0x01, VICI_CMD_RESPONSE };

	srv_expect_only(m, fd, VICI_CMD_REQUEST, "version");
	srv_write(m, fd, hdr, sizeof(hdr));
	srv_wait_close(m, fd);
}

START_TEST(oversized_segment)
{
	struct vici_node *resp;
	struct vici_conn *c;
	struct mock m;

	mock_start(&m, script_oversized, 0);
	c = mock_connect(&m);
	ck_assert_int_eq(vici_cmd(c, "version", NULL, &resp, 2000), -1);
	ck_assert_err_has(
		"charon sent a segment of 524289 bytes, more than VICI_SEGMENT_MAX (524288)");
	vici_close(c);
	mock_stop(&m);
}
END_TEST

/* An event split across a timeout: the first call gets half of it and must
 * keep it for the second. */
static void script_event_pause(struct mock *m, int fd)
{
	struct vici_msg *msg = kv_msg("msg", "late");
	const uint8_t *body;
	size_t body_len, len;
	uint8_t *seg;

	if (vici_msg_bytes(msg, &body, &body_len) < 0 ||
	    vici_packet_encode(VICI_EVENT, "log", body, body_len, &seg, &len) < 0) {
		mock_fail(m, "%s", err_msg());
		vici_msg_free(msg);
		return;
	}
	srv_write(m, fd, seg, 6);
	sleep_ms(200);
	srv_write(m, fd, seg + 6, len - 6);
	srv_send(m, fd, VICI_EVENT, "log", kv_msg("msg", "next"));
	free(seg);
	vici_msg_free(msg);
	srv_wait_close(m, fd);
}

START_TEST(next_event_resumes_partial_segment)
{
	struct vici_node *msg;
	struct vici_conn *c;
	struct mock m;
	char *name;

	mock_start(&m, script_event_pause, 0);
	c = mock_connect(&m);
	ck_assert_int_eq(vici_next_event(c, &name, &msg, 50), 0);
	ck_assert_int_eq(vici_next_event(c, &name, &msg, 2000), 1);
	ck_assert_str_eq(name, "log");
	ck_assert_str_eq(vici_str(msg, "msg"), "late");
	free(name);
	vici_node_free(msg);
	ck_assert_int_eq(vici_next_event(c, &name, &msg, 2000), 1);
	ck_assert_str_eq(vici_str(msg, "msg"), "next");
	free(name);
	vici_node_free(msg);
	vici_close(c);
	mock_stop(&m);
}
END_TEST

static void script_unexpected_reply(struct mock *m, int fd)
{
	srv_send(m, fd, VICI_EVENT, "log", kv_msg("msg", "first"));
	srv_send(m, fd, VICI_CMD_RESPONSE, NULL, NULL);
	srv_wait_close(m, fd);
}

START_TEST(next_event_unexpected_reply)
{
	struct vici_node *msg;
	struct vici_conn *c;
	struct mock m;
	char *name;

	mock_start(&m, script_unexpected_reply, 0);
	c = mock_connect(&m);
	ck_assert_int_eq(vici_next_event(c, &name, &msg, 2000), 1);
	ck_assert_str_eq(vici_str(msg, "msg"), "first");
	free(name);
	vici_node_free(msg);
	ck_assert_int_eq(vici_next_event(c, &name, &msg, 2000), -1);
	ck_assert_err_has("unexpected CMD_RESPONSE packet from charon while no request is pending");
	vici_close(c);
	mock_stop(&m);
}
END_TEST

static void script_version(struct mock *m, int fd)
{
	srv_expect_only(m, fd, VICI_CMD_REQUEST, "version");
	srv_send(m, fd, VICI_CMD_RESPONSE, NULL, kv_msg("daemon", "charon"));
	srv_wait_close(m, fd);
}

START_TEST(connect_retries_until_socket_appears)
{
	struct vici_node *resp;
	struct vici_conn *c;
	struct mock m;
	int64_t t0 = mono_ns();
	long ms;

	mock_start(&m, script_version, 150);
	c = vici_connect(m.path, 2000);
	ms = elapsed_ms(t0);
	ck_assert_msg(c, "%s", err_msg());
	ck_assert_int_ge(ms, 140);
	ck_assert_int_le(ms, 1000);
	ck_assert_msg(vici_cmd(c, "version", NULL, &resp, 1000) == 0, "%s", err_msg());
	ck_assert_str_eq(vici_str(resp, "daemon"), "charon");
	vici_node_free(resp);
	vici_close(c);
	mock_stop(&m);
}
END_TEST

START_TEST(connect_gives_up)
{
	struct mock m;
	int64_t t0;
	long ms;
	char want[256];

	mock_dir(&m);
	t0 = mono_ns();
	ck_assert_ptr_null(vici_connect(m.path, 100));
	ms = elapsed_ms(t0);
	ck_assert_int_ge(ms, 95);
	ck_assert_int_le(ms, 500);
	snprintf(want, sizeof(want),
		 "connect to vici socket %s: still failing after 100 ms: No such file or directory",
		 m.path);
	ck_assert_str_eq(err_msg(), want);

	/* A socket file nobody listens on: a daemon that died. */
	m.lfd = listen_at(m.path, false);
	ck_assert_int_ge(m.lfd, 0);
	ck_assert_ptr_null(vici_connect(m.path, 60));
	ck_assert_err_has(m.path);
	ck_assert_err_has("still failing after 60 ms: Connection refused");
	mock_cleanup(&m);
}
END_TEST

START_TEST(connect_path_too_long)
{
	char path[200];

	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	ck_assert_ptr_null(vici_connect(path, 1000));
	ck_assert_err_has("vici socket path is 199 bytes, at most 107");
}
END_TEST

static Suite *message_suite(void)
{
	Suite *s = suite_create("message");
	TCase *dec = tcase_create("decode"), *bld = tcase_create("build");

	tcase_add_test(dec, decode_readme_example);
	tcase_add_test(dec, decode_empty);
	tcase_add_test(dec, decode_binary_value);
	tcase_add_loop_test(dec, decode_rejects, 0, (int)ARRAY_LEN(bad_msgs));
	tcase_add_test(dec, decode_every_cut);
	tcase_add_test(dec, decode_depth_limit);
	tcase_add_test(dec, decode_hostile_nesting);
	tcase_add_test(dec, accessors);
	tcase_add_test(dec, check_success);
	suite_add_tcase(s, dec);
	tcase_add_test(bld, build_readme_example);
	tcase_add_test(bld, build_empty);
	tcase_add_test(bld, round_trip);
	tcase_add_test(bld, build_limits);
	tcase_add_test(bld, build_too_large);
	tcase_add_test(bld, build_depth_limit);
	tcase_add_loop_test(bld, build_misuse, 0, (int)ARRAY_LEN(misuses));
	suite_add_tcase(s, bld);
	return s;
}

static Suite *packet_suite(void)
{
	Suite *s = suite_create("packet");
	TCase *tc = tcase_create("packet");

	tcase_add_loop_test(tc, packet_parse_each_type, 0, (int)ARRAY_LEN(packets));
	tcase_add_loop_test(tc, packet_encode_each_type, 0, (int)ARRAY_LEN(packets));
	tcase_add_test(tc, packet_parse_rejects);
	tcase_add_test(tc, packet_encode_rejects);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *conn_suite(void)
{
	Suite *s = suite_create("connection");
	TCase *tc = tcase_create("mock charon");

	tcase_add_test(tc, cmd_with_interleaved_event);
	tcase_add_test(tc, cmd_stream_events_then_response);
	tcase_add_test(tc, cmd_stream_callback_failure);
	tcase_add_test(tc, register_confirm_and_unknown);
	tcase_add_test(tc, cmd_unknown);
	tcase_add_test(tc, cmd_timeout);
	tcase_add_test(tc, closed_mid_segment);
	tcase_add_test(tc, closed_mid_header);
	tcase_add_test(tc, oversized_segment);
	tcase_add_test(tc, next_event_resumes_partial_segment);
	tcase_add_test(tc, next_event_unexpected_reply);
	tcase_add_test(tc, connect_retries_until_socket_appears);
	tcase_add_test(tc, connect_gives_up);
	tcase_add_test(tc, connect_path_too_long);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(message_suite());
	int failed;

	srunner_add_suite(sr, packet_suite());
	srunner_add_suite(sr, conn_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * vici.h - a client for strongSwan's VICI protocol (the plugin's README in
 * src/libcharon/plugins/vici describes it): 32-bit length-prefixed
 * segments, a packet type byte, an optional 8-bit-length name, and a message
 * made of sections, key/values and lists.
 *
 * Three layers, each testable on its own:
 *   - messages: a builder that encodes, a decoder that returns a tree;
 *   - packets: splitting a segment into type, name and message;
 *   - connections: commands, streamed commands and events over a unix socket,
 *     every wait bounded by a timeout.
 * The first two are vici_msg.c (no I/O, what the fuzzers drive), the third
 * vici_conn.c.
 */
#ifndef IKELAB_VICI_H
#define IKELAB_VICI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* charon refuses segments above 512 KiB; so do we, in both directions. */
#define VICI_SEGMENT_MAX (512 * 1024)
/* Deepest section nesting the decoder and the builder accept. */
#define VICI_DEPTH_MAX 64

enum vici_packet_type {
	VICI_CMD_REQUEST = 0,
	VICI_CMD_RESPONSE = 1,
	VICI_CMD_UNKNOWN = 2,
	VICI_EVENT_REGISTER = 3,
	VICI_EVENT_UNREGISTER = 4,
	VICI_EVENT_CONFIRM = 5,
	VICI_EVENT_UNKNOWN = 6,
	VICI_EVENT = 7,
};

enum vici_element {
	VICI_SECTION_START = 1,
	VICI_SECTION_END = 2,
	VICI_KEY_VALUE = 3,
	VICI_LIST_START = 4,
	VICI_LIST_ITEM = 5,
	VICI_LIST_END = 6,
};

/* ---- decoded messages ------------------------------------------------ */

enum vici_node_type {
	VICI_NODE_SECTION,
	VICI_NODE_VALUE,
	VICI_NODE_LIST
};

struct vici_node {
	enum vici_node_type type;
	char *name;  /* NULL for list items and the root */
	char *value; /* values and list items; NUL-terminated copy */
	size_t value_len;
	struct vici_node *children; /* sections: members in order; lists: items */
	struct vici_node *next;     /* next sibling */
};

/* Decode a message (the bytes after type and name). NULL and err_msg() on
 * malformed input: unbalanced sections, nested lists, truncated elements,
 * items outside lists, trailing garbage. */
struct vici_node *vici_decode(const uint8_t *buf, size_t len);
void vici_node_free(struct vici_node *node);
/* Direct child by name, or NULL. */
const struct vici_node *vici_child(const struct vici_node *sec, const char *name);
/* Value of a direct child key/value, or NULL. */
const char *vici_str(const struct vici_node *sec, const char *name);
/* Count of direct children (sections: members; lists: items). */
size_t vici_count(const struct vici_node *node);
/* "success" = "yes" in a command response; otherwise err_set() with the
 * daemon's "errmsg" and returns -1. */
int vici_check_success(const struct vici_node *resp, const char *what);

/* ---- building messages ----------------------------------------------- */

struct vici_msg;

struct vici_msg *vici_msg_new(void);
void vici_msg_free(struct vici_msg *m);
void vici_section_begin(struct vici_msg *m, const char *name);
void vici_section_end(struct vici_msg *m);
void vici_kv(struct vici_msg *m, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vici_kv_raw(struct vici_msg *m, const char *key, const void *val, size_t len);
void vici_list_begin(struct vici_msg *m, const char *name);
void vici_list_item(struct vici_msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vici_list_end(struct vici_msg *m);
/* Encoded bytes; -1 with err_msg() if the message is unbalanced, a name is
 * longer than 255 bytes, a value longer than 65535, or the whole is larger
 * than a segment may be. */
int vici_msg_bytes(struct vici_msg *m, const uint8_t **buf, size_t *len);

/* ---- packets --------------------------------------------------------- */

struct vici_packet {
	uint8_t type;
	char name[256];     /* empty for unnamed types */
	const uint8_t *msg; /* points into the segment */
	size_t msg_len;
};

/* Parse one segment's payload (without the 4-byte length). */
int vici_packet_parse(const uint8_t *seg, size_t len, struct vici_packet *out);
/* Encode a whole segment, length prefix included; caller frees *out. */
int vici_packet_encode(uint8_t type, const char *name, const uint8_t *msg, size_t msg_len,
		       uint8_t **out, size_t *out_len);
/* "CMD_RESPONSE", for messages (a static string; "unknown packet type"
 * above VICI_EVENT). */
const char *vici_packet_name(uint8_t type);

/* ---- connections ----------------------------------------------------- */

struct vici_conn;

/* Connect to a unix socket path (not a URI). Retries until timeout_ms
 * while the socket does not exist yet or refuses. */
struct vici_conn *vici_connect(const char *path, int timeout_ms);
void vici_close(struct vici_conn *c);
int vici_fd(const struct vici_conn *c);

/* Every call below fails once the connection is out of step with charon:
 * after an I/O or protocol error, or a timeout while a reply was pending
 * (a late reply would be taken for the next one's). Close and connect
 * again. CMD_UNKNOWN and EVENT_UNKNOWN replies leave it usable. */

/* One command, one response. req may be NULL (empty message). Events that
 * arrive meanwhile are queued for vici_next_event(). */
int vici_cmd(struct vici_conn *c, const char *cmd, struct vici_msg *req, struct vici_node **resp,
	     int timeout_ms);

/* The same in two halves: send now, read the response later. Two
 * commands on two connections can so leave microseconds apart (both peers
 * initiating at once). One command in flight per connection. */
int vici_cmd_start(struct vici_conn *c, const char *cmd, struct vici_msg *req, int timeout_ms);
int vici_cmd_finish(struct vici_conn *c, struct vici_node **resp, int timeout_ms);

/* A streamed command (list-sas, list-conns, ...): registers for `event`,
 * calls cb for each event of that name until the response arrives, then
 * unregisters. cb returning non-zero is remembered but does not stop the
 * stream (charon will send the rest anyway). */
typedef int (*vici_event_cb)(void *ctx, const char *name, const struct vici_node *msg);
int vici_cmd_stream(struct vici_conn *c, const char *cmd, const char *event, struct vici_msg *req,
		    vici_event_cb cb, void *ctx, struct vici_node **resp, int timeout_ms);

int vici_register(struct vici_conn *c, const char *event, int timeout_ms);
int vici_unregister(struct vici_conn *c, const char *event, int timeout_ms);

/* Next event: 1 with *name (caller frees) and *msg, 0 on timeout, -1 on
 * error or when the daemon closed the connection (err_msg() says which). */
int vici_next_event(struct vici_conn *c, char **name, struct vici_node **msg, int timeout_ms);

#endif

/*
 * wire.h - the IKE-aware fault wire: IKE messages crossing a router
 * namespace, delayed, dropped, duplicated or held on purpose.
 *
 * One iptables-legacy rule in the router's FORWARD chain sends UDP 500 and
 * 4500 to an NFQUEUE; the controller reads every packet over libnl-nf,
 * matches its cleartext IKE header against the rules and issues the
 * verdict at once, at a due time, or when told to. Anything that is not a
 * matching IKE message (ESP in UDP, NAT-T keepalives, IKE no rule wants)
 * is accepted at once. The rule bypasses the queue when nobody listens and
 * the queue fails open when full, so a slow or dead controller never
 * loses traffic silently.
 *
 * The caller owns the event loop:
 *
 *	w = wire_open(nsfd, "router", 1, false, rules, n, log_event, rec);
 *	loop:
 *		poll wire_fd(w) for POLLIN, with a timeout up to wire_next_due(w)
 *		readable:        wire_handle(w)
 *		due has passed:  wire_tick(w, mono_ns())
 *		schedule says:   wire_release(w, "hold-name")
 *	wire_close(w);
 *
 * IPv4 and IPv6 (a second rule with ip6tables-legacy). Times are CLOCK_MONOTONIC nanoseconds
 * (mono_ns() in util.h).
 */
#ifndef IKELAB_WIRE_H
#define IKELAB_WIRE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IKEv2 exchange types (RFC 7296, 3.1). */
enum ike_exchange {
	IKE_SA_INIT = 34,
	IKE_AUTH = 35,
	CREATE_CHILD_SA = 36,
	INFORMATIONAL = 37,
};

/* An IPv4 or IPv6 address; af 0: none (a rule's "any"). */
struct wire_addr {
	int af; /* AF_INET, AF_INET6 or 0 */
	uint8_t a[16];
};

/* "192.0.2.1" or "2001:db8::1" into OUT; -1 for anything else. */
int wire_addr_parse(const char *s, struct wire_addr *out);
/* The address as text in BUF ("?" for none); returns BUF. */
const char *wire_addr_str(const struct wire_addr *a, char *buf, size_t len);

/* What the IP, UDP and IKE headers of one packet say. */
struct ike_info {
	struct wire_addr src, dst;
	uint16_t sport, dport;
	bool natt;             /* on 4500, behind the non-ESP marker */
	uint64_t spi_i, spi_r; /* as on the wire, read big-endian */
	uint8_t exchange;
	uint8_t flags;
	bool response;  /* flag 0x20 */
	bool initiator; /* flag 0x08: sent by the IKE_SA's initiator */
	uint32_t message_id;
	uint32_t length;  /* the IKE header's length field */
	uint32_t ike_off; /* where the IKE header starts in the packet */
	bool fragment;    /* the first fragment of a larger datagram */
};

/*
 * Is this IPv4 or IPv6 packet (as the queue hands it over, from the IP header on)
 * an IKEv2 message? 1 and *out filled in if so, 0 if not: other protocols,
 * other ports, ESP in UDP (a non-zero first word on 4500), keepalives,
 * later fragments, truncated or inconsistent headers. The first fragment
 * of a fragmented message is IKE. Never reads past len.
 */
int ike_parse(const uint8_t *pkt, size_t len, struct ike_info *out);

/* "IKE_SA_INIT" ..., or NULL for other exchange types. */
const char *ike_exchange_name(int exchange);
/* The inverse, plus "any" -> WIRE_ANY; -2 for anything else. */
int ike_exchange_from_name(const char *name);

#define WIRE_ANY (-1)

enum wire_action {
	WIRE_DELAY,     /* forward delay_ms after it arrived */
	WIRE_DROP,      /* never forward */
	WIRE_DUPLICATE, /* forward, and put one copy on the wire */
	WIRE_HOLD,      /* forward when its hold is released */
	WIRE_CAPTURE,   /* forward, and keep a copy for the schedule's replay */
};

const char *wire_action_name(enum wire_action a);
/* "delay" ... "hold" -> the action, -1 for anything else. */
int wire_action_from_name(const char *name);

/*
 * A rule: a filter, an occurrence, an action. Every rule whose filter
 * matches a message counts it, whatever the other rules do, so "nth 2"
 * always means the second such message on the wire. The first rule (in
 * order) whose filter matches and whose nth is 0 or equals its count
 * takes the message. A hold rule whose hold was released takes no more
 * messages: "hold until X" is over once X happened.
 */
struct wire_rule {
	const char *name;
	int exchange;          /* enum ike_exchange, or WIRE_ANY */
	int response;          /* 1 responses, 0 requests, or WIRE_ANY */
	struct wire_addr from; /* the sending peer's address; af 0: any */
	int64_t message_id;    /* or WIRE_ANY */
	uint32_t nth;          /* 1-based; 0: every match */
	enum wire_action action;
	uint32_t delay_ms; /* WIRE_DELAY */
	const char *hold;  /* WIRE_HOLD: the name wire_release() takes;
	                           NULL: the rule's own name */
};

struct wire_counters {
	uint32_t seen;      /* messages the filter matched (nth counts these) */
	uint32_t taken;     /* messages the rule acted on */
	uint32_t forwarded; /* of those delayed or held, forwarded since */
	bool released;      /* WIRE_HOLD: its hold was released */
};

/*
 * The rule a message falls under, as described above: updates seen and
 * taken in c[0..n-1] and returns the index of the rule, or -1. Pure: the
 * wire's own matching, exposed for tests.
 */
int wire_match(const struct wire_rule *rules, struct wire_counters *c, unsigned n,
	       const struct ike_info *m);

/* A message a rule took (released false), and later, for delays and
 * holds, the moment it was forwarded (released true). */
struct wire_event {
	int64_t mono_ns, wall_ns;
	const char *rule;
	enum wire_action action;
	bool released;
	int64_t kept_ns; /* released: how long it was kept */
	uint32_t nth;    /* the rule's count for this message */
	struct ike_info ike;
};

typedef void (*wire_event_cb)(const struct wire_event *ev, void *ctx);

struct wire_stats {
	uint64_t packets;        /* handed over by the queue */
	uint64_t ike;            /* of those, IKE messages */
	uint64_t overruns;       /* times the socket overflowed (the kernel
	                           accepted what it could not queue: fail-open) */
	uint64_t verdict_errors; /* verdicts the kernel refused */
};

struct wire;

/*
 * Bind NFQUEUE queue_num in the router's namespace, then add the FORWARD
 * rule there (iptables-legacy, run in that namespace; with ipv6 also
 * ip6tables-legacy). Rules are copied.
 * router_name is for messages. NULL and err_msg() naming the router, the
 * queue and what failed.
 */
struct wire *wire_open(int router_nsfd, const char *router_name, uint16_t queue_num, bool ipv6,
		       const struct wire_rule *rules, unsigned n, wire_event_cb cb, void *ctx);

/* Readable when the queue has packets for wire_handle(). */
int wire_fd(const struct wire *w);
/* Read what the queue has (a bounded batch), issue the verdicts that are
 * due at once, report taken messages. -1 on a failure; the wire stays
 * usable and the rest of the batch was handled. */
int wire_handle(struct wire *w);
/* When wire_tick() has work next, or -1 when nothing is delayed. */
int64_t wire_next_due(const struct wire *w);
/* Forward the delayed messages due by now_ns, in arrival order. */
int wire_tick(struct wire *w, int64_t now_ns);
/* Forward what holds named `hold` keep, and end those holds. Returns the
 * number of messages forwarded (0 for a name no rule holds), or -1. */
int wire_release(struct wire *w, const char *hold);

const struct wire_counters *wire_rule_counters(const struct wire *w, unsigned rule);
/* The last whole IKE message (from its header on, without the NAT-T
 * marker) the capture rule named RULE took: 1 with *buf (the wire's, valid
 * until the next wire call) and *len, 0 when it has none (yet), -1 for no
 * capture rule of that name. */
int wire_captured(const struct wire *w, const char *rule, const uint8_t **buf, size_t *len);
void wire_get_stats(const struct wire *w, struct wire_stats *out);

/*
 * Remove the rule, forward everything still kept (reported as released),
 * unbind the queue and free the wire. Returns -1 when the rule could not
 * be removed (the wire is freed all the same); a rule left behind goes
 * with the namespace and lets traffic through (queue bypass).
 */
int wire_close(struct wire *w);

#endif

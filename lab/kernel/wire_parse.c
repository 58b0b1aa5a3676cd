#include "kernel/wire.h"
#include "kernel/wire-internal.h"
#include "base/util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/*
 * wire_parse.c - what the wire reads in a packet, without any socket:
 * IPv4 and IPv6 headers, UDP, the non-ESP marker, the IKE header; and the
 * rules' matching. Pure functions, tested on bytes (test_wire.c).
 */

uint16_t wire_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* UDP payload of an unfragmented IPv4 datagram, or of a first fragment
 * (whose UDP length covers data that is still to come: *MORE). */
static int udp_payload4(const uint8_t *pkt, size_t len, const uint8_t **udp, size_t *avail,
			bool *more)
{
	size_t ihl, tot;
	uint16_t frag;

	if (len < 20 || pkt[9] != IPPROTO_UDP)
		return 0;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	tot = wire_be16(pkt + 2);
	if (ihl < 20 || tot < ihl + 8 || tot > len)
		return 0;
	frag = wire_be16(pkt + 6);
	if (frag & 0x1fff)
		return 0;
	*udp = pkt + ihl;
	*more = frag & 0x2000;
	*avail = tot - ihl;
	return 1;
}

/* The same for IPv6: UDP right after the fixed header, or after a
 * fragment header of the first fragment (other extension headers are
 * not IKE as charon sends it). */
static int udp_payload6(const uint8_t *pkt, size_t len, const uint8_t **udp, size_t *avail,
			bool *more)
{
	size_t tot, hdr = 40;
	uint8_t next;

	if (len < 40)
		return 0;
	tot = 40 + (size_t)wire_be16(pkt + 4);
	if (tot > len)
		return 0;
	next = pkt[6];
	*more = false;
	if (next == IPPROTO_FRAGMENT) {
		uint16_t off;

		if (tot < 48)
			return 0;
		next = pkt[40];
		off = wire_be16(pkt + 42);
		if (off & 0xfff8)
			return 0;
		*more = off & 1;
		hdr = 48;
	}
	if (next != IPPROTO_UDP || tot < hdr + 8)
		return 0;
	*udp = pkt + hdr;
	*avail = tot - hdr;
	return 1;
}

/* The UDP datagram in PKT and the addresses around it; *AVAIL is what of
 * it is in the packet (all of it unless *MORE). */
static int udp_payload(const uint8_t *pkt, size_t len, const uint8_t **udp, size_t *avail,
		       bool *more, struct ike_info *addrs)
{
	size_t ulen;
	int ok;

	memset(addrs, 0, sizeof(*addrs));
	if (len && pkt[0] >> 4 == 4) {
		ok = udp_payload4(pkt, len, udp, avail, more);
		addrs->src.af = addrs->dst.af = AF_INET;
		if (ok) {
			memcpy(addrs->src.a, pkt + 12, 4);
			memcpy(addrs->dst.a, pkt + 16, 4);
		}
	} else if (len && pkt[0] >> 4 == 6) {
		ok = udp_payload6(pkt, len, udp, avail, more);
		addrs->src.af = addrs->dst.af = AF_INET6;
		if (ok) {
			memcpy(addrs->src.a, pkt + 8, 16);
			memcpy(addrs->dst.a, pkt + 24, 16);
		}
	} else {
		return 0;
	}
	if (!ok || (ulen = wire_be16(*udp + 4)) < 8)
		return 0;
	/* A first fragment holds part of the datagram; a whole one all. */
	if (*more ? ulen < *avail : ulen > *avail)
		return 0;
	if (!*more)
		*avail = ulen;
	return 1;
}

int ike_parse(const uint8_t *pkt, size_t len, struct ike_info *out)
{
	const uint8_t *udp, *ike;
	size_t avail, off = 8;
	uint16_t sport, dport;
	struct ike_info addrs;
	uint32_t ike_len;
	bool more;

	if (!udp_payload(pkt, len, &udp, &avail, &more, &addrs))
		return 0;
	sport = wire_be16(udp);
	dport = wire_be16(udp + 2);
	if (sport == NATT_PORT || dport == NATT_PORT) {
		/* RFC 3948: IKE behind four zero bytes; anything else is ESP
		 * (an SPI is never zero) or a one-byte keepalive. */
		if (avail < off + 4 || be32(udp + off))
			return 0;
		off += 4;
	} else if (sport != IKE_PORT && dport != IKE_PORT) {
		return 0;
	}
	if (avail < off + IKE_HDR_LEN)
		return 0;
	ike = udp + off;
	ike_len = be32(ike + 24);
	if (ike[17] >> 4 != 2 || ike_len < IKE_HDR_LEN)
		return 0;
	if (more ? ike_len < avail - off : ike_len != avail - off)
		return 0;
	*out = addrs;
	out->sport = sport;
	out->dport = dport;
	out->natt = off > 8;
	out->spi_i = be64(ike);
	out->spi_r = be64(ike + 8);
	out->exchange = ike[18];
	out->flags = ike[19];
	out->response = ike[19] & 0x20;
	out->initiator = ike[19] & 0x08;
	out->message_id = be32(ike + 20);
	out->length = ike_len;
	out->ike_off = (uint32_t)(ike - pkt);
	out->fragment = more;
	return 1;
}

int wire_addr_parse(const char *s, struct wire_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->af = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(out->af, s, out->a) != 1) {
		out->af = 0;
		return -1;
	}
	return 0;
}

const char *wire_addr_str(const struct wire_addr *a, char *buf, size_t len)
{
	if (!a->af || !inet_ntop(a->af, a->a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static const char *const exchange_names[] = {
	[IKE_SA_INIT - IKE_SA_INIT] = "IKE_SA_INIT",
	[IKE_AUTH - IKE_SA_INIT] = "IKE_AUTH",
	[CREATE_CHILD_SA - IKE_SA_INIT] = "CREATE_CHILD_SA",
	[INFORMATIONAL - IKE_SA_INIT] = "INFORMATIONAL",
};

const char *ike_exchange_name(int exchange)
{
	if (exchange < IKE_SA_INIT || exchange > INFORMATIONAL)
		return NULL;
	return exchange_names[exchange - IKE_SA_INIT];
}

int ike_exchange_from_name(const char *name)
{
	if (!strcmp(name, "any"))
		return WIRE_ANY;
	for (unsigned i = 0; i < ARRAY_LEN(exchange_names); i++)
		if (!strcmp(name, exchange_names[i]))
			return IKE_SA_INIT + (int)i;
	return -2;
}

static const char *const action_names[] = {
	[WIRE_DELAY] = "delay", [WIRE_DROP] = "drop",       [WIRE_DUPLICATE] = "duplicate",
	[WIRE_HOLD] = "hold",   [WIRE_CAPTURE] = "capture",
};

const char *wire_action_name(enum wire_action a)
{
	return (unsigned)a < ARRAY_LEN(action_names) ? action_names[a] : "?";
}

int wire_action_from_name(const char *name)
{
	for (unsigned i = 0; i < ARRAY_LEN(action_names); i++)
		if (!strcmp(name, action_names[i]))
			return (int)i;
	return -1;
}

static bool filter_matches(const struct wire_rule *r, const struct ike_info *m)
{
	if (r->exchange != WIRE_ANY && r->exchange != m->exchange)
		return false;
	if (r->response != WIRE_ANY && r->response != m->response)
		return false;
	if (r->from.af &&
	    (r->from.af != m->src.af || memcmp(r->from.a, m->src.a, sizeof(r->from.a))))
		return false;
	return r->message_id == WIRE_ANY || r->message_id == m->message_id;
}

int wire_match(const struct wire_rule *rules, struct wire_counters *c, unsigned n,
	       const struct ike_info *m)
{
	int taker = -1;

	for (unsigned i = 0; i < n; i++) {
		if (!filter_matches(&rules[i], m))
			continue;
		c[i].seen++;
		if (taker >= 0 || (rules[i].nth && rules[i].nth != c[i].seen))
			continue;
		if (rules[i].action == WIRE_HOLD && c[i].released)
			continue;
		taker = (int)i;
	}
	if (taker >= 0)
		c[taker].taken++;
	return taker;
}

/*
 * fuzz_wire.c - the fault wire's view of a queued packet: ike_parse() on
 * the IPv4 or IPv6 packet NFQUEUE hands over, and wire_match() with rules.
 *
 * Input: one byte that picks a rule set, then packets, each a 2-byte
 * big-endian length and that many bytes (a short tail is one packet too).
 * Every packet is parsed; an IKE message goes through wire_match() with
 * counters kept across the input, as the wire keeps them.
 */
#include "base/err.h"
#include "base/util.h"
#include "kernel/wire.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NRULES 5

static void rules_for(uint8_t sel, struct wire_rule *r)
{
	static const int exch[] = { WIRE_ANY, IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA,
				    INFORMATIONAL };

	memset(r, 0, NRULES * sizeof(*r));
	for (unsigned i = 0; i < NRULES; i++) {
		unsigned b = (unsigned)(sel >> i) | (i << 5);

		r[i].name = "rule";
		r[i].exchange = exch[(b + i) % 5];
		r[i].response = (b & 1) ? WIRE_ANY : (int)((b >> 1) & 1);
		/* Any, 192.0.2.1, or 2001:db8::1. */
		if (b & 4)
			wire_addr_parse((b & 16) ? "2001:db8::1" : "192.0.2.1", &r[i].from);
		r[i].message_id = (b & 8) ? WIRE_ANY : (int64_t)(b & 3);
		r[i].nth = (b >> 2) & 3;
		r[i].action = (enum wire_action)((b + i) % 4);
		r[i].delay_ms = 10;
	}
	/* The last one takes anything, once. */
	r[NRULES - 1].exchange = WIRE_ANY;
	r[NRULES - 1].response = WIRE_ANY;
	memset(&r[NRULES - 1].from, 0, sizeof(r[NRULES - 1].from));
	r[NRULES - 1].message_id = WIRE_ANY;
	r[NRULES - 1].nth = 1;
}

static void one(const uint8_t *pkt, size_t len, const struct wire_rule *rules,
		struct wire_counters *c)
{
	struct ike_info m;
	uint32_t before[NRULES];
	int i;

	/* A copy of exactly len bytes: ASan sees any read past the end. */
	uint8_t *copy = xmalloc(len);

	memcpy(copy, pkt, len);
	if (ike_parse(copy, len, &m) != 1) {
		free(copy);
		return;
	}
	CHECK(m.sport == 500 || m.dport == 500 || m.sport == 4500 || m.dport == 4500);
	CHECK(m.length >= 28);
	CHECK(m.response == !!(m.flags & 0x20) && m.initiator == !!(m.flags & 0x08));
	ike_exchange_name(m.exchange);
	for (unsigned k = 0; k < NRULES; k++)
		before[k] = c[k].seen;
	i = wire_match(rules, c, NRULES, &m);
	CHECK(i >= -1 && i < NRULES);
	for (unsigned k = 0; k < NRULES; k++) {
		CHECK(c[k].seen == before[k] || c[k].seen == before[k] + 1);
		CHECK(c[k].taken <= c[k].seen);
	}
	if (i >= 0)
		CHECK(c[i].seen == before[i] + 1 && (!rules[i].nth || rules[i].nth == c[i].seen));
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_rule rules[NRULES];
	struct wire_counters c[NRULES] = { 0 };

	if (size < 1)
		return 0;
	rules_for(data[0], rules);
	data++;
	size--;
	/* The whole rest as one packet, too. */
	one(data, size, rules, c);
	while (size >= 2) {
		size_t len = (size_t)data[0] << 8 | data[1];

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		one(data, len, rules, c);
		data += len;
		size -= len;
	}
	/* Names both ways. */
	CHECK(ike_exchange_from_name("any") == WIRE_ANY);
	for (int e = IKE_SA_INIT; e <= INFORMATIONAL; e++)
		CHECK(ike_exchange_from_name(ike_exchange_name(e)) == e);
	return 0;
}

/*
 * test_wire.c - the fault wire's pure half: IKE header parsing against
 * hand-built IPv4 packets, and rule matching.
 *
 * Packets are built byte by byte from RFC 791/768/3948/7296 layouts, not
 * from the parser's own idea of them. Every parse runs on a heap copy of
 * exactly the bytes given, so the sanitizer build catches any read past it.
 */
#include "kernel/wire.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

struct pkt_spec {
	unsigned ihl; /* 32-bit words, 5..15 */
	uint8_t proto;
	uint16_t frag; /* flags and offset field */
	uint16_t sport, dport;
	bool marker; /* four zero bytes before the IKE header */
	uint8_t version;
	uint8_t exchange, flags;
	uint32_t msgid;
	size_t body; /* bytes after the IKE header */
};

static const struct pkt_spec init_req = {
	.ihl = 5,
	.proto = 17,
	.sport = 500,
	.dport = 500,
	.version = 0x20,
	.exchange = 34,
	.flags = 0x08,
	.msgid = 0,
	.body = 40,
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* An IPv4 packet 10.0.1.2 -> 10.0.2.2 as the queue hands it over. */
static size_t build(uint8_t *buf, const struct pkt_spec *s)
{
	size_t ip = s->ihl * 4, mark = s->marker ? 4 : 0;
	size_t ike_len = 28 + s->body, udp_len = 8 + mark + ike_len;
	uint8_t *u = buf + ip, *h = u + 8 + mark;

	memset(buf, 0, ip + udp_len);
	buf[0] = 0x40 | s->ihl;
	put16(buf + 2, (uint16_t)(ip + udp_len));
	put16(buf + 6, s->frag);
	buf[8] = 64;
	buf[9] = s->proto;
	put32(buf + 12, 0x0a000102);
	put32(buf + 16, 0x0a000202);
	for (size_t i = 20; i < ip; i++)
		buf[i] = 1; /* NOP options */
	put16(u, s->sport);
	put16(u + 2, s->dport);
	put16(u + 4, (uint16_t)udp_len);
	for (int i = 0; i < 8; i++) {
		h[i] = (uint8_t)(0x11 * (i + 1));
		h[8 + i] = (uint8_t)(0xa0 + i);
	}
	h[16] = 33; /* next payload: SA */
	h[17] = s->version;
	h[18] = s->exchange;
	h[19] = s->flags;
	put32(h + 20, s->msgid);
	put32(h + 24, (uint32_t)ike_len);
	for (size_t i = 0; i < s->body; i++)
		h[28 + i] = (uint8_t)i;
	return ip + udp_len;
}

/* ike_parse on an exact-size heap copy of the first len bytes. */
static int parse(const uint8_t *pkt, size_t len, struct ike_info *out)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	memcpy(copy, pkt, len);
	r = ike_parse(copy, len, out);
	free(copy);
	return r;
}

static int parse_spec(const struct pkt_spec *s, struct ike_info *out)
{
	uint8_t buf[2048];

	return parse(buf, build(buf, s), out);
}

/* The IPv4 packet of S as IPv6 2001:db8::1 -> 2001:db8::2: the same UDP
 * datagram behind a fixed header, or behind a fragment header with
 * FRAG (offset and M flag, as in the header). */
static size_t build6(uint8_t *buf, const struct pkt_spec *s, bool fraghdr, uint16_t frag)
{
	uint8_t v4[2048];
	size_t n4 = build(v4, s), ihl = s->ihl * 4, udp = n4 - ihl, hdr = fraghdr ? 48 : 40;

	memset(buf, 0, hdr);
	buf[0] = 0x60;
	put16(buf + 4, (uint16_t)(udp + hdr - 40));
	buf[6] = fraghdr ? 44 : s->proto;
	buf[7] = 64;
	buf[8] = buf[24] = 0x20;
	buf[9] = buf[25] = 0x01;
	buf[10] = buf[26] = 0x0d;
	buf[11] = buf[27] = 0xb8;
	buf[23] = 1;
	buf[39] = 2;
	if (fraghdr) {
		buf[40] = s->proto;
		put16(buf + 42, frag);
	}
	memcpy(buf + hdr, v4 + ihl, udp);
	return hdr + udp;
}

START_TEST(ipv6)
{
	struct pkt_spec natt = init_req;
	char a[INET6_ADDRSTRLEN];
	uint8_t buf[2048];
	struct ike_info m;
	size_t n;

	n = build6(buf, &init_req, false, 0);
	ck_assert_int_eq(parse(buf, n, &m), 1);
	ck_assert_str_eq(wire_addr_str(&m.src, a, sizeof(a)), "2001:db8::1");
	ck_assert_str_eq(wire_addr_str(&m.dst, a, sizeof(a)), "2001:db8::2");
	ck_assert_uint_eq(m.exchange, IKE_SA_INIT);
	ck_assert_uint_eq(m.spi_i, 0x1122334455667788ULL);
	/* Every shorter prefix is refused, never read past. */
	for (size_t k = 0; k < n; k++)
		ck_assert_int_eq(parse(buf, k, &m), 0);
	natt.sport = natt.dport = 4500;
	natt.marker = true;
	natt.exchange = CREATE_CHILD_SA;
	n = build6(buf, &natt, false, 0);
	ck_assert_int_eq(parse(buf, n, &m), 1);
	ck_assert (m.natt &&m.exchange == CREATE_CHILD_SA)
		;
	/* A whole datagram behind a fragment header (offset 0, no M flag). */
	n = build6(buf, &init_req, true, 0);
	ck_assert_int_eq(parse(buf, n, &m), 1);
	/* A later fragment is not IKE; another extension header is not
	 * charon's. */
	n = build6(buf, &init_req, true, 8 << 3);
	ck_assert_int_eq(parse(buf, n, &m), 0);
	n = build6(buf, &init_req, false, 0);
	buf[6] = 0; /* hop-by-hop options */
	ck_assert_int_eq(parse(buf, n, &m), 0);
	/* A rule's from matches the family and all 16 bytes. */
	{
		struct wire_rule r = { .name = "v6",
				       .exchange = WIRE_ANY,
				       .response = WIRE_ANY,
				       .message_id = WIRE_ANY,
				       .action = WIRE_DROP };
		struct wire_counters c = { 0 };

		n = build6(buf, &init_req, false, 0);
		ck_assert_int_eq(parse(buf, n, &m), 1);
		ck_assert_int_eq(wire_addr_parse("2001:db8::2", &r.from), 0);
		ck_assert_int_eq(wire_match(&r, &c, 1, &m), -1);
		ck_assert_int_eq(wire_addr_parse("2001:db8::1", &r.from), 0);
		ck_assert_int_eq(wire_match(&r, &c, 1, &m), 0);
		ck_assert_int_eq(wire_addr_parse("10.0.1.2", &r.from), 0);
		ck_assert_int_eq(wire_match(&r, &c, 1, &m), -1);
	}
}
END_TEST

START_TEST(init_request_on_500)
{
	char a[INET6_ADDRSTRLEN];
	struct ike_info m;

	ck_assert_int_eq(parse_spec(&init_req, &m), 1);
	ck_assert_str_eq(wire_addr_str(&m.src, a, sizeof(a)), "10.0.1.2");
	ck_assert_str_eq(wire_addr_str(&m.dst, a, sizeof(a)), "10.0.2.2");
	ck_assert_uint_eq(m.sport, 500);
	ck_assert_uint_eq(m.dport, 500);
	ck_assert (!m.natt)
		;
	ck_assert_uint_eq(m.spi_i, 0x1122334455667788ULL);
	ck_assert_uint_eq(m.spi_r, 0xa0a1a2a3a4a5a6a7ULL);
	ck_assert_uint_eq(m.exchange, IKE_SA_INIT);
	ck_assert_uint_eq(m.flags, 0x08);
	ck_assert (!m.response)
		;
	ck_assert (m.initiator)
		;
	ck_assert_uint_eq(m.message_id, 0);
	ck_assert_uint_eq(m.length, 68);
}
END_TEST

START_TEST(create_child_response_on_4500)
{
	struct pkt_spec s = init_req;
	struct ike_info m;

	s.sport = s.dport = 4500;
	s.marker = true;
	s.exchange = 36;
	s.flags = 0x20;
	s.msgid = 0x01020304;
	ck_assert_int_eq(parse_spec(&s, &m), 1);
	ck_assert (m.natt)
		;
	ck_assert_uint_eq(m.exchange, CREATE_CHILD_SA);
	ck_assert (m.response)
		;
	ck_assert (!m.initiator)
		;
	ck_assert_uint_eq(m.message_id, 0x01020304);
	ck_assert_uint_eq(m.spi_i, 0x1122334455667788ULL);
	/* NAT-T from a translated port to 4500 is framed the same way. */
	s.sport = 31337;
	ck_assert_int_eq(parse_spec(&s, &m), 1);
	ck_assert (m.natt)
		;
}
END_TEST

START_TEST(esp_and_keepalive_on_4500)
{
	uint8_t buf[256];
	struct pkt_spec s = init_req;
	struct ike_info m;
	size_t len;

	s.sport = s.dport = 4500;
	s.marker = true;
	len = build(buf, &s);
	buf[20 + 8] = 0xc0; /* an SPI where the marker was: ESP */
	ck_assert_int_eq(parse(buf, len, &m), 0);
	/* IKE without the marker on 4500 is not IKE either. */
	s.marker = false;
	ck_assert_int_eq(parse_spec(&s, &m), 0);
	/* The one-byte NAT keepalive (RFC 3948, 2.3). */
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x45;
	put16(buf + 2, 29);
	buf[9] = 17;
	put16(buf + 20, 4500);
	put16(buf + 22, 4500);
	put16(buf + 24, 9);
	buf[28] = 0xff;
	ck_assert_int_eq(parse(buf, 29, &m), 0);
}
END_TEST

/* Every prefix of a valid packet is "not IKE", and never read past. */
START_TEST(truncated_at_every_length)
{
	struct pkt_spec specs[2] = { init_req, init_req };
	struct ike_info m;
	uint8_t buf[256];

	specs[1].sport = specs[1].dport = 4500;
	specs[1].marker = true;
	specs[1].ihl = 7;
	for (int k = 0; k < 2; k++) {
		size_t len = build(buf, &specs[k]);

		for (size_t i = 0; i < len; i++)
			ck_assert_msg(parse(buf, i, &m) == 0,
				      "spec %d: prefix of %zu/%zu bytes parsed", k, i, len);
		ck_assert_int_eq(parse(buf, len, &m), 1);
	}
}
END_TEST

START_TEST(ip_options)
{
	struct pkt_spec s = init_req;
	struct ike_info m;

	for (s.ihl = 6; s.ihl <= 15; s.ihl++) {
		ck_assert_int_eq(parse_spec(&s, &m), 1);
		ck_assert_uint_eq(m.exchange, IKE_SA_INIT);
		ck_assert_uint_eq(m.spi_i, 0x1122334455667788ULL);
	}
}
END_TEST

START_TEST(not_ike)
{
	struct pkt_spec s;
	struct ike_info m;
	uint8_t buf[256];
	size_t len;

	s = init_req;
	s.proto = 6; /* TCP */
	ck_assert_int_eq(parse_spec(&s, &m), 0);
	s = init_req;
	s.sport = s.dport = 501;
	ck_assert_int_eq(parse_spec(&s, &m), 0);
	s = init_req;
	s.version = 0x10; /* IKEv1 */
	ck_assert_int_eq(parse_spec(&s, &m), 0);
	s = init_req;
	s.frag = 0x0010; /* a later fragment: no UDP header */
	ck_assert_int_eq(parse_spec(&s, &m), 0);

	len = build(buf, &init_req);
	buf[0] = 0x65; /* IPv6 version nibble */
	ck_assert_int_eq(parse(buf, len, &m), 0);
	len = build(buf, &init_req);
	buf[0] = 0x44; /* header shorter than 20 bytes */
	ck_assert_int_eq(parse(buf, len, &m), 0);
	len = build(buf, &init_req);
	put16(buf + 24, 7); /* UDP length below its own header */
	ck_assert_int_eq(parse(buf, len, &m), 0);
	len = build(buf, &init_req);
	put16(buf + 24, (uint16_t)(len - 20 + 1)); /* UDP longer than the datagram */
	ck_assert_int_eq(parse(buf, len, &m), 0);
	len = build(buf, &init_req);
	put32(buf + 28 + 24, 27); /* IKE length below its header */
	ck_assert_int_eq(parse(buf, len, &m), 0);
	len = build(buf, &init_req);
	put32(buf + 28 + 24, 69); /* IKE length beyond the datagram */
	ck_assert_int_eq(parse(buf, len, &m), 0);
	len = build(buf, &init_req);
	put16(buf + 2, (uint16_t)(len + 1)); /* IP length beyond what was handed over */
	ck_assert_int_eq(parse(buf, len, &m), 0);
}
END_TEST

/* The first fragment of a large IKE_AUTH carries the header: it is IKE,
 * though UDP and IKE lengths cover bytes still to come. */
START_TEST(first_fragment)
{
	struct pkt_spec s = init_req;
	struct ike_info m;
	uint8_t buf[256];
	size_t len;

	s.exchange = 35;
	s.frag = 0x2000;
	len = build(buf, &s);
	put16(buf + 24, 1400);
	put32(buf + 28 + 24, 1392);
	ck_assert_int_eq(parse(buf, len, &m), 1);
	ck_assert_uint_eq(m.exchange, IKE_AUTH);
	ck_assert_uint_eq(m.length, 1392);
	/* Without the MF flag the same lengths are a lie. */
	put16(buf + 6, 0);
	ck_assert_int_eq(parse(buf, len, &m), 0);
}
END_TEST

/* Random bytes under a plausible IPv4/UDP header: any answer, no crash. */
START_TEST(garbage)
{
	uint8_t buf[128];
	struct ike_info m;
	unsigned seed = 1;

	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof(buf));

		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		if (len > 24 && i % 2) {
			buf[0] = 0x45;
			buf[9] = 17;
			put16(buf + 2, (uint16_t)len);
			put16(buf + 6, 0);
			put16(buf + 22, i % 4 == 1 ? 500 : 4500);
		}
		(void)parse(buf, len, &m);
	}
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(ike_exchange_name(IKE_SA_INIT), "IKE_SA_INIT");
	ck_assert_str_eq(ike_exchange_name(INFORMATIONAL), "INFORMATIONAL");
	ck_assert_ptr_null(ike_exchange_name(33));
	ck_assert_ptr_null(ike_exchange_name(38));
	ck_assert_int_eq(ike_exchange_from_name("CREATE_CHILD_SA"), 36);
	ck_assert_int_eq(ike_exchange_from_name("IKE_AUTH"), 35);
	ck_assert_int_eq(ike_exchange_from_name("any"), WIRE_ANY);
	ck_assert_int_eq(ike_exchange_from_name("ike_auth"), -2);
	ck_assert_int_eq(wire_action_from_name("duplicate"), WIRE_DUPLICATE);
	ck_assert_int_eq(wire_action_from_name("hold"), WIRE_HOLD);
	ck_assert_int_eq(wire_action_from_name("stall"), -1);
	ck_assert_str_eq(wire_action_name(WIRE_DELAY), "delay");
}
END_TEST

static struct wire_rule any_rule(const char *name, enum wire_action a)
{
	return (struct wire_rule){
		.name = name,
		.exchange = WIRE_ANY,
		.response = WIRE_ANY,
		.message_id = WIRE_ANY,
		.action = a,
	};
}

static struct ike_info msg(uint8_t exchange, bool response, uint32_t id, const char *src)
{
	struct ike_info m = { .exchange = exchange, .response = response, .message_id = id };

	ck_assert_int_eq(wire_addr_parse(src, &m.src), 0);
	return m;
}

START_TEST(match_filters)
{
	struct wire_rule r[4] = {
		any_rule("ex", WIRE_DROP),
		any_rule("resp", WIRE_DROP),
		any_rule("from", WIRE_DROP),
		any_rule("id", WIRE_DROP),
	};
	struct wire_counters c[4] = { { 0 } };
	struct ike_info m;

	r[0].exchange = CREATE_CHILD_SA;
	r[1].response = 0;
	ck_assert_int_eq(wire_addr_parse("10.0.2.2", &r[2].from), 0);
	r[3].message_id = 7;
	m = msg(IKE_AUTH, true, 1, "10.0.1.2");
	ck_assert_int_eq(wire_match(r, c, 4, &m), -1);
	m = msg(CREATE_CHILD_SA, true, 1, "10.0.1.2");
	ck_assert_int_eq(wire_match(r, c, 4, &m), 0);
	m = msg(IKE_AUTH, false, 1, "10.0.1.2");
	ck_assert_int_eq(wire_match(r, c, 4, &m), 1);
	m = msg(IKE_AUTH, true, 1, "10.0.2.2");
	ck_assert_int_eq(wire_match(r, c, 4, &m), 2);
	m = msg(IKE_AUTH, true, 7, "10.0.1.2");
	ck_assert_int_eq(wire_match(r, c, 4, &m), 3);
	m = msg(INFORMATIONAL, true, 0, "10.0.1.2");
	ck_assert_int_eq(wire_match(r, c, 4, &m), -1);
	for (int i = 0; i < 4; i++) {
		ck_assert_uint_eq(c[i].seen, 1);
		ck_assert_uint_eq(c[i].taken, 1);
	}
}
END_TEST

START_TEST(match_first_wins)
{
	struct wire_rule r[3] = {
		any_rule("delay-ccsa", WIRE_DELAY),
		any_rule("drop-all", WIRE_DROP),
		any_rule("dup-all", WIRE_DUPLICATE),
	};
	struct wire_counters c[3] = { { 0 } };
	struct ike_info ccsa = msg(CREATE_CHILD_SA, false, 3, "10.0.1.2");
	struct ike_info info = msg(INFORMATIONAL, false, 4, "10.0.1.2");

	r[0].exchange = CREATE_CHILD_SA;
	ck_assert_int_eq(wire_match(r, c, 3, &ccsa), 0);
	ck_assert_int_eq(wire_match(r, c, 3, &info), 1);
	/* Later rules counted what they matched, but took nothing. */
	ck_assert_uint_eq(c[0].seen, 1);
	ck_assert_uint_eq(c[1].seen, 2);
	ck_assert_uint_eq(c[2].seen, 2);
	ck_assert_uint_eq(c[0].taken, 1);
	ck_assert_uint_eq(c[1].taken, 1);
	ck_assert_uint_eq(c[2].taken, 0);
	ck_assert_int_eq(wire_match(r, c, 0, &info), -1);
}
END_TEST

/* "nth 2" is the second matching message on the wire, whatever earlier
 * rules did with the first; a rule passed over lets later rules take it. */
START_TEST(match_nth)
{
	struct wire_rule r[3] = {
		any_rule("first-resp", WIRE_DELAY),
		any_rule("second-resp", WIRE_DROP),
		any_rule("every", WIRE_DUPLICATE),
	};
	struct wire_counters c[3] = { { 0 } };
	struct ike_info req = msg(CREATE_CHILD_SA, false, 2, "10.0.1.2");
	struct ike_info resp = msg(CREATE_CHILD_SA, true, 2, "10.0.2.2");
	int got[4];

	r[0].exchange = r[1].exchange = CREATE_CHILD_SA;
	r[0].response = r[1].response = 1;
	r[0].nth = 1;
	r[1].nth = 2;
	ck_assert_int_eq(wire_match(r, c, 3, &req), 2);
	for (int i = 0; i < 4; i++)
		got[i] = wire_match(r, c, 3, &resp);
	ck_assert_int_eq(got[0], 0);
	ck_assert_int_eq(got[1], 1);
	ck_assert_int_eq(got[2], 2);
	ck_assert_int_eq(got[3], 2);
	ck_assert_uint_eq(c[0].seen, 4);
	ck_assert_uint_eq(c[0].taken, 1);
	ck_assert_uint_eq(c[1].seen, 4);
	ck_assert_uint_eq(c[1].taken, 1);
	ck_assert_uint_eq(c[2].seen, 5);
	ck_assert_uint_eq(c[2].taken, 3);
}
END_TEST

START_TEST(match_released_hold)
{
	struct wire_rule r[2] = { any_rule("hold", WIRE_HOLD), any_rule("delay", WIRE_DELAY) };
	struct wire_counters c[2] = { { 0 } };
	struct ike_info m = msg(IKE_AUTH, false, 1, "10.0.1.2");

	ck_assert_int_eq(wire_match(r, c, 2, &m), 0);
	c[0].released = true;
	ck_assert_int_eq(wire_match(r, c, 2, &m), 1);
	ck_assert_uint_eq(c[0].seen, 2);
	ck_assert_uint_eq(c[0].taken, 1);
	/* Only holds end: a released flag means nothing to other actions. */
	c[1].released = true;
	ck_assert_int_eq(wire_match(r, c, 2, &m), 1);
}
END_TEST

static Suite *parse_suite(void)
{
	Suite *s = suite_create("ike_parse");
	TCase *tc = tcase_create("packets");

	tcase_add_test(tc, init_request_on_500);
	tcase_add_test(tc, ipv6);
	tcase_add_test(tc, create_child_response_on_4500);
	tcase_add_test(tc, esp_and_keepalive_on_4500);
	tcase_add_test(tc, truncated_at_every_length);
	tcase_add_test(tc, ip_options);
	tcase_add_test(tc, not_ike);
	tcase_add_test(tc, first_fragment);
	tcase_add_test(tc, garbage);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *match_suite(void)
{
	Suite *s = suite_create("wire_match");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, match_filters);
	tcase_add_test(tc, match_first_wins);
	tcase_add_test(tc, match_nth);
	tcase_add_test(tc, match_released_hold);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(parse_suite());
	int failed;

	srunner_add_suite(sr, match_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

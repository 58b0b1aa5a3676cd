/*
 * test_ikemsg.c - IKE messages made to order (kernel/ikemsg.h) and the
 * scenario entries that stand for them (sc_inject_msg): bytes checked
 * against RFC 7296's layouts by offset, and every message read back by
 * the fault wire's own parser (kernel/wire.h), written independently.
 */
#include "base/err.h"
#include "config/scenario.h"
#include "kernel/ikemsg.h"
#include "kernel/wire.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint8_t *build_ok(const struct ikemsg *m, size_t *len)
{
	uint8_t *buf = NULL;

	if (ikemsg_build(m, &buf, len) < 0)
		ck_abort_msg("ikemsg_build: %s", err_msg());
	return buf;
}

/* The message as the wire sees it crossing a router: IPv4, UDP, IKE. */
static void wire_reads(const uint8_t *msg, size_t len, uint16_t port, struct ike_info *out)
{
	size_t n = 28 + len;
	uint8_t *p = calloc(1, n);

	p[0] = 0x45;
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	p[8] = 64;
	p[9] = 17;
	p[12] = 192, p[13] = 0, p[14] = 2, p[15] = 1;
	p[16] = 192, p[17] = 0, p[18] = 2, p[19] = 2;
	p[20] = (uint8_t)(port >> 8), p[21] = (uint8_t)port;
	p[22] = (uint8_t)(port >> 8), p[23] = (uint8_t)port;
	p[24] = (uint8_t)((8 + len) >> 8), p[25] = (uint8_t)(8 + len);
	memcpy(p + 28, msg, len);
	ck_assert_int_eq(ike_parse(p, n, out), 1);
	free(p);
}

START_TEST(test_header_only)
{
	struct ikemsg m = { .spi_i = 0x0123456789abcdefULL,
			    .exchange = 34,
			    .flags = 0x08,
			    .version = 0x20,
			    .message_id = 1,
			    .payloads = "",
			    .next_payload = -1 };
	struct ike_info info;
	size_t len;
	uint8_t *b = build_ok(&m, &len);

	ck_assert_uint_eq(len, 28);
	ck_assert_uint_eq(b[0], 0x01);
	ck_assert_uint_eq(b[7], 0xef);
	for (int i = 8; i < 16; i++)
		ck_assert_uint_eq(b[i], 0);
	ck_assert_uint_eq(b[16], 0); /* no payload */
	ck_assert_uint_eq(b[17], 0x20);
	ck_assert_uint_eq(b[18], 34);
	ck_assert_uint_eq(b[19], 0x08);
	ck_assert_uint_eq(be32(b + 20), 1);
	ck_assert_uint_eq(be32(b + 24), 28);
	wire_reads(b, len, 500, &info);
	ck_assert_uint_eq(info.spi_i, 0x0123456789abcdefULL);
	ck_assert_uint_eq(info.spi_r, 0);
	ck_assert_uint_eq(info.exchange, 34);
	ck_assert (info.initiator && !info.response)
		;
	ck_assert_uint_eq(info.message_id, 1);
	ck_assert_uint_eq(info.length, 28);
	free(b);
}
END_TEST

/* SA (4 + 44), KE (4 + 4 + 32), No (4 + 32), each naming the next. */
START_TEST(test_sa_ke_no)
{
	struct ikemsg m = { .spi_i = 1,
			    .exchange = 34,
			    .flags = 0x08,
			    .version = 0x20,
			    .payloads = "SA KE No",
			    .next_payload = -1,
			    .rand = 7 };
	size_t len;
	uint8_t *b = build_ok(&m, &len), *p;

	ck_assert_uint_eq(len, 28 + 48 + 40 + 36);
	ck_assert_uint_eq(b[16], 33);
	ck_assert_uint_eq(be32(b + 24), len);
	p = b + 28; /* SA */
	ck_assert_uint_eq(p[0], 34);
	ck_assert_uint_eq(be16(p + 2), 48);
	ck_assert_uint_eq(p[4], 0);         /* last proposal */
	ck_assert_uint_eq(be16(p + 6), 44); /* proposal length */
	ck_assert_uint_eq(p[9], 1);         /* IKE */
	ck_assert_uint_eq(p[11], 4);        /* transforms */
	ck_assert_uint_eq(p[12], 3);        /* ENCR, more follow */
	ck_assert_uint_eq(be16(p + 14), 12);
	ck_assert_uint_eq(p[16], 1);
	ck_assert_uint_eq(be16(p + 18), 12); /* AES-CBC */
	ck_assert_uint_eq(be16(p + 20), 0x800e);
	ck_assert_uint_eq(be16(p + 22), 128);
	ck_assert_uint_eq(p[24 + 16], 0); /* the DH transform is the last */
	ck_assert_uint_eq(p[24 + 16 + 4], 4);
	ck_assert_uint_eq(be16(p + 24 + 16 + 6), 31);
	p += 48; /* KE */
	ck_assert_uint_eq(p[0], 40);
	ck_assert_uint_eq(be16(p + 2), 40);
	ck_assert_uint_eq(be16(p + 4), 31);
	p += 40; /* Nonce */
	ck_assert_uint_eq(p[0], 0);
	ck_assert_uint_eq(be16(p + 2), 36);
	free(b);
}
END_TEST

START_TEST(test_same_seed_same_bytes)
{
	struct ikemsg m = { .exchange = 34, .payloads = "KE No V", .next_payload = -1, .rand = 3 };
	uint8_t *a, *b, *c;
	size_t la, lb, lc;

	a = build_ok(&m, &la);
	b = build_ok(&m, &lb);
	m.rand = 4;
	c = build_ok(&m, &lc);
	ck_assert_uint_eq(la, lb);
	ck_assert_mem_eq(a, b, la);
	ck_assert_uint_eq(la, lc);
	ck_assert_int_ne(memcmp(a, c, la), 0);
	free(a);
	free(b);
	free(c);
}
END_TEST

/* NAT-T: the marker comes first and is not part of the IKE length; the
 * length field may lie on request. */
START_TEST(test_natt_and_length)
{
	uint32_t lie = 2000;
	struct ikemsg m = { .exchange = 37,
			    .flags = 0x20,
			    .version = 0x20,
			    .message_id = 9,
			    .payloads = "N(COOKIE) N(HASH_ALG) N(24)",
			    .next_payload = -1,
			    .natt = true,
			    .length = &lie };
	struct ike_info info;
	size_t len;
	uint8_t *b = build_ok(&m, &len);

	ck_assert_uint_eq(len, 4 + 28 + 3 * 8);
	ck_assert_uint_eq(be32(b), 0);
	ck_assert_uint_eq(b[4 + 16], 41);
	ck_assert_uint_eq(be32(b + 4 + 24), 2000);
	ck_assert_uint_eq(be16(b + 32 + 6), 16390);
	ck_assert_uint_eq(be16(b + 40 + 6), 16431);
	ck_assert_uint_eq(be16(b + 48 + 6), 24);
	ck_assert_uint_eq(b[48], 0);
	/* With the true length, the wire reads it back. */
	lie = (uint32_t)(len - 4);
	free(b);
	b = build_ok(&m, &len);
	wire_reads(b, len, 4500, &info);
	ck_assert (info.natt)
		;
	ck_assert (info.response)
		;
	ck_assert_uint_eq(info.exchange, 37);
	ck_assert_uint_eq(info.message_id, 9);
	free(b);
}
END_TEST

START_TEST(test_body)
{
	static const uint8_t raw[] = { 0x29, 0, 0, 8, 0, 0, 0x40, 0 };
	struct ikemsg m = { .exchange = 37,
			    .payloads = "",
			    .body = raw,
			    .body_len = sizeof(raw),
			    .next_payload = 41 };
	size_t len;
	uint8_t *b = build_ok(&m, &len), *h;

	ck_assert_uint_eq(len, 36);
	ck_assert_uint_eq(b[16], 41);
	ck_assert_mem_eq(b + 28, raw, sizeof(raw));
	free(b);
	ck_assert_int_eq(ikemsg_hex("2900000800004000", &h, &len), 0);
	ck_assert_uint_eq(len, 8);
	ck_assert_mem_eq(h, raw, 8);
	free(h);
}
END_TEST

struct refusal {
	int (*fn)(const char *);
	const char *in, *msg;
};

static int exchange_of(const char *s)
{
	uint8_t x;

	return ikemsg_exchange(s, &x);
}

static int spi_of(const char *s)
{
	uint64_t x;

	return ikemsg_spi(s, &x);
}

static const struct refusal refusals[] = {
	{ ikemsg_check_payloads, "SA N(70000)",
	  "'N(70000)' is not a payload ikelab writes: SA, KE, No, V, or N(TYPE) with TYPE a "
	  "number up to 65535 or one of charon's names (N(COOKIE), N(NATD_S_IP), ...)" },
	{ ikemsg_check_payloads, "N()",
	  "'N()' is not a payload ikelab writes: SA, KE, No, V, or N(TYPE) with TYPE a number "
	  "up to 65535 or one of charon's names (N(COOKIE), N(NATD_S_IP), ...)" },
	{ ikemsg_check_payloads, "N(007)",
	  "'N(007)' is not a payload ikelab writes: SA, KE, No, V, or N(TYPE) with TYPE a "
	  "number up to 65535 or one of charon's names (N(COOKIE), N(NATD_S_IP), ...)" },
	{ exchange_of, "256",
	  "'256' is not an exchange: IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL or "
	  "a number up to 255" },
	{ exchange_of, "034",
	  "'034' is not an exchange: IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL or "
	  "a number up to 255" },
	{ spi_of, "0123456789abcdef0", "'0123456789abcdef0' is not an SPI: 16 hex digits" },
	{ spi_of, "0123456789abcdeg", "'0123456789abcdeg' is not an SPI: 16 hex digits" },
};

START_TEST(test_refused)
{
	const struct refusal *r = &refusals[_i];

	err_clear();
	ck_assert_int_eq(r->fn(r->in), -1);
	ck_assert_str_eq(err_msg(), r->msg);
}
END_TEST

START_TEST(test_accepted)
{
	uint8_t x;
	uint64_t spi;

	ck_assert_int_eq(ikemsg_check_payloads("  SA  KE No N(NATD_S_IP) N(0) N(65535) V "), 0);
	ck_assert_int_eq(ikemsg_exchange("0", &x), 0);
	ck_assert_uint_eq(x, 0);
	ck_assert_int_eq(ikemsg_exchange("CREATE_CHILD_SA", &x), 0);
	ck_assert_uint_eq(x, 36);
	ck_assert_int_eq(ikemsg_spi("FFFFFFFFFFFFFFFF", &spi), 0);
	ck_assert_uint_eq(spi, UINT64_MAX);
}
END_TEST

START_TEST(test_too_long)
{
	struct ikemsg m = { .exchange = 34, .next_payload = -1 };
	char *many = calloc(1, 300 * 3 + 1);
	uint8_t *b;
	size_t len;

	for (int i = 0; i < 300; i++)
		strcat(many, "No ");
	m.payloads = many;
	err_clear();
	ck_assert_int_eq(ikemsg_build(&m, &b, &len), -1);
	ck_assert_str_eq(err_msg(), "the message would be longer than 8192 bytes");
	free(many);
}
END_TEST

/* What a scenario entry leaves out: an IKE_SA_INIT request gets what a
 * responder needs to answer, SPIs are drawn and never 0, other
 * exchanges and responses get nothing. */
START_TEST(test_entry_defaults)
{
	struct sc_entry e = { .action = "inject" };
	uint64_t rand = 5, again = 5;
	uint32_t resp = 0x20;
	struct ikemsg m, n;
	uint8_t *body;

	ck_assert_int_eq(sc_inject_msg(&e, &rand, &m, &body), 0);
	ck_assert_ptr_null(body);
	ck_assert_str_eq(m.payloads, "SA KE No");
	ck_assert_uint_eq(m.exchange, 34);
	ck_assert_uint_eq(m.flags, 0x08);
	ck_assert_uint_eq(m.version, 0x20);
	ck_assert_uint_ne(m.spi_i, 0);
	ck_assert_uint_eq(m.spi_r, 0);
	ck_assert (!m.natt)
		;
	ck_assert_int_eq(sc_inject_msg(&e, &again, &n, &body), 0);
	ck_assert_uint_eq(m.spi_i, n.spi_i);
	ck_assert_uint_eq(m.rand, n.rand);
	ck_assert_int_eq(sc_inject_msg(&e, &rand, &n, &body), 0);
	ck_assert_uint_ne(m.spi_i, n.spi_i);
	e.flags = &resp;
	ck_assert_int_eq(sc_inject_msg(&e, &rand, &m, &body), 0);
	ck_assert_str_eq(m.payloads, "");
	e.flags = NULL;
	e.exchange = "INFORMATIONAL";
	ck_assert_int_eq(sc_inject_msg(&e, &rand, &m, &body), 0);
	ck_assert_str_eq(m.payloads, "");
	ck_assert_uint_eq(m.exchange, 37);
}
END_TEST

/* A replay keeps the captured bytes but the header fields it names. */
START_TEST(test_replay_rewrite)
{
	struct ikemsg m = { .spi_i = 0x1111,
			    .exchange = 34,
			    .flags = 0x08,
			    .version = 0x20,
			    .payloads = "SA KE No",
			    .next_payload = -1,
			    .rand = 9 };
	uint32_t mid = 1, port = 4500;
	struct sc_entry e = { .action = "inject",
			      .replay = "init",
			      .message_id = &mid,
			      .spi_r = "00000000000000ff" };
	size_t len, out_len;
	uint8_t *msg = build_ok(&m, &len), *out;

	out = sc_replay_msg(&e, msg, len, &out_len);
	ck_assert_uint_eq(out_len, len);
	ck_assert_uint_eq(be32(out + 20), 1);
	ck_assert_uint_eq(out[15], 0xff);
	ck_assert_uint_eq(out[7], 0x11);
	ck_assert_mem_eq(out + 24, msg + 24, len - 24); /* length and payloads as captured */
	free(out);
	e.port = &port;
	out = sc_replay_msg(&e, msg, len, &out_len);
	ck_assert_uint_eq(out_len, len + 4);
	ck_assert_uint_eq(be32(out), 0);
	ck_assert_uint_eq(be32(out + 4 + 20), 1);
	free(out);
	free(msg);
}
END_TEST

static Suite *ikemsg_suite(void)
{
	Suite *s = suite_create("ikemsg");
	TCase *tc = tcase_create("build");

	tcase_add_test(tc, test_header_only);
	tcase_add_test(tc, test_sa_ke_no);
	tcase_add_test(tc, test_same_seed_same_bytes);
	tcase_add_test(tc, test_natt_and_length);
	tcase_add_test(tc, test_body);
	tcase_add_loop_test(tc, test_refused, 0, sizeof(refusals) / sizeof(refusals[0]));
	tcase_add_test(tc, test_accepted);
	tcase_add_test(tc, test_too_long);
	tcase_add_test(tc, test_entry_defaults);
	tcase_add_test(tc, test_replay_rewrite);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ikemsg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * test_import.c - `ikelab import` (import/conf.h, import/import.h): both
 * readers' trees and every refusal with its FILE:LINE:COL; swanctl.conf and
 * ipsec.conf mapped onto the model (also=, %default, auto=ignore, stroke
 * lifetimes, @fqdn, DN and if_id notes, secrets never copied); hostile
 * values noted instead of written; and the files written loading without
 * --trust, with their network (IPv6 tunnels of IPv4, left/right swapped).
 */
#define SCRATCH_TAG "import"
#include "scratch.h"

#include <string.h>

#include "base/file.h"
#include "config/profile.h"
#include "config/scenario.h"
#include "config/topology.h"
#include "import/conf.h"
#include "import/import.h"

static struct conf_node *settings(const char *text)
{
	return conf_parse_settings_text("x.conf", text, strlen(text));
}

static struct conf_node *ipsec(const char *text)
{
	return conf_parse_ipsec_text("ipsec.conf", text, strlen(text));
}

START_TEST(test_settings_tree)
{
	struct conf_node *r =
		settings("# c\nconnections {\n  gw {   # x\n    local_addrs = 192.0.2.1 "
			 "# y\n    proposals=\"aes128 \\\"q\\\"\"\n    local\n    {\n"
			 "      id = a.b\n    }\n  }\n}\nsecrets { }\n");
	struct conf_node *gw;

	CHECK(r);
	gw = conf_get(conf_get(r, "connections", false), "gw", false);
	ck_assert_ptr_nonnull(gw);
	ck_assert_str_eq(conf_take(gw, "local_addrs"), "192.0.2.1");
	ck_assert_int_eq(conf_get(gw, "local_addrs", true)->line, 4);
	ck_assert (conf_get(gw, "local_addrs", true)->used)
		;
	ck_assert_str_eq(conf_take(gw, "proposals"), "aes128 \"q\"");
	ck_assert_str_eq(conf_take(conf_get(gw, "local", false), "id"), "a.b");
	ck_assert_ptr_nonnull(conf_get(r, "secrets", false));
	ck_assert_ptr_null(conf_take(gw, "absent"));
	conf_free(r);
}
END_TEST

static const struct {
	const char *text, *msg;
} bad_settings[] = {
	{ "a {\n  b = 1\n", "x.conf:3:1: the file ends inside a section" },
	{ "a = 1\n}\n", "x.conf:2:1: a '}' closes no section" },
	{ "a b\n", "x.conf:1:3: expected '=' or '{' after a name" },
	{ "a = \"open\n", "x.conf:1:10: a quoted value is not closed on its line" },
	{ "a = x\x01y\n", "x.conf:1:6: a control character in a value" },
	{ "a : b {\n}\n", "x.conf:1:1: section references (`name : other`) are not supported" },
	{ "{\n", "x.conf:1:1: expected a name, '}' or a comment" },
};

START_TEST(test_settings_bad)
{
	ck_assert_ptr_null(settings(bad_settings[_i].text));
	ck_assert_str_eq(err_msg(), bad_settings[_i].msg);
}
END_TEST

START_TEST(test_ipsec_tree)
{
	struct conf_node *r = ipsec("# x\nconfig setup\n\tuniqueids=no\n\nconn %default\n\t"
				    "keyexchange=ikev2\nconn a  # c\n  left=192.0.2.1\n  "
				    "leftid=\"@a b\"\ninclude /etc/x\n");
	struct conf_node *a;

	CHECK(r);
	ck_assert_str_eq(r->child->name, "config");
	ck_assert_str_eq(r->child->value, "setup");
	a = r->child->next->next;
	ck_assert_str_eq(a->value, "a");
	ck_assert_str_eq(conf_take(a, "left"), "192.0.2.1");
	ck_assert_str_eq(conf_take(a, "leftid"), "@a b");
	ck_assert_str_eq(a->next->name, "include");
	ck_assert_ptr_null(a->next->child);
	conf_free(r);
}
END_TEST

static const struct {
	const char *text, *msg;
} bad_ipsec[] = {
	{ "\tleft=1\n", "ipsec.conf:1:2: a setting outside any section" },
	{ "conn a\n\tleft\n", "ipsec.conf:2:6: expected '=' after the key" },
	{ "connx a\n", "ipsec.conf:1:1: expected 'config setup', 'conn NAME' or 'ca NAME' at the "
		       "start of a line (settings are indented)" },
	{ "conn a b\n", "ipsec.conf:1:6: a section needs one name" },
	{ "conn a\n\tleft=\x7f\n", "ipsec.conf:2:7: a control character in a value" },
};

START_TEST(test_ipsec_bad)
{
	ck_assert_ptr_null(ipsec(bad_ipsec[_i].text));
	ck_assert_str_eq(err_msg(), bad_ipsec[_i].msg);
}
END_TEST

static void put(const char *name, const char *text)
{
	CHECK(write_file(at(name), text, strlen(text), 0644) == 0);
}

static const char moon_swanctl[] =
	"connections {\n"
	"  gw-gw {\n"
	"    local_addrs = 192.168.0.1\n"
	"    remote_addrs = 192.168.0.2\n"
	"    local {\n      auth = pubkey\n      certs = moonCert.pem\n      id = "
	"moon.example.org\n    }\n"
	"    remote {\n      auth = pubkey\n      id = \"C=CH, O=x, CN=sun\"\n    }\n"
	"    children {\n"
	"      net {\n        local_ts = 10.1.0.0/16, 10.3.0.0/16\n        remote_ts = "
	"10.2.0.0/16\n"
	"        start_action = trap\n        updown = /bin/evil\n        if_id_in = 42\n"
	"        esp_proposals = aes'x\n      }\n"
	"      host {\n        rekey_time = 10m\n      }\n"
	"    }\n"
	"    rekey_time = 1h\n    mobike = no\n"
	"  }\n"
	"}\n"
	"secrets {\n  ike-1 {\n    secret = topsecret\n  }\n}\n";

static const char sun_swanctl[] =
	"connections {\n  gw-gw {\n    local_addrs = 192.168.0.2\n"
	"    remote_addrs = 192.168.0.1\n    local {\n      auth = pubkey\n"
	"      id = sun.example.org\n    }\n    children {\n      net {\n"
	"        local_ts = 10.2.0.0/16\n        remote_ts = 10.1.0.0/16\n"
	"      }\n    }\n  }\n}\n";

START_TEST(test_swanctl_model)
{
	struct imp_gw gw = { .conf = at("moon.conf") };
	const struct imp_conn *c;

	put("moon.conf", moon_swanctl);
	CHECK(imp_read(&gw) == 0);
	ck_assert_int_eq(gw.n_conn, 1);
	c = &gw.conn[0];
	ck_assert_str_eq(c->local_addr, "192.168.0.1");
	ck_assert_str_eq(imp_get(&c->kvs, "auth"), "pubkey");
	ck_assert_str_eq(imp_get(&c->kvs, "local_id"), "moon.example.org");
	ck_assert_ptr_null(imp_get(&c->kvs, "remote_id"));
	ck_assert_str_eq(imp_get(&c->kvs, "mobike"), "no");
	ck_assert_int_eq(c->n_child, 2);
	ck_assert_int_eq(c->child[0].n_local, 2);
	ck_assert_str_eq(c->child[0].local_ts[1], "10.3.0.0/16");
	ck_assert_str_eq(imp_get(&c->child[0].kvs, "start_action"), "trap");
	ck_assert_ptr_null(imp_get(&c->child[0].kvs, "esp_proposals"));
	/* swanctl.conf's defaults: dynamic selectors, start_action none. */
	ck_assert_str_eq(c->child[1].local_ts[0], "dynamic");
	ck_assert_str_eq(imp_get(&c->child[1].kvs, "start_action"), "none");
	ck_assert_ptr_nonnull(strstr(gw.notes.buf, "moon.conf:19: connections.gw-gw.children.net"
						   ".updown = /bin/evil: not carried"));
	ck_assert_ptr_nonnull(strstr(gw.notes.buf, "if_id_in = 42: not carried: route-based"));
	ck_assert_ptr_nonnull(strstr(gw.notes.buf, "XFRM interfaces"));
	ck_assert_ptr_nonnull(strstr(gw.notes.buf, "remote.id = C=CH, O=x, CN=sun: not carried"));
	ck_assert_ptr_nonnull(strstr(gw.notes.buf, "esp_proposals = aes'x: not carried"));
	ck_assert_ptr_nonnull(strstr(gw.notes.buf, "local.certs = moonCert.pem: replaced"));
	ck_assert_ptr_null(strstr(gw.notes.buf, "topsecret"));
	imp_gw_free(&gw);
}
END_TEST

static const char moon_ipsec[] =
	"config setup\n\tuniqueids=never\n\n"
	"conn %default\n\tikelifetime=60m\n\tkeylife=20m\n\trekeymargin=3m\n"
	"\tkeyexchange=ikev2\n\tfragmentation=yes\n\n"
	"conn base\n\tleft=192.168.0.1\n\tleftid=@moon.example.org\n"
	"\tright=192.168.0.2\n\tauthby=secret\n\n"
	"conn net-net\n\talso=base\n\tleftsubnet=10.1.0.0/16,10.3.0.0/16\n"
	"\trightsubnet=10.2.0.0/16\n\tauto=route\n\tdpdaction=restart\n"
	"\tesp=aes128gcm16!\n\n"
	"conn skipped\n\tleft=192.168.0.1\n\tright=192.168.0.9\n";

START_TEST(test_ipsec_model)
{
	struct imp_gw gw = { .conf = at("ipsec.conf") };
	const struct imp_conn *c;

	put("ipsec.conf", moon_ipsec);
	CHECK(imp_read(&gw) == 0);
	/* base and skipped have no auto: ipsec starter loads neither. */
	ck_assert_int_eq(gw.n_conn, 1);
	c = &gw.conn[0];
	ck_assert_str_eq(c->name, "net-net");
	ck_assert_str_eq(c->local_addr, "192.168.0.1");
	ck_assert_str_eq(imp_get(&c->kvs, "local_id"), "moon.example.org");
	ck_assert_str_eq(imp_get(&c->kvs, "auth"), "psk");
	ck_assert_str_eq(imp_get(&c->kvs, "version"), "2");
	ck_assert_str_eq(imp_get(&c->kvs, "unique"), "never");
	ck_assert_str_eq(imp_get(&c->kvs, "reauth_time"), "3420");
	ck_assert_str_eq(imp_get(&c->kvs, "over_time"), "180");
	ck_assert_str_eq(imp_get(&c->kvs, "dpd_delay"), "30");
	ck_assert_str_eq(imp_get(&c->child[0].kvs, "rekey_time"), "1020");
	ck_assert_str_eq(imp_get(&c->child[0].kvs, "life_time"), "1200");
	ck_assert_str_eq(imp_get(&c->child[0].kvs, "start_action"), "trap");
	ck_assert_str_eq(imp_get(&c->child[0].kvs, "dpd_action"), "restart");
	ck_assert_str_eq(imp_get(&c->child[0].kvs, "esp_proposals"), "aes128gcm16");
	ck_assert_int_eq(c->child[0].n_local, 2);
	ck_assert_str_eq(c->child[0].remote_ts[0], "10.2.0.0/16");
	ck_assert_ptr_nonnull(
		strstr(gw.notes.buf, "conn %default.fragmentation = yes: not carried"));
	ck_assert_ptr_nonnull(strstr(gw.notes.buf, "conn skipped: auto=ignore (the default)"));
	imp_gw_free(&gw);
}
END_TEST

static struct topology *written_topology(void)
{
	struct topology *t = topology_load(at("out/topology.yaml"));

	CHECK(t);
	return t;
}

START_TEST(test_write_loads)
{
	struct imp_gw gw[2] = { { .conf = at("moon.conf") }, { .conf = at("sun.conf") } };
	struct topology *t;
	char *text;
	size_t len;

	put("moon.conf", moon_swanctl);
	put("sun.conf", sun_swanctl);
	CHECK(imp_read(&gw[0]) == 0 && imp_read(&gw[1]) == 0);
	CHECK(imp_write(gw, at("out")) == 0);
	ck_assert_str_eq(gw[0].node, "moon");
	ck_assert_str_eq(gw[1].node, "sun");
	t = written_topology();
	ck_assert_int_eq(topo_protected_count(topo_peer(t, 0)), 2);
	ck_assert_str_eq(topo_protected(topo_peer(t, 0), 1), "10.3.0.1/16");
	ck_assert_str_eq(topo_ike_addr(t, topo_peer(t, 1)), "192.168.0.2");
	topology_free(t);
	CHECK(read_file(at("out/moon.yaml"), &text, &len) == 0);
	ck_assert_ptr_nonnull(strstr(text, "#   "));
	ck_assert_ptr_null(strstr(text, "topsecret"));
	free(text);
	/* What is there is not overwritten. */
	ck_assert_int_eq(imp_write(gw, at("out")), -1);
	ck_assert_ptr_nonnull(strstr(err_msg(), "topology.yaml"));
	imp_gw_free(&gw[0]);
	imp_gw_free(&gw[1]);
}
END_TEST

/* IPv4 subnets in an IPv6 tunnel; sun's ipsec.conf has left and right the
 * other way round. */
START_TEST(test_write_v6_swapped)
{
	struct imp_gw gw[2] = { { .conf = at("moon.conf") }, { .conf = at("sun.conf") } };
	struct topology *t;

	put("moon.conf", "connections {\n  c {\n    local_addrs = fec0::1\n    remote_addrs = "
			 "fec0::2\n    children {\n      n {\n        local_ts = 10.1.0.0/16\n"
			 "        remote_ts = 10.2.0.0/16\n      }\n    }\n  }\n}\n");
	put("sun.conf", "conn c\n\tleft=fec0::1\n\tright=fec0::2\n\tleftsubnet=10.1.0.0/16\n"
			"\trightsubnet=10.2.0.0/16\n\tauto=add\n");
	CHECK(imp_read(&gw[0]) == 0 && imp_read(&gw[1]) == 0);
	CHECK(imp_write(gw, at("out")) == 0);
	ck_assert_str_eq(gw[1].addr, "fec0::2");
	ck_assert_str_eq(gw[1].conn[0].child[0].local_ts[0], "10.2.0.0/16");
	t = written_topology();
	ck_assert_str_eq(topo_ike_addr(t, topo_peer(t, 0)), "fec0::1");
	ck_assert_str_eq(topo_protected(topo_peer(t, 1), 0), "10.2.0.1/16");
	topology_free(t);
	imp_gw_free(&gw[0]);
	imp_gw_free(&gw[1]);
}
END_TEST

START_TEST(test_write_no_address)
{
	struct imp_gw gw[2] = { { .conf = at("a.conf") }, { .conf = at("b.conf") } };

	put("a.conf", "conn c\n\tleft=%defaultroute\n\tright=%any\n\tauto=add\n");
	put("b.conf", "conn c\n\tleft=%defaultroute\n\tright=%any\n\tauto=add\n");
	CHECK(imp_read(&gw[0]) == 0 && imp_read(&gw[1]) == 0);
	ck_assert_int_eq(imp_write(gw, at("out")), -1);
	ck_assert_ptr_nonnull(strstr(err_msg(), "no address for this gateway"));
	imp_gw_free(&gw[0]);
	imp_gw_free(&gw[1]);
}
END_TEST

/* ipsec.conf's %defaultroute: the other gateway's `right` names it. */
START_TEST(test_write_defaultroute)
{
	struct imp_gw gw[2] = { { .conf = at("a.conf") }, { .conf = at("b.conf") } };

	put("a.conf", "conn c\n\tleft=%defaultroute\n\tleftsubnet=10.1.0.0/24\n"
		      "\tright=198.51.100.7\n\trightsubnet=10.2.0.0/24\n\tauto=start\n");
	put("b.conf", "conn c\n\tleft=198.51.100.7\n\tleftsubnet=10.2.0.0/24\n"
		      "\tright=203.0.113.5\n\trightsubnet=10.1.0.0/24\n\tauto=add\n");
	CHECK(imp_read(&gw[0]) == 0 && imp_read(&gw[1]) == 0);
	CHECK(imp_write(gw, at("out")) == 0);
	ck_assert_str_eq(gw[0].addr, "203.0.113.5");
	ck_assert_str_eq(gw[0].node, "alice");
	ck_assert_str_eq(gw[1].node, "bob");
	imp_gw_free(&gw[0]);
	imp_gw_free(&gw[1]);
}
END_TEST

static Suite *import_suite(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tcase_create("import");

	tcase_add_checked_fixture(tc, scratch, cleanup);
	tcase_add_test(tc, test_settings_tree);
	tcase_add_loop_test(tc, test_settings_bad, 0, ARRAY_LEN(bad_settings));
	tcase_add_test(tc, test_ipsec_tree);
	tcase_add_loop_test(tc, test_ipsec_bad, 0, ARRAY_LEN(bad_ipsec));
	tcase_add_test(tc, test_swanctl_model);
	tcase_add_test(tc, test_ipsec_model);
	tcase_add_test(tc, test_write_loads);
	tcase_add_test(tc, test_write_v6_swapped);
	tcase_add_test(tc, test_write_no_address);
	tcase_add_test(tc, test_write_defaultroute);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(import_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * test_config.c - YAML loading of topologies and peer profiles: the shipped
 * files, every class of bad input with its exact file:line:col, and the
 * generic yamlcheck layer. Run from the repository root.
 */
#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/profile.h"
#include "config/topology.h"
#include "config/ts.h"
#include "base/err.h"
#include "base/util.h"
#include "config/yamlcheck.h"

#define FIX "tests/unit/yaml/"
#define ADDR_EG "(like 192.0.2.1/24 or 2001:db8::1/64)"
#define TS                                                                     \
	"is not a traffic selector (an address, CIDR or range, IPv4 or IPv6, " \
	"dynamic, protected or protected:N; optionally with [proto] or [proto/port])"

struct bad {
	const char *file; /* under FIX */
	const char *msg;  /* err_msg() after the file name and ':' */
};

static void assert_err(const struct bad *b)
{
	char want[ERR_MSG_MAX];

	snprintf(want, sizeof(want), FIX "%s:%s", b->file, b->msg);
	ck_assert_str_eq(err_msg(), want);
}

/* Shipped files */

START_TEST(test_two_peer)
{
	struct topology *t = topology_load("topologies/two-peer.yaml");
	const struct topo_node *alice, *bob;

	ck_assert_msg(t, "%s", err_msg());
	ck_assert_str_eq(t->name, "two-peer");
	ck_assert_str_eq(t->path, "topologies/two-peer.yaml");
	ck_assert_uint_eq(t->nodes_count, 2);
	ck_assert_uint_eq(t->links_count, 1);
	ck_assert_uint_eq(t->links[0].endpoints_count, 2);
	ck_assert_str_eq(t->links[0].endpoints[1].address, "192.0.2.2/24");
	alice = topo_peer(t, 0);
	bob = topo_peer(t, 1);
	ck_assert_str_eq(alice->name, "alice");
	ck_assert_str_eq(bob->name, "bob");
	ck_assert_ptr_null(topo_peer(t, 2));
	ck_assert_str_eq(alice->protected_addr, "10.1.0.1/16");
	ck_assert_str_eq(bob->protected_addr, "10.2.0.1/16");
	ck_assert_ptr_null(alice->ike_addr);
	ck_assert_str_eq(topo_ike_addr(t, alice), "192.0.2.1");
	ck_assert_str_eq(topo_ike_addr(t, bob), "192.0.2.2");
	ck_assert_uint_eq(t->routes_count, 2);
	ck_assert_str_eq(t->routes[0].node, "alice");
	ck_assert_str_eq(t->routes[0].to, "10.2.0.0/16");
	ck_assert_str_eq(t->routes[0].via, "192.0.2.2");
	ck_assert_str_eq(t->routes[1].via, "192.0.2.1");
	topology_free(t);
}
END_TEST

START_TEST(test_two_peer_router)
{
	struct topology *t = topology_load("topologies/two-peer-router.yaml");
	const struct topo_node *wan;

	ck_assert_msg(t, "%s", err_msg());
	ck_assert_uint_eq(t->nodes_count, 3);
	ck_assert_uint_eq(t->links_count, 2);
	wan = topo_node_find(t, "wan");
	ck_assert_ptr_nonnull(wan);
	ck_assert_int_eq(wan->role, NODE_ROUTER);
	ck_assert_int_eq(topo_node_find(t, "bob")->role, NODE_PEER);
	ck_assert_ptr_null(topo_node_find(t, "carol"));
	ck_assert_str_eq(topo_peer(t, 1)->name, "bob");
	ck_assert_str_eq(topo_ike_addr(t, topo_peer(t, 0)), "192.0.2.1");
	ck_assert_str_eq(topo_ike_addr(t, topo_peer(t, 1)), "192.0.2.130");
	ck_assert_str_eq(t->links[1].endpoints[0].address, "192.0.2.129/25");
	ck_assert_str_eq(t->routes[0].to, "default");
	ck_assert_str_eq(t->routes[0].via, "192.0.2.126");
	ck_assert_str_eq(t->routes[1].via, "192.0.2.129");
	topology_free(t);
}
END_TEST

START_TEST(test_auto_route)
{
	struct profile *p = profile_load("peers/auto-route.yaml");
	unsigned i;

	ck_assert_msg(p, "%s", err_msg());
	ck_assert_str_eq(p->path, "peers/auto-route.yaml");
	ck_assert_str_eq(p->charon, PROFILE_DEFAULT_CHARON);
	for (i = 0; profile_default_plugins[i]; i++) {
		ck_assert_uint_lt(i, p->plugins_count);
		ck_assert_str_eq(p->plugins[i], profile_default_plugins[i]);
	}
	ck_assert_uint_eq(p->plugins_count, i);
	ck_assert_ptr_null(p->settings);
	ck_assert_int_eq(*p->log->dflt, 1);
	ck_assert_int_eq(*p->log->ike, 2);
	ck_assert_int_eq(*p->log->knl, 2);
	ck_assert_int_eq(*p->log->cfg, 1);
	ck_assert_int_eq(*p->log->chd, 2);
	ck_assert_int_eq(*p->log->net, 1);
	ck_assert_ptr_null(p->log->mgr);
	ck_assert_uint_eq(*p->ike->version, 2);
	ck_assert_str_eq(p->ike->proposals, "aes128gcm16-prfsha256-ecp256");
	ck_assert_str_eq(p->ike->unique, "no");
	ck_assert_ptr_null(p->ike->rekey_time);
	ck_assert_ptr_null(p->ike->reauth_time);
	ck_assert_ptr_null(p->ike->mobike);
	ck_assert_str_eq(p->child->name, "net");
	ck_assert_str_eq(p->child->esp_proposals, "aes128gcm16");
	ck_assert_str_eq(p->child->start_action, "trap");
	ck_assert_str_eq(p->child->mode, "tunnel");
	ck_assert_ptr_null(p->child->rekey_time);
	ck_assert_ptr_null(p->strongswan_conf);
	profile_free(p);
}
END_TEST

START_TEST(test_lifetime_profiles)
{
	struct profile *p = profile_load("peers/reauth-mbb.yaml");

	ck_assert_msg(p, "%s", err_msg());
	ck_assert (*p->settings->make_before_break)
		;
	ck_assert_str_eq(p->ike->reauth_time, "30s");
	ck_assert_str_eq(p->ike->rekey_time, "0");
	profile_free(p);

	p = profile_load("peers/rekey-only.yaml");
	ck_assert_msg(p, "%s", err_msg());
	ck_assert_str_eq(p->ike->rekey_time, "30s");
	ck_assert_str_eq(p->ike->reauth_time, "0");
	profile_free(p);

	p = profile_load("peers/uniqueids-never.yaml");
	ck_assert_msg(p, "%s", err_msg());
	ck_assert_str_eq(p->ike->unique, "never");
	profile_free(p);
}
END_TEST

/* Bad topologies: structure first, then semantics. */

static const struct bad topo_bad[] = {
	{ "topo-unknown-deep.yaml", "15:9: links[1].endpoints[0]: "
				    "unknown key 'adress' (allowed: node, address, address6)" },
	{ "topo-missing-key.yaml", "10:9: links[0].endpoints[1]: "
				   "missing required key 'address'" },
	{ "topo-missing-top.yaml", "2:1: missing required key 'links'" },
	{ "topo-seq-for-scalar.yaml", "3:14: description: "
				      "expected a string, found a sequence" },
	{ "topo-scalar-for-seq.yaml", "3:8: nodes: "
				      "expected a sequence, found 'alice'" },
	{ "topo-bad-role.yaml", "8:11: nodes[1].role: "
				"'peers' is not one of: peer, router" },
	{ "topo-three-endpoints.yaml", "16:9: links[0].endpoints: "
				       "expected exactly 2 entries, found 3" },
	{ "topo-one-endpoint.yaml", "11:16: links[0].endpoints: "
				    "expected exactly 2 entries, found 1" },
	{ "topo-dup-key.yaml", "7:5: nodes[0]: "
			       "duplicate key 'role' (first at line 5)" },
	{ "topo-syntax.yaml", "5:10: YAML syntax error: "
			      "mapping values are not allowed in this context" },
	{ "empty.yaml", "1:1: the file is empty (expected a mapping)" },
	{ "top-sequence.yaml", "2:1: "
			       "expected a mapping at the top level, found a sequence" },
	{ "two-documents.yaml", "3:1: "
				"a second YAML document is not supported" },
	{ "topo-link-no-node.yaml", "14:15: links[0].endpoints[1].node: "
				    "no node named 'carol'" },
	{ "topo-bad-name.yaml", "4:12: nodes[0].name: 'Alice' is not a node "
				"name ([a-z][a-z0-9_]*, at most 11 characters)" },
	{ "topo-long-name.yaml", "5:12: nodes[1].name: 'bobbybobbyxy' is not "
				 "a node name ([a-z][a-z0-9_]*, at most 11 characters)" },
	{ "topo-dup-node.yaml", "6:12: nodes[2].name: "
				"duplicate node name 'alice' (first at line 4)" },
	{ "topo-three-peers.yaml", "4:3: nodes: "
				   "expected exactly 2 nodes with role peer, found 3" },
	{ "topo-peer-unprotected.yaml", "5:5: nodes[1]: "
					"peer 'bob' needs protected_addr (or a protected: list)" },
	{ "topo-reserved-pki.yaml", "4:12: nodes[0].name: 'pki' is reserved (not a node name)" },
	{ "topo-masq-peer.yaml", "4:72: nodes[0].masquerade: only a router masquerades (a peer "
				 "is what it hides)" },
	{ "topo-masq-unknown.yaml", "5:43: nodes[1].masquerade: topology has no peer named "
				    "'carol'" },
	{ "topo-masq-no-outside.yaml", "5:43: nodes[1].masquerade: router 'nat' has no link "
				       "besides the one to 'alice': no outside to masquerade to" },
	{ "topo-masq-unlinked.yaml", "5:42: nodes[1].masquerade: router 'r1' has no link to "
				     "peer 'bob' (it masquerades a side it is linked to)" },
	{ "topo-v6-address6-v4.yaml", "8:56: links[0].endpoints[0].address6: '198.51.100.1/24' "
				      "is not an IPv6 address" },
	{ "topo-v6-families.yaml", "5:5: nodes[1]: peers alice and bob talk IKE from addresses "
				   "of two families (2001:db8::1, 192.0.2.2): set ike_addr" },
	{ "topo-v6-masquerade.yaml", "5:43: nodes[1].masquerade: a router masquerades IPv4 "
				     "only, and the peers talk IKE over IPv6" },
	{ "topo-v6-one-end.yaml", "9:9: links[0].endpoints[1]: one end of the link has "
				  "address6, this one none" },
	{ "topo-v6-route-family.yaml", "11:45: routes[0].via: 192.0.2.2 is an IPv4 address, "
				       "2001:db8:2::/48 an IPv6 subnet" },
	{ "topo-protected-both.yaml", "4:71: nodes[0].protected: peer 'alice' has "
				      "protected_addr and protected: name its subnets in one of "
				      "them" },
	{ "topo-protected-bad.yaml", "4:56: nodes[0].protected[1]: '10.3.0.1' is not an "
				     "address with prefix length " ADDR_EG },
	{ "topo-router-protected.yaml", "6:47: nodes[2].protected_addr: "
					"a router protects no subnet (only peers do)" },
	{ "topo-router-ike-addr.yaml", "6:41: nodes[2].ike_addr: "
				       "a router runs no charon (only peers do)" },
	{ "topo-no-prefix.yaml", "4:47: nodes[0].protected_addr: '10.1.0.1' "
				 "is not an address with prefix length " ADDR_EG },
	{ "topo-bad-prefix.yaml", "13:18: links[0].endpoints[0].address: "
				  "'192.0.2.1/33' is not an address with prefix length " ADDR_EG },
	{ "topo-bad-address.yaml",
	  "15:18: links[0].endpoints[1].address: "
	  "'192.0.256.2/24' is not an address with prefix length " ADDR_EG },
	{ "topo-loop-link.yaml", "19:15: links[1].endpoints[1].node: "
				 "both ends of the link are on node 'bob'" },
	{ "topo-link-subnets.yaml",
	  "15:18: links[0].endpoints[1].address: "
	  "'192.0.2.1/24' and '192.0.3.2/24' are not two addresses in one "
	  "subnet" },
	{ "topo-unlinked.yaml", "6:5: nodes[2]: node 'wan' is on no link" },
	{ "topo-ike-addr-foreign.yaml", "4:70: nodes[0].ike_addr: "
					"192.0.2.2 is not an address of node 'alice' on any link" },
	{ "topo-ike-addr-prefix.yaml",
	  "4:70: nodes[0].ike_addr: "
	  "'192.0.2.1/24' is not a plain address (like 192.0.2.1 or 2001:db8::1)" },
	{ "topo-route-no-node.yaml", "18:12: routes[1].node: "
				     "no node named 'carol'" },
	{ "topo-route-via-prefix.yaml",
	  "19:10: routes[0].via: "
	  "'192.0.2.2/24' is not a plain address (like 192.0.2.1 or 2001:db8::1)" },
	{ "topo-route-via-far.yaml",
	  "19:10: routes[0].via: "
	  "198.51.100.1 is on no subnet that node 'alice' is linked to" },
	{ "topo-route-via-self.yaml", "19:10: routes[0].via: "
				      "192.0.2.1 is an address of node 'alice' itself" },
	{ "topo-route-host-bits.yaml", "18:9: routes[0].to: "
				       "'10.2.0.1/16' has host bits set" },
	{ "topo-route-bad-to.yaml",
	  "18:9: routes[0].to: 'everything' is "
	  "neither 'default' nor a subnet (like 10.2.0.0/16 or 2001:db8:2::/48)" },
};

START_TEST(test_topology_bad)
{
	const struct bad *b = &topo_bad[_i];
	char path[256];

	snprintf(path, sizeof(path), FIX "%s", b->file);
	err_clear();
	ck_assert_ptr_null(topology_load(path));
	assert_err(b);
}
END_TEST

/* Bad profiles */

static const struct bad profile_bad[] = {
	{ "peer-int-junk.yaml", "3:15: settings.send_delay: "
				"'5x' is not a decimal integer" },
	{ "peer-int-empty.yaml", "4:15: ike.keyingtries: "
				 "expected an integer, found an empty value" },
	{ "peer-int-fraction.yaml", "3:12: ike.version: "
				    "'1.5' is not a decimal integer" },
	{ "peer-int-octal.yaml", "3:12: settings.threads: "
				 "'010' is not a decimal integer" },
	{ "peer-int-overflow.yaml", "3:16: ike.keyingtries: "
				    "4294967296 is out of range (0..4294967295)" },
	{ "peer-int-negative.yaml", "3:21: settings.retransmit_tries: "
				    "-1 is out of range (0..4294967295)" },
	{ "peer-log-overflow.yaml", "4:8: log.ike: "
				    "-2147483649 is out of range (-2147483648..2147483647)" },
	{ "peer-bool-bad.yaml", "3:11: ike.mobike: "
				"'maybe' is not a boolean (true/false, yes/no, on/off)" },
	{ "peer-plugins-empty.yaml", "2:10: plugins: "
				     "expected at least 1 entry, found 0" },
	{ "peer-map-for-scalar.yaml", "3:3: charon: "
				      "expected a string, found a mapping" },
	{ "peer-scalar-for-map.yaml", "2:6: log: "
				      "expected a mapping, found '2'" },
	{ "peer-alias-bad.yaml", "3:15: ike.rekey_time: "
				 "expected a string, found a mapping" },
	{ "peer-duration.yaml", "4:15: ike.rekey_time: '10x' is not a "
				"duration (seconds, or a number with s, m, h or d: 90, 10s, 5m, "
				"1h, 2d)" },
	{ "peer-unique.yaml", "3:11: ike.unique: "
			      "'maybe' is not one of: no, never, replace, keep" },
	{ "peer-start-action.yaml", "4:17: child.start_action: "
				    "'route' is not one of: none, trap, start" },
	{ "peer-dpd-action.yaml", "3:15: child.dpd_action: "
				  "'hold' is not one of: clear, trap, restart" },
	{ "peer-mode.yaml", "3:9: child.mode: "
			    "'beet' is not one of: tunnel, transport" },
	{ "peer-version.yaml", "3:12: ike.version: "
			       "IKE version 3 is neither 1 nor 2" },
	{ "peer-log-level.yaml", "4:8: log.knl: "
				 "log level 5 is out of range (-1..4)" },
	{ "peer-plugin-name.yaml", "4:5: plugins[1]: "
				   "'Vici' is not a plugin name ([a-z0-9-]+)" },
	{ "peer-charon-relative.yaml", "2:9: charon: "
				       "'build/charon' is not an absolute path" },
	{ "peer-retransmit.yaml", "3:23: settings.retransmit_timeout: "
				  "'fast' is not a decimal number (like 4 or 0.5)" },
	{ "peer-conn-name.yaml", "3:9: ike.name: 'my lab' is not a connection "
				 "name (letters, digits, '-' and '_', at most 32)" },
	{ "peer-id-dn.yaml", "3:13: ike.local_id: 'C=CH, O=strongSwan, CN=moon' is not an "
			     "identity the lab takes (an FQDN, an address or user@fqdn: letters, "
			     "digits, '.', '-', '_', '@' and ':', at most 128)" },
	{ "peer-auth.yaml", "3:9: ike.auth: 'eap' is not one of: psk, pubkey" },
	{ "peer-ts-comma.yaml", "6:20: connections[0].children[0].local_ts[0]: "
				"'10.1.0.0/16,0.0.0.0/0' " TS },
	{ "peer-ts-prefix.yaml", "3:15: child.remote_ts[0]: '10.2.0.0/33' " TS },
	{ "peer-ts-port.yaml", "3:14: child.local_ts[0]: '10.1.0.0/16[tcp/65536]' " TS },
	{ "peer-reqid.yaml", "3:10: child.reqid: -1 is out of range (0..4294967295)" },
	{ "peer-conn-dup.yaml", "5:11: connections[1].name: connection 'a' is already "
				"connections[0]" },
	{ "peer-child-dup.yaml", "6:34: connections[1].children[1].name: CHILD_SA 'x' is "
				 "already in connection 'a' (child names are unique in a "
				 "profile)" },
	{ "peer-child-dup-same.yaml", "6:15: connections[0].children[1].name: CHILD_SA 'x' "
				      "is already in connection 'a' (child names are unique in "
				      "a profile)" },
	{ "peer-conn-noname.yaml", "3:5: connections[0]: a connection needs a name" },
	{ "peer-child-noname.yaml", "4:16: connections[0].children[0]: a CHILD_SA needs a "
				    "name" },
	{ "peer-conn-nochildren.yaml", "3:5: connections[0]: missing required key "
				       "'children'" },
	{ "peer-ike-name-defaults.yaml", "3:9: ike.name: with connections:, ike: holds the "
					 "defaults of every connection and has no name (name "
					 "each entry of connections:)" },
	{ "peer-child-mode-deep.yaml", "7:15: connections[0].children[1].mode: 'beet' is not "
				       "one of: tunnel, transport" },
};

START_TEST(test_profile_bad)
{
	const struct bad *b = &profile_bad[_i];
	char path[256];

	snprintf(path, sizeof(path), FIX "%s", b->file);
	err_clear();
	ck_assert_ptr_null(profile_load(path));
	assert_err(b);
}
END_TEST

START_TEST(test_missing_file)
{
	ck_assert_ptr_null(topology_load(FIX "no-such-file.yaml"));
	ck_assert_str_eq(err_msg(), "open " FIX "no-such-file.yaml: "
				    "No such file or directory");
}
END_TEST

/* Every accepted spelling, in mixed case, as libcyaml stores it. */
START_TEST(test_booleans)
{
	struct profile *p = profile_load(FIX "peer-bools.yaml");
	const struct profile_settings *s;

	ck_assert_msg(p, "%s", err_msg());
	s = p->settings;
	ck_assert (!*s->make_before_break)
		;
	ck_assert (*s->reuse_ikesa)
		;
	ck_assert (*s->send_delay_request)
		;
	ck_assert (!*s->send_delay_response)
		;
	ck_assert (*s->receive_delay_request)
		;
	ck_assert (!*s->receive_delay_response)
		;
	ck_assert (!*p->ike->mobike)
		;
	ck_assert_ptr_null(s->send_delay);
	profile_free(p);
}
END_TEST

START_TEST(test_aliases)
{
	struct profile *p = profile_load(FIX "peer-alias.yaml");

	ck_assert_msg(p, "%s", err_msg());
	ck_assert_str_eq(p->ike->rekey_time, "30s");
	ck_assert_str_eq(p->child->rekey_time, "30s");
	ck_assert_uint_eq(p->plugins_count, 2);
	ck_assert_str_eq(p->plugins[0], "vici");
	ck_assert_str_eq(p->plugins[1], "vici");
	profile_free(p);
}
END_TEST

START_TEST(test_sparse_profiles)
{
	struct profile *p = profile_load(FIX "peer-empty-map.yaml");

	ck_assert_msg(p, "%s", err_msg());
	ck_assert_str_eq(p->path, FIX "peer-empty-map.yaml");
	ck_assert_ptr_null(p->name);
	ck_assert_ptr_null(p->plugins);
	ck_assert_uint_eq(p->plugins_count, 0);
	ck_assert_ptr_null(p->ike);
	profile_free(p);

	p = profile_load(FIX "peer-minimal.yaml");
	ck_assert_msg(p, "%s", err_msg());
	ck_assert_str_eq(p->ike->unique, "never");
	ck_assert_ptr_null(p->ike->version);
	ck_assert_ptr_null(p->ike->name);
	ck_assert_ptr_null(p->child);
	ck_assert_ptr_null(p->log);
	profile_free(p);

	topology_free(NULL);
	profile_free(NULL);
}
END_TEST

/* connections: with children, and ike:/child: as every entry's defaults. */
START_TEST(test_connections)
{
	struct profile *p = profile_load(FIX "peer-conns.yaml");
	struct profile_child ch;
	struct profile_ike c;

	ck_assert_msg(p, "%s", err_msg());
	ck_assert_uint_eq(profile_conn_count(p), 2);
	profile_conn(p, 0, &c);
	ck_assert_str_eq(c.name, "office");
	ck_assert_str_eq(c.rekey_time, "10m"); /* from ike: */
	ck_assert_str_eq(c.unique, "never");
	ck_assert_uint_eq(profile_child_count(&c), 2);
	profile_child(p, &c, 0, &ch);
	ck_assert_str_eq(ch.name, "lan");
	ck_assert_uint_eq(ch.local_ts_count, 2);
	ck_assert_str_eq(ch.local_ts[1], "10.3.0.0/24");
	ck_assert_uint_eq(*ch.reqid, 7);
	ck_assert_str_eq(ch.esp_proposals, "aes256gcm16"); /* from child: */
	ck_assert_str_eq(ch.rekey_time, "5m");
	profile_child(p, &c, 1, &ch);
	ck_assert_str_eq(ch.rekey_time, "1m"); /* its own wins */
	ck_assert_str_eq(ch.start_action, "start");
	ck_assert_ptr_null(ch.reqid);
	profile_conn(p, 1, &c);
	ck_assert_str_eq(c.rekey_time, "20m");
	profile_child(p, &c, 0, &ch);
	ck_assert_str_eq(ch.remote_ts[0], "2001:db8:2::1-2001:db8:2::9");
	ck_assert_int_eq(profile_conn_of_child(p, "voice"), 0);
	ck_assert_int_eq(profile_conn_of_child(p, "ipv6"), 1);
	ck_assert_int_eq(profile_conn_of_child(p, "net"), -1);
	profile_free(p);

	/* The shorthand: one connection "lab" with one child "net". */
	p = profile_load("peers/auto-route.yaml");
	ck_assert_msg(p, "%s", err_msg());
	ck_assert_uint_eq(profile_conn_count(p), 1);
	profile_conn(p, 0, &c);
	ck_assert_str_eq(c.name, PROFILE_DEFAULT_CONN);
	ck_assert_str_eq(c.proposals, "aes128gcm16-prfsha256-ecp256");
	ck_assert_uint_eq(profile_child_count(&c), 1);
	profile_child(p, &c, 0, &ch);
	ck_assert_str_eq(ch.name, "net");
	ck_assert_ptr_null(ch.local_ts);
	ck_assert_int_eq(profile_conn_of_child(p, "net"), 0);
	profile_free(p);
}
END_TEST

/* A peer behind a masquerading router is seen at the router's outside. */
START_TEST(test_nat_topology)
{
	struct topology *t = topology_load("topologies/nat.yaml");

	ck_assert_msg(t, "%s", err_msg());
	ck_assert_str_eq(topo_node_find(t, "nat")->masquerade, "alice");
	ck_assert_str_eq(topo_ike_addr(t, topo_peer(t, 0)), "192.168.1.2");
	ck_assert_str_eq(topo_seen_addr(t, topo_peer(t, 0)), "198.51.100.1");
	ck_assert_str_eq(topo_seen_addr(t, topo_peer(t, 1)), "198.51.100.2");
	topology_free(t);
}
END_TEST

START_TEST(test_ipv6_topologies)
{
	struct topology *t = topology_load("topologies/ipv6.yaml");

	ck_assert_msg(t, "%s", err_msg());
	ck_assert_str_eq(topo_ike_addr(t, topo_peer(t, 1)), "2001:db8::2");
	ck_assert (topo_uses_ipv6(t))
		;
	topology_free(t);
	t = topology_load("topologies/dual-stack.yaml");
	ck_assert_msg(t, "%s", err_msg());
	ck_assert_str_eq(topo_ike_addr(t, topo_peer(t, 0)), "2001:db8::1");
	ck_assert_str_eq(t->links[0].endpoints[1].address6, "2001:db8::2/64");
	ck_assert_uint_eq(topo_protected_count(topo_peer(t, 1)), 2);
	topology_free(t);
	t = topology_load("topologies/two-peer.yaml");
	ck_assert (t && !topo_uses_ipv6(t))
		;
	topology_free(t);
}
END_TEST

START_TEST(test_traffic_selectors)
{
	static const char *const good[] = { "10.1.0.0/16",
					    "10.1.0.1",
					    "dynamic",
					    "::/0",
					    "2001:db8::1/128",
					    "10.0.0.1-10.0.0.9",
					    "10.1.0.0/16[tcp]",
					    "10.1.0.0/16[udp/500]",
					    "0.0.0.0/0[tcp/1000-2000]",
					    "10.1.0.0/16[17/%any]",
					    "fe80::/10[icmp6]",
					    "protected",
					    "protected:1",
					    "protected:15[tcp/80]" };
	static const char *const bad[] = { "",
					   "10.1.0.0/16,10.2.0.0/16",
					   "10.1.0.0/33",
					   "10.1.0.0/016",
					   "10.0.0.9-10.0.0.1",
					   "10.0.0.1-::1",
					   "10.1.0.0/16[tcp/65536]",
					   "10.1.0.0/16[bogus]",
					   "10.1.0.0/16[256]",
					   "10.1.0.0/16[tcp",
					   "host.example",
					   "10.1.0.0/16 ",
					   "10.1.0.0/16[tcp/80]x",
					   "dynamic/8",
					   "protected:16",
					   "protected:01",
					   "protected:",
					   "protectedx" };
	char buf[TS_LEN];

	for (size_t i = 0; i < ARRAY_LEN(good); i++)
		ck_assert_msg(ts_check(good[i]) == 0, "%s: %s", good[i], err_msg());
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		ck_assert_msg(ts_check(bad[i]) < 0, "'%s' passed", bad[i]);
	ck_assert (ts_subnet("10.1.2.3/16", buf, sizeof(buf)) && !strcmp(buf, "10.1.0.0/16"))
		;
	ck_assert (ts_subnet("10.1.2.3/20[tcp]", buf, sizeof(buf)) && !strcmp(buf, "10.1.0.0/20"))
		;
	ck_assert (ts_subnet("2001:db8::1", buf, sizeof(buf)) && !strcmp(buf, "2001:db8::1/128"))
		;
	ck_assert (ts_subnet("2001:db8:ff::/33", buf, sizeof(buf)) && !strcmp(buf, "2001:db8::/33"))
		;
	ck_assert (!ts_subnet("dynamic", buf, sizeof(buf)) &&
		   !ts_subnet("10.0.0.1-10.0.0.2", buf, sizeof(buf)))
		;
}
END_TEST

START_TEST(test_protected_list)
{
	struct topology *t = topology_load(FIX "topo-protected-list.yaml");
	const struct topo_node *a, *b;

	ck_assert_msg(t, "%s", err_msg());
	a = topo_peer(t, 0);
	b = topo_peer(t, 1);
	ck_assert_uint_eq(topo_protected_count(a), 2);
	ck_assert_str_eq(topo_protected(a, 1), "10.3.0.1/24");
	ck_assert_str_eq(a->protected_addr, "10.1.0.1/16"); /* the first */
	ck_assert_uint_eq(topo_protected_count(b), 1);
	ck_assert_str_eq(topo_protected(b, 0), "10.2.0.1/16");
	topology_free(t);
}
END_TEST

START_TEST(test_ike_addr)
{
	struct topology *t = topology_load(FIX "topo-ike-addr.yaml");

	ck_assert_msg(t, "%s", err_msg());
	ck_assert_str_eq(topo_ike_addr(t, topo_node_find(t, "bob")), "198.51.100.2");
	ck_assert_str_eq(topo_ike_addr(t, topo_node_find(t, "alice")), "192.0.2.1");
	ck_assert_str_eq(topo_ike_addr(t, topo_node_find(t, "wan")), "198.51.100.1");
	topology_free(t);
}
END_TEST

/* duration_parse */

static const struct {
	const char *s;
	uint32_t secs;
} durations[] = {
	{ "0", 0 },
	{ "90", 90 },
	{ "10s", 10 },
	{ "5m", 300 },
	{ "1h", 3600 },
	{ "2d", 172800 },
	{ "4294967295", 4294967295u },
	{ "49710d", 4294944000u },
};

static const char *const bad_durations[] = {
	"",     "10x",  "-1",   "+1",  "s",          "1.5s",   "010",
	"0x10", "10 s", "10ss", "10S", "4294967296", "49711d", "99999999999999999999",
};

START_TEST(test_duration_parse)
{
	uint32_t secs;

	for (size_t i = 0; i < ARRAY_LEN(durations); i++) {
		secs = 1;
		ck_assert_msg(duration_parse(durations[i].s, &secs) == 0, "'%s': %s",
			      durations[i].s, err_msg());
		ck_assert_uint_eq(secs, durations[i].secs);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad_durations); i++) {
		secs = 7;
		ck_assert_msg(duration_parse(bad_durations[i], &secs) == -1, "'%s' accepted",
			      bad_durations[i]);
		ck_assert_uint_eq(secs, 7);
	}
	duration_parse("10x", &secs);
	ck_assert_str_eq(err_msg(), "'10x' is not a duration (seconds, or a "
				    "number with s, m, h or d: 90, 10s, 5m, 1h, 2d)");
	duration_parse("4294967296", &secs);
	ck_assert_str_eq(err_msg(), "'4294967296' is too long a duration "
				    "(at most 4294967295 seconds)");
}
END_TEST

/* The generic layer, with types and sizes the lab's schemas do not use. */

struct gitem {
	char *key;
	uint8_t small;
	int16_t mid;
	bool flag;
	double ratio;
};

struct gdoc {
	char *title;
	struct gitem *items;
	unsigned items_count;
};

static const cyaml_schema_field_t gitem_fields[] = {
	CYAML_FIELD_STRING_PTR("key", CYAML_FLAG_POINTER, struct gitem, key, 0, 8),
	CYAML_FIELD_UINT("small", CYAML_FLAG_OPTIONAL, struct gitem, small),
	CYAML_FIELD_INT("mid", CYAML_FLAG_OPTIONAL, struct gitem, mid),
	CYAML_FIELD_BOOL("flag", CYAML_FLAG_OPTIONAL, struct gitem, flag),
	CYAML_FIELD_FLOAT("ratio", CYAML_FLAG_OPTIONAL, struct gitem, ratio),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t gitem_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct gitem, gitem_fields),
};

static const cyaml_schema_field_t gdoc_fields[] = {
	CYAML_FIELD_STRING_PTR("title", CYAML_FLAG_OPTIONAL, struct gdoc, title, 0,
			       CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("items", CYAML_FLAG_POINTER, struct gdoc, items, &gitem_schema, 1, 3),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t gdoc_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct gdoc, gdoc_fields),
};

START_TEST(test_generic)
{
	struct ydoc *d;
	struct gdoc *g;
	void *data;
	unsigned line, col;

	ck_assert_msg(ycheck_load(FIX "generic.yaml", &gdoc_schema, &data, &d) == 0, "%s",
		      err_msg());
	g = data;
	ck_assert_str_eq(g->title, "generic");
	ck_assert_uint_eq(g->items_count, 2);
	ck_assert_uint_eq(g->items[0].small, 255);
	ck_assert_int_eq(g->items[0].mid, -32768);
	ck_assert (g->items[0].flag)
		;
	ck_assert_double_eq(g->items[0].ratio, 0.25);
	ck_assert_str_eq(g->items[1].key, "b");
	ck_assert (!g->items[1].flag)
		;

	ck_assert_str_eq(ydoc_file(d), FIX "generic.yaml");
	ck_assert_str_eq(ydoc_pos(d, "items[1].key"), FIX "generic.yaml:10:10");
	ck_assert_str_eq(ydoc_pos(d, "items[0].ratio"), FIX "generic.yaml:9:12");
	/* Absent key and index: the nearest node that exists. */
	ck_assert_str_eq(ydoc_pos(d, "items[1].ratio"), FIX "generic.yaml:10:5");
	ck_assert_str_eq(ydoc_pos(d, "items[7].key"), FIX "generic.yaml:5:3");
	ck_assert_str_eq(ydoc_pos(d, ""), FIX "generic.yaml:3:1");
	ck_assert (ydoc_mark(d, "title", &line, &col))
		;
	ck_assert_uint_eq(line, 3);
	ck_assert_uint_eq(col, 8);
	ck_assert (!ydoc_mark(d, "items[x]", &line, &col))
		;
	ck_assert (!ydoc_mark(d, "items..key", &line, &col))
		;

	err_set("inner problem");
	ck_assert_int_eq(ydoc_err(d, "items[0].small", "wrapped: %s", err_msg()), -1);
	ck_assert_str_eq(err_msg(), FIX "generic.yaml:6:12: items[0].small: "
					"wrapped: inner problem");
	ydoc_free(d);
	ycheck_free(&gdoc_schema, data);

	/* Without a ydoc */
	ck_assert_int_eq(ycheck_load(FIX "generic.yaml", &gdoc_schema, &data, NULL), 0);
	ycheck_free(&gdoc_schema, data);
	ycheck_free(&gdoc_schema, NULL);
	ydoc_free(NULL);
}
END_TEST

static const struct bad generic_bad[] = {
	{ "generic-u8.yaml", "4:12: items[0].small: "
			     "256 is out of range (0..255)" },
	{ "generic-i16.yaml", "3:19: items[0].mid: "
			      "32768 is out of range (-32768..32767)" },
	{ "generic-float.yaml", "4:12: items[0].ratio: "
				"'0.5x' is not a number" },
	{ "generic-float-range.yaml", "4:12: items[0].ratio: "
				      "1e999 is out of range" },
	{ "generic-too-many.yaml", "6:5: items: "
				   "expected at most 3 entries, found 4" },
	{ "generic-key.yaml", "3:10: items[0].key: "
			      "'abcdefghi' is longer than 8 characters" },
};

START_TEST(test_generic_bad)
{
	const struct bad *b = &generic_bad[_i];
	char path[256];
	void *data = &data;
	struct ydoc *d = (struct ydoc *)&d;

	snprintf(path, sizeof(path), FIX "%s", b->file);
	ck_assert_int_eq(ycheck_load(path, &gdoc_schema, &data, &d), -1);
	assert_err(b);
	/* Nothing handed out on failure. */
	ck_assert_ptr_eq(data, &data);
	ck_assert_ptr_eq(d, (struct ydoc *)&d);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_test(tc, test_two_peer);
	tcase_add_test(tc, test_two_peer_router);
	tcase_add_test(tc, test_auto_route);
	tcase_add_test(tc, test_lifetime_profiles);
	tcase_add_loop_test(tc, test_topology_bad, 0, ARRAY_LEN(topo_bad));
	tcase_add_loop_test(tc, test_profile_bad, 0, ARRAY_LEN(profile_bad));
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_booleans);
	tcase_add_test(tc, test_aliases);
	tcase_add_test(tc, test_sparse_profiles);
	tcase_add_test(tc, test_ike_addr);
	tcase_add_test(tc, test_connections);
	tcase_add_test(tc, test_protected_list);
	tcase_add_test(tc, test_traffic_selectors);
	tcase_add_test(tc, test_nat_topology);
	tcase_add_test(tc, test_ipv6_topologies);
	tcase_add_test(tc, test_duration_parse);
	tcase_add_test(tc, test_generic);
	tcase_add_loop_test(tc, test_generic_bad, 0, ARRAY_LEN(generic_bad));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

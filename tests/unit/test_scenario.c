/*
 * test_scenario.c - scenario files: a full one with every action, every
 * class of bad input with its exact file:line:col, per-peer profiles, and
 * plans: same seed same JSON, jitter and "both" as documented in
 * docs/scenarios.md. Run from the repository root.
 */
#include <check.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/profile.h"
#include "base/err.h"
#include "config/scenario.h"
#include "base/util.h"

#define FIX "tests/unit/scenarios/"
#define MS_SHAPE                                                  \
	"(milliseconds with ms, seconds, or a number with s, m, " \
	"h or d: 500ms, 90, 10s, 5m, 1h)"

static struct scenario *load_ok(const char *file)
{
	struct scenario *s = scenario_load(file);

	ck_assert_msg(s, "%s", err_msg());
	return s;
}

/* A full scenario */

START_TEST(test_full)
{
	struct scenario *s = load_ok(FIX "full.yaml");
	char *topo = realpath("topologies/two-peer-router.yaml", NULL);
	const struct sc_fault *f;
	const struct sc_entry *e;
	unsigned seen = 0;

	ck_assert_str_eq(s->name, "full-example");
	ck_assert_str_eq(s->description, "every key the scenario format has");
	ck_assert_str_eq(s->cites, "strongSwan issue 2446");
	ck_assert_str_eq(s->expect, "reproduces");
	ck_assert (s->reproduces)
		;
	ck_assert_str_eq(s->path, FIX "full.yaml");
	ck_assert_str_eq(s->topology_path, topo);
	ck_assert_str_eq(s->topo->name, "two-peer-router");
	ck_assert_uint_eq(s->duration_ms, 90000);
	ck_assert_uint_eq(*s->seed, 42);
	ck_assert_double_eq(s->rate_hz, 2.5);
	ck_assert_double_eq(s->grace_s, 0.5);
	ck_assert (s->full_duration && * s->full_duration)
		;
	ck_assert_uint_eq(s->traffic->pps, 1000);
	ck_assert_uint_eq(*s->traffic->start, 500);

	ck_assert_uint_eq(s->peers_count, 2);
	ck_assert_str_eq(s->peers[0].name, "bob");
	ck_assert_uint_eq(*s->peers[0].set->settings->send_delay, 500);
	ck_assert_ptr_null(s->peers[1].profile);

	ck_assert_uint_eq(s->faults_count, 5);
	f = &s->faults[0];
	ck_assert_str_eq(f->name, "slow-ccsa");
	ck_assert_str_eq(f->router, "wan");
	ck_assert_str_eq(f->exchange, "CREATE_CHILD_SA");
	ck_assert (*f->response)
		;
	ck_assert_str_eq(f->from, "bob");
	ck_assert_uint_eq(*f->message_id, 2);
	ck_assert_uint_eq(*f->nth, 1);
	ck_assert_str_eq(f->action, "delay");
	ck_assert_uint_eq(*f->delay_ms, 3000);
	ck_assert_str_eq(s->faults[1].until, "deletes");
	ck_assert_ptr_null(s->faults[3].exchange);

	ck_assert_uint_eq(s->schedule_count, 24);
	for (unsigned i = 0; i < s->schedule_count; i++)
		for (unsigned k = 0; k <= SC_VICI; k++)
			if (!strcmp(s->schedule[i].action, sc_action_name(k)))
				seen |= 1u << k;
	/* Every action but conntrack-flush, which needs a masquerading router. */
	ck_assert_uint_eq(seen, ((1u << (SC_VICI + 1)) - 1) & ~(1u << SC_CONNTRACK_FLUSH));
	ck_assert_str_eq(s->schedule[22].set->child->rekey_time, "30m");
	ck_assert_str_eq(s->schedule[23].command, "list-sas");
	ck_assert_uint_eq(s->schedule[23].args_count, 2);
	ck_assert_str_eq(s->schedule[23].args[1].value, "yes");
	ck_assert_str_eq(s->schedule[20].state, "down");
	ck_assert_str_eq(s->schedule[21].dev, "eth1");
	ck_assert (*s->expectations->unique_reqids)
		;
	ck_assert (*s->expectations->kernel_sa_pairs && * s->expectations->policies_match)
		;
	ck_assert_uint_eq(*s->expectations->max_lost_each_way, 50);
	ck_assert_uint_eq(*s->expectations->max_outage_ms, 200);
	e = &s->schedule[0];
	ck_assert_uint_eq(e->at, 1000);
	ck_assert_str_eq(e->peer, "both");
	ck_assert_uint_eq(*e->skew_us, 250);
	ck_assert_str_eq(e->order, "bob-first");
	ck_assert_uint_eq(*s->schedule[1].jitter, 500);
	ck_assert_uint_eq(*s->schedule[3].packets, 10);
	ck_assert (!*s->schedule[4].hard)
		;
	ck_assert (*s->schedule[6].reauth)
		;
	e = &s->schedule[7];
	ck_assert_str_eq(e->dev, "eth1");
	ck_assert_uint_eq(*e->delay_ms, 50);
	ck_assert_uint_eq(*e->jitter_ms, 10);
	ck_assert_str_eq(e->loss_pct, "0.5");
	ck_assert_str_eq(s->schedule[8].name, "deletes");
	ck_assert (*s->schedule[9].clear)
		;
	ck_assert_str_eq(s->schedule[10].signal, "STOP");
	ck_assert_ptr_null(s->schedule[15].signal);
	/* A hold without until is released by the rule's name. */
	ck_assert_ptr_null(s->faults[4].until);
	ck_assert_str_eq(s->schedule[17].name, "stall");
	e = &s->schedule[18];
	ck_assert_uint_eq(*e->port, 4500);
	ck_assert_str_eq(e->spi_r, "0000000000000001");
	ck_assert_uint_eq(*e->message_id, 1);
	ck_assert_uint_eq(*e->length, 2000);
	ck_assert_uint_eq(*e->count, 3);
	ck_assert_str_eq(e->payloads, "SA KE No N(NATD_S_IP) N(16390) V");
	ck_assert_uint_eq(*s->schedule[19].next_payload, 41);
	ck_assert_uint_eq(s->expectations->stats_count, 2);
	ck_assert_str_eq(s->expectations->stats[0].counter, "ikesas.half-open");
	ck_assert_str_eq(s->expectations->stats[0].peer, "bob");
	ck_assert_uint_eq(*s->expectations->stats[0].max, 0);
	ck_assert_ptr_null(s->expectations->stats[1].peer);
	ck_assert_uint_eq(*s->expectations->stats[1].min, 1);

	ck_assert_uint_eq(*s->expectations->max_ike_per_peer, 1);
	ck_assert_str_eq(s->expectations->max_ike_growth_per_hour, "0");
	ck_assert_str_eq(s->expectations->max_child_growth_per_hour, "0.5");
	ck_assert_uint_eq(*s->expectations->max_lost_per_event, 10);
	ck_assert (*s->expectations->no_crash)
		;
	free(topo);
	scenario_free(s);
}
END_TEST

START_TEST(test_defaults)
{
	struct scenario *s = load_ok(FIX "minimal.yaml");
	struct sc_plan p;
	char *json;

	ck_assert_ptr_null(s->expect);
	ck_assert (!s->reproduces)
		;
	ck_assert_uint_eq(*s->seed, 1);
	ck_assert_double_eq(s->rate_hz, 10);
	ck_assert_double_eq(s->grace_s, 2);
	ck_assert_ptr_null(s->full_duration);
	ck_assert_uint_eq(s->duration_ms, 300000);
	ck_assert_uint_eq(s->schedule_count, 0);
	ck_assert_uint_eq(s->faults_count, 0);
	ck_assert_ptr_null(s->traffic);
	ck_assert_ptr_null(s->expectations);
	scenario_plan(s, *s->seed, &p);
	ck_assert_uint_eq(p.n, 0);
	json = sc_plan_json(s, &p);
	ck_assert_str_eq(json, "{\n  \"scenario\": \"minimal\",\n"
			       "  \"seed\": 1,\n  \"duration_ms\": 300000,\n"
			       "  \"steps\": []\n}");
	free(json);
	sc_plan_free(&p);
	scenario_free(s);
	scenario_free(NULL);
}
END_TEST

/* Per-peer profiles: the peer's own file or the scenario's, set: on top. */
START_TEST(test_profiles)
{
	struct scenario *s = load_ok(FIX "full.yaml");
	struct profile *bob = scenario_profile(s, "bob");
	struct profile *alice = scenario_profile(s, "alice");
	struct profile *again;

	ck_assert_ptr_nonnull(bob);
	ck_assert_str_eq(bob->path, FIX "../../../peers/reauth-mbb.yaml");
	ck_assert_str_eq(bob->ike->reauth_time, "30s");
	ck_assert_str_eq(bob->ike->unique, "never");
	ck_assert (*bob->settings->make_before_break)
		;
	ck_assert_uint_eq(*bob->settings->send_delay, 500);
	ck_assert_uint_eq(bob->plugins_count, 10);
	ck_assert_str_eq(bob->plugins[9], "vici");

	ck_assert_str_eq(alice->path, FIX "../../../peers/auto-route.yaml");
	ck_assert_str_eq(alice->child->rekey_time, "10s");
	ck_assert_str_eq(alice->child->name, "net");
	ck_assert_str_eq(alice->ike->unique, "no");
	ck_assert_ptr_null(alice->settings);

	/* Fresh each time: freeing one copy leaves the next intact. */
	again = scenario_profile(s, "bob");
	ck_assert_ptr_ne(again, bob);
	ck_assert_ptr_ne(again->ike, bob->ike);
	profile_free(bob);
	ck_assert_str_eq(again->ike->unique, "never");
	ck_assert_str_eq(again->plugins[0], "random");
	profile_free(again);
	profile_free(alice);

	/* The set: as written stays in the scenario. */
	ck_assert_str_eq(s->peers[0].set->ike->unique, "never");
	ck_assert_ptr_null(scenario_profile(s, "carol"));
	ck_assert_ptr_null(scenario_profile(s, "wan"));
	scenario_free(s);
}
END_TEST

/* Bad scenarios */

struct bad {
	const char *file; /* under FIX */
	const char *msg;  /* err_msg() after the file name and ':' */
};

static const struct bad bad[] = {
	{ "name-bad.yaml", "1:7: name: 'my scenario' is not a scenario name "
			   "(letters, digits, '-' and '_', at most 64)" },
	{ "expect-bad.yaml", "5:9: expect: "
			     "'maybe' is not one of: clean, reproduces" },
	{ "duration-bad.yaml", "4:11: duration: '10x' is not a duration " MS_SHAPE },
	{ "duration-zero.yaml", "4:11: duration: "
				"a run needs a duration above 0" },
	{ "duration-long.yaml", "4:11: duration: "
				"'50d' is too long a duration (at most 4294967295 ms)" },
	{ "duration-missing.yaml", "1:1: missing required key 'duration'" },
	{ "grace-bad.yaml", "5:8: grace: '1.5s' is not a duration " MS_SHAPE },
	{ "full-duration-bad.yaml", "5:16: full_duration: 'sometimes' is not a boolean "
				    "(true/false, yes/no, on/off)" },
	{ "rate-bad.yaml", "5:14: sample_rate: '200' is not a sample rate in "
			   "Hz above 0 and at most 100 (like 10 or 2.5)" },
	{ "seed-bad.yaml", "5:7: seed: "
			   "-1 is out of range (0..9223372036854775807)" },

	{ "topology-missing.yaml", "2:11: topology: "
				   "open " FIX "nosuch.yaml: No such file or directory" },
	{ "topology-bad.yaml", "2:11: topology: " FIX "files/topo-link-no-node.yaml:14:15: "
			       "links[0].endpoints[1].node: no node named 'carol'" },
	{ "profile-bad.yaml", "3:10: profile: " FIX "files/peer-unique.yaml:3:11: ike.unique: "
			      "'maybe' is not one of: no, never, replace, keep" },

	{ "peer-unknown.yaml", "6:11: peers[0].name: 'carol' is not a peer "
			       "of topology two-peer-router (alice or bob)" },
	{ "peer-dup.yaml", "7:11: peers[1].name: "
			   "duplicate peer 'bob' (first at line 6)" },
	{ "set-bad.yaml", "9:17: peers[0].set.ike.unique: "
			  "'maybe' is not one of: no, never, replace, keep" },
	{ "set-type.yaml", "9:21: peers[0].set.settings.send_delay: "
			   "'5x' is not a decimal integer" },
	{ "set-base.yaml", "8:13: peers[0].set.base: set: takes settings, "
			   "not a base profile (use the peer's profile: for another file)" },
	{ "peer-profile-bad.yaml", "7:14: peers[0].profile: "
				   "open " FIX "nosuch.yaml: No such file or directory" },

	{ "traffic-pps.yaml", "6:8: traffic.pps: pps must be at least 1" },
	{ "traffic-start.yaml", "7:10: traffic.start: 20000 ms is not "
				"before the end of the run (duration 20000 ms)" },
	{ "growth-bad.yaml", "6:28: expectations.max_ike_growth_per_hour: "
			     "'fast' is not a decimal number (like 4 or 0.5)" },

	{ "fault-no-router.yaml", "7:13: faults[0].router: "
				  "topology two-peer has no router named 'wan'" },
	{ "fault-peer-router.yaml", "7:13: faults[0].router: "
				    "'alice' is a peer in topology two-peer-router, not a router" },
	{ "fault-exchange.yaml", "8:15: faults[0].exchange: 'IKE_INIT' is "
				 "not one of: IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, "
				 "INFORMATIONAL, any" },
	{ "fault-from.yaml", "8:11: faults[0].from: 'carol' is not a peer "
			     "of topology two-peer-router (alice or bob)" },
	{ "fault-action.yaml", "8:13: faults[0].action: "
			       "'corrupt' is not one of: delay, drop, duplicate, hold, capture" },
	{ "fault-delay-missing.yaml", "6:5: faults[0]: "
				      "action delay needs delay_ms" },
	{ "fault-delay-extra.yaml", "9:15: faults[0].delay_ms: "
				    "delay_ms applies only to action delay" },
	{ "fault-until-extra.yaml", "9:12: faults[0].until: "
				    "until applies only to action hold" },
	{ "fault-dup.yaml", "9:11: faults[1].name: "
			    "duplicate fault name 'slow' (first at line 6)" },
	{ "fault-nth.yaml", "8:10: faults[0].nth: nth counts from 1" },
	{ "hold-unreleased.yaml", "9:12: faults[0].until: no release in the "
				  "schedule names 'deletes' (leave until out to hold until the end "
				  "of the run)" },
	{ "release-unknown.yaml", "13:11: schedule[0].name: "
				  "no fault rule holds until 'delete'" },
	/* A hold with until is released by that name, not the rule's. */
	{ "release-rule-name.yaml", "13:11: schedule[0].name: "
				    "no fault rule holds until 'keep'" },

	{ "action-unknown.yaml", "7:13: schedule[0].action: 'rekey-all' is "
				 "not one of: initiate, terminate, rekey, install, uninstall, "
				 "traffic, expire, delete-sa, netem, release, kill, restart, "
				 "conntrack-flush, inject, link, reload, vici" },
	{ "action-key.yaml", "9:9: schedule[0].sa: action initiate does not "
			     "take sa (it takes: peer, skew_us, order, child, ike)" },
	{ "entry-unknown.yaml",
	  "9:5: schedule[0]: unknown key 'sig' "
	  "(allowed: at, jitter, action, peer, skew_us, order, child, ike, "
	  "reauth, sa, hard, op, pps, packets, node, dev, delay_ms, "
	  "jitter_ms, loss_pct, clear, name, signal, port, exchange, spi_i, spi_r, "
	  "message_id, flags, version, payloads, body, next_payload, length, count, "
	  "state, replay, set, command, args)" },
	{ "expire-needs.yaml", "6:5: schedule[0]: action expire needs sa" },
	{ "reload-needs.yaml", "6:5: schedule[0]: action reload needs set" },
	{ "reload-settings.yaml",
	  "11:9: schedule[0].set.settings: a reload loads connections "
	  "(ike, child, connections) as swanctl --load-conns does; settings "
	  "needs charon started again (restart, with peers[].set)" },
	{ "reload-bad.yaml", "11:17: schedule[0].set.ike.unique: 'maybe' is not one of: no, "
			     "never, replace, keep" },
	{ "vici-command.yaml", "9:14: schedule[0].command: 'List_SAs' is not a VICI command "
			       "name (lower-case letters and '-', like list-sas or redirect)" },
	{ "vici-both.yaml", "11:9: schedule[0].args[0]: an argument has value or values (a "
			    "list), not both" },
	{ "vici-key.yaml", "11:14: schedule[0].args[0].key: 'child..net' is not a VICI key: "
			   "names of letters, digits, '-' and '_', joined by dots for sections "
			   "(child.net.mode)" },
	{ "vici-nest.yaml", "13:14: schedule[0].args[1].key: 'child.mode' is given again, or "
			    "nested in the value of args[0] ('child')" },
	{ "link-needs.yaml", "6:5: schedule[0]: action link needs state" },
	{ "link-state.yaml", "9:12: schedule[0].state: 'off' is not one of: down, up" },
	{ "link-dev.yaml", "9:10: schedule[0].dev: node 'alice' has no interface 'eth1' (it has "
			   "eth0, one per link in link order)" },
	{ "link-node.yaml", "8:11: schedule[0].node: topology two-peer-router has no node named "
			    "'carol'" },
	{ "replay-none.yaml", "14:13: schedule[0].replay: no fault rule named 'init' captures "
			      "(action: capture)" },
	{ "replay-payloads.yaml", "14:13: schedule[0].replay: a replay sends the captured "
				  "message: it takes no payloads, body or next_payload" },
	{ "inject-needs.yaml", "6:5: schedule[0]: action inject needs node" },
	{ "inject-node.yaml", "9:11: schedule[0].node: topology two-peer-router has no node "
			      "named 'carol'" },
	{ "inject-self.yaml", "9:11: schedule[0].node: 'bob' would send to itself: inject goes "
			      "from one node to a peer" },
	{ "inject-both.yaml", "9:11: schedule[0].node: 'alice' would send to itself: inject "
			      "goes from one node to a peer" },
	{ "inject-port.yaml", "10:11: schedule[0].port: 501 is not an IKE port: 500 or 4500" },
	{ "inject-exchange.yaml", "10:15: schedule[0].exchange: 'IKE_INIT' is not an exchange: "
				  "IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL or a "
				  "number up to 255" },
	{ "inject-spi.yaml", "10:12: schedule[0].spi_r: '12345' is not an SPI: 16 hex digits" },
	{ "inject-payloads.yaml", "10:15: schedule[0].payloads: 'Nonce' is not a payload ikelab "
				  "writes: SA, KE, No, V, or N(TYPE) with TYPE a number up to "
				  "65535 or one of charon's names (N(COOKIE), N(NATD_S_IP), ...)" },
	{ "inject-body.yaml", "10:11: schedule[0].body: body: 'z' at 5 is not a hex digit" },
	{ "inject-flags.yaml", "10:12: schedule[0].flags: 256 does not fit the header's byte "
			       "(0 to 255)" },
	{ "inject-count.yaml", "10:12: schedule[0].count: 0 messages: from 1 to 1000" },
	{ "inject-next.yaml", "11:19: schedule[0].next_payload: next_payload is the header's "
			      "only without payloads: the first of them names itself" },
	{ "events-kind.yaml", "7:13: expectations.events[0].kind: 'Child_Rekey' is not an event "
			      "kind (like child-rekey or child-updown)" },
	{ "events-where.yaml", "8:15: expectations.events[0].where[0]: 'up' is not FIELD=VALUE "
			       "(like up=false or child.name=net)" },
	{ "events-per.yaml", "8:12: expectations.events[0].per: 'old id' is not a field of an "
			     "event: names of lower-case letters, digits, '-' and '_' joined by "
			     "dots, like old_id or child.id" },
	{ "events-window.yaml", "8:14: expectations.events[0].after: the window is empty: "
				"10000 ms is not before 5000 ms" },
	{ "events-limit.yaml", "7:7: expectations.events[0]: an expectation of events needs max, "
			       "min or both" },
	{ "logs-regex.yaml", "7:14: expectations.logs[0].match: 'collision (won' is not a POSIX "
			     "extended regular expression: Unmatched ( or \\(" },
	{ "logs-before.yaml", "8:15: expectations.logs[0].before: 30s is after the end of the "
			      "run (duration 20000 ms)" },
	{ "logs-after.yaml", "8:14: expectations.logs[0].after: '5x' is not a duration " MS_SHAPE },
	{ "stats-counter.yaml", "7:16: expectations.stats[0].counter: 'IKE_SAs.half-open' is not "
				"a counter of VICI stats: names of lower-case letters, digits, "
				"'-' and '_' joined by dots, like ikesas.half-open" },
	{ "stats-peer.yaml", "8:13: expectations.stats[0].peer: 'carol' is not a peer of "
			     "topology two-peer-router (alice or bob)" },
	{ "stats-limit.yaml", "7:7: expectations.stats[0]: an expectation of stats needs max, "
			      "min or both" },
	{ "stats-range.yaml", "8:12: expectations.stats[0].min: min 3 is above max 2" },
	{ "stats-key.yaml", "8:7: expectations.stats[0]: unknown key 'most' (allowed: counter, "
			    "peer, max, min)" },
	{ "release-needs.yaml", "6:5: schedule[0]: "
				"action release needs name" },
	{ "netem-needs.yaml", "6:5: schedule[0]: action netem needs node" },
	{ "traffic-needs-pps.yaml", "6:5: schedule[0]: "
				    "traffic start needs pps" },
	{ "traffic-pps-stop.yaml", "10:10: schedule[0].pps: "
				   "pps applies only to op start" },
	{ "packets-start.yaml", "11:14: schedule[0].packets: "
				"packets applies only to op burst" },
	{ "peer-bad.yaml", "8:11: schedule[0].peer: 'carol' is not a peer "
			   "of topology two-peer-router (alice, bob or both)" },
	{ "skew-not-both.yaml", "9:14: schedule[0].skew_us: "
				"skew_us applies only with peer: both" },
	{ "order-bad.yaml", "9:12: schedule[0].order: "
			    "'carol-first' is not one of: alice-first, bob-first, random" },
	{ "order-names-bad.yaml", "9:12: schedule[0].order: 'carol-first' "
				  "is not one of: gw1-first, gw2-first, alice-first, bob-first, "
				  "random" },
	{ "sa-bad.yaml", "9:9: schedule[0].sa: "
			 "'both' is not one of: in, out" },
	{ "op-bad.yaml", "9:9: schedule[0].op: "
			 "'pause' is not one of: start, stop, burst" },
	{ "signal-bad.yaml", "9:13: schedule[0].signal: "
			     "'HUP' is not one of: KILL, TERM, SEGV, ABRT, STOP, CONT" },
	{ "netem-node.yaml", "8:11: schedule[0].node: "
			     "topology two-peer-router has no node named 'carol'" },
	{ "netem-dev.yaml", "9:10: schedule[0].dev: node 'wan' has no "
			    "interface 'eth2' (it has eth0..eth1, one per link in link "
			    "order)" },
	{ "netem-dev-peer.yaml", "9:10: schedule[0].dev: node 'alice' has no "
				 "interface 'eth1' (it has eth0, one per link in link order)" },
	{ "netem-loss.yaml", "9:15: schedule[0].loss_pct: "
			     "'150' is not a percentage (a decimal from 0 to 100)" },
	{ "netem-empty.yaml", "6:5: schedule[0]: "
			      "netem needs delay_ms or loss_pct (or clear: true)" },
	{ "netem-clear.yaml", "9:12: schedule[0].clear: clear removes the "
			      "qdisc: it takes no delay_ms, jitter_ms or loss_pct" },
	{ "netem-jitter.yaml", "10:16: schedule[0].jitter_ms: "
			       "jitter_ms needs delay_ms (netem varies the delay)" },
	{ "child-name.yaml", "9:12: schedule[0].child: peer alice has no "
			     "CHILD_SA named 'other' (its profile's: 'net')" },
	{ "ike-name.yaml", "14:10: schedule[0].ike: peer bob has no "
			   "connection named 'lab' (its profile's: 'gw')" },
	{ "flush-peer.yaml", "8:11: schedule[0].node: topology two-peer-router has no router "
			     "named 'alice'" },
	{ "protected-beyond.yaml", "3:10: profile: tests/unit/scenarios/../../../peers/"
				   "two-children.yaml: connections[0].children[1].local_ts[0]: "
				   "protected:1, but the topology gives alice 1 protected subnet" },
	{ "set-name-conns.yaml", "9:15: peers[0].set.child.name: the profile has connections:, "
				 "so child: holds their defaults and names none (set "
				 "connections: to rename them)" },
	{ "child-of-other-conn.yaml", "25:12: schedule[0].child: peer alice: CHILD_SA 'y' "
				      "belongs to connection 'b', not 'a'" },
	{ "reauth-child.yaml", "10:13: schedule[0].reauth: reauth applies to "
			       "the IKE_SA, not to a CHILD_SA (leave out child)" },
	{ "at-beyond.yaml", "6:9: schedule[0].at: 20000 ms is not before the "
			    "end of the run (duration 20000 ms)" },
	{ "jitter-beyond.yaml", "6:9: schedule[0].at: 19500 ms with jitter "
				"and skew can come at 20000000 us, not before the end of the run "
				"(duration 20000 ms)" },
	{ "skew-beyond.yaml", "6:9: schedule[0].at: 19999 ms with jitter "
			      "and skew can come at 20000000 us, not before the end of the run "
			      "(duration 20000 ms)" },
};

START_TEST(test_bad)
{
	const struct bad *b = &bad[_i];
	char path[256], want[ERR_MSG_MAX];

	snprintf(path, sizeof(path), FIX "%s", b->file);
	snprintf(want, sizeof(want), FIX "%s:%s", b->file, b->msg);
	err_clear();
	ck_assert_ptr_null(scenario_load(path));
	ck_assert_str_eq(err_msg(), want);
}
END_TEST

START_TEST(test_missing_file)
{
	ck_assert_ptr_null(scenario_load(FIX "no-such-file.yaml"));
	ck_assert_str_eq(err_msg(), "open " FIX "no-such-file.yaml: "
				    "No such file or directory");
}
END_TEST

/* Paths in a scenario are relative to its folder, not to the cwd. */
START_TEST(test_relative_paths)
{
	char *root = getcwd(NULL, 0);
	char *topo = realpath("topologies/two-peer.yaml", NULL);
	char *full = realpath(FIX "full.yaml", NULL);
	struct scenario *s;

	ck_assert_int_eq(chdir("tests/unit"), 0);
	s = load_ok("scenarios/minimal.yaml");
	ck_assert_str_eq(s->topology_path, topo);
	ck_assert_str_eq(s->profiles[0]->path, "scenarios/../../../peers/auto-route.yaml");
	scenario_free(s);
	ck_assert_ptr_null(scenario_load("scenarios/topology-missing.yaml"));
	ck_assert_str_eq(err_msg(),
			 "scenarios/topology-missing.yaml:2:11: "
			 "topology: open scenarios/nosuch.yaml: No such file or directory");

	ck_assert_int_eq(chdir("/"), 0);
	s = load_ok(full);
	ck_assert_str_eq(s->topo->name, "two-peer-router");
	ck_assert_ptr_nonnull(s->profiles[1]);
	scenario_free(s);

	ck_assert_int_eq(chdir(root), 0);
	free(root);
	free(topo);
	free(full);
}
END_TEST

/* Plans */

/* splitmix64's reference outputs for state 0. */
START_TEST(test_rand)
{
	uint64_t state = 0;

	ck_assert_uint_eq(sc_rand(&state), UINT64_C(0xe220a8397b1dcdaf));
	ck_assert_uint_eq(sc_rand(&state), UINT64_C(0x6e789e6aa1b965f4));
	ck_assert_uint_eq(sc_rand(&state), UINT64_C(0x06c45d188009454f));
	ck_assert_uint_eq(state, 3 * UINT64_C(0x9e3779b97f4a7c15));
}
END_TEST

static char *plan_json(const struct scenario *s, uint64_t seed)
{
	struct sc_plan p;
	char *json;

	scenario_plan(s, seed, &p);
	ck_assert_uint_eq(p.seed, seed);
	json = sc_plan_json(s, &p);
	sc_plan_free(&p);
	return json;
}

START_TEST(test_same_seed)
{
	static const uint64_t seeds[] = { 0, 1, 42, INT64_MAX, UINT64_MAX };
	struct scenario *a = load_ok(FIX "plan.yaml");
	struct scenario *b = load_ok(FIX "plan.yaml");

	for (size_t i = 0; i < ARRAY_LEN(seeds); i++) {
		char *ja = plan_json(a, seeds[i]), *jb = plan_json(b, seeds[i]);
		char *again = plan_json(a, seeds[i]);

		ck_assert_str_eq(ja, jb);
		ck_assert_str_eq(ja, again);
		free(ja);
		free(jb);
		free(again);
	}
	scenario_free(a);
	scenario_free(b);
}
END_TEST

/* Steps of entry INDEX, in plan order. */
static unsigned steps_of(const struct sc_plan *p, unsigned index, const struct sc_step **out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->n; i++)
		if (p->steps[i].index == index)
			out[n++] = &p->steps[i];
	return n;
}

START_TEST(test_seeds_differ)
{
	struct scenario *s = load_ok(FIX "plan.yaml");
	char *j1 = plan_json(s, 1), *j2 = plan_json(s, 2);
	struct sc_plan p1, p2;
	const struct sc_step *a[2], *b[2];

	ck_assert_str_ne(j1, j2);
	/* Only the entries with jitter (1 and 5) move. */
	scenario_plan(s, 1, &p1);
	scenario_plan(s, 2, &p2);
	for (unsigned i = 0; i < s->schedule_count; i++) {
		unsigned n = steps_of(&p1, i, a);

		ck_assert_uint_eq(steps_of(&p2, i, b), n);
		if (!s->schedule[i].jitter)
			ck_assert_uint_eq(a[0]->at_us, b[0]->at_us);
	}
	steps_of(&p1, 1, a);
	steps_of(&p2, 1, b);
	ck_assert_uint_ne(a[0]->at_us, b[0]->at_us);
	sc_plan_free(&p1);
	sc_plan_free(&p2);
	free(j1);
	free(j2);
	scenario_free(s);
}
END_TEST

/* Jitter and random order exactly as docs/scenarios.md says: two draws
 * per entry in file order, jitter = first % jitter ms, first peer of a
 * random order = second & 1. */
START_TEST(test_jitter_rule)
{
	struct scenario *s = load_ok(FIX "plan.yaml");
	bool firsts[2] = { false, false };

	for (uint64_t seed = 1; seed <= 64; seed++) {
		uint64_t state = seed, draws[12];
		const struct sc_step *st[2];
		struct sc_plan p;
		unsigned first;

		for (unsigned i = 0; i < ARRAY_LEN(draws); i++)
			draws[i] = sc_rand(&state);
		scenario_plan(s, seed, &p);
		ck_assert_uint_eq(steps_of(&p, 1, st), 1);
		ck_assert_uint_eq(st[0]->at_us, (1000 + draws[2] % 400) * 1000);
		ck_assert_uint_eq(steps_of(&p, 5, st), 2);
		first = (unsigned)(draws[11] & 1);
		ck_assert_uint_eq(st[0]->at_us, (4000 + draws[10] % 1000) * 1000);
		ck_assert_uint_eq(st[1]->at_us, st[0]->at_us);
		ck_assert_str_eq(st[0]->peer, first ? "bob" : "alice");
		ck_assert_str_eq(st[1]->peer, first ? "alice" : "bob");
		firsts[first] = true;
		sc_plan_free(&p);
	}
	ck_assert (firsts[0] && firsts[1])
		;
	scenario_free(s);
}
END_TEST

/* Adding jitter to one entry moves no other entry. */
START_TEST(test_jitter_isolated)
{
	struct scenario *s = load_ok(FIX "plan.yaml");
	uint64_t before[6];
	uint32_t jitter = 700;
	const struct sc_step *st[2];
	struct sc_plan p;

	scenario_plan(s, 7, &p);
	for (unsigned i = 0; i < 6; i++) {
		steps_of(&p, i, st);
		before[i] = st[0]->at_us;
	}
	sc_plan_free(&p);
	s->schedule[0].jitter = &jitter;
	scenario_plan(s, 7, &p);
	s->schedule[0].jitter = NULL;
	for (unsigned i = 1; i < 6; i++) {
		steps_of(&p, i, st);
		ck_assert_uint_eq(st[0]->at_us, before[i]);
	}
	sc_plan_free(&p);
	scenario_free(s);
}
END_TEST

START_TEST(test_both_and_sort)
{
	struct scenario *s = load_ok(FIX "plan.yaml");
	const struct sc_step *st[2];
	struct sc_plan p;

	scenario_plan(s, 3, &p);
	ck_assert_uint_eq(p.n, 9);
	for (unsigned i = 1; i < p.n; i++)
		ck_assert_uint_le(p.steps[i - 1].at_us, p.steps[i].at_us);
	/* Entry 4 (terminate, both, no order, no skew) comes first. */
	ck_assert_uint_eq(p.steps[0].index, 4);
	ck_assert_str_eq(p.steps[0].peer, "alice");
	ck_assert_uint_eq(p.steps[0].at_us, 500000);
	ck_assert_int_eq(p.steps[0].kind, SC_TERMINATE);
	ck_assert_str_eq(p.steps[1].peer, "bob");
	ck_assert_uint_eq(p.steps[1].at_us, 500000);
	ck_assert_ptr_eq(p.steps[1].entry, &s->schedule[4]);
	/* Entry 2: bob-first, alice 250 us later; entry 3 at the same
	 * 2000 ms stays after entry 2's first step (stable). */
	ck_assert_uint_eq(steps_of(&p, 2, st), 2);
	ck_assert_str_eq(st[0]->peer, "bob");
	ck_assert_uint_eq(st[0]->at_us, 2000000);
	ck_assert_str_eq(st[1]->peer, "alice");
	ck_assert_uint_eq(st[1]->at_us, 2000250);
	ck_assert_uint_eq(p.steps[3].index, 2);
	ck_assert_uint_eq(p.steps[4].index, 3);
	ck_assert_uint_eq(p.steps[5].index, 2);
	ck_assert_int_eq(p.steps[4].kind, SC_REKEY);
	ck_assert_uint_eq(p.steps[6].index, 0);
	ck_assert_str_eq(p.steps[6].peer, "bob");
	ck_assert_uint_eq(p.steps[6].at_us, 3000000);
	sc_plan_free(&p);
	scenario_free(s);
}
END_TEST

START_TEST(test_order_names)
{
	struct scenario *s = load_ok(FIX "order-names.yaml");
	static const char *const first[] = { "gw2", "gw1", "gw2", "gw1" };
	struct sc_plan p;

	scenario_plan(s, 1, &p);
	ck_assert_uint_eq(p.n, 8);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_uint_eq(p.steps[2 * i].index, i);
		ck_assert_str_eq(p.steps[2 * i].peer, first[i]);
		ck_assert_str_ne(p.steps[2 * i + 1].peer, first[i]);
	}
	sc_plan_free(&p);
	scenario_free(s);
}
END_TEST

START_TEST(test_json)
{
	struct scenario *s = load_ok(FIX "json.yaml");
	char *json = plan_json(s, 7), *big = plan_json(s, UINT64_MAX);

	ck_assert_str_eq(json, "{\n"
			       "  \"scenario\": \"json\",\n"
			       "  \"seed\": 7,\n"
			       "  \"duration_ms\": 5000,\n"
			       "  \"steps\": [\n"
			       "    {\n"
			       "      \"at_us\": 1000000,\n"
			       "      \"index\": 1,\n"
			       "      \"action\": \"initiate\",\n"
			       "      \"peer\": \"bob\"\n"
			       "    },\n"
			       "    {\n"
			       "      \"at_us\": 1000100,\n"
			       "      \"index\": 1,\n"
			       "      \"action\": \"initiate\",\n"
			       "      \"peer\": \"alice\"\n"
			       "    },\n"
			       "    {\n"
			       "      \"at_us\": 2000000,\n"
			       "      \"index\": 0,\n"
			       "      \"action\": \"expire\",\n"
			       "      \"peer\": \"alice\",\n"
			       "      \"sa\": \"out\",\n"
			       "      \"hard\": true\n"
			       "    }\n"
			       "  ]\n"
			       "}");
	/* A seed beyond JSON's signed integers stays exact as a string. */
	ck_assert_ptr_nonnull(strstr(big, "\"seed\": \"18446744073709551615\","));
	free(json);
	free(big);
	scenario_free(s);
}
END_TEST

/* Arguments of every kind reach the JSON, netem without a peer. */
START_TEST(test_json_args)
{
	struct scenario *s = load_ok(FIX "full.yaml");
	char *json = plan_json(s, 42);

	ck_assert_ptr_nonnull(strstr(json, "\"action\": \"netem\",\n"
					   "      \"node\": \"wan\",\n"
					   "      \"dev\": \"eth1\",\n"
					   "      \"delay_ms\": 50,\n"
					   "      \"jitter_ms\": 10,\n"
					   "      \"loss_pct\": \"0.5\"\n"));
	ck_assert_ptr_nonnull(strstr(json, "\"action\": \"release\",\n"
					   "      \"name\": \"deletes\"\n"));
	ck_assert_ptr_nonnull(strstr(json, "\"op\": \"start\",\n"
					   "      \"pps\": 200\n"));
	ck_assert_ptr_null(strstr(json, "skew_us"));
	ck_assert_ptr_null(strstr(json, "order"));
	free(json);
	scenario_free(s);
}
END_TEST

START_TEST(test_action_names)
{
	static const char *const names[] = {
		"initiate", "terminate", "rekey", "install", "uninstall", "traffic",
		"expire",   "delete-sa", "netem", "release", "kill",      "restart",
	};

	for (unsigned k = 0; k < ARRAY_LEN(names); k++)
		ck_assert_str_eq(sc_action_name((enum sc_action_kind)k), names[k]);
	ck_assert_str_eq(sc_action_name((enum sc_action_kind)99), "?");
}
END_TEST

static Suite *scenario_suite(void)
{
	Suite *s = suite_create("scenario");
	TCase *tc = tcase_create("scenario");

	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_profiles);
	tcase_add_loop_test(tc, test_bad, 0, ARRAY_LEN(bad));
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_relative_paths);
	tcase_add_test(tc, test_rand);
	tcase_add_test(tc, test_same_seed);
	tcase_add_test(tc, test_seeds_differ);
	tcase_add_test(tc, test_jitter_rule);
	tcase_add_test(tc, test_jitter_isolated);
	tcase_add_test(tc, test_both_and_sort);
	tcase_add_test(tc, test_order_names);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_json_args);
	tcase_add_test(tc, test_action_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(scenario_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * test_shrink.c - writing scenarios (scenario_save round trips through
 * scenario_load), the candidates shrink makes of a scenario (views,
 * releases that go with their holds, the duration floor), and the search
 * itself, judged by a stand-in for the lab; and that a run directory's
 * scenario runs only from its own copy unless --trust says otherwise. Run
 * from the repository root.
 */
#include <check.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "config/scenario.h"
#include "config/trust.h"
#include "campaign/shrink.h"
#include "base/util.h"

#define FIX "tests/unit/scenarios/"

static char tmp[] = "/tmp/test_shrink.XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void teardown(void)
{
	rm_rf(tmp);
	strcpy(tmp, "/tmp/test_shrink.XXXXXX");
}

static struct scenario *load_ok(const char *file)
{
	struct scenario *s = scenario_load(file);

	ck_assert_msg(s, "%s", err_msg());
	return s;
}

static char *tmp_file(const char *name)
{
	return xasprintf("%s/%s", tmp, name);
}

static char *save_ok(const struct scenario *s, const char *name, const char *comment)
{
	char *path = tmp_file(name);

	ck_assert_msg(scenario_save(s, path, comment) == 0, "%s", err_msg());
	return path;
}

static char *text_of(const char *path)
{
	char *text;

	ck_assert_msg(read_file(path, &text, NULL) == 0, "%s", err_msg());
	return text;
}

static char *plan_json(const struct scenario *s, uint64_t seed)
{
	struct sc_plan p;
	char *json;

	scenario_plan(s, seed, &p);
	json = sc_plan_json(s, &p);
	sc_plan_free(&p);
	return json;
}

/* Writing scenarios */

/* Saved, loaded and saved again: the same text, the same plan, and it
 * loads from a folder far from the files it names. */
START_TEST(test_round_trip)
{
	struct scenario *s = load_ok(FIX "full.yaml"), *back;
	char *a = save_ok(s, "a.yaml", "from full.yaml\n\nsecond paragraph");
	char *b, *ta, *tb, *pa, *pb;

	back = load_ok(a);
	b = save_ok(back, "b.yaml", "from full.yaml\n\nsecond paragraph");
	ta = text_of(a);
	tb = text_of(b);
	ck_assert_str_eq(ta, tb);
	ck_assert_ptr_eq(strstr(ta, "# from full.yaml\n#\n# second paragraph\n"
				    "name: full-example\n"),
			 ta);
	ck_assert_ptr_null(strstr(ta, "!!"));
	ck_assert_str_eq(back->topology_path, s->topology_path);
	ck_assert_uint_eq(back->schedule_count, s->schedule_count);
	ck_assert_uint_eq(back->faults_count, s->faults_count);
	ck_assert_uint_eq(back->peers_count, 2);
	ck_assert_str_eq(back->peers[0].set->ike->unique, "never");
	ck_assert_str_eq(back->schedule[7].loss_pct, "0.5");
	ck_assert_str_eq(back->expectations->max_ike_growth_per_hour, "0");
	ck_assert_str_eq(back->profiles[0]->child->rekey_time, "10s");
	/* inject's SPIs stay text, its payloads one string; stats a list. */
	ck_assert_str_eq(back->schedule[18].spi_r, "0000000000000001");
	ck_assert_str_eq(back->schedule[18].payloads, "SA KE No N(NATD_S_IP) N(16390) V");
	ck_assert_uint_eq(back->expectations->stats_count, 2);
	ck_assert_uint_eq(*back->expectations->stats[1].max, 64);
	pa = plan_json(s, 42);
	pb = plan_json(back, 42);
	ck_assert_str_eq(pa, pb);
	free(pa);
	free(pb);
	free(ta);
	free(tb);
	free(a);
	free(b);
	scenario_free(back);
	scenario_free(s);
}
END_TEST

/* What the file does not set stays out, and no comment means none. */
START_TEST(test_absent_left_out)
{
	struct scenario *s = load_ok(FIX "minimal.yaml"), *back;
	char *path = save_ok(s, "min.yaml", NULL), *text = text_of(path);
	static const char *const absent[] = {
		"\ndescription:", "\ncites:",        "\nexpect:",  "\npeers:",
		"\nsample_rate:", "\ngrace:",        "\ntraffic:", "\nfaults:",
		"\nschedule:",    "\nexpectations:", "#",
	};

	for (unsigned i = 0; i < ARRAY_LEN(absent); i++)
		ck_assert_msg(!strstr(text, absent[i]), "%s in:\n%s", absent[i], text);
	ck_assert_ptr_eq(strstr(text, "name: minimal\n"), text);
	ck_assert_ptr_nonnull(strstr(text, "\nduration: 5m\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nseed: 1\n"));
	back = load_ok(path);
	ck_assert_ptr_null(back->traffic);
	ck_assert_ptr_null(back->expectations);
	ck_assert_uint_eq(back->duration_ms, 300000);
	free(text);
	free(path);
	scenario_free(back);
	scenario_free(s);
}
END_TEST

/* Strings YAML would read otherwise come back as written. */
START_TEST(test_strings)
{
	char *topo = realpath("topologies/two-peer.yaml", NULL);
	char *prof = realpath("peers/auto-route.yaml", NULL);
	char *src = tmp_file("src.yaml"), *yaml, *path, *text;
	struct scenario *s, *back;

	yaml = xasprintf("name: strings\n"
			 "description: \"a: b # not a comment\"\n"
			 "cites: |\n  two\n  lines\n"
			 "topology: %s\nprofile: %s\n"
			 "peers:\n  - name: bob\n    set:\n"
			 "      strongswan_conf: |\n        charon {\n"
			 "          threads = 1\n        }\n"
			 "      plugins: [random, nonce, vici]\n"
			 "      description: \"  x y\\n z \"\n"
			 "duration: 1500ms\n"
			 "expectations:\n  max_ike_growth_per_hour: 0.5\n"
			 "  no_crash: false\n",
			 topo, prof);
	ck_assert_int_eq(write_file(src, yaml, strlen(yaml), 0644), 0);
	s = load_ok(src);
	path = save_ok(s, "strings.yaml", "a comment: with a colon");
	text = text_of(path);
	back = load_ok(path);
	ck_assert_str_eq(back->description, "a: b # not a comment");
	ck_assert_str_eq(back->cites, "two\nlines\n");
	ck_assert_str_eq(back->peers[0].set->strongswan_conf, "charon {\n  threads = 1\n}\n");
	ck_assert_uint_eq(back->peers[0].set->plugins_count, 3);
	ck_assert_str_eq(back->peers[0].set->plugins[2], "vici");
	ck_assert_str_eq(back->peers[0].set->description, "  x y\n z ");
	ck_assert_str_eq(back->duration, "1500ms");
	ck_assert_str_eq(back->expectations->max_ike_growth_per_hour, "0.5");
	ck_assert (!*back->expectations->no_crash)
		;
	ck_assert_ptr_null(strstr(text, "!!"));
	free(text);
	free(path);
	free(yaml);
	free(src);
	free(topo);
	free(prof);
	scenario_free(back);
	scenario_free(s);
}
END_TEST

START_TEST(test_save_error)
{
	struct scenario *s = load_ok(FIX "minimal.yaml");

	ck_assert_int_eq(scenario_save(s, "/nonexistent/dir/x.yaml", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err_msg(), "saving /nonexistent/dir/"
						"x.yaml"));
	err_clear();
	scenario_free(s);
}
END_TEST

/* Candidates */

static int leaf_index(const struct scenario *s, const char *name)
{
	char buf[160];

	for (unsigned i = 0; i < shrink_leaves(s); i++)
		if (!strcmp(shrink_leaf_name(s, i, buf, sizeof(buf)), name))
			return (int)i;
	return -1;
}

START_TEST(test_leaves)
{
	struct scenario *s = load_ok(FIX "shrink.yaml");
	char buf[160];

	ck_assert_uint_eq(shrink_leaves(s), 3);
	ck_assert_str_eq(shrink_leaf_name(s, 0, buf, sizeof(buf)),
			 "peers[bob].set.settings.send_delay");
	ck_assert_str_eq(shrink_leaf_name(s, 1, buf, sizeof(buf)), "peers[bob].set.ike.unique");
	ck_assert_str_eq(shrink_leaf_name(s, 2, buf, sizeof(buf)),
			 "peers[alice].set.child.rekey_time");
	ck_assert_str_eq(shrink_leaf_name(s, 3, buf, sizeof(buf)), "?");
	scenario_free(s);
}
END_TEST

/* A dropped hold takes its release along; the view has what the
 * candidate keeps, loads, and leaves the scenario as it was. */
START_TEST(test_view)
{
	struct scenario *s = load_ok(FIX "shrink.yaml"), *v, *back;
	struct shrink_cand c;
	char *path;

	shrink_cand_init(&c, s);
	ck_assert_uint_eq(c.n_entries, 18);
	ck_assert_uint_eq(c.n_faults, 5);
	ck_assert_uint_eq(c.n_leaves, 3);
	ck_assert_uint_eq(c.duration_ms, 90000);
	ck_assert_uint_eq(c.pps, 1000);
	c.fault[1] = false; /* keep-delete, until deletes */
	shrink_drop_releases(s, &c);
	ck_assert (!c.entry[8])
		; /* release deletes */
	ck_assert (c.entry[17])
		;           /* release stall: still held */
	c.fault[4] = false; /* stall */
	shrink_drop_releases(s, &c);
	ck_assert (!c.entry[17])
		;
	c.entry[0] = false;
	c.leaf[0] = false; /* bob's settings.send_delay */
	c.leaf[2] = false; /* alice's only setting */
	c.duration_ms = 30000;
	c.pps = 250;

	v = shrink_view(s, &c, 7);
	ck_assert_uint_eq(v->schedule_count, 15);
	ck_assert_str_eq(v->schedule[0].action, "install");
	ck_assert_uint_eq(v->faults_count, 3);
	ck_assert_str_eq(v->faults[1].name, "lose-init");
	ck_assert_uint_eq(v->peers_count, 1);
	ck_assert_ptr_null(v->peers[0].set->settings);
	ck_assert_str_eq(v->peers[0].set->ike->unique, "never");
	ck_assert_str_eq(v->duration, "30s");
	ck_assert_uint_eq(v->traffic->pps, 250);
	ck_assert_uint_eq(*v->traffic->start, 500);
	ck_assert_uint_eq(*v->seed, 7);
	/* The scenario is untouched. */
	ck_assert_uint_eq(*s->peers[0].set->settings->send_delay, 500);
	ck_assert_uint_eq(s->traffic->pps, 1000);
	ck_assert_uint_eq(*s->seed, 42);

	path = save_ok(v, "view.yaml", "a view");
	shrink_view_free(v);
	back = load_ok(path);
	ck_assert_uint_eq(back->schedule_count, 15);
	ck_assert_uint_eq(back->duration_ms, 30000);
	ck_assert_uint_eq(*back->seed, 7);
	ck_assert_ptr_null(back->profiles[1]->settings->send_delay);
	ck_assert_str_eq(back->profiles[1]->ike->unique, "never");
	ck_assert_ptr_null(back->profiles[0]->child->rekey_time);

	/* No traffic and nothing left in a set. */
	c.pps = 0;
	c.leaf[1] = false;
	v = shrink_view(s, &c, 7);
	ck_assert_ptr_null(v->traffic);
	ck_assert_uint_eq(v->peers_count, 1);
	ck_assert_ptr_null(v->peers[0].set);
	ck_assert_str_eq(v->peers[0].profile, s->peers[0].profile);
	shrink_view_free(v);
	shrink_view_free(NULL);
	scenario_free(back);
	free(path);
	shrink_cand_free(&c);
	scenario_free(s);
}
END_TEST

START_TEST(test_floor)
{
	struct scenario *s = load_ok(FIX "shrink.yaml");
	struct shrink_cand c;

	shrink_cand_init(&c, s);
	/* release stall at 18000, 2 s, grace 500ms: 20500 ms. */
	ck_assert_uint_eq(shrink_duration_floor(s, &c), 21000);
	for (unsigned i = 1; i < c.n_entries; i++)
		c.entry[i] = false;
	/* Entry 0 at 1000 ms, bob 250 us later; traffic from 500 ms. */
	ck_assert_uint_eq(shrink_duration_floor(s, &c), 4000);
	c.entry[0] = false;
	c.entry[1] = true; /* 2000 ms, jitter 500: up to 2499 ms */
	ck_assert_uint_eq(shrink_duration_floor(s, &c), 5000);
	/* Never above the scenario's own. */
	c.entry[1] = false;
	c.entry[17] = true;
	s->duration_ms = 19000;
	ck_assert_uint_eq(shrink_duration_floor(s, &c), 19000);
	shrink_cand_free(&c);
	scenario_free(s);
}
END_TEST

/* The search */

/* Stands in for the lab: a candidate fails the same way when it loads
 * and keeps entries 0 and 6, rule slow-ccsa, bob's ike.unique, at least
 * 20 s and at least 250 pps. */
struct oracle {
	const struct scenario *s;
	int unique;
	unsigned calls, loads_not;
	struct strbuf whats;
	bool all_fail;
	unsigned stop_after; /* stop the search after this many calls */
	bool stopped;
};

static bool stop(void *ctx)
{
	return ((struct oracle *)ctx)->stopped;
}

static bool loads(const struct scenario *s, const struct shrink_cand *c)
{
	struct scenario *v = shrink_view(s, c, 1), *back;
	char *path = tmp_file("cand.yaml");

	ck_assert_int_eq(scenario_save(v, path, NULL), 0);
	back = scenario_load(path);
	err_clear();
	shrink_view_free(v);
	free(path);
	scenario_free(back);
	return back != NULL;
}

static bool judge(void *ctx, const struct shrink_cand *c, const char *what)
{
	struct oracle *o = ctx;

	o->calls++;
	sb_addf(&o->whats, "%s\n", what);
	/* Never an outage without what ends it. */
	ck_assert_int_lt(shrink_unmended(o->s, c), 0);
	if (o->stop_after && o->calls == o->stop_after)
		o->stopped = true;
	if (!loads(o->s, c)) {
		o->loads_not++;
		return false;
	}
	return !o->all_fail && c->entry[0] && c->entry[6] && c->fault[0] && c->leaf[o->unique] &&
	       c->duration_ms >= 20000 && c->pps >= 250;
}

START_TEST(test_search)
{
	struct scenario *s = load_ok(FIX "shrink.yaml");
	struct oracle o = { .s = s, .unique = leaf_index(s, "peers[bob].set.ike.unique") };
	struct shrink_cand best;

	ck_assert_int_eq(o.unique, 1);
	shrink_cand_init(&best, s);
	shrink_search(s, &best, judge, &o);
	for (unsigned i = 0; i < best.n_entries; i++)
		ck_assert_msg(best.entry[i] == (i == 0 || i == 6), "entry %u", i);
	for (unsigned i = 0; i < best.n_faults; i++)
		ck_assert_msg(best.fault[i] == (i == 0), "fault %u", i);
	for (unsigned i = 0; i < best.n_leaves; i++)
		ck_assert_msg(best.leaf[i] == (i == 1), "leaf %u", i);
	ck_assert_uint_eq(best.duration_ms, 20000);
	ck_assert_uint_eq(best.pps, 250);
	/* Halves first, and no item tried alone twice: 35 tries, where one
	 * per item alone would take 26 for the lists alone. */
	ck_assert_msg(o.calls <= 35, "%u tries:\n%s", o.calls, o.whats.buf);
	ck_assert_ptr_null(strstr(o.whats.buf, "faults: drop slow-ccsa\n"
					       "faults: drop slow-ccsa\n"));
	/* A release goes with the hold it ends, an outage with what ends
	 * it, so every candidate loads. */
	ck_assert_msg(o.loads_not == 0, "%s", o.whats.buf);
	ck_assert_msg(strstr(o.whats.buf, "schedule: drop #8 release deletes, with keep-delete\n"),
		      "%s", o.whats.buf);
	ck_assert_msg(strstr(o.whats.buf, "and 6 more, with #9 netem clear wan, keep-delete\n"),
		      "%s", o.whats.buf);
	ck_assert_ptr_nonnull(strstr(o.whats.buf, "duration: 23s -> 12s\n"));
	ck_assert_ptr_nonnull(strstr(o.whats.buf,
				     "traffic: 1000 pps -> "
				     "none\ntraffic: 1000 -> 1 pps\ntraffic: 1000 -> 500 pps\n"));
	ck_assert_ptr_nonnull(strstr(o.whats.buf, "traffic: 250 -> 125 "
						  "pps\n"));
	sb_free(&o.whats);
	shrink_cand_free(&best);
	scenario_free(s);
}
END_TEST

/* The pairs of an outage and what ends it in shrink.yaml: netem #7 and
 * its clear #9, STOP #10 and CONT #11, kill #15 and restart #16; the
 * uninstall #13 has no install after it; the holds keep-delete and stall
 * and their releases #8 and #17. */
START_TEST(test_menders)
{
	struct scenario *s = load_ok(FIX "shrink.yaml");
	static const struct shrink_mend want[] = {
		{ false, 7, 9 }, { false, 10, 11 }, { false, 15, 16 },
		{ true, 1, 8 },  { true, 4, 17 },
	};
	struct shrink_mend *m;
	struct shrink_cand c;
	unsigned n = shrink_menders(s, &m);

	ck_assert_uint_eq(n, ARRAY_LEN(want));
	for (unsigned i = 0; i < n; i++)
		ck_assert_msg(m[i].fault == want[i].fault && m[i].opener == want[i].opener &&
				      m[i].mender == want[i].mender,
			      "pair %u: %d %u %u", i, m[i].fault, m[i].opener, m[i].mender);
	free(m);
	shrink_cand_init(&c, s);
	ck_assert_int_eq(shrink_unmended(s, &c), -1);
	/* The clear gone, the netem stays: unmended, until mended. */
	c.entry[9] = false;
	ck_assert_int_eq(shrink_unmended(s, &c), 0);
	shrink_mend(s, &c);
	ck_assert (!c.entry[7] && !c.entry[9])
		;
	/* The kill gone: its restart has nothing to undo. */
	c.entry[15] = false;
	shrink_mend(s, &c);
	ck_assert (!c.entry[16] && c.entry[10] && c.entry[11])
		;
	/* The CONT gone: the STOP goes. */
	c.entry[11] = false;
	ck_assert_int_eq(shrink_unmended(s, &c), 1);
	shrink_mend(s, &c);
	ck_assert (!c.entry[10])
		;
	/* A release gone takes its hold; a hold gone its release. */
	c.entry[17] = false;
	ck_assert_int_eq(shrink_unmended(s, &c), 4);
	shrink_mend(s, &c);
	ck_assert (!c.fault[4] && c.fault[1] && c.entry[8])
		;
	c.fault[1] = false;
	shrink_mend(s, &c);
	ck_assert (!c.entry[8])
		;
	ck_assert_int_eq(shrink_unmended(s, &c), -1);
	/* Everything else stays. */
	for (unsigned i = 0; i < c.n_entries; i++)
		ck_assert_msg(c.entry[i] == (i != 7 && i != 8 && i != 9 && i != 10 && i != 11 &&
					     i != 15 && i != 16 && i != 17),
			      "entry %u", i);
	ck_assert (loads(s, &c))
		;
	shrink_cand_free(&c);
	scenario_free(s);
}
END_TEST

/* A stop function ends the search: no candidate after it said so. */
START_TEST(test_search_stop)
{
	struct scenario *s = load_ok(FIX "shrink.yaml");
	struct oracle o = { .s = s,
			    .unique = leaf_index(s, "peers[bob].set.ike.unique"),
			    .stop_after = 4 };
	struct shrink_cand best;

	shrink_cand_init(&best, s);
	ck_assert (shrink_search_until(s, &best, judge, stop, &o))
		;
	ck_assert_uint_eq(o.calls, 4);
	ck_assert_uint_eq(best.duration_ms, 90000);
	/* Without one it runs to its end. */
	sb_free(&o.whats);
	o = (struct oracle){ .s = s, .unique = o.unique };
	ck_assert (!shrink_search_until(s, &best, judge, NULL, &o))
		;
	ck_assert_uint_eq(best.duration_ms, 20000);
	sb_free(&o.whats);
	shrink_cand_free(&best);
	scenario_free(s);
}
END_TEST

static bool has_stat(const struct sc_expect *x, const char *counter)
{
	for (unsigned i = 0; i < x->stats_count; i++)
		if (!strcmp(x->stats[i].counter, counter))
			return true;
	return false;
}

/* --reproduces: expect: reproduces and only what was violated, by the
 * verdict's names; the file loads. */
START_TEST(test_view_reproduces)
{
	static const char *const violated[] = { "max_child_per_ts", "ledger_agrees",
						"stats: workers.idle",
						"events: child-rekey per old_id" };
	struct scenario *s = load_ok(FIX "full.yaml"), *v, *back;
	struct shrink_cand c;
	const struct sc_expect *x;
	char *path;

	shrink_cand_init(&c, s);
	v = shrink_view(s, &c, 7);
	shrink_view_reproduces(v, violated, ARRAY_LEN(violated));
	path = save_ok(v, "repro.yaml", "a reproduction");
	shrink_view_free(v);
	back = load_ok(path);
	ck_assert_str_eq(back->expect, "reproduces");
	ck_assert (back->reproduces)
		;
	x = back->expectations;
	ck_assert_uint_eq(*x->max_child_per_ts, 1);
	ck_assert (*x->ledger_agrees)
		;
	ck_assert (x->no_crash && !*x->no_crash)
		;
	ck_assert (!x->max_ike_per_peer && !x->max_lost_packets && !x->max_lost_per_event &&
		   !x->max_outage_ms && !x->max_lost_each_way && !x->kernel_sa_pairs &&
		   !x->policies_match && !x->unique_reqids && !x->max_acquires_during_rekey &&
		   !x->max_ike_growth_per_hour && !x->max_child_growth_per_hour)
		;
	ck_assert_uint_eq(x->stats_count, 1);
	ck_assert (has_stat(x, "workers.idle"))
		;
	ck_assert_uint_eq(x->events_count, 1);
	ck_assert_uint_eq(x->logs_count, 0);
	/* The original is untouched. */
	ck_assert_uint_eq(s->expectations->stats_count, 2);
	ck_assert_ptr_nonnull(s->expectations->max_ike_per_peer);
	scenario_free(back);
	shrink_cand_free(&c);
	scenario_free(s);
	/* A clean scenario becomes a reproduction; a crash that was seen
	 * stays checked (no_crash absent: true). */
	s = load_ok("tests/unit/verdict/expect-clean.yaml");
	ck_assert_str_eq(s->expect, "clean");
	shrink_cand_init(&c, s);
	v = shrink_view(s, &c, 7);
	shrink_view_reproduces(v, (const char *const[]){ "no_crash" }, 1);
	free(path);
	path = save_ok(v, "crash.yaml", NULL);
	shrink_view_free(v);
	back = load_ok(path);
	ck_assert_str_eq(back->expect, "reproduces");
	ck_assert (!back->expectations || !back->expectations->no_crash ||
		   *back->expectations->no_crash)
		;
	ck_assert (!back->expectations || !back->expectations->max_child_per_ts)
		;
	scenario_free(back);
	free(path);
	shrink_cand_free(&c);
	scenario_free(s);
}
END_TEST

/* Nothing goes when nothing keeps the failure. */
START_TEST(test_search_nothing)
{
	struct scenario *s = load_ok(FIX "shrink.yaml");
	struct oracle o = { .s = s, .all_fail = true };
	struct shrink_cand best;

	shrink_cand_init(&best, s);
	shrink_search(s, &best, judge, &o);
	for (unsigned i = 0; i < best.n_entries; i++)
		ck_assert (best.entry[i])
			;
	for (unsigned i = 0; i < best.n_faults; i++)
		ck_assert (best.fault[i])
			;
	ck_assert_uint_eq(best.duration_ms, 90000);
	ck_assert_uint_eq(best.pps, 1000);
	sb_free(&o.whats);
	shrink_cand_free(&best);
	scenario_free(s);
}
END_TEST

/* ---- the run directory is not trusted (config/trust.h) ------------------ */

/* TMP/seed-1 as a run of FILE (summary.json), with COPY as its
 * scenario.yaml (none when NULL); the directory, which the caller frees. */
static char *fake_run(const char *file, const char *copy)
{
	char *dir = tmp_file("seed-1"), *path;
	char *sum = xasprintf("{\"scenario\": \"uniqueness-race\", \"scenario_file\": \"%s\", "
			      "\"seed\": 1, \"result\": \"reproduced\", \"expectations\": []}",
			      file);

	ck_assert_int_eq(mkdir_p(dir, 0755), 0);
	path = xasprintf("%s/summary.json", dir);
	ck_assert_int_eq(write_file(path, sum, strlen(sum), 0644), 0);
	free(path);
	if (copy) {
		path = xasprintf("%s/scenario.yaml", dir);
		ck_assert_int_eq(write_file(path, copy, strlen(copy), 0644), 0);
		free(path);
	}
	free(sum);
	return dir;
}

/* Nothing was made: no candidates' folder, no result. */
static void assert_nothing_made(const char *dir)
{
	char *p = xasprintf("%s/shrink", dir), *q = xasprintf("%s/shrunk.yaml", dir);

	ck_assert (!path_exists(p))
		;
	ck_assert (!path_exists(q))
		;
	free(p);
	free(q);
}

/* summary.json names a file elsewhere, and the run keeps no copy: it is
 * not run without --trust. */
START_TEST(test_run_dir_no_copy)
{
	char *file = realpath("scenarios/uniqueness-race.yaml", NULL);
	char *dir = fake_run(file, NULL), *link;

	trust_consent(0);
	ck_assert_int_eq(shrink_main(dir, &(struct shrink_opts){ .seeds = 1, .out = NULL }), -1);
	ck_assert_msg(strstr(err_msg(), "keeps no copy of its scenario") &&
			      strstr(err_msg(), file) &&
			      strstr(err_msg(), "; pass --trust to allow it"),
		      "%s", err_msg());
	assert_nothing_made(dir);
	/* A link is no copy either. */
	link = xasprintf("%s/scenario.yaml", dir);
	ck_assert_int_eq(symlink(file, link), 0);
	ck_assert_int_eq(shrink_main(dir, &(struct shrink_opts){ .seeds = 1, .out = NULL }), -1);
	ck_assert_msg(strstr(err_msg(), "keeps no copy of its scenario"), "%s", err_msg());
	assert_nothing_made(dir);
	free(link);
	free(file);
	free(dir);
}
END_TEST

/* The copy is checked like any scenario file: what it names must be in
 * the run directory or shipped. */
START_TEST(test_run_dir_copy_checked)
{
	char *topo = realpath("topologies/two-peer.yaml", NULL);
	char *copy = xasprintf("name: uniqueness-race\n"
			       "topology: %s\n"
			       "profile: /etc/passwd\n"
			       "duration: 10s\n",
			       topo);
	char *dir = fake_run("/nonexistent/uniqueness-race.yaml", copy), *want;

	trust_consent(0);
	ck_assert_int_eq(shrink_main(dir, &(struct shrink_opts){ .seeds = 1, .out = NULL }), -1);
	want = xasprintf("%s/scenario.yaml:3:10: profile: /etc/passwd lies outside ", dir);
	ck_assert_msg(!strncmp(err_msg(), want, strlen(want)) &&
			      strstr(err_msg(), "; pass --trust to allow it"),
		      "%s", err_msg());
	assert_nothing_made(dir);
	/* With --trust the file summary.json names is shrunk, not the copy. */
	trust_consent(TRUST_FILES);
	ck_assert_int_eq(shrink_main(dir, &(struct shrink_opts){ .seeds = 1, .out = NULL }), -1);
	ck_assert_msg(strstr(err_msg(), "/nonexistent/uniqueness-race.yaml"), "%s", err_msg());
	assert_nothing_made(dir);
	trust_consent(0);
	free(want);
	free(dir);
	free(copy);
	free(topo);
}
END_TEST

/* ---- what a guest may plant in a run directory ---------------------------- */

/* Replace the run's file NAME by a FIFO nobody writes. */
static void plant_fifo(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);

	unlink(path);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	free(path);
}

/* summary.json a FIFO: an error at once (the alarm ends a test that
 * waits); a link to a summary elsewhere: refused, not followed. */
START_TEST(test_run_dir_planted_summary)
{
	char *dir = fake_run("/nonexistent/uniqueness-race.yaml", NULL), *path, *other;

	trust_consent(0);
	plant_fifo(dir, "summary.json");
	alarm(2);
	ck_assert_int_eq(shrink_main(dir, &(struct shrink_opts){ .seeds = 1, .out = NULL }), -1);
	alarm(0);
	ck_assert_msg(strstr(err_msg(), "summary.json: it is a FIFO"), "%s", err_msg());
	path = xasprintf("%s/summary.json", dir);
	other = tmp_file("elsewhere.json");
	ck_assert_int_eq(write_file(other, "{}", 2, 0644), 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(symlink(other, path), 0);
	ck_assert_int_eq(shrink_main(dir, &(struct shrink_opts){ .seeds = 1, .out = NULL }), -1);
	ck_assert_msg(strstr(err_msg(), "summary.json: a symbolic link"), "%s", err_msg());
	assert_nothing_made(dir);
	free(other);
	free(path);
	free(dir);
}
END_TEST

/* A run from before summary.json named its file: result.json one folder
 * up is read, and a FIFO there is passed over at once. */
START_TEST(test_run_dir_planted_result)
{
	const char *sum = "{\"scenario\": \"uniqueness-race\", \"seed\": 1, "
			  "\"result\": \"reproduced\", \"expectations\": []}";
	char *dir = fake_run("/nonexistent/uniqueness-race.yaml", NULL), *path;

	trust_consent(0);
	path = xasprintf("%s/summary.json", dir);
	ck_assert_int_eq(write_file(path, sum, strlen(sum), 0644), 0);
	plant_fifo(tmp, "result.json");
	alarm(2);
	ck_assert_int_eq(shrink_main(dir, &(struct shrink_opts){ .seeds = 1, .out = NULL }), -1);
	alarm(0);
	ck_assert_msg(strstr(err_msg(), "keeps no copy of its scenario") &&
			      strstr(err_msg(), "names (none)"),
		      "%s", err_msg());
	free(path);
	free(dir);
}
END_TEST

/* schedule.json a FIFO: the check for an edited scenario passes over it at
 * once (shrink then stops at its --out, a folder that is not an earlier
 * shrink's, before anything runs). */
START_TEST(test_run_dir_planted_schedule)
{
	char *topo = realpath("topologies/two-peer.yaml", NULL);
	char *prof = realpath("peers/auto-route.yaml", NULL);
	char *copy = xasprintf("name: uniqueness-race\ntopology: %s\nprofile: %s\nduration: 10s\n",
			       topo, prof);
	char *dir = fake_run("/nonexistent/uniqueness-race.yaml", copy);
	char *foreign = tmp_file("out/shrink"), *out = tmp_file("out/x.yaml");

	trust_consent(0);
	plant_fifo(dir, "schedule.json");
	ck_assert_int_eq(mkdir_p(foreign, 0755), 0);
	alarm(2);
	ck_assert_int_eq(shrink_main(dir, &(struct shrink_opts){ .seeds = 1, .out = out }), -1);
	alarm(0);
	ck_assert_msg(strstr(err_msg(), "is not an earlier shrink's"), "%s", err_msg());
	free(foreign);
	free(out);
	free(dir);
	free(copy);
	free(prof);
	free(topo);
}
END_TEST

/* An earlier shrink's folder of another user (in a shared folder such as
 * /tmp) is not removed: shrink refuses before anything runs. */
START_TEST(test_work_dir_of_another_user)
{
	char *topo = realpath("topologies/two-peer.yaml", NULL);
	char *prof = realpath("peers/auto-route.yaml", NULL);
	char *copy = xasprintf("name: uniqueness-race\ntopology: %s\nprofile: %s\nduration: 10s\n",
			       topo, prof);
	char *dir = fake_run("/nonexistent/uniqueness-race.yaml", copy);
	char *theirs = tmp_file("out/shrink"), *first = tmp_file("out/shrink/000.yaml");
	char *out = tmp_file("out/x.yaml");
	FILE *f;

	trust_consent(0);
	ck_assert_int_eq(mkdir_p(theirs, 0755), 0);
	f = fopen(first, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(chown(theirs, 65534, 65534), 0);
	ck_assert_int_eq(shrink_main(dir, &(struct shrink_opts){ .seeds = 1, .out = out }), -1);
	ck_assert_msg(strstr(err_msg(), "is not an earlier shrink's of yours"), "%s", err_msg());
	ck_assert (path_exists(first))
		;
	free(out);
	free(first);
	free(theirs);
	free(dir);
	free(copy);
	free(prof);
	free(topo);
}
END_TEST

static Suite *shrink_suite(void)
{
	Suite *s = suite_create("shrink");
	TCase *tc = tcase_create("shrink");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_absent_left_out);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_save_error);
	tcase_add_test(tc, test_leaves);
	tcase_add_test(tc, test_view);
	tcase_add_test(tc, test_floor);
	tcase_add_test(tc, test_search);
	tcase_add_test(tc, test_search_nothing);
	tcase_add_test(tc, test_menders);
	tcase_add_test(tc, test_search_stop);
	tcase_add_test(tc, test_view_reproduces);
	tcase_add_test(tc, test_run_dir_no_copy);
	tcase_add_test(tc, test_run_dir_copy_checked);
	tcase_add_test(tc, test_run_dir_planted_summary);
	tcase_add_test(tc, test_work_dir_of_another_user);
	tcase_add_test(tc, test_run_dir_planted_result);
	tcase_add_test(tc, test_run_dir_planted_schedule);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(shrink_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

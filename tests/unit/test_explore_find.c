/*
 * test_explore_find.c - what `ikelab explore` makes of a trial's run: the
 * finding and its signature from a run directory (the first violation,
 * the phase from the ledger, the exchanges and markers from charon.log,
 * a linked log not followed), markers normalized so that one race gives
 * one text, groups counted by signature, the known list (ids, signatures,
 * comments, an earlier findings.json, a bad line with its FILE:LINE), and
 * shards' groups merged with the earliest first seed winning.
 */
#define SCRATCH_TAG "explore_find"
#include "scratch.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/file.h"
#include "base/util.h"
#include "explore/group.h"
#include "explore/sig.h"

static void put(const char *rel, const char *text)
{
	CHECK(write_file(at(rel), text, strlen(text), 0644) == 0);
}

/* A run: alice shows two IKE_SAs at 1.4 s (and two CHILD_SAs, the same
 * moment), after both ends established at once (or, with REAUTH, beside
 * one up since 0.2 s, before the window of grace and a second). */
static void make_run(bool reauth)
{
	char events[2048];

	mkdir(at("alice"), 0755);
	put("summary.json",
	    "{\"result\": \"fail\", \"grace_s\": 0.1, \"duration_s\": 10,"
	    " \"peers\": {\"alice\": {}, \"bob\": {}},"
	    " \"expectations\": ["
	    "  {\"name\": \"max_child_per_ts\", \"held\": false, \"at\": 1.45, \"peer\": \"alice\","
	    "   \"detail\": \"2 CHILD_SAs\"},"
	    "  {\"name\": \"max_ike_per_peer\", \"held\": false, \"at\": 1.40, \"peer\": \"alice\","
	    "   \"detail\": \"2 IKE_SAs\"},"
	    "  {\"name\": \"no_crash\", \"held\": true}]}");
	snprintf(events, sizeof(events),
		 "{\"t\": 0.0, \"wall\": \"2026-12-04T16:00:00.000000Z\", \"source\": \"lab\","
		 " \"kind\": \"record-start\"}\n"
		 "%s"
		 "{\"t\": 1.25, \"wall\": \"2026-12-04T16:00:01.250000Z\", \"peer\": \"alice\","
		 " \"source\": \"vici\", \"kind\": \"ike-updown\", \"up\": true}\n"
		 "{\"t\": 1.30, \"wall\": \"2026-12-04T16:00:01.300000Z\", \"peer\": \"alice\","
		 " \"source\": \"vici\", \"kind\": \"ike-updown\", \"up\": true}\n"
		 "not json at all\n",
		 reauth ? "{\"t\": 0.2, \"wall\": \"2026-12-04T16:00:00.200000Z\", \"peer\": "
			  "\"alice\", \"source\": \"vici\", \"kind\": \"ike-updown\", \"up\": "
			  "true}\n"
			: "");
	put("events.jsonl", events);
	/* The log an hour ahead (another zone): brought back by the offset. */
	put("alice/charon.log",
	    "2026-12-04 17:00:00.900 05[ENC] <lab|1> generating IKE_SA_INIT request 0 [ SA KE ]\n"
	    "2026-12-04 17:00:01.000 07[ENC] <lab|1> parsed IKE_AUTH request 1 [ IDi AUTH ]\n"
	    "2026-12-04 17:00:01.100 07[ENC] <lab|1> generating INFORMATIONAL request 2 [ ]\n"
	    "2026-12-04 17:00:01.250 09[IKE] <lab|1> IKE_SA lab[1] established between "
	    "192.0.2.1[alice]...192.0.2.2[bob]\n"
	    "2026-12-04 17:00:01.300 09[IKE] <lab|2> retransmit 3 of request with message ID 7\n"
	    "2026-12-04 17:00:09.000 09[IKE] <lab|2> unable to install outside the window\n");
}

START_TEST(test_finding)
{
	struct finding *all, f;
	unsigned n;

	make_run(false);
	ck_assert_int_eq(sig_of_run(scratch_dir, &all, &n), 1);
	f = all[0];
	/* 1.40 and 1.45 are one moment: dup-ike ranks first. */
	ck_assert_str_eq(f.invariant, "dup-ike");
	ck_assert_str_eq(f.expectation, "max_ike_per_peer");
	ck_assert_str_eq(f.phase, "establish");
	ck_assert_str_eq(f.exchanges, "IKE_AUTH,IKE_SA_INIT");
	ck_assert_uint_eq(f.n_markers, 1);
	ck_assert_str_eq(f.markers[0], "retransmit N of request with message ID N");
	/* A retransmit comes with timing: listed, not part of the key. */
	ck_assert_str_eq(f.signature, "dup-ike | establish | IKE_AUTH | -");
	ck_assert_uint_eq(strlen(f.id), 8);
	ck_assert_uint_eq(json_array_size(f.also), 1);
	findings_free(all, n);
}
END_TEST

START_TEST(test_reauth_phase)
{
	struct finding *f;
	unsigned n;

	make_run(true);
	ck_assert_int_eq(sig_of_run(scratch_dir, &f, &n), 1);
	ck_assert_str_eq(f[0].phase, "reauth");
	findings_free(f, n);
}
END_TEST

/* Where duplicates began is their own cause: a rekey 0.2 s after a
 * uniqueness race is not its phase; the same moment as a violation
 * (after a grace) reads a little past it. */
START_TEST(test_onset_window)
{
	static const char rekey[] =
		"{\"t\": 1.55, \"wall\": \"2026-12-04T16:00:01.550000Z\", \"peer\": \"alice\","
		" \"source\": \"vici\", \"kind\": \"ike-rekey\", \"old_id\": 1, \"new_id\": 3}\n";
	char *events;
	struct finding *f;
	unsigned n;

	make_run(false);
	CHECK(read_file_beneath(scratch_dir, "events.jsonl", 1 << 16, &events, NULL) == 0);
	events = xrealloc(events, strlen(events) + sizeof(rekey));
	strcat(events, rekey);
	put("events.jsonl", events);
	free(events);
	put("summary.json",
	    "{\"result\": \"fail\", \"grace_s\": 2, \"peers\": {\"alice\": {}},"
	    " \"expectations\": [{\"name\": \"max_ike_per_peer\", \"held\": false, \"at\": 3.4}],"
	    " \"duplicates\": [{\"peer\": \"alice\", \"kind\": \"ike\", \"since\": 1.35,"
	    "   \"start\": 1.35, \"end\": 9, \"max\": 2, \"key\": \"k\"}]}");
	ck_assert_int_eq(sig_of_run(scratch_dir, &f, &n), 1);
	ck_assert_str_eq(f[0].phase, "establish");
	findings_free(f, n);
	put("summary.json",
	    "{\"result\": \"fail\", \"grace_s\": 2, \"peers\": {\"alice\": {}},"
	    " \"expectations\": [{\"name\": \"ledger_agrees\", \"held\": false, \"at\": 1.35,"
	    "  \"peer\": \"alice\"}]}");
	ck_assert_int_eq(sig_of_run(scratch_dir, &f, &n), 1);
	ck_assert_str_eq(f[0].phase, "ike-rekey");
	findings_free(f, n);
}
END_TEST

/* A duplicate on alice that bob made by destroying an IKE_SA on an
 * INITIAL_CONTACT: bob's keyed line is the duplicate's marker; a ledger
 * finding at the same moment reads alice's log alone. */
START_TEST(test_other_peer_marker)
{
	struct finding *f;
	unsigned n;

	make_run(false);
	mkdir(at("bob"), 0755);
	put("bob/charon.log",
	    "2026-12-04 17:00:01.200 06[IKE] <lab|1> destroying duplicate IKE_SA for peer "
	    "'alice', received INITIAL_CONTACT\n"
	    "2026-12-04 17:00:01.250 09[IKE] <lab|2> IKE_SA lab[2] established between "
	    "192.0.2.2[bob]...192.0.2.1[alice]\n"
	    "2026-12-04 17:00:01.260 09[IKE] <lab|2> retransmit 1 of request with message ID 0\n");
	ck_assert_int_eq(sig_of_run(scratch_dir, &f, &n), 1);
	ck_assert_str_eq(f[0].signature, "dup-ike | establish | IKE_AUTH | destroying duplicate "
					 "IKE_SA for peer 'Q', received INITIAL_CONTACT");
	findings_free(f, n);
	put("summary.json",
	    "{\"result\": \"fail\", \"grace_s\": 0.1, \"peers\": {\"alice\": {}, \"bob\": {}},"
	    " \"expectations\": [{\"name\": \"ledger_agrees\", \"held\": false, \"at\": 1.4,"
	    "  \"peer\": \"alice\"}]}");
	ck_assert_int_eq(sig_of_run(scratch_dir, &f, &n), 1);
	ck_assert_str_eq(f[0].signature, "ledger | establish | IKE_AUTH | -");
	findings_free(f, n);
}
END_TEST

/* The guest may leave a link where a log should be: not followed. */
START_TEST(test_linked_log)
{
	struct finding *f;
	unsigned n;

	make_run(false);
	unlink(at("alice/charon.log"));
	CHECK(symlink("/etc/passwd", at("alice/charon.log")) == 0);
	ck_assert_int_eq(sig_of_run(scratch_dir, &f, &n), 1);
	ck_assert_str_eq(f[0].exchanges, "-");
	ck_assert_uint_eq(f[0].n_markers, 0);
	findings_free(f, n);
}
END_TEST

START_TEST(test_no_finding)
{
	struct finding *f;
	unsigned n;

	put("summary.json", "{\"result\": \"pass\", \"expectations\": [{\"name\": \"no_crash\", "
			    "\"held\": true}]}");
	ck_assert_int_eq(sig_of_run(scratch_dir, &f, &n), 0);
	findings_free(f, n);
	ck_assert_int_eq(sig_of_run(at("nosuch"), &f, &n), -1);
	err_clear();
}
END_TEST

/* Duplicates once per episode: the uniqueness race at the start and an
 * accumulation at a reauthentication later are two findings, the two
 * peers' episodes of one moment one. */
START_TEST(test_episodes)
{
	struct finding *f;
	unsigned n;

	make_run(true);
	put("summary.json",
	    "{\"result\": \"fail\", \"grace_s\": 0.1, \"peers\": {\"alice\": {}},"
	    " \"expectations\": [{\"name\": \"max_ike_per_peer\", \"held\": false, \"at\": 1.4},"
	    "  {\"name\": \"max_lost_each_way\", \"held\": false, \"at\": 20.0}],"
	    " \"duplicates\": [{\"peer\": \"alice\", \"kind\": \"ike\", \"start\": 1.4, \"end\": 3,"
	    "   \"max\": 2, \"key\": \"k\"},"
	    "  {\"peer\": \"bob\", \"kind\": \"ike\", \"start\": 1.5, \"end\": 3, \"max\": 2},"
	    "  {\"peer\": \"alice\", \"kind\": \"ike\", \"start\": 12.0, \"end\": 14, \"max\": "
	    "3}]}");
	ck_assert_int_eq(sig_of_run(scratch_dir, &f, &n), 3);
	ck_assert_double_eq_tol(f[0].at, 1.4, 1e-9);
	ck_assert_double_eq_tol(f[1].at, 12.0, 1e-9);
	ck_assert_ptr_nonnull(strstr(f[1].detail, "3 ESTABLISHED IKE_SAs on alice from 12.0 s"));
	ck_assert_str_eq(f[2].invariant, "liveness");
	findings_free(f, n);
}
END_TEST

/* A duplicate rekeyed within the grace: its episode's stretch starts
 * after the dip, but the finding is where the duplicates began, the
 * other peer's moment (one finding, not a second at the rekey). */
START_TEST(test_episode_since)
{
	struct finding *f;
	unsigned n;

	make_run(true);
	put("summary.json",
	    "{\"result\": \"fail\", \"grace_s\": 2, \"peers\": {\"alice\": {}},"
	    " \"expectations\": [{\"name\": \"max_ike_per_peer\", \"held\": false, \"at\": 2.7}],"
	    " \"duplicates\": [{\"peer\": \"bob\", \"kind\": \"ike\", \"since\": 0.7,"
	    "   \"start\": 0.7, \"end\": 22.8, \"max\": 2, \"key\": \"k\"},"
	    "  {\"peer\": \"alice\", \"kind\": \"ike\", \"since\": 0.7, \"start\": 1.9,"
	    "   \"end\": 24.4, \"max\": 2, \"key\": \"k\"}]}");
	ck_assert_int_eq(sig_of_run(scratch_dir, &f, &n), 1);
	ck_assert_double_eq_tol(f[0].at, 0.7, 1e-9);
	findings_free(f, n);
	put("summary.json",
	    "{\"result\": \"fail\", \"grace_s\": 2, \"peers\": {\"alice\": {}},"
	    " \"expectations\": [{\"name\": \"max_ike_per_peer\", \"held\": false, \"at\": 3.9}],"
	    " \"duplicates\": [{\"peer\": \"alice\", \"kind\": \"ike\", \"since\": 0.7,"
	    "   \"start\": 1.9, \"end\": 24.4, \"max\": 2, \"key\": \"k\"}]}");
	ck_assert_int_eq(sig_of_run(scratch_dir, &f, &n), 1);
	ck_assert_double_eq_tol(f[0].at, 0.7, 1e-9);
	ck_assert_ptr_nonnull(strstr(f[0].detail, "from 0.7 s to 24.4 s"));
	ck_assert_ptr_nonnull(strstr(f[0].detail, "past a dip, this stretch from 1.9 s"));
	findings_free(f, n);
}
END_TEST

START_TEST(test_keyed)
{
	ck_assert (sig_marker_keyed("detected CHILD_REKEY collision with CHILD_REKEY"))
		;
	ck_assert (sig_marker_keyed("received TEMPORARY_FAILURE notify"))
		;
	ck_assert (!sig_marker_keyed("retransmit N of request with message ID N"))
		;
	ck_assert (!sig_marker_keyed("unable to handle IKE_SA_INIT for CHILD_SA child{N}"))
		;
	ck_assert (!sig_marker_keyed("failed to create XFRM interface 'Q'"))
		;
}
END_TEST

START_TEST(test_markers)
{
	char *m;

	ck_assert_ptr_null(sig_marker("2026-12-04 16:00:00.000 09[IKE] <lab|1> IKE_SA lab[1] "
				      "established"));
	m = sig_marker("2026-12-04 16:00:00.000 09[IKE] <lab|12> CHILD_SA net{42} rekey failed, "
		       "SPIs c85815e1_i c01b982d_o with 10.1.0.0/16 and fe80::1 'peer-a'");
	ck_assert_str_eq(m, "CHILD_SA child{N} rekey failed, SPIs H H with A and A 'Q'");
	free(m);
	m = sig_marker("garbage without a prefix");
	ck_assert_ptr_null(m);
}
END_TEST

static struct finding fake(const char *sig)
{
	struct finding f = { 0 };

	f.invariant = xstrdup("dup-ike");
	f.expectation = xstrdup("max_ike_per_peer");
	f.phase = xstrdup("establish");
	f.exchanges = xstrdup("IKE_AUTH,IKE_SA_INIT");
	f.detail = xstrdup("2 IKE_SAs");
	f.signature = xstrdup(sig);
	f.also = json_array();
	sig_id(sig, f.id);
	return f;
}

START_TEST(test_groups)
{
	struct groups G = { 0 };
	struct finding a = fake("dup-ike | establish | - | -"),
		       b = fake("dup-ike | reauth | - | -");
	json_t *j;

	groups_add(&G, &a, 5, 10, "trials/x/seed-5");
	groups_add(&G, &b, 6, 11, "trials/y/seed-6");
	groups_add(&G, &a, 7, 12, "trials/z/seed-7");
	ck_assert_uint_eq(G.n, 2);
	ck_assert_uint_eq(G.g[0].count, 2);
	ck_assert_uint_eq(G.g[0].first_seed, 5);
	j = groups_json(&G, 4);
	ck_assert_double_eq_tol(json_real_value(json_object_get(json_array_get(j, 0), "rate")), 0.5,
				1e-9);
	ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(j, 0), "exchanges")), 2);
	ck_assert_uint_eq(groups_new(&G), 2);
	json_decref(j);
	groups_free(&G);
	finding_free(&a);
	finding_free(&b);
}
END_TEST

START_TEST(test_known)
{
	struct groups G = { 0 };
	struct finding a = fake("dup-ike | establish | - | -"),
		       b = fake("dup-ike | reauth | - | -");
	char list[256];

	snprintf(list, sizeof(list),
		 "# races we know\n%s  uniqueness, #2446\n\ndup-ike | reauth | - "
		 "| -   # by signature\n",
		 a.id);
	put("known.txt", list);
	CHECK(groups_load_known(&G, at("known.txt")) == 0);
	ck_assert (groups_add(&G, &a, 1, 0, "r")->known)
		;
	ck_assert (groups_add(&G, &b, 2, 0, "r")->known)
		;
	ck_assert_uint_eq(groups_new(&G), 0);
	groups_free(&G);

	put("bad.txt", "0123abcd\nthis is neither\n");
	ck_assert_int_eq(groups_load_known(&G, at("bad.txt")), -1);
	ck_assert_ptr_nonnull(strstr(err_msg(), "bad.txt:2:"));
	err_clear();
	groups_free(&G);

	snprintf(list, sizeof(list), "{\"groups\": [{\"id\": \"%s\"}, {\"id\": \"../x\"}]}", b.id);
	put("findings.json", list);
	CHECK(groups_load_known(&G, at("findings.json")) == 0);
	ck_assert (!groups_add(&G, &a, 1, 0, "r")->known)
		;
	ck_assert (groups_add(&G, &b, 2, 0, "r")->known)
		;
	groups_free(&G);
	finding_free(&a);
	finding_free(&b);
}
END_TEST

START_TEST(test_merge)
{
	struct groups G = { 0 };
	json_t *s1 = json_pack("{s:s, s:i, s:i, s:[i,i], s:s}", "id", "0123abcd", "count", 2,
			       "first_seed", 9, "seeds", 9, 11, "run", "trials/a/seed-9");
	json_t *s2 = json_pack("{s:s, s:i, s:i, s:[i], s:s}", "id", "0123abcd", "count", 1,
			       "first_seed", 4, "seeds", 4, "run", "trials/b/seed-4");
	json_t *bad = json_pack("{s:s}", "id", "../../etc");

	groups_merge(&G, s1);
	groups_merge(&G, s2);
	ck_assert_ptr_null(groups_merge(&G, bad));
	ck_assert_uint_eq(G.n, 1);
	ck_assert_uint_eq(G.g[0].count, 3);
	ck_assert_uint_eq(G.g[0].first_seed, 4);
	ck_assert_str_eq(json_string_value(json_object_get(G.g[0].j, "run")), "trials/b/seed-4");
	ck_assert_uint_eq(json_array_size(json_object_get(G.g[0].j, "seeds")), 3);
	groups_free(&G);
	json_decref(s1);
	json_decref(s2);
	json_decref(bad);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("explore_find");
	TCase *tc = tcase_create("explore_find");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, scratch, cleanup);
	tcase_add_test(tc, test_finding);
	tcase_add_test(tc, test_reauth_phase);
	tcase_add_test(tc, test_linked_log);
	tcase_add_test(tc, test_no_finding);
	tcase_add_test(tc, test_episodes);
	tcase_add_test(tc, test_episode_since);
	tcase_add_test(tc, test_onset_window);
	tcase_add_test(tc, test_other_peer_marker);
	tcase_add_test(tc, test_keyed);
	tcase_add_test(tc, test_markers);
	tcase_add_test(tc, test_groups);
	tcase_add_test(tc, test_known);
	tcase_add_test(tc, test_merge);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}

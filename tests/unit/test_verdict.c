/* Judging recorded runs against expectations, on fixture run directories. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "config/scenario.h"
#include "judge/verdict.h"

#define DIR "tests/unit/verdict"

static const json_t *expectation(const json_t *v, const char *name)
{
	size_t i;
	json_t *e;

	json_array_foreach (json_object_get(v, "expectations"), i, e)
		if (!strcmp(json_string_value(json_object_get(e, "name")), name))
			return e;
	return NULL;
}

static json_t *judge(const char *run, const char *scenario, struct scenario **sp)
{
	struct scenario *s = scenario_load(scenario);
	json_t *v;

	ck_assert_msg(s, "load %s: %s", scenario, err_msg());
	v = verdict_evaluate(run, s);
	ck_assert_msg(v, "evaluate %s: %s", run, err_msg());
	*sp = s;
	return v;
}

START_TEST(test_reproduced)
{
	struct scenario *s;
	json_t *v = judge(DIR "/dup", DIR "/expect.yaml", &s);
	const json_t *ike = expectation(v, "max_ike_per_peer");
	const json_t *loss = expectation(v, "max_lost_per_event");
	char *report;

	ck_assert_int_eq(verdict_result_of(v), VERDICT_REPRODUCED);
	ck_assert_int_eq(verdict_exit(verdict_result_of(v)), 0);
	ck_assert (!json_is_true(json_object_get(ike, "held")))
		;
	ck_assert_str_eq(json_string_value(json_object_get(ike, "peer")), "alice");
	ck_assert (json_real_value(json_object_get(ike, "at")) == 1.9)
		;
	/* 2 + 3 packets within [-0.5, +3] s of the child-rekey at 5.0 s. */
	ck_assert (json_real_value(json_object_get(loss, "actual")) == 5)
		;
	ck_assert (json_is_true(json_object_get(loss, "held")))
		;
	ck_assert (json_real_value(json_object_get(expectation(v, "max_lost_packets"), "actual")) ==
		   15)
		;
	ck_assert (json_real_value(json_object_get(expectation(v, "max_acquires_during_rekey"),
						   "at")) == 5.2)
		;
	/* Every acquire counts, the first at 1.05 s, not only those in a rekey. */
	ck_assert (json_real_value(json_object_get(expectation(v, "max_acquires"), "actual")) == 2)
		;
	ck_assert (json_real_value(json_object_get(expectation(v, "max_acquires"), "at")) == 1.05)
		;
	ck_assert (!json_is_true(json_object_get(expectation(v, "max_acquires"), "held")))
		;
	/* The events around the duplicate, without the sample lines. */
	ck_assert_int_eq(json_array_size(json_object_get(ike, "events_around")), 4);
	report = verdict_report(v, s, 1);
	ck_assert_ptr_nonnull(strstr(report, "max_ike_per_peer"));
	ck_assert_ptr_nonnull(strstr(report, "VIOLATED"));
	ck_assert_ptr_nonnull(strstr(report, "ike-updown"));
	free(report);
	json_decref(v);
	scenario_free(s);
}
END_TEST

START_TEST(test_clean_fail_and_pass)
{
	struct scenario *s;
	json_t *v = judge(DIR "/dup", DIR "/expect-clean.yaml", &s);

	ck_assert_int_eq(verdict_result_of(v), VERDICT_FAIL);
	ck_assert_int_eq(verdict_exit(VERDICT_FAIL), 1);
	json_decref(v);
	v = verdict_evaluate(DIR "/clean", s);
	ck_assert_int_eq(verdict_result_of(v), VERDICT_PASS);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "violated")), 0);
	json_decref(v);
	scenario_free(s);
}
END_TEST

START_TEST(test_not_reproduced)
{
	struct scenario *s;
	json_t *v = judge(DIR "/clean", DIR "/expect.yaml", &s);

	ck_assert_int_eq(verdict_result_of(v), VERDICT_NOT_REPRODUCED);
	ck_assert_int_eq(verdict_exit(VERDICT_NOT_REPRODUCED), 1);
	json_decref(v);
	scenario_free(s);
}
END_TEST

/* charon's counters: bob's half-open IKE_SAs stay above 0 from 3.2 s
 * to the end (a blip at 2.1-2.9 s is within the grace); alice's idle
 * workers drop below 2 for half a second only. */
START_TEST(test_stats)
{
	struct scenario *s;
	json_t *v = judge(DIR "/stats", DIR "/stats.yaml", &s);
	const json_t *ho = expectation(v, "stats: ikesas.half-open");
	const json_t *idle = expectation(v, "stats: workers.idle");
	char *report;

	ck_assert_int_eq(verdict_result_of(v), VERDICT_REPRODUCED);
	ck_assert (!json_is_true(json_object_get(ho, "held")))
		;
	ck_assert_str_eq(json_string_value(json_object_get(ho, "peer")), "bob");
	ck_assert (json_real_value(json_object_get(ho, "at")) == 3.2)
		;
	ck_assert (json_real_value(json_object_get(ho, "actual")) == 5)
		;
	ck_assert (json_is_true(json_object_get(idle, "held")))
		;
	ck_assert_str_eq(json_string_value(json_object_get(idle, "bound")), ">=");
	/* Every event within 2 s of 3.2 s, the counters of both peers included. */
	ck_assert_int_eq(json_array_size(json_object_get(ho, "events_around")), 6);
	report = verdict_report(v, s, 1);
	ck_assert_msg(strstr(report, "stats: ikesas.half-open    <= 0      VIOLATED: "
				     "ikesas.half-open on bob: 5 from 3.200 s, longer "
				     "than the 2.0 s grace (expected at most 0)"),
		      "%s", report);
	ck_assert_msg(strstr(report, "stats: workers.idle        >= 2      held"), "%s", report);
	free(report);
	json_decref(v);
	scenario_free(s);
}
END_TEST

/* A counter no sample had is a lab error, not a verdict either way. */
START_TEST(test_stats_missing)
{
	struct scenario *s;
	json_t *v = judge(DIR "/stats", DIR "/stats-missing.yaml", &s);

	ck_assert_int_eq(verdict_result_of(v), VERDICT_LAB_ERROR);
	ck_assert_str_eq(json_string_value(json_object_get(v, "lab_error")),
			 "expectations.stats[0]: charon's VICI stats have no counter "
			 "'ikesas.half-closed'");
	json_decref(v);
	scenario_free(s);
}
END_TEST

/* Two CHILD_SAs on one reqid on alice from 12.7 s: the verdict names them,
 * and it settles the run early like a duplicate. */
START_TEST(test_unique_reqids)
{
	struct scenario *s;
	json_t *v = judge(DIR "/reqid", DIR "/reqid.yaml", &s), *so_far, *early;
	const json_t *e = expectation(v, "unique_reqids");

	ck_assert_int_eq(verdict_result_of(v), VERDICT_REPRODUCED);
	ck_assert (!json_is_true(json_object_get(e, "held")))
		;
	ck_assert_str_eq(json_string_value(json_object_get(e, "peer")), "alice");
	ck_assert (json_real_value(json_object_get(e, "at")) == 12.7)
		;
	ck_assert_str_eq(json_string_value(json_object_get(e, "detail")),
			 "most INSTALLED CHILD_SAs of different names or traffic selectors on one "
			 "reqid, lasting longer than the 2.0 s grace: 2 on alice (reqid 2: net "
			 "10.1.0.0/16 === 10.2.0.0/16, net2 10.3.0.0/16 === 10.4.0.0/16)");
	so_far = json_load_file(DIR "/reqid/summary.json", 0, NULL);
	early = verdict_decided(so_far, s);
	ck_assert_ptr_nonnull(early);
	ck_assert_str_eq(json_string_value(json_object_get(early, "name")), "unique_reqids");
	json_decref(early);
	json_decref(so_far);
	json_decref(v);
	scenario_free(s);
}
END_TEST

static const json_t *nth(const json_t *v, size_t i)
{
	return json_array_get(json_object_get(v, "expectations"), i);
}

/* Events per group and in windows, log lines placed by their time. */
START_TEST(test_events_and_logs)
{
	struct scenario *s;
	json_t *v = judge(DIR "/events", DIR "/events.yaml", &s);
	const json_t *rekeys = nth(v, 0), *down = nth(v, 1), *early_down = nth(v, 2);
	const json_t *won = nth(v, 3), *late = nth(v, 4);

	ck_assert_int_eq(verdict_result_of(v), VERDICT_REPRODUCED);
	/* alice's old_id 2 twice; bob's old_id 2 once is another SA. */
	ck_assert_str_eq(json_string_value(json_object_get(rekeys, "name")),
			 "events: child-rekey per old_id");
	ck_assert (!json_is_true(json_object_get(rekeys, "held")))
		;
	ck_assert_str_eq(json_string_value(json_object_get(rekeys, "peer")), "alice");
	ck_assert (json_real_value(json_object_get(rekeys, "at")) == 3.74)
		;
	ck_assert_str_eq(json_string_value(json_object_get(rekeys, "detail")),
			 "child-rekey events for old_id=2 on alice: 2, over the limit from 3.740 s "
			 "(expected at most 1)");
	ck_assert (json_is_true(json_object_get(down, "held")))
		;
	ck_assert (!json_is_true(json_object_get(early_down, "held")))
		;
	ck_assert (json_real_value(json_object_get(early_down, "at")) == 5.0)
		;
	ck_assert_str_eq(json_string_value(json_object_get(early_down, "bound")), ">=");
	/* Two timed lines match on alice (the one without a time of its own
	 * belongs to 3.883 s): three in all, over 1 from the second. */
	ck_assert (!json_is_true(json_object_get(won, "held")))
		;
	ck_assert (json_real_value(json_object_get(won, "actual")) == 3)
		;
	ck_assert (fabs(json_real_value(json_object_get(won, "at")) - 3.884) < 1e-6)
		;
	ck_assert_str_eq(json_string_value(json_object_get(won, "detail")),
			 "lines of alice's charon.log matching /collision won/ from 0.0 to 8.0 s: "
			 "3 (expected at most 1)");
	/* alice's log lines within half a second: 3.864, 3.883 and the
	 * continuation line after it. */
	ck_assert_int_eq(json_array_size(json_object_get(won, "log_around")), 3);
	{
		char *report = verdict_report(v, s, 1);

		ck_assert_msg(strstr(report,
				     "    alice's charon.log around it:\n"
				     "       -0.019 s  2026-12-04 09:45:42.864 16[IKE] <lab|1> "
				     "detected CHILD_REKEY collision with CHILD_REKEY\n"),
			      "%s", report);
		free(report);
	}
	/* After 5 s, only alice's line at 6.1 s. */
	ck_assert (!json_is_true(json_object_get(late, "held")))
		;
	ck_assert (fabs(json_real_value(json_object_get(late, "at")) - 6.101) < 1e-6)
		;
	json_decref(v);
	scenario_free(s);
}
END_TEST

/* alice>bob lost 12 in a 0.3 s window, bob>alice 3 in 60 ms. */
START_TEST(test_loss_each_way_and_outage)
{
	struct scenario *s;
	json_t *v = judge(DIR "/dup", DIR "/loss.yaml", &s);
	const json_t *way = expectation(v, "max_lost_each_way");
	const json_t *out = expectation(v, "max_outage_ms");

	ck_assert (!json_is_true(json_object_get(way, "held")))
		;
	ck_assert (json_real_value(json_object_get(way, "actual")) == 12)
		;
	ck_assert (json_real_value(json_object_get(way, "at")) == 5.0)
		;
	ck_assert_str_eq(json_string_value(json_object_get(way, "detail")),
			 "probe packets lost from alice to bob: 12");
	ck_assert (!json_is_true(json_object_get(out, "held")))
		;
	ck_assert (fabs(json_real_value(json_object_get(out, "actual")) - 300) < 1e-6)
		;
	ck_assert_str_eq(json_string_value(json_object_get(out, "detail")),
			 "the longest run of lost probe packets, from alice to bob: 300 ms");
	json_decref(v);
	scenario_free(s);
}
END_TEST

/* ledger_agrees: the first mismatch that is not a duplicate event names
 * the verdict; duplicates alone (5.9.8 reporting a rekey twice) hold. */
START_TEST(test_ledger_agrees)
{
	struct scenario *s;
	json_t *v = judge(DIR "/ledger", DIR "/ledger.yaml", &s), *sum, *e;
	const json_t *l = expectation(v, "ledger_agrees");
	const char *detail = json_string_value(json_object_get(l, "detail"));

	ck_assert_int_eq(verdict_result_of(v), VERDICT_FAIL);
	ck_assert (!json_is_true(json_object_get(l, "held")))
		;
	ck_assert (json_real_value(json_object_get(l, "actual")) == 2)
		;
	ck_assert (json_real_value(json_object_get(l, "at")) == 6.5)
		;
	ck_assert_str_eq(json_string_value(json_object_get(l, "peer")), "bob");
	ck_assert_ptr_nonnull(strstr(detail, "duplicate events, not counted: 1"));
	ck_assert_ptr_nonnull(strstr(detail, "at 6.5 s on bob: CHILD_SA #2 was announced up"));
	json_decref(v);
	/* Settled early from what the recorder has so far. */
	sum = json_load_file(DIR "/ledger/summary.json", 0, NULL);
	e = verdict_decided(sum, s);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(json_string_value(json_object_get(e, "name")), "ledger_agrees");
	json_decref(e);
	/* Only the duplicate: the ledger agrees. */
	json_array_remove(json_object_get(json_object_get(sum, "ledger"), "details"), 2);
	json_array_remove(json_object_get(json_object_get(sum, "ledger"), "details"), 1);
	ck_assert_ptr_null(verdict_decided(sum, s));
	json_decref(sum);
	/* A run without mismatches (no "ledger" at all) holds. */
	v = verdict_evaluate(DIR "/clean", s);
	ck_assert_int_eq(verdict_result_of(v), VERDICT_PASS);
	ck_assert (json_is_true(json_object_get(expectation(v, "ledger_agrees"), "held")))
		;
	json_decref(v);
	scenario_free(s);
}
END_TEST

/* max_lost_per_event: the 16 packets lost while the tunnel was first
 * negotiated (around the first IKE_SAs' ike-updown) are the
 * establishment's; the one lost around the rekey at 6 s counts. */
START_TEST(test_loss_after_establishment)
{
	struct scenario *s;
	json_t *v = judge(DIR "/establish", DIR "/establish.yaml", &s);
	const json_t *loss = expectation(v, "max_lost_per_event");

	ck_assert_int_eq(verdict_result_of(v), VERDICT_FAIL);
	ck_assert (json_real_value(json_object_get(loss, "actual")) == 1)
		;
	ck_assert (json_real_value(json_object_get(loss, "at")) == 6.0)
		;
	json_decref(v);
	scenario_free(s);
}
END_TEST

START_TEST(test_missing_run)
{
	struct scenario *s = scenario_load(DIR "/expect.yaml");

	ck_assert_ptr_null(verdict_evaluate(DIR "/nowhere", s));
	ck_assert_ptr_nonnull(strstr(err_msg(), "nowhere/summary.json"));
	scenario_free(s);
}
END_TEST

static json_t *so_far(int ike, int child, int acquires, int in_rekey)
{
	return json_pack(
		"{s:{s:{s:i, s:f, s:i, s:f, s:i, s:i}, s:{s:i, s:f, s:i, s:f, s:i, s:i}}}", "peers",
		"alice", "sustained_max_ike_per_pair", ike, "sustained_max_ike_since", 1.5,
		"sustained_max_child_per_ts", child, "sustained_max_child_since", 1.7, "acquires",
		acquires, "acquires_during_rekey", in_rekey, "bob", "sustained_max_ike_per_pair", 1,
		"sustained_max_ike_since", 1.0, "sustained_max_child_per_ts", 1,
		"sustained_max_child_since", 1.0, "acquires", 0, "acquires_during_rekey", 0);
}

static const char *decided_name(const struct scenario *s, json_t *counts)
{
	static char name[64];
	json_t *e = verdict_decided(counts, s);

	json_decref(counts);
	if (!e)
		return NULL;
	snprintf(name, sizeof(name), "%s", json_string_value(json_object_get(e, "name")));
	ck_assert (!json_is_true(json_object_get(e, "held")))
		;
	json_decref(e);
	return name;
}

/* Settled early only by what cannot come back: sustained maxima and
 * acquires, never loss or growth, which wait for the end. */
START_TEST(test_decided_early)
{
	struct scenario *s = scenario_load(DIR "/expect.yaml");
	struct scenario *clean = scenario_load(DIR "/expect-clean.yaml");
	json_t *v, *summary, *e;

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_null(decided_name(s, so_far(1, 1, 1, 0)));
	ck_assert_str_eq(decided_name(s, so_far(2, 1, 0, 0)), "max_ike_per_peer");
	ck_assert_str_eq(decided_name(s, so_far(1, 2, 0, 0)), "max_child_per_ts");
	ck_assert_str_eq(decided_name(s, so_far(1, 1, 2, 0)), "max_acquires");
	ck_assert_str_eq(decided_name(s, so_far(1, 1, 1, 1)), "max_acquires_during_rekey");
	/* A clean scenario fails as surely as a reproduction reproduces. */
	ck_assert_str_eq(decided_name(clean, so_far(1, 3, 0, 0)), "max_child_per_ts");
	ck_assert_ptr_null(decided_name(clean, so_far(1, 1, 9, 0)));
	/* What a finished run's numbers settle, its verdict says too. */
	summary = json_load_file(DIR "/dup/summary.json", 0, NULL);
	ck_assert_ptr_nonnull(summary);
	e = verdict_decided(summary, s);
	ck_assert_ptr_nonnull(e);
	v = verdict_evaluate(DIR "/dup", s);
	ck_assert (!json_is_true(json_object_get(
		expectation(v, json_string_value(json_object_get(e, "name"))), "held")))
		;
	ck_assert_int_eq(verdict_result_of(v), VERDICT_REPRODUCED);
	json_decref(e);
	json_decref(v);
	json_decref(summary);
	scenario_free(s);
	scenario_free(clean);
}
END_TEST

/* summary.json's ended_early goes into the verdict and its report. */
START_TEST(test_ended_early_report)
{
	struct scenario *s = scenario_load(DIR "/expect.yaml");
	json_t *v = verdict_evaluate(DIR "/dup", s);
	char *report;

	ck_assert_ptr_null(json_object_get(v, "ended_early"));
	json_object_set_new(v, "ended_early",
			    json_pack("{s:f, s:f, s:s}", "at", 3.25, "planned_s", 10.0, "why",
				      "max_ike_per_peer violated"));
	report = verdict_report(v, s, 1);
	ck_assert_ptr_nonnull(
		strstr(report, "ended early at 3.250 s of 10 s: max_ike_per_peer violated"));
	free(report);
	json_decref(v);
	scenario_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("verdict");
	TCase *tc = tcase_create("verdict");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_reproduced);
	tcase_add_test(tc, test_clean_fail_and_pass);
	tcase_add_test(tc, test_not_reproduced);
	tcase_add_test(tc, test_stats);
	tcase_add_test(tc, test_unique_reqids);
	tcase_add_test(tc, test_events_and_logs);
	tcase_add_test(tc, test_loss_each_way_and_outage);
	tcase_add_test(tc, test_stats_missing);
	tcase_add_test(tc, test_missing_run);
	tcase_add_test(tc, test_ledger_agrees);
	tcase_add_test(tc, test_loss_after_establishment);
	tcase_add_test(tc, test_decided_early);
	tcase_add_test(tc, test_ended_early_report);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* What counts as a duplicate and as growth: series shaped like the ones a
 * recording at 10 Hz with a 2 s grace sees. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/xfrm.h"
#include "record/analysis.h"

#define HZ 10
#define GRACE 2.0
#define N (60 * HZ) /* a minute of samples */

static double ts[N];

/* base everywhere, value in [from, to) */
static void series(double *y, double base, double from, double to, double value)
{
	for (int i = 0; i < N; i++) {
		ts[i] = (double)i / HZ;
		y[i] = ts[i] >= from && ts[i] < to ? value : base;
	}
}

static double filtered_growth(const double *y)
{
	double out[N];

	sustained_level(ts, y, N, GRACE, out);
	return growth_per_hour(ts, out, N);
}

/* A make-before-break overlap (1.5 s of two IKE_SAs) is not growth ... */
START_TEST(test_short_rise_is_not_growth)
{
	double y[N];

	series(y, 1, 8.3, 9.8, 2);
	ck_assert (growth_per_hour(ts, y, N) != 0)
		;
	ck_assert_double_eq_tol(filtered_growth(y), 0, 1e-9);
}
END_TEST

/* ... nor is one sample caught between the old SA's delete and the new
 * one's install (the case that made a control fail with 7 per hour). */
START_TEST(test_short_dip_is_not_growth)
{
	double y[N];

	series(y, 1, 12.3, 12.4, 0);
	ck_assert (growth_per_hour(ts, y, N) > 0)
		;
	ck_assert_double_eq_tol(filtered_growth(y), 0, 1e-9);
}
END_TEST

/* A second IKE_SA that stays is growth; one that stays for 10 s in the
 * middle of the run is a level change the slope sees, too. */
START_TEST(test_lasting_rise_is_growth)
{
	double y[N], out[N];

	series(y, 1, 30, 60, 2);
	ck_assert (filtered_growth(y) > 50)
		;
	series(y, 1, 25, 35, 2);
	sustained_level(ts, y, N, GRACE, out);
	ck_assert_double_eq(out[33 * HZ], 2);
	ck_assert_double_eq(out[10 * HZ], 1);
	ck_assert_double_eq(out[50 * HZ], 1);
}
END_TEST

/* Doubling every 10 s, as ike-accumulation does, with rekey overlaps on
 * top: strong growth survives the filter. */
START_TEST(test_doubling_is_growth)
{
	double y[N], out[N];

	for (int i = 0; i < N; i++) {
		double t = (double)i / HZ, k = floor(t / 10);

		ts[i] = t;
		y[i] = pow(2, k) + (fmod(t, 10) < 1 ? pow(2, k) : 0);
	}
	sustained_level(ts, y, N, GRACE, out);
	ck_assert_double_eq(out[55 * HZ], 32);
	ck_assert (growth_per_hour(ts, out, N) > 1000)
		;
}
END_TEST

START_TEST(test_sustained_max)
{
	int v[N];
	double since;

	for (int i = 0; i < N; i++) {
		ts[i] = (double)i / HZ;
		v[i] = 1;
	}
	for (int i = 100; i < 115; i++) /* 1.5 s: an overlap */
		v[i] = 2;
	ck_assert_int_eq(sustained_max(ts, v, N, GRACE, &since), 1);
	for (int i = 300; i < 400; i++) /* 10 s: a duplicate */
		v[i] = 3;
	ck_assert_int_eq(sustained_max(ts, v, N, GRACE, &since), 3);
	ck_assert_double_eq_tol(since, 30, 1e-9);
	ck_assert_int_eq(sustained_max(ts, v, 0, GRACE, &since), 0);
}
END_TEST

/* Feed key k's count, k's count with those being rekeyed and another
 * key's, from `from` to `to` seconds at 10 Hz: each closed episode lands
 * in *e, *n counts them. */
static void feed(struct dup_tracker *d, double from, double to, int count, int live, int other,
		 struct episode *e, int *n)
{
	struct tally v[2] = { { "k", live }, { "other", other } };

	for (double t = from; t < to - 1e-9; t += 1.0 / HZ) {
		const struct episode *x = dup_update(d, t, count, "k", v, 2, GRACE);

		if (x) {
			*e = *x;
			(*n)++;
		}
	}
}

/* A duplicate IKE_SA rekeyed 1.1 s after the race made it: the count
 * dips to one while it is REKEYING, and the stretch after the dip has
 * the race's start as its `since` (the one before is shorter than the
 * grace and no episode); after a dip of 1.1 s in which one was really
 * gone, a stretch starts anew; after one of two samples, it does not. */
START_TEST(test_dup_since)
{
	struct dup_tracker d = { 0 };
	struct episode e;
	int n = 0;

	feed(&d, 0, 0.7, 1, 1, 0, &e, &n);
	feed(&d, 0.7, 1.8, 2, 2, 0, &e, &n);
	feed(&d, 1.8, 1.9, 1, 2, 0, &e, &n);
	feed(&d, 1.9, 24.4, 2, 2, 0, &e, &n);
	feed(&d, 24.4, 25.5, 1, 1, 0, &e, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_double_eq_tol(e.since, 0.7, 1e-6);
	ck_assert_double_eq_tol(e.start, 1.9, 1e-6);
	ck_assert_double_eq_tol(e.end, 24.4, 1e-6);
	feed(&d, 25.5, 30, 2, 3, 0, &e, &n);
	feed(&d, 30, 30.2, 1, 1, 0, &e, &n); /* two samples that missed both */
	feed(&d, 30.2, 33, 2, 2, 0, &e, &n);
	ck_assert_ptr_nonnull(dup_finish(&d, 33, GRACE));
	ck_assert_int_eq(d.n_found, 3);
	ck_assert_double_eq_tol(d.found[1].since, 25.5, 1e-6);
	ck_assert_double_eq_tol(d.found[2].since, 25.5, 1e-6);
	ck_assert_double_eq_tol(d.found[2].start, 30.2, 1e-6);
	dup_free(&d);
}
END_TEST

/* Only the stretch's own key bridges a dip: another connection's SAs
 * being rekeyed meanwhile do not; and after a new charon nothing does. */
START_TEST(test_dup_since_own_key)
{
	struct dup_tracker d = { 0 };
	struct episode e;
	int n = 0;

	feed(&d, 0, 3, 2, 2, 0, &e, &n);
	feed(&d, 3, 4, 1, 1, 2, &e, &n);
	feed(&d, 4, 7, 2, 2, 2, &e, &n);
	ck_assert_ptr_nonnull(dup_finish(&d, 7, GRACE));
	ck_assert_int_eq(d.n_found, 2);
	ck_assert_double_eq_tol(d.found[1].since, 4, 1e-6);
	feed(&d, 7, 7.1, 1, 2, 0, &e, &n);
	dup_forget(&d);
	feed(&d, 7.1, 10, 2, 2, 0, &e, &n);
	ck_assert_ptr_nonnull(dup_finish(&d, 10, GRACE));
	ck_assert_double_eq_tol(d.found[2].since, 7.1, 1e-6);
	dup_free(&d);
}
END_TEST

/* An IKE_SA and a CHILD_SA in REKEYING count as up, not as ESTABLISHED
 * or INSTALLED. */
START_TEST(test_live_counts)
{
	json_t *list = json_loads(
		"[{\"name\": \"lab\", \"uniqueid\": \"1\", \"state\": \"ESTABLISHED\", "
		"\"child-sas\": ["
		" {\"name\": \"net\", \"uniqueid\": \"3\", \"state\": \"INSTALLED\","
		"  \"local-ts\": [\"10.1.0.0/16\"], \"remote-ts\": [\"10.2.0.0/16\"]}]},"
		" {\"name\": \"lab\", \"uniqueid\": \"2\", \"state\": \"REKEYING\", \"child-sas\": "
		"["
		" {\"name\": \"net\", \"uniqueid\": \"4\", \"state\": \"REKEYING\","
		"  \"local-ts\": [\"10.1.0.0/16\"], \"remote-ts\": [\"10.2.0.0/16\"]}]}]",
		0, NULL);
	struct sa_sample s;

	ck_assert_ptr_nonnull(list);
	sample_from_sas(list, 1.0, &s);
	ck_assert_int_eq(s.max_established_per_pair, 1);
	ck_assert_int_eq(tally_of(s.live_pairs, s.n_live_pairs, s.pair_key), 2);
	ck_assert_int_eq(s.max_installed_per_ts, 1);
	ck_assert_int_eq(tally_of(s.live_ts, s.n_live_ts, s.ts_key), 2);
	sample_free(&s);
	json_decref(list);
}
END_TEST

START_TEST(test_degenerate_series)
{
	double y[1] = { 4 }, out[1];

	ck_assert_double_eq(growth_per_hour(ts, y, 1), 0);
	ts[0] = 0;
	sustained_level(ts, y, 1, GRACE, out);
	ck_assert_double_eq(out[0], 4);
	sustained_level(ts, y, 0, GRACE, out);
}
END_TEST

/* list-sas as charon 5.9.8 answers after #1855: two CHILD_SAs of
 * different selectors on reqid 2 (and net2 rekeyed: its old and new SA
 * share reqid and selectors, which is no sharing). */
static const char shared[] =
	"[{\"name\": \"lab\", \"uniqueid\": \"2\", \"state\": \"ESTABLISHED\", \"child-sas\": ["
	"{\"name\": \"net\", \"uniqueid\": \"3\", \"reqid\": \"2\", \"state\": \"INSTALLED\","
	" \"local-ts\": [\"10.1.0.0/16\"], \"remote-ts\": [\"10.2.0.0/16\"]},"
	"{\"name\": \"net2\", \"uniqueid\": \"4\", \"reqid\": \"2\", \"state\": \"INSTALLED\","
	" \"local-ts\": [\"10.3.0.0/16\"], \"remote-ts\": [\"10.4.0.0/16\"]},"
	"{\"name\": \"net2\", \"uniqueid\": \"5\", \"reqid\": \"2\", \"state\": \"INSTALLED\","
	" \"local-ts\": [\"10.3.0.0/16\"], \"remote-ts\": [\"10.4.0.0/16\"]}]}]";

START_TEST(test_reqid_shared)
{
	json_t *list = json_loads(shared, 0, NULL);
	struct sa_sample s;

	ck_assert_ptr_nonnull(list);
	sample_from_sas(list, 1.0, &s);
	ck_assert_int_eq(s.max_ts_per_reqid, 2);
	ck_assert_str_eq(s.reqid_key, "reqid 2: net 10.1.0.0/16 === 10.2.0.0/16, "
				      "net2 10.3.0.0/16 === 10.4.0.0/16");
	ck_assert_int_eq(s.max_installed_per_ts, 2);
	sample_free(&s);
	json_decref(list);
}
END_TEST

/* Each on its own reqid, one of them mid-rekey: nothing shared. */
START_TEST(test_reqid_own)
{
	json_t *list = json_loads(shared, 0, NULL);
	struct sa_sample s;

	json_object_set_new(
		json_array_get(json_object_get(json_array_get(list, 0), "child-sas"), 0), "reqid",
		json_string("1"));
	sample_from_sas(list, 1.0, &s);
	ck_assert_int_eq(s.max_ts_per_reqid, 1);
	ck_assert_int_eq(s.max_installed_per_ts, 2);
	sample_free(&s);
	json_decref(list);
}
END_TEST

/* shared[]'s net #3 in the kernel with both SAs and policies; net2 #4
 * with its inbound SA gone and no in policy; net2 #5 complete. */
START_TEST(test_kernel_gaps)
{
	json_t *list = json_loads(shared, 0, NULL);
	struct xfrm_sa_info sas[5] = { { .spi = 0xc1, .proto = 50 },
				       { .spi = 0xc2, .proto = 50 },
				       { .spi = 0xd2, .proto = 50 },
				       { .spi = 0xe1, .proto = 50 },
				       { .spi = 0xe2, .proto = 50 } };
	struct xfrm_policy_info pol[3] = {
		{ .src = "10.1.0.0/16", .dst = "10.2.0.0/16", .dir = "out", .templates = 1 },
		{ .src = "10.2.0.0/16", .dst = "10.1.0.0/16", .dir = "in", .templates = 1 },
		{ .src = "10.3.0.0/16", .dst = "10.4.0.0/16", .dir = "out", .templates = 1 },
	};
	struct xfrm_dump d = { sas, 5, pol, 3 };
	static const char *const spis[3][2] = { { "c1", "c2" }, { "d1", "d2" }, { "e1", "e2" } };
	struct kernel_gaps g;

	for (int k = 0; k < 3; k++) {
		json_t *c =
			json_array_get(json_object_get(json_array_get(list, 0), "child-sas"), k);

		json_object_set_new(c, "spi-in", json_string(spis[k][0]));
		json_object_set_new(c, "spi-out", json_string(spis[k][1]));
	}
	kernel_gaps(list, &d, &g);
	ck_assert_int_eq(g.missing_sas, 1);
	ck_assert_str_eq(g.sa_key, "net2 #4: no inbound SA d1 in the kernel");
	/* Both net2 lack the in policy. */
	ck_assert_int_eq(g.missing_policies, 2);
	ck_assert_str_eq(g.policy_key,
			 "net2 #4: no in and out policy for 10.3.0.0/16 === 10.4.0.0/16");
	json_decref(list);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("analysis");
	TCase *tc = tcase_create("analysis");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_short_rise_is_not_growth);
	tcase_add_test(tc, test_reqid_shared);
	tcase_add_test(tc, test_reqid_own);
	tcase_add_test(tc, test_kernel_gaps);
	tcase_add_test(tc, test_short_dip_is_not_growth);
	tcase_add_test(tc, test_lasting_rise_is_growth);
	tcase_add_test(tc, test_doubling_is_growth);
	tcase_add_test(tc, test_sustained_max);
	tcase_add_test(tc, test_degenerate_series);
	tcase_add_test(tc, test_dup_since);
	tcase_add_test(tc, test_dup_since_own_key);
	tcase_add_test(tc, test_live_counts);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

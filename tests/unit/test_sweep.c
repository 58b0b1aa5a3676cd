/*
 * test_sweep.c - values from the command line: `run --set PATH=VALUE` in
 * place of a scenario's value (positions kept, the same checks), the
 * value ranges of `ikelab sweep`, and the Wilson interval of its rates.
 * Run from the repository root.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/util.h"
#include "campaign/sweep-internal.h"
#include "config/profile.h"
#include "config/scenario.h"

#define FIX "tests/unit/scenarios/"

static struct scenario *load_set(const char *a, const char *b)
{
	const char *sets[] = { a, b };

	return scenario_load_set(FIX "full.yaml", sets, b ? 2 : 1);
}

static const char *set_err(const char *a)
{
	struct scenario *s = load_set(a, NULL);

	ck_assert_msg(!s, "--set %s was accepted", a);
	return err_msg();
}

START_TEST(test_set_values)
{
	struct scenario *s = load_set("schedule[0].skew_us=900", "duration=2m");
	struct profile *alice;

	ck_assert_msg(s, "%s", err_msg());
	ck_assert_uint_eq(*s->schedule[0].skew_us, 900);
	ck_assert_uint_eq(s->duration_ms, 120000);
	scenario_free(s);
	/* Into a peer's profile settings, and a quoted value. */
	s = load_set("peers[1].set.child.rekey_time=7s", "description=two words, \"quoted\"");
	ck_assert_msg(s, "%s", err_msg());
	alice = scenario_profile(s, "alice");
	ck_assert_str_eq(alice->child->rekey_time, "7s");
	ck_assert_str_eq(s->description, "two words, \"quoted\"");
	profile_free(alice);
	scenario_free(s);
}
END_TEST

/* A bad value is refused as the file's own would be, at its line. */
START_TEST(test_set_checked)
{
	ck_assert_str_eq(set_err("schedule[0].skew_us=abc"), FIX
			 "full.yaml:60:14: schedule[0].skew_us: 'abc' is not a decimal integer");
	ck_assert_ptr_nonnull(strstr(set_err("grace=1.5s"), "full.yaml:24:8: grace: '1.5s'"));
	ck_assert_ptr_nonnull(
		strstr(set_err("peers[0].set.ike.unique=maybe"), "'maybe' is not one of"));
}
END_TEST

START_TEST(test_set_refused)
{
	ck_assert_str_eq(set_err("skew"), "--set skew: not PATH=VALUE (for example "
					  "schedule[0].skew_us=400)");
	ck_assert_str_eq(set_err("=5"), "--set =5: not PATH=VALUE (for example "
					"schedule[0].skew_us=400)");
	ck_assert_str_eq(set_err("schedule[40].skew_us=5"),
			 "--set schedule[40].skew_us=5: " FIX "full.yaml sets nothing there: "
			 "--set changes a value the file has");
	ck_assert_str_eq(set_err("nosuch=5"), "--set nosuch=5: " FIX "full.yaml sets nothing "
					      "there: --set changes a value the file has");
	ck_assert_str_eq(set_err("schedule=5"), "--set schedule=5: " FIX "full.yaml holds a "
						"mapping or a list there, not one value");
	ck_assert_ptr_nonnull(strstr(set_err("name=a\tb"), "control character"));
	ck_assert_ptr_nonnull(
		strstr(set_err("schedule[0].skew_us=abc"), "schedule[0].skew_us: 'abc'"));
	{
		const char *sets[] = { "duration=5s", "duration=6s" };

		ck_assert_ptr_null(scenario_load_set(FIX "full.yaml", sets, 2));
		ck_assert_ptr_nonnull(strstr(err_msg(), "that value is set twice"));
	}
}
END_TEST

/* libyaml counts characters; the text is cut in bytes. */
START_TEST(test_set_utf8)
{
	const char *sets[] = { "schedule[0].skew_us=400", "schedule[0].at=2000", "cites=µ" };
	struct scenario *s = scenario_load_set(FIX "set-utf8.yaml", sets, 3);

	ck_assert_msg(s, "%s", err_msg());
	ck_assert_uint_eq(*s->schedule[0].skew_us, 400);
	ck_assert_uint_eq(s->schedule[0].at, 2000);
	ck_assert_str_eq(s->cites, "µ");
	ck_assert_str_eq(s->description, "µs — a window of ±25 ms");
	scenario_free(s);
	sets[0] = "duration=30s";
	ck_assert_ptr_null(scenario_load_set(FIX "set-utf8.yaml", sets, 1));
	ck_assert_ptr_nonnull(strstr(err_msg(), "has an anchored or tagged value there"));
	sets[0] = "description=a\xe2\x80\xa8"
		  "b";
	ck_assert_ptr_null(scenario_load_set(FIX "set-utf8.yaml", sets, 1));
	ck_assert_ptr_nonnull(strstr(err_msg(), "a control character or a line break"));
}
END_TEST

static int values(const char *spec, char ***v)
{
	int n = sweep_values(spec, v);

	ck_assert_msg(n >= 0, "%s: %s", spec, err_msg());
	return n;
}

START_TEST(test_sweep_values)
{
	char **v;

	ck_assert_int_eq(values("0..1000/250", &v), 5);
	ck_assert_str_eq(v[0], "0");
	ck_assert_str_eq(v[4], "1000");
	ck_assert_ptr_null(v[5]);
	sweep_free_values(v);
	ck_assert_int_eq(values("5s..20s/5s", &v), 4);
	ck_assert_str_eq(v[3], "20s");
	sweep_free_values(v);
	ck_assert_int_eq(values("-100..100/150", &v), 2);
	ck_assert_str_eq(v[0], "-100");
	ck_assert_str_eq(v[1], "50");
	sweep_free_values(v);
	ck_assert_int_eq(values("100,yes,two words", &v), 3);
	ck_assert_str_eq(v[2], "two words");
	sweep_free_values(v);
	ck_assert_int_eq(values("42", &v), 1);
	sweep_free_values(v);
}
END_TEST

START_TEST(test_sweep_values_bad)
{
	static const char *const bad[][2] = {
		{ "0..100", "is not a range FROM..TO/STEP" },
		{ "0..100/0", "the step must be above 0" },
		{ "100..0/10", "TO not below FROM" },
		{ "5s..20ms/5s", "the same unit" },
		{ "0..1000/1", "has 1001 values (at most 100)" },
		{ "1,,2", "an empty value" },
		{ "100,200,100", "the value '100' is there twice" },
		{ "a..b/1", "is not a range" },
		{ "007..9/1", "is not a range" },
	};
	char **v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(sweep_values(bad[i][0], &v), -1);
		ck_assert_ptr_null(v);
		ck_assert_msg(strstr(err_msg(), bad[i][1]), "%s: %s", bad[i][0], err_msg());
	}
}
END_TEST

START_TEST(test_wilson)
{
	double lo, hi;

	wilson_interval(5, 5, &lo, &hi);
	ck_assert_double_eq_tol(lo, 0.5655, 1e-4);
	ck_assert_double_eq_tol(hi, 1.0, 1e-12);
	wilson_interval(0, 5, &lo, &hi);
	ck_assert_double_eq_tol(lo, 0.0, 1e-12);
	ck_assert_double_eq_tol(hi, 0.4345, 1e-4);
	wilson_interval(50, 100, &lo, &hi);
	ck_assert_double_eq_tol(lo, 0.4038, 1e-4);
	ck_assert_double_eq_tol(hi, 0.5962, 1e-4);
	wilson_interval(0, 0, &lo, &hi);
	ck_assert (lo == 0 && hi == 1)
		;
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sweep");
	TCase *tc = tcase_create("sweep");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_set_values);
	tcase_add_test(tc, test_set_checked);
	tcase_add_test(tc, test_set_refused);
	tcase_add_test(tc, test_set_utf8);
	tcase_add_test(tc, test_sweep_values);
	tcase_add_test(tc, test_sweep_values_bad);
	tcase_add_test(tc, test_wilson);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}

/* The numbers `ikelab bisect` reports: how likely a good verdict of N runs
 * is luck, from the rate at the bad end and its Wilson lower bound; and
 * the verdict a step takes from a run's directory, which under user-mode
 * Linux the guest wrote. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "campaign/bisect-internal.h"
#include "campaign/bisect.h"

START_TEST(test_luck)
{
	/* A bug that always shows cannot hide; one that shows half the time
	 * hides from 5 runs once in 32. */
	ck_assert_double_eq_tol(bisect_luck(1.0, 5), 0.0, 1e-12);
	ck_assert_double_eq_tol(bisect_luck(0.5, 5), 1.0 / 32, 1e-12);
	ck_assert_double_eq_tol(bisect_luck(0.2, 2), 0.64, 1e-12);
	ck_assert_double_eq_tol(bisect_luck(0.0, 5), 1.0, 1e-12);
}
END_TEST

START_TEST(test_wilson)
{
	/* Textbook values of the 95 % Wilson interval's lower end. */
	ck_assert_double_eq_tol(bisect_wilson_low(5, 5), 0.5655, 1e-4);
	ck_assert_double_eq_tol(bisect_wilson_low(1, 2), 0.0945, 1e-4);
	ck_assert_double_eq_tol(bisect_wilson_low(50, 100), 0.4038, 1e-4);
	ck_assert_double_eq_tol(bisect_wilson_low(0, 5), 0.0, 1e-12);
	ck_assert_double_eq_tol(bisect_wilson_low(0, 0), 0.0, 1e-12);
	/* So 5 of 5 at the bad end still leaves a 1.5 % chance that one good
	 * verdict of 5 runs was luck. */
	ck_assert_double_eq_tol(bisect_luck(bisect_wilson_low(5, 5), 5), 0.0155, 1e-4);
}
END_TEST

static char *put_summary(const char *dir, const char *sub, const char *result)
{
	char *d = xasprintf("%s/%s", dir, sub), *path = xasprintf("%s/summary.json", d);
	char *text = xasprintf("{\"result\": \"%s\"}", result);

	ck_assert_int_eq(mkdir_p(d, 0755), 0);
	ck_assert_int_eq(write_file(path, text, strlen(text), 0644), 0);
	free(text);
	free(path);
	return d;
}

static const char *verdict_of(const char *dir, uint64_t seed)
{
	static char *v;

	free(v);
	alarm(2); /* a run's FIFO must not make the bisect wait */
	v = bs_seed_verdict(dir, seed);
	alarm(0);
	return v;
}

/* The run's own summary is its verdict; a FIFO at summary.json, a link
 * there or a seed directory that is a link makes it a lab error, at once
 * and without reading what the link leads to. */
START_TEST(test_seed_verdict)
{
	char dir[] = "/tmp/ikelab-test-bisect.XXXXXX", *d, *path;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	free(put_summary(dir, "seed-1", "fail"));
	ck_assert_str_eq(verdict_of(dir, 1), "fail");
	ck_assert_str_eq(verdict_of(dir, 2), "lab-error");
	d = put_summary(dir, "seed-3", "pass");
	path = xasprintf("%s/summary.json", d);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	ck_assert_str_eq(verdict_of(dir, 3), "lab-error");
	ck_assert_int_eq(unlink(path), 0);
	free(path);
	free(d);
	d = xasprintf("%s/seed-3/summary.json", dir);
	path = xasprintf("%s/seed-1/summary.json", dir);
	ck_assert_int_eq(symlink(path, d), 0);
	ck_assert_str_eq(verdict_of(dir, 3), "lab-error");
	free(path);
	free(d);
	d = xasprintf("%s/seed-4", dir);
	path = xasprintf("%s/seed-1", dir);
	ck_assert_int_eq(symlink(path, d), 0);
	ck_assert_str_eq(verdict_of(dir, 4), "lab-error");
	free(path);
	free(d);
	rm_rf(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bisect");
	TCase *tc = tcase_create("numbers");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_luck);
	tcase_add_test(tc, test_wilson);
	tcase_add_test(tc, test_seed_verdict);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}

/* The numbers `ikelab bisect` reports: how likely a good verdict of N runs
 * is luck, from the rate at the bad end and its Wilson lower bound. */
#include <check.h>
#include <math.h>

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

int main(void)
{
	Suite *s = suite_create("bisect");
	TCase *tc = tcase_create("numbers");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_luck);
	tcase_add_test(tc, test_wilson);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}

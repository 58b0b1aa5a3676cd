/* What the nightly takes from a run's directory (nightly-internal.h). Under
 * user-mode Linux the guest wrote it, as root: a FIFO at summary.json must
 * not hang the night (the alarm ends a test that waits), a link must not
 * make it read another file, and a seed-N that is not a directory is
 * refused; each of these is a lab error that says why. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/json.h"
#include "base/util.h"
#include "campaign/nightly-internal.h"

#define SCRATCH_TAG "nightly"
#include "scratch.h"

static void put(const char *name, const char *text)
{
	ck_assert_int_eq(write_file(at(name), text, strlen(text), 0644), 0);
}

static void dir(const char *name)
{
	ck_assert_int_eq(mkdir_p(at(name), 0755), 0);
}

/* The seed's entry, within two seconds whatever the run left. */
static json_t *result(const char *rel, int status, const char *refused)
{
	json_t *r;

	alarm(2);
	r = nj_seed_result(scratch_dir, rel, 7, 1.5, status, refused);
	alarm(0);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "seed")), 7);
	ck_assert_str_eq(jget_str(r, "dir"), rel);
	return r;
}

static const char pass[] = "{\"result\": \"pass\", \"charon_version\": \"6.0.3\","
			   " \"peers\": {\"alice\": {\"max_ike_established\": 2}}}";

/* A summary.json as ikelab writes it: its result and numbers. */
START_TEST(test_summary_read)
{
	json_t *r;

	dir("sc/seed-7");
	put("sc/seed-7/summary.json", pass);
	r = result("sc/seed-7", 0, NULL);
	ck_assert_str_eq(jget_str(r, "result"), "pass");
	ck_assert_str_eq(jget_str(r, "charon_version"), "6.0.3");
	ck_assert_double_eq(jget_num_or(r, "max_ike", 0), 2);
	CHECK(!jget_str(r, "lab_error"));
	json_decref(r);
}
END_TEST

/* A FIFO nobody writes at summary.json: a lab error at once, no hang. */
START_TEST(test_summary_fifo)
{
	json_t *r;

	dir("sc/seed-7");
	ck_assert_int_eq(mkfifo(at("sc/seed-7/summary.json"), 0644), 0);
	r = result("sc/seed-7", 0, NULL);
	ck_assert_str_eq(jget_str(r, "result"), "lab-error");
	CHECK(strstr(jget_str(r, "lab_error"), "summary.json: it is a FIFO"));
	json_decref(r);
}
END_TEST

/* summary.json a link to a file elsewhere, or seed-7 a link to a
 * directory elsewhere: neither is read. */
START_TEST(test_summary_links)
{
	json_t *r;

	dir("elsewhere");
	put("elsewhere/summary.json", pass);
	dir("sc/seed-7");
	ck_assert_int_eq(symlink(at("elsewhere/summary.json"), at("sc/seed-7/summary.json")), 0);
	r = result("sc/seed-7", 0, NULL);
	ck_assert_str_eq(jget_str(r, "result"), "lab-error");
	CHECK(strstr(jget_str(r, "lab_error"), "a symbolic link"));
	json_decref(r);

	ck_assert_int_eq(symlink(at("elsewhere"), at("sc/seed-8")), 0);
	r = result("sc/seed-8", 0, NULL);
	ck_assert_str_eq(jget_str(r, "result"), "lab-error");
	CHECK(strstr(jget_str(r, "lab_error"), "a symbolic link"));
	json_decref(r);
}
END_TEST

/* Missing or broken: as before, no summary, or how the run ended; a
 * directory nightly.c refused: why. */
START_TEST(test_summary_missing)
{
	json_t *r = result("sc/seed-7", 0, NULL);

	ck_assert_str_eq(jget_str(r, "lab_error"), "no summary");
	json_decref(r);
	r = result("sc/seed-7", 256, NULL);
	CHECK(strstr(jget_str(r, "lab_error"), "failed before it recorded anything"));
	json_decref(r);
	dir("sc/seed-7");
	put("sc/seed-7/summary.json", "{\"result\": ");
	r = result("sc/seed-7", 0, NULL);
	ck_assert_str_eq(jget_str(r, "lab_error"), "no summary");
	json_decref(r);
	put("sc/seed-7/summary.json", pass);
	r = result("sc/seed-7", 0, "refused: a link");
	ck_assert_str_eq(jget_str(r, "result"), "lab-error");
	ck_assert_str_eq(jget_str(r, "lab_error"), "refused: a link");
	json_decref(r);
}
END_TEST

static bool is_dir(const char *name)
{
	struct stat st;

	return lstat(at(name), &st) == 0 && S_ISDIR(st.st_mode);
}

/* seed-N moves out of .seed-N only when it is a directory; a link or a
 * FIFO there is refused and its place is an empty directory. */
START_TEST(test_take_seed_dir)
{
	char *why;

	dir("sc/.seed-1/seed-1");
	put("sc/.seed-1/seed-1/summary.json", pass);
	ck_assert_ptr_null(night_take_seed_dir(at("sc/.seed-1/seed-1"), at("sc/seed-1")));
	CHECK(is_dir("sc/seed-1") && access(at("sc/seed-1/summary.json"), F_OK) == 0);

	dir("elsewhere");
	put("elsewhere/summary.json", pass);
	dir("sc/.seed-2");
	ck_assert_int_eq(symlink(at("elsewhere"), at("sc/.seed-2/seed-2")), 0);
	why = night_take_seed_dir(at("sc/.seed-2/seed-2"), at("sc/seed-2"));
	ck_assert_ptr_nonnull(why);
	CHECK(strstr(why, "as a symbolic link, not a directory"));
	CHECK(is_dir("sc/seed-2") && access(at("sc/seed-2/summary.json"), F_OK) < 0);
	CHECK(access(at("elsewhere/summary.json"), F_OK) == 0);
	free(why);

	dir("sc/.seed-3");
	ck_assert_int_eq(mkfifo(at("sc/.seed-3/seed-3"), 0644), 0);
	alarm(2);
	why = night_take_seed_dir(at("sc/.seed-3/seed-3"), at("sc/seed-3"));
	alarm(0);
	ck_assert_ptr_nonnull(why);
	CHECK(strstr(why, "as a FIFO"));
	CHECK(is_dir("sc/seed-3"));
	free(why);

	/* A run that left nothing: an empty directory, no refusal. */
	ck_assert_ptr_null(night_take_seed_dir(at("sc/.seed-4/seed-4"), at("sc/seed-4")));
	CHECK(is_dir("sc/seed-4"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("nightly");
	TCase *tc = tcase_create("run directories");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, scratch, cleanup);
	tcase_add_test(tc, test_summary_read);
	tcase_add_test(tc, test_summary_fifo);
	tcase_add_test(tc, test_summary_links);
	tcase_add_test(tc, test_summary_missing);
	tcase_add_test(tc, test_take_seed_dir);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

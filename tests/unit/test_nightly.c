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
#include "base/file.h"
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

/* --shard's value, given or from the CI engine's variables. */
START_TEST(test_shard_arg)
{
	static const char *const bad[] = { "0/3", "4/3", "a/3",  "3",    "1/0", "1/1001",
					   "2/",  "/2",  "1/3x", "-1/3", "" };
	unsigned i = 0, n = 0;

	unsetenv("CI_NODE_INDEX");
	unsetenv("CI_NODE_TOTAL");
	unsetenv("JOB_COMPLETION_INDEX");
	ck_assert_int_eq(nightly_shard_arg("2/3", &i, &n), 0);
	CHECK(i == 2 && n == 3);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		ck_assert_msg(nightly_shard_arg(bad[k], &i, &n) < 0, "%s accepted", bad[k]);
		CHECK(strstr(err_msg(), "--shard"));
		err_clear();
	}
	/* GitLab's parallel: both from the environment, the index from 1. */
	ck_assert_int_eq(nightly_shard_arg("auto", &i, &n), -1);
	CHECK(strstr(err_msg(), "CI_NODE_TOTAL is not set"));
	err_clear();
	setenv("CI_NODE_TOTAL", "4", 1);
	setenv("CI_NODE_INDEX", "4", 1);
	ck_assert_int_eq(nightly_shard_arg("auto", &i, &n), 0);
	CHECK(i == 4 && n == 4);
	setenv("CI_NODE_INDEX", "5", 1);
	ck_assert_int_eq(nightly_shard_arg("auto", &i, &n), -1);
	err_clear();
	unsetenv("CI_NODE_INDEX");
	unsetenv("CI_NODE_TOTAL");
	/* A Kubernetes Indexed Job: the index from 0, the count given. */
	setenv("JOB_COMPLETION_INDEX", "0", 1);
	ck_assert_int_eq(nightly_shard_arg("auto/5", &i, &n), 0);
	CHECK(i == 1 && n == 5);
	setenv("JOB_COMPLETION_INDEX", "5", 1);
	ck_assert_int_eq(nightly_shard_arg("auto/5", &i, &n), -1);
	CHECK(strstr(err_msg(), "JOB_COMPLETION_INDEX is not a shard of 5"));
	err_clear();
	setenv("JOB_COMPLETION_INDEX", "1; rm", 1);
	ck_assert_int_eq(nightly_shard_arg("auto/5", &i, &n), -1);
	err_clear();
	unsetenv("JOB_COMPLETION_INDEX");
}
END_TEST

#define UNITS 11

/* Shard I of N of a night of UNITS scenarios of different lengths: which
 * units it keeps (keep[u] = I) and its expected time. */
static double shard_of(unsigned I, unsigned N, int *keep)
{
	struct nightly_opts o = { .seeds = 2, .shard = I, .shards = N };
	struct night n = { .o = &o };
	double load = 0;

	n.vers = calloc(1, sizeof(struct ver));
	n.n_vers = 1;
	n.sc = calloc(UNITS, sizeof(struct sc));
	for (int u = 0; u < UNITS; u++) {
		n.sc[u].unit = u;
		n.sc[u].name = xasprintf("s%d", u);
		n.sc[u].duration_s = 10 + (u * 7) % 50;
	}
	n.n_sc = UNITS;
	night_shard(&n);
	for (int k = 0; k < n.n_sc; k++) {
		ck_assert_int_eq(keep[n.sc[k].unit], 0);
		keep[n.sc[k].unit] = (int)I;
		load += (n.sc[k].duration_s + NIGHT_OVERHEAD_S) * 2;
		if (k)
			CHECK(n.sc[k].unit > n.sc[k - 1].unit);
	}
	night_free(&n);
	return load;
}

/* Every unit in exactly one shard, the shards within one unit's time of
 * each other, and the same deal every time. */
START_TEST(test_shard_deal)
{
	for (unsigned N = 1; N <= 5; N++) {
		int keep[UNITS] = { 0 }, again[UNITS] = { 0 };
		double lo = 1e9, hi = 0;

		for (unsigned I = 1; I <= N; I++) {
			double l = shard_of(I, N, keep);

			lo = l < lo ? l : lo;
			hi = l > hi ? l : hi;
			shard_of(I, N, again);
		}
		for (int u = 0; u < UNITS; u++)
			ck_assert_msg(keep[u] >= 1 && keep[u] == again[u],
				      "unit %d: shard %d, then %d", u, keep[u], again[u]);
		ck_assert_msg(hi - lo <= (59 + NIGHT_OVERHEAD_S) * 2, "%u shards: %.0f to %.0f s",
			      N, lo, hi);
	}
}
END_TEST

/* The shards' runs copied for the merge: directories and regular files
 * only, no link followed, nothing overwritten. */
START_TEST(test_tree_copy)
{
	unsigned skipped = 0;
	char *text = NULL;

	dir("shard/sc/seed-1/deep");
	put("shard/sc/seed-1/summary.json", pass);
	put("shard/sc/seed-1/deep/charon.log", "log");
	put("secret", "secret");
	ck_assert_int_eq(symlink(at("secret"), at("shard/sc/seed-1/link")), 0);
	ck_assert_int_eq(mkfifo(at("shard/sc/seed-1/fifo"), 0644), 0);
	dir("out");
	alarm(2);
	ck_assert_int_eq(tree_copy_beneath(at("shard"), "sc", at("out"), &skipped), 0);
	alarm(0);
	ck_assert_uint_eq(skipped, 2);
	ck_assert_int_eq(read_file(at("out/sc/seed-1/deep/charon.log"), &text, NULL), 0);
	ck_assert_str_eq(text, "log");
	free(text);
	CHECK(access(at("out/sc/seed-1/link"), F_OK) < 0 &&
	      access(at("out/sc/seed-1/fifo"), F_OK) < 0);
	/* Nothing is copied over what is there. */
	ck_assert_int_eq(tree_copy_beneath(at("shard"), "sc", at("out"), &skipped), -1);
	err_clear();
	/* A link as the unit's directory is refused. */
	ck_assert_int_eq(symlink(at("shard/sc"), at("shard/other")), 0);
	ck_assert_int_eq(tree_copy_beneath(at("shard"), "other", at("out"), &skipped), -1);
	CHECK(strstr(err_msg(), "symbolic link"));
	err_clear();
	CHECK(access(at("out/other"), F_OK) < 0);
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
	tcase_add_test(tc, test_shard_arg);
	tcase_add_test(tc, test_shard_deal);
	tcase_add_test(tc, test_tree_copy);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

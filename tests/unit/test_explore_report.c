/*
 * test_explore_report.c - index.html and junit.xml of `ikelab explore`
 * from the findings under tests/unit/explore_report/: a realistic run
 * (its run directories made in a scratch directory, since the writers
 * look for the files), one full of hostile strings and paths (a shrunk
 * scenario that is a link to /etc/passwd, a run directory that is a link
 * to /etc, "..", absolute paths, schemes), and findings with fields
 * missing or of the wrong type. Run from the repository root.
 */
#define SCRATCH_TAG "explore-report"
#include "scratch.h"

#include "explore/report.h"
#include "explore/report-internal.h"
#include "base/file.h"
#include "base/util.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIX "tests/unit/explore_report/"

#define ck_assert_has(hay, needle) ck_assert_msg(strstr((hay), (needle)), "missing: %s", (needle))
#define ck_assert_lacks(hay, needle) \
	ck_assert_msg(!strstr((hay), (needle)), "present: %s", (needle))

static json_t *load(const char *name)
{
	json_error_t e;
	json_t *j = json_load_file(name, 0, &e);

	ck_assert_msg(j, "%s:%d: %s", name, e.line, e.text);
	return j;
}

static void put(const char *rel, const char *text)
{
	char *path = xstrdup(at(rel));
	char *slash = strrchr(path, '/');

	*slash = '\0';
	CHECK(mkdir_p(path, 0755) == 0);
	*slash = '/';
	CHECK(write_file(path, text, strlen(text), 0644) == 0);
	free(path);
}

static char *get(const char *name)
{
	char *text;

	CHECK(read_file(at(name), &text, NULL) == 0);
	return text;
}

/* Both reports of a fixture into the scratch directory. */
static json_t *write_both(const char *fixture)
{
	json_t *f = load(fixture);

	CHECK(explore_report_html(f, scratch_dir) == 0);
	CHECK(explore_report_junit(f, scratch_dir) == 0);
	return f;
}

static void realistic_files(void)
{
	const char *run = "trials/explore-1007/seed-1007/";
	const char *files[] = { "timeline.png", "timeline.svg", "report.txt", "scenario.yaml" };

	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		char *rel = xasprintf("%s%s", run, files[i]);

		put(rel, "x");
		free(rel);
	}
	put("shrunk/3f2a9c1e.yaml",
	    "schedule:\n  - at: 1.2s\n    action: reauth # a <b> & \"c\"\n");
}

START_TEST(rel_paths)
{
	const char *good[] = {
		"a", "trials/x/seed-1", "shrunk/3f.yaml", "a/..b/c", "a/b:c", "..."
	};
	const char *bad[] = { "",      "/etc/passwd", "..",       "../x",  "a/../b",
			      "a/..",  "a\\b",        "http://x", "x:y/z", "javascript:alert(1)",
			      "a\nb/c" };

	for (size_t i = 0; i < ARRAY_LEN(good); i++)
		ck_assert_msg(exrep_rel_ok(good[i]), "refused: %s", good[i]);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		ck_assert_msg(!exrep_rel_ok(bad[i]), "accepted: %s", bad[i]);
	ck_assert (!exrep_rel_ok(NULL))
		;
}
END_TEST

START_TEST(html_realistic)
{
	json_t *f;
	char *html, *a, *b, *c;

	realistic_files();
	f = write_both(FIX "findings.json");
	html = get("index.html");
	ck_assert_has(html, "2 new groups of failures");
	ck_assert_has(html, "12 of 120 trials (10%)");
	ck_assert_has(html, "<span class=\"badge b-new-failure\"");
	ck_assert_has(html, "id=\"g-3f2a9c1e\"");
	/* New groups first, by count; then the known race. */
	a = strstr(html, "id=\"g-3f2a9c1e\"");
	b = strstr(html, "id=\"g-c0ffee01\"");
	c = strstr(html, "id=\"g-77aa00bb\"");
	ck_assert (a &&b &&c &&a < b && b < c)
		;
	ck_assert_has(html, "src=\"trials/explore-1007/seed-1007/timeline.png\"");
	ck_assert_has(html, "href=\"trials/explore-1007/seed-1007/timeline.svg\"");
	ck_assert_has(html, "href=\"trials/explore-1007/seed-1007/report.txt\"");
	ck_assert_has(html, "action: reauth # a &lt;b&gt; &amp; &quot;c&quot;");
	ck_assert_has(html, "9 &rarr; 2 schedule entries");
	ck_assert_has(html, "fixed in 6.0.6");
	ck_assert_has(html, ">auto-route.yaml</span>");
	ck_assert_has(html, "seed <b>1007</b>, after 5 min 10 s");
	ck_assert_has(html, "<details class=\"trials\"><summary>All 4 trials</summary>");
	ck_assert_has(html, "<a href=\"#g-3f2a9c1e\">3f2a9c1e</a>");
	/* The second group's run wrote nothing, and its shrunk file is gone. */
	ck_assert_has(html, "no timeline");
	ck_assert_has(html, "shrunk/c0ffee01.yaml</span> <small>(missing)</small>");
	free(html);
	json_decref(f);
}
END_TEST

START_TEST(junit_realistic)
{
	json_t *f;
	char *xml;

	realistic_files();
	f = write_both(FIX "findings.json");
	xml = get("junit.xml");
	ck_assert_has(xml, "<testsuite name=\"ikelab explore\" tests=\"4\" failures=\"2\"");
	ck_assert_has(xml, "classname=\"explore.dup-ike\" name=\"3f2a9c1e reauth\"");
	ck_assert_has(xml, "<failure message=\"most ESTABLISHED IKE_SAs per peer: 2 &gt; 1");
	ck_assert_has(xml, "seeds: 1007, 1012, 1019, 1044");
	ck_assert_has(xml, "/shrunk/3f2a9c1e.yaml (reproduces)");
	ck_assert_has(xml, "fixed in: 6.0.6");
	ck_assert_has(xml, "<system-out>known race: 2 INSTALLED CHILD_SAs");
	ck_assert_has(xml, "<system-out>5 of 120 trials were lab errors</system-out>");
	free(xml);
	json_decref(f);
}
END_TEST

/* The hostile fixture's planted files: links out, and a long scenario. */
static void hostile_files(void)
{
	char *big = xmalloc(EXPLORE_SHRUNK_MAX + 2);

	memset(big, 'a', EXPLORE_SHRUNK_MAX + 1);
	big[EXPLORE_SHRUNK_MAX + 1] = '\0';
	put("shrunk/big.yaml", big);
	free(big);
	put("trials/other", "");
	CHECK(file_symlink("/etc/passwd", at("shrunk/link.yaml")) == 0);
	CHECK(file_symlink("/etc", at("trials/lnk")) == 0);
}

static void assert_no_markup(const char *out)
{
	ck_assert_lacks(out, "<script");
	ck_assert_lacks(out, "<img src=x");
	ck_assert_lacks(out, "<b>lbl");
	ck_assert_lacks(out, "<b>fx");
	ck_assert_lacks(out, "<i>6");
	ck_assert_lacks(out, "<v>");
	ck_assert_lacks(out, "<x>");
	ck_assert_lacks(out, "root:");
	ck_assert_lacks(out, "\x01");
}

START_TEST(html_hostile)
{
	json_t *f;
	char *html;

	hostile_files();
	f = write_both(FIX "hostile.json");
	html = get("index.html");
	assert_no_markup(html);
	ck_assert_lacks(html, "href=\"/");
	ck_assert_lacks(html, "src=\"/");
	ck_assert_lacks(html, "href=\"..");
	ck_assert_lacks(html, "href=\"javascript");
	ck_assert_lacks(html, "href=\"http");
	ck_assert_lacks(html, "href=\"shrunk/link.yaml");
	ck_assert_lacks(html, "href=\"trials/lnk");
	ck_assert_lacks(html, "aaaaaaaaaa</pre>");
	ck_assert_has(html, "&lt;script&gt;alert(1)&lt;/script&gt;");
	ck_assert_has(html, "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;");
	ck_assert_has(html, "shrunk/link.yaml</span> <small>(a symbolic link, not followed)");
	ck_assert_has(html, "/etc/passwd</span> <small>(not a path below the output directory)");
	ck_assert_has(html, "shrunk/big.yaml</a> <small>(too long to show here)");
	ck_assert_has(html, "run not below the output directory");
	ck_assert_has(html, "\xef\xbf\xbd");
	free(html);
	json_decref(f);
}
END_TEST

START_TEST(junit_hostile)
{
	json_t *f;
	char *xml;

	hostile_files();
	f = write_both(FIX "hostile.json");
	xml = get("junit.xml");
	assert_no_markup(xml);
	ck_assert_has(xml, "classname=\"explore.inv&lt;script&gt;i()&lt;/script&gt;\"");
	ck_assert_has(xml, "shrunk scenario: (refused: not a path below the output directory)");
	ck_assert_lacks(xml, "/etc/passwd (");
	/* "run": "many" counts as none: 3 lab errors are more than half. */
	ck_assert_has(xml, "<failure message=\"3 of 0 trials were lab errors\"");
	free(xml);
	json_decref(f);
}
END_TEST

START_TEST(fields_missing)
{
	const char *docs[] = {
		"{}",
		"{\"groups\": [{}], \"trials_list\": [{}], \"trials\": {}}",
		"{\"groups\": {}, \"trials_list\": \"x\", \"trials\": [], \"charon\": 1, "
		"\"generator\": [], \"versions\": {}}",
		"{\"groups\": [{\"seeds\": {}, \"markers\": 1, \"exchanges\": \"x\", "
		"\"shrink\": [], \"version_runs\": {}, \"run\": 5, \"shrunk\": true}]}",
	};

	for (size_t i = 0; i < ARRAY_LEN(docs); i++) {
		json_t *f = json_loads(docs[i], 0, NULL);
		char *html, *xml;

		ck_assert_ptr_nonnull(f);
		CHECK(explore_report_html(f, scratch_dir) == 0);
		CHECK(explore_report_junit(f, scratch_dir) == 0);
		html = get("index.html");
		xml = get("junit.xml");
		ck_assert_has(html, "</html>\n");
		ck_assert_has(xml, "name=\"lab-errors\"");
		free(html);
		free(xml);
		json_decref(f);
	}
}
END_TEST

START_TEST(errors_name_the_file)
{
	json_t *arr = json_array();
	json_t *f = json_object();

	ck_assert_int_eq(explore_report_html(arr, scratch_dir), -1);
	ck_assert_has(err_msg(), "index.html");
	ck_assert_int_eq(explore_report_junit(arr, scratch_dir), -1);
	ck_assert_has(err_msg(), "junit.xml");
	ck_assert_int_eq(explore_report_html(f, at("no/such/dir")), -1);
	ck_assert_has(err_msg(), "no/such/dir/index.html");
	json_decref(arr);
	json_decref(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("explore_report");
	TCase *tc = tcase_create("explore_report");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, scratch, cleanup);
	tcase_add_test(tc, rel_paths);
	tcase_add_test(tc, html_realistic);
	tcase_add_test(tc, junit_realistic);
	tcase_add_test(tc, html_hostile);
	tcase_add_test(tc, junit_hostile);
	tcase_add_test(tc, fields_missing);
	tcase_add_test(tc, errors_name_the_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

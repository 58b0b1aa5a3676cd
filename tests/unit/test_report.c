/*
 * test_report.c - junit.xml and index.html from the nightly summaries
 * under tests/unit/report/: a realistic nightly (its run directories
 * copied to a temporary directory, since the writers look for the runs'
 * files), one full of hostile strings, and one without the optional
 * fields. Run from the repository root.
 */
#include "judge/report.h"
#include "base/err.h"
#include "base/util.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIX "tests/unit/report/"

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

static char *tmp_dir(void)
{
	char *d = xstrdup("/tmp/ikelab-test-report-XXXXXX");

	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

/* The nightly fixture's run directories in a fresh output directory. */
static char *nightly_dir(void)
{
	char *d = tmp_dir();
	char *cmd = xasprintf("cp -R " FIX "nightly/. '%s'", d);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	return d;
}

static void put(const char *dir, const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", dir, rel);
	char *slash = strrchr(path, '/');

	*slash = '\0';
	ck_assert_msg(mkdir_p(path, 0755) == 0, "%s", err_msg());
	*slash = '/';
	ck_assert_msg(write_file(path, text, strlen(text), 0644) == 0, "%s", err_msg());
	free(path);
}

static char *get(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), *text;

	ck_assert_msg(read_file(path, &text, NULL) == 0, "%s", err_msg());
	free(path);
	return text;
}

static void done(char *dir, json_t *j)
{
	rm_rf(dir);
	free(dir);
	json_decref(j);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The text from the first `from` up to the `to` after it. */
static char *section(const char *doc, const char *from, const char *to)
{
	const char *a = strstr(doc, from), *b;

	ck_assert_msg(a, "missing: %s", from);
	b = strstr(a, to);
	ck_assert_msg(b, "missing after %s: %s", from, to);
	return xasprintf("%.*s", (int)(b - a), a);
}

static char *junit_of(const char *dir, const json_t *j)
{
	ck_assert_msg(report_junit(j, dir) == 0, "%s", err_msg());
	return get(dir, "junit.xml");
}

static char *html_of(const char *dir, const json_t *j)
{
	ck_assert_msg(report_html(j, dir) == 0, "%s", err_msg());
	return get(dir, "index.html");
}

/* Nothing XML 1.0 forbids: C0 controls but TAB, LF, CR (and DEL). */
static void assert_clean_bytes(const char *doc)
{
	for (const unsigned char *p = (const unsigned char *)doc; *p; p++)
		ck_assert_msg(*p >= 0x20 ? *p != 0x7f : *p == '\t' || *p == '\n' || *p == '\r',
			      "byte 0x%02x at offset %td", *p, (const char *)p - doc);
}

START_TEST(junit_counts)
{
	json_t *j = load(FIX "nightly/summary.json");
	char *d = nightly_dir(), *x = junit_of(d, j), *s;

	ck_assert_has(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	ck_assert_has(x,
		      "<testsuites name=\"ikelab nightly\" tests=\"17\" failures=\"4\" errors=\"1\""
		      " time=\"250.000\">");
	ck_assert_int_eq(count(x, "<testsuite "), 5);
	ck_assert_int_eq(count(x, "<testcase "), 17);
	ck_assert_int_eq(count(x, "<failure "), 4);
	ck_assert_int_eq(count(x, "<error "), 1);
	ck_assert_has(x,
		      "<testsuite name=\"uniqueness-race\" tests=\"3\" failures=\"0\" errors=\"0\""
		      " skipped=\"0\" time=\"36.400\" timestamp=\"2026-11-26T19:35:00Z\""
		      " hostname=\"lab-runner-3\">");
	ck_assert_has(x, "<testsuite name=\"rekey-collision-control\" tests=\"3\" failures=\"2\""
			 " errors=\"1\" skipped=\"0\"");
	ck_assert_has(
		x, "<testsuite name=\"reauth-mbb-loss\" tests=\"5\" failures=\"2\" errors=\"0\"");
	ck_assert_has(
		x,
		"<testcase classname=\"ikelab.uniqueness-race\" name=\"seed-2\" time=\"12.400\">");
	s = section(x, "<testsuite name=\"rekey-collision-control\"", "<testcase");
	ck_assert_has(s, "<property name=\"expect\" value=\"clean\"/>");
	ck_assert_has(s, "<property name=\"rate\" value=\"0\"/>");
	ck_assert_has(s, "<property name=\"charon_version\" value=\"5.9.8\"/>");
	ck_assert_has(s, "<property name=\"status\" value=\"fail\"/>");
	ck_assert_has(s, "<property name=\"change\" value=\"new-failure\"/>");
	ck_assert_has(s, "<property name=\"file\" "
			 "value=\"/work/main/scenarios/rekey-collision-control.yaml\"/>");
	ck_assert_has(x, "</testsuites>\n");
	free(s);
	free(x);
	done(d, j);
}
END_TEST

START_TEST(junit_failure_message_and_report)
{
	json_t *j = load(FIX "nightly/summary.json");
	char *d = nightly_dir(), *x = junit_of(d, j), *root = realpath(d, NULL), *want, *s;

	want = xasprintf(
		"<failure message=\"max_child_per_ts: 2 &gt; 1 at t=5.1 s, max_lost_packets: 31 "
		"&gt;"
		" 10 at t=5.2 s; run directory: %s/rekey-collision-control/seed-1\" "
		"type=\"expectation\">"
		"scenario rekey-collision-control, seed 1: fail (every expectation must hold)\n",
		root);
	ck_assert_has(x, want);
	/* report.txt's "<=" arrives escaped. */
	s = section(x, want, "</failure>");
	ck_assert_has(s, "max_lost_packets           &lt;= 10     VIOLATED");
	free(s);
	free(want);
	want = xasprintf(
		"<failure message=\"not reproduced: every expectation held; run directory: "
		"%s/reauth-mbb-loss/seed-2\" type=\"expectation\">",
		root);
	ck_assert_has(x, want);
	free(want);
	free(root);
	free(x);
	done(d, j);
}
END_TEST

START_TEST(junit_lab_error)
{
	json_t *j = load(FIX "nightly/summary.json");
	char *d = nightly_dir(), *x = junit_of(d, j), *s;

	s = section(x, "name=\"seed-3\" time=\"3.200\">", "</testcase>");
	/* No report.txt in that run: the message and the directory instead. */
	ck_assert_has(
		s, "<error message=\"charon of bob (pid 812) did not answer on VICI within 5 s\""
		   " type=\"lab-error\">charon of bob (pid 812) did not answer on VICI within 5 s\n"
		   "run directory: ");
	ck_assert_has(s, "/rekey-collision-control/seed-3\n</error>");
	ck_assert_lacks(s, "<failure");
	free(s);
	free(x);
	done(d, j);
}
END_TEST

START_TEST(junit_reproduced_is_not_a_failure)
{
	json_t *j = load(FIX "nightly/summary.json");
	char *d = nightly_dir(), *x = junit_of(d, j), *s;

	s = section(x, "<testsuite name=\"uniqueness-race\"", "</testsuite>");
	ck_assert_lacks(s, "<failure");
	ck_assert_lacks(s, "<error");
	ck_assert_int_eq(count(s, "<system-out>"), 3);
	ck_assert_has(
		s,
		"<system-out>reproduced: max_ike_per_peer: 3 &gt; 1 at t=1.8 s, max_child_per_ts:"
		" 2 &gt; 1 at t=1.8 s (the bug showed, as expected)\nrun directory: ");
	free(s);
	/* ...while a control that held is a plain pass. */
	s = section(x, "<testsuite name=\"hard-expire-acquire-control\"", "</testsuite>");
	ck_assert_lacks(s, "<failure");
	ck_assert_has(s, "<system-out>pass: every expectation held\nrun directory: ");
	free(s);
	free(x);
	done(d, j);
}
END_TEST

START_TEST(junit_long_report_is_cut)
{
	json_t *j = load(FIX "nightly/summary.json");
	char *d = nightly_dir(), *x, *s;
	struct strbuf big = { 0 };

	while (big.len < 200 * 1024)
		sb_addf(&big, "       -0.%03zu s  alice  vici   ike-updown     up=true\n",
			big.len % 1000);
	put(d, "rekey-collision-control/seed-2/report.txt", big.buf);
	x = junit_of(d, j);
	s = section(x, "name=\"seed-2\" time=\"15.000\">", "</failure>");
	ck_assert_uint_lt(strlen(s), 70 * 1024);
	ck_assert_has(s, " more bytes in ");
	ck_assert_has(s, "/rekey-collision-control/seed-2/report.txt]\n");
	free(s);
	free(x);
	sb_free(&big);
	done(d, j);
}
END_TEST

/* A run's files are the guest's under user-mode Linux: a report.txt that
 * is a link, or a seed directory that is one, brings no host file into
 * junit.xml; a FIFO there does not block the report (the alarm ends a test
 * that waits). The failure's message stands in for the report instead. */
static const char *const planted_cases[] = {
	"name=\"seed-1\" time=\"15.200\">",
	"name=\"seed-2\" time=\"15.000\">",
	"name=\"seed-2\" time=\"30.600\">",
};

START_TEST(junit_planted_report)
{
	json_t *j = load(FIX "nightly/summary.json");
	char *d = nightly_dir(), *x, *s, *path, *target;

	put(d, "secret.txt", "ROOT SECRET ONE\n");
	put(d, "elsewhere/report.txt", "ROOT SECRET TWO\n");
	path = xasprintf("%s/rekey-collision-control/seed-1/report.txt", d);
	target = xasprintf("%s/secret.txt", d);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(symlink(target, path), 0);
	free(path);
	path = xasprintf("%s/rekey-collision-control/seed-2/report.txt", d);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	free(path);
	free(target);
	path = xasprintf("%s/reauth-mbb-loss/seed-2", d);
	target = xasprintf("%s/elsewhere", d);
	ck_assert_int_eq(rm_rf(path), 0);
	ck_assert_int_eq(symlink(target, path), 0);
	alarm(5);
	x = junit_of(d, j);
	alarm(0);
	ck_assert_lacks(x, "ROOT SECRET");
	for (size_t i = 0; i < ARRAY_LEN(planted_cases); i++) {
		s = section(x, planted_cases[i], "</failure>");
		ck_assert_has(s, "; run directory: ");
		free(s);
	}
	free(x);
	free(path);
	free(target);
	done(d, j);
}
END_TEST

START_TEST(junit_hostile)
{
	json_t *j = load(FIX "hostile.json");
	char *d = tmp_dir(), *x = junit_of(d, j);

	assert_clean_bytes(x);
	ck_assert_lacks(x, "<script");
	ck_assert_lacks(x, "<img");
	ck_assert_lacks(x, "]]>");
	ck_assert_has(x, "<testsuite name=\"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; "
			 "&amp; &#39;co&#39;\"");
	ck_assert_has(x, "hostname=\"&lt;host&gt;&amp;&quot;&#39;\"");
	ck_assert_has(x, "classname=\"ikelab.&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; "
			 "&amp; &#39;co&#39;\"");
	/* Forbidden characters become U+FFFD; TAB and LF survive in attributes as references. */
	ck_assert_has(x,
		      "value=\"tab&#9;here, newline&#10;there, bell\xef\xbf\xbd, del\xef\xbf\xbd,"
		      " c1\xef\xbf\xbd, nonchar\xef\xbf\xbd, cdata ]]&gt; end\"");
	ck_assert_has(
		x,
		"<failure message=\"max_&lt;ike&gt;&amp;&quot;per&quot;&#39;peer&#39;: 2 &gt; 1");
	ck_assert_has(x, "/evil/&quot;&gt;&lt;img src=x onerror=alert(1)&gt; seed-1\" "
			 "type=\"expectation\">");
	ck_assert_has(
		x, "<error message=\"broke: &lt;error&gt; &amp; &quot;quotes&quot; ]]&gt;"
		   " \xef\xbf\xbd\xef\xbf\xbd&#13;&#10;second line\" type=\"lab-error\">broke: "
		   "&lt;error&gt;"
		   " &amp; &quot;quotes&quot; ]]&gt; \xef\xbf\xbd\xef\xbf\xbd&#13;\nsecond line\n");
	/* A result nobody knows is an error, not a silent pass. */
	ck_assert_has(
		x, "<error message=\"unknown result &#39;&lt;weird&gt;&#39;\" type=\"lab-error\">");
	ck_assert_has(x, "tests=\"3\" failures=\"1\" errors=\"2\"");
	free(x);
	done(d, j);
}
END_TEST

/* Broken UTF-8 cannot come from a JSON file, but can from a json_t. */
START_TEST(bad_utf8)
{
	json_t *j = load(FIX "minimal.json");
	json_t *sc = json_array_get(json_object_get(j, "scenarios"), 0);
	static const char bad[] = "a\xc3(b\xed\xa0\x80"
				  "c\xf4\x90\x80\x80"
				  "d\xc0\xafz\xe2\x82";
	char *d = tmp_dir(), *x, *h;

	json_object_set_new(sc, "description", json_stringn_nocheck(bad, sizeof(bad) - 1));
	x = junit_of(d, j);
	h = html_of(d, j);
	ck_assert_has(x, "value=\"a\xef\xbf\xbd(b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_has(h, "<div class=\"desc\">a\xef\xbf\xbd(b");
	ck_assert_lacks(x, "\xc3(");
	ck_assert_lacks(x, "\xed\xa0");
	ck_assert_lacks(h, "\xc0\xaf");
	ck_assert_has(h, "z\xef\xbf\xbd\xef\xbf\xbd</div>");
	free(x);
	free(h);
	done(d, j);
}
END_TEST

START_TEST(html_every_scenario_and_seed)
{
	json_t *j = load(FIX "nightly/summary.json");
	char *d = nightly_dir(), *h;
	size_t i, k;
	json_t *sc, *run;

	put(d, "uniqueness-race/seed-2/timeline.png", "png");
	h = html_of(d, j);
	json_array_foreach (json_object_get(j, "scenarios"), i, sc) {
		char *name = xasprintf(">%s</div>", json_string_value(json_object_get(sc, "name")));

		ck_assert_has(h, name);
		free(name);
		json_array_foreach (json_object_get(sc, "seeds"), k, run) {
			const char *dir = json_string_value(json_object_get(run, "dir"));
			char *a = xasprintf(
				"<a class=\"seed\" href=\"%s/\">seed-%lld</a>", dir,
				(long long)json_integer_value(json_object_get(run, "seed")));
			char *ev = xasprintf("<a href=\"%s/events.jsonl\">events</a>", dir);
			char *sum = xasprintf("<a href=\"%s/summary.json\">summary</a>", dir);

			ck_assert_has(h, a);
			ck_assert_has(h, ev);
			ck_assert_has(h, sum);
			free(a);
			free(ev);
			free(sum);
		}
	}
	ck_assert_int_eq(count(h, "<li class=\"r-"), 17);
	ck_assert_has(h, "<a href=\"uniqueness-race/seed-1/report.txt\">report</a>");
	/* Files a run did not write are not links. */
	ck_assert_lacks(h, "href=\"rekey-collision-control/seed-3/report.txt\"");
	ck_assert_lacks(h, "href=\"uniqueness-race/seed-1/timeline.png\"");
	ck_assert_has(h, "<a href=\"uniqueness-race/seed-2/timeline.png\">timeline</a>");
	ck_assert_has(h, "<a href=\"uniqueness-race/seed-2/timeline.png\"><img class=\"thumb\"");
	ck_assert_has(h, "src=\"uniqueness-race/seed-2/timeline.png\"");
	/* A plot the summary names but the run lacks. */
	ck_assert_int_eq(count(h, "plot file missing"), 3);
	ck_assert_has(h, "<div class=\"noplot\">no plot</div>");
	free(h);
	done(d, j);
}
END_TEST

START_TEST(html_header_and_order)
{
	json_t *j = load(FIX "nightly/summary.json");
	char *d = nightly_dir(), *h = html_of(d, j);
	const char *fail, *flaky, *pass;

	ck_assert_has(h, "<p class=\"verdict bad\">3 of 5 scenarios met their expectation");
	ck_assert_has(h, "1 failing &middot; 1 flaky &middot; 1 new failure &middot; 1 fixed");
	ck_assert_has(h, "lab-runner-3");
	ck_assert_has(h, "<span class=\"chip\">kernel-netlink</span>");
	ck_assert_has(h, "5.9.8 <small>/usr/lib/ipsec/charon</small>");
	ck_assert_has(h, "<a href=\"/var/lib/ikelab/nightly/2026-11-25/summary.json\">");
	ck_assert_has(h, "17 runs of 5 scenarios");
	ck_assert_has(h, "4 min 10 s");
	ck_assert_has(h, "<div class=\"rate fail\" title=\"runs as expected\">0/3</div>");
	ck_assert_has(h, "<div class=\"rate flaky\" title=\"runs as expected\">3/5</div>");
	ck_assert_has(h, "<div class=\"rate pass\" title=\"runs as expected\">3/3</div>");
	ck_assert_has(h, "<span class=\"badge b-new-failure\" title=\"against the baseline\">new "
			 "failure</span>");
	ck_assert_has(h, "2 reruns");
	ck_assert_has(h, "lab error: charon of bob (pid 812)");
	fail = strstr(h, ">rekey-collision-control</div>");
	flaky = strstr(h, ">reauth-mbb-loss</div>");
	pass = strstr(h, ">uniqueness-race</div>");
	ck_assert_ptr_nonnull(fail);
	ck_assert_ptr_nonnull(flaky);
	ck_assert_ptr_nonnull(pass);
	ck_assert_msg(fail < flaky && flaky < pass, "failing scenarios must come first");
	free(h);
	done(d, j);
}
END_TEST

START_TEST(html_hostile)
{
	json_t *j = load(FIX "hostile.json");
	char *d = tmp_dir(), *h;

	put(d, "javascript:alert(1)", "png");
	h = html_of(d, j);
	assert_clean_bytes(h);
	ck_assert_lacks(h, "<script");
	ck_assert_lacks(h, "<img src");
	ck_assert_lacks(h, "<h1>owned");
	ck_assert_lacks(h, "<b>");
	ck_assert_lacks(h, "href=\"javascript:");
	ck_assert_lacks(h, "src=\"javascript:");
	ck_assert_has(
		h, ">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;</div>");
	ck_assert_has(h, "<title>ikelab nightly 0/1: 2026-11-26T19:35:00Z</title>");
	ck_assert_has(h, "5.9.8&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
	ck_assert_has(h, "href=\"javascript%3Aalert%281%29\"><img class=\"thumb\"");
	ck_assert_has(h,
		      "href=\"evil/%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%20seed-1/\"");
	ck_assert_has(h, "href=\"/tmp/%22%3E%3Cscript%3Ealert%282%29%3C/script%3E/summary.json\"");
	ck_assert_has(
		h,
		"<span class=\"badge b-other\" title=\"against the baseline\">&lt;new&gt;</span>");
	ck_assert_has(h, "<span class=\"res\">&lt;weird&gt;</span>");
	ck_assert_has(h, "title=\"/s/\xef\xbf\xbd[31mred.yaml\"");
	free(h);
	done(d, j);
}
END_TEST

START_TEST(optional_fields_missing)
{
	json_t *j = load(FIX "minimal.json");
	char *d = tmp_dir(), *x = junit_of(d, j), *h = html_of(d, j);

	ck_assert_has(x,
		      "<testsuites name=\"ikelab nightly\" tests=\"2\" failures=\"0\" errors=\"1\""
		      " time=\"2.000\">");
	ck_assert_has(x, "<testsuite name=\"empty\" tests=\"0\" failures=\"0\" errors=\"0\"");
	ck_assert_lacks(x, "name=\"rate\" value=\"\"");
	/* A run with nothing but its seed: a lab error, without a directory. */
	ck_assert_has(x, "<testcase classname=\"ikelab.nodir\" name=\"seed-7\" time=\"0.000\">\n"
			 "      <error message=\"no result recorded\" type=\"lab-error\">no result "
			 "recorded\n"
			 "run directory: none recorded\n</error>");
	ck_assert_has(x, "<property name=\"expect\" value=\"clean\"/>\n      <property "
			 "name=\"charon_version\""
			 " value=\"6.0.0\"/>\n      <property name=\"status\" value=\"fail\"/>");
	ck_assert_has(h, "<p class=\"verdict bad\">1 of 3 scenarios met their expectation");
	ck_assert_has(h, "<li class=\"r-lab-error\"><span class=\"dot\"></span><span "
			 "class=\"seed\">seed-7</span>"
			 "<span class=\"res\">no result</span><div class=\"why\"");
	ck_assert_has(h, "none <small>(every scenario counts as new)</small>");
	ck_assert_has(h, "<div class=\"noplot\">no plot</div>");
	ck_assert_has(h, "<span class=\"none\">no duplicate</span>");
	ck_assert_has(h, "<span class=\"none\">no runs</span>");
	ck_assert_int_eq(count(h, "<td class=\"none\">&ndash;</td>"), 18);
	ck_assert_lacks(h, "class=\"plugins\"");
	/* The run wrote nothing: no links to its files. */
	ck_assert_lacks(h, "href=\"bare/seed-1/report.txt\"");
	ck_assert_has(h, "<a class=\"seed\" href=\"bare/seed-1/\">seed-1</a>");
	free(x);
	free(h);
	done(d, j);
}
END_TEST

START_TEST(errors_name_the_file)
{
	json_t *j = load(FIX "minimal.json");
	json_t *empty = json_object();
	char *d = tmp_dir(), *missing = xasprintf("%s/no/such/dir", d);

	ck_assert_int_eq(report_junit(j, missing), -1);
	ck_assert_has(err_msg(), "junit report: ");
	ck_assert_has(err_msg(), "/no/such/dir/junit.xml");
	ck_assert_int_eq(report_html(j, missing), -1);
	ck_assert_has(err_msg(), "/no/such/dir/index.html");
	ck_assert_int_eq(report_junit(empty, d), -1);
	ck_assert_has(err_msg(), "/junit.xml: the nightly summary has no \"scenarios\" array");
	ck_assert_int_eq(report_html(empty, d), -1);
	ck_assert_has(err_msg(), "/index.html: the nightly summary has no \"scenarios\" array");
	ck_assert (!path_exists(missing))
		;
	json_decref(empty);
	free(missing);
	done(d, j);
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");

	tcase_add_test(tc, junit_counts);
	tcase_add_test(tc, junit_failure_message_and_report);
	tcase_add_test(tc, junit_lab_error);
	tcase_add_test(tc, junit_reproduced_is_not_a_failure);
	tcase_add_test(tc, junit_long_report_is_cut);
	tcase_add_test(tc, junit_planted_report);
	tcase_add_test(tc, junit_hostile);
	tcase_add_test(tc, bad_utf8);
	tcase_add_test(tc, html_every_scenario_and_seed);
	tcase_add_test(tc, html_header_and_order);
	tcase_add_test(tc, html_hostile);
	tcase_add_test(tc, optional_fields_missing);
	tcase_add_test(tc, errors_name_the_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(report_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

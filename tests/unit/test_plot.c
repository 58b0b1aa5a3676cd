/*
 * test_plot.c - plot_run on the run directories under tests/unit/plot/
 * (copied to a temporary directory first, since plotting writes into the
 * run), on a generated long run, on broken input, and with gnuplot missing
 * or failing. Run from the repository root.
 */
#include "judge/plot.h"
#include "base/err.h"
#include "base/util.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIX "tests/unit/plot/"

#define ck_assert_err_has(needle) \
	ck_assert_msg(strstr(err_msg(), (needle)), "error '%s' lacks '%s'", err_msg(), (needle))

static const char *const run_files[] = {
	"timeline.csv",
	"traffic.csv",
	"events.jsonl",
	"summary.json",
};

static char *tmp_dir(void)
{
	char *d = xstrdup("/tmp/ikelab-test-plot-XXXXXX");

	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static void put(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);

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

/* A fixture's files (those it has) in a fresh directory. */
static char *copy_fixture(const char *name)
{
	char *dst = tmp_dir();

	for (size_t i = 0; i < ARRAY_LEN(run_files); i++) {
		char *src = xasprintf(FIX "%s/%s", name, run_files[i]), *text;

		if (path_exists(src)) {
			ck_assert_msg(read_file(src, &text, NULL) == 0, "%s", err_msg());
			put(dst, run_files[i], text);
			free(text);
		}
		free(src);
	}
	return dst;
}

/* PATH pointing at dir alone, for the rest of the test. */
static char *path_only(const char *dir)
{
	char *saved = xstrdup(getenv("PATH"));

	ck_assert_int_eq(setenv("PATH", dir, 1), 0);
	return saved;
}

static void path_restore(char *saved)
{
	ck_assert_int_eq(setenv("PATH", saved, 1), 0);
	free(saved);
}

static void cleanup(char *dir)
{
	rm_rf(dir);
	free(dir);
}

static void assert_png(const char *dir)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	char *path = xasprintf("%s/timeline.png", dir), *data;
	size_t len;

	ck_assert_msg(read_file(path, &data, &len) == 0, "%s", err_msg());
	ck_assert_msg(len > 10 * 1024, "%s is only %zu bytes", path, len);
	ck_assert_msg(!memcmp(data, sig, sizeof(sig)), "%s has no PNG signature", path);
	free(data);
	free(path);
}

static void assert_has(const char *text, const char *needle, const char *what)
{
	ck_assert_msg(strstr(text, needle), "%s lacks '%s'", what, needle);
}

static bool exists_in(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	bool r = path_exists(path);

	free(path);
	return r;
}

/* ---- the fixtures --------------------------------------------------------- */

struct fixture {
	const char *name;
	const char *svg[6]; /* strings timeline.svg must hold */
};

static const struct fixture fixtures[] = {
	{ "rekey",
	  { "alice established", "bob installed", "verdict: ok", "0 duplicates",
	    "CHILD_SA rekey (6)", "IKE_SA rekey (2)" } },
	/* The IKE_SAs of hq-gw_1 and branch_2 were up before the recording
	 * started, so the first new one is marked too: 5 on each side. */
	{ "growth",
	  { "hq-gw_1 max per TS pair", "branch_2 established", "Branch-3 installed", "4 duplicates",
	    "new IKE_SA while one is up (10)", "duplicate CHILD_SAs (2)" } },
	{ "killed",
	  { "alice established", "bob established", "verdict: lab-error",
	    "charon of bob (pid 7012) was killed by signal 9 (Killed)", "charon exit (1)",
	    "kernel acquire (1)" } },
	{ "notraffic",
	  { "alice installed", "bob installed", "no probe traffic", "duplicates: unknown",
	    "verdict: ok", "CHILD_SA rekey (2)" } },
	/* reqid-shared-dpd on 5.9.8: no traffic, and the summary's only
	 * episode is a shared reqid, which is no duplicate SA (gnuplot once
	 * failed on the lone legend entry the plot made of it). */
	{ "reqid",
	  { "alice installed", "bob installed", "no probe traffic", "0 duplicates",
	    "verdict: reproduced" } },
};

START_TEST(fixture_plots)
{
	const struct fixture *f = &fixtures[_i];
	char *dir = copy_fixture(f->name), *svg, *gp;

	ck_assert_msg(plot_run(dir) == 0, "%s: %s", f->name, err_msg());
	assert_png(dir);
	svg = get(dir, "timeline.svg");
	assert_has(svg, "<svg", "timeline.svg");
	for (size_t i = 0; i < ARRAY_LEN(f->svg) && f->svg[i]; i++)
		assert_has(svg, f->svg[i], f->name);
	gp = get(dir, "timeline.gp");
	assert_has(gp, "set output 'timeline.png'", "timeline.gp");
	ck_assert (exists_in(dir, ".plot/counts.dat"))
		;
	free(svg);
	free(gp);
	cleanup(dir);
}
END_TEST

/* Both peers report the same duplicate episodes: one shade per kind and
 * panel, in its own panel, and both kinds in the loss panel. */
START_TEST(shading_merged)
{
	char *dir = copy_fixture("growth"), *gp;

	ck_assert_msg(plot_run(dir) == 0, "%s", err_msg());
	gp = get(dir, "timeline.gp");
	assert_has(gp,
		   "set object 1 rect from first 14.200, graph 0 to first 45.000, graph 1 "
		   "behind fc rgb '#f08080'",
		   "timeline.gp");
	assert_has(gp,
		   "set object 1 rect from first 14.200, graph 0 to first 45.000, graph 1 "
		   "behind fc rgb '#f0b040'",
		   "timeline.gp");
	assert_has(gp,
		   "set object 2 rect from first 14.200, graph 0 to first 45.000, graph 1 "
		   "behind fc rgb '#f0b040'",
		   "timeline.gp");
	ck_assert_msg(!strstr(gp, "set object 3 "), "more shades than kinds");
	free(gp);
	cleanup(dir);
}
END_TEST

/* Which IKE_SAs coming up are marked as joining another one. */
START_TEST(new_ike_marks)
{
	static const char *const ev[] = {
		"1.0,\"ike-updown\",\"up\":true,\"ike\":{\"id\":1,\"remote\":\"192.0.2.2\"}",
		"2.0,\"ike-rekey\",\"old_id\":1,\"new_id\":2",
		/* the one marked: 2 is up */
		"3.0,\"ike-updown\",\"up\":true,\"ike\":{\"id\":3,\"remote\":\"192.0.2.2\"}",
		"4.0,\"ike-updown\",\"up\":false,\"ike\":{\"id\":2,\"remote\":\"192.0.2.2\"}",
		"4.5,\"ike-updown\",\"up\":false,\"ike\":{\"id\":3,\"remote\":\"192.0.2.2\"}",
		"5.0,\"ike-updown\",\"up\":true,\"ike\":{\"id\":4,\"remote\":\"192.0.2.2\"}",
		/* another remote */
		"6.0,\"ike-updown\",\"up\":true,\"ike\":{\"id\":5,\"remote\":\"192.0.2.3\"}",
		"7.0,\"charon-exit\",\"pid\":99,\"how\":\"exited with status 1\"",
		/* a new charon knows nothing of the old one's SAs */
		"8.0,\"ike-updown\",\"up\":true,\"ike\":{\"id\":1,\"remote\":\"192.0.2.2\"}",
	};
	struct strbuf tl = { 0 }, sb = { 0 };
	char *dir = tmp_dir(), *svg;

	sb_addf(&tl, "t,peer,ike,ike_established,child_installed\n");
	for (int i = 0; i < 100; i++)
		sb_addf(&tl, "%.1f,alice,%d,%d,%d\n", 0.5 + i * 0.1, i >= 5, i >= 5, i >= 5);
	for (size_t i = 0; i < ARRAY_LEN(ev); i++) {
		const char *kind = strchr(ev[i], ',') + 1;

		sb_addf(&sb, "{\"t\":%.*s,\"peer\":\"alice\",\"source\":\"%s\",\"kind\":%s}\n",
			(int)(kind - 1 - ev[i]), ev[i], strstr(kind, "charon") ? "lab" : "vici",
			kind);
	}
	put(dir, "timeline.csv", tl.buf);
	put(dir, "events.jsonl", sb.buf);
	ck_assert_msg(plot_run(dir) == 0, "%s", err_msg());
	svg = get(dir, "timeline.svg");
	assert_has(svg, "new IKE_SA while one is up (1)", "timeline.svg");
	assert_has(svg, "charon of alice (pid 99) exited with status 1", "timeline.svg");
	free(svg);
	sb_free(&tl);
	sb_free(&sb);
	cleanup(dir);
}
END_TEST

/* Plotting twice gives the same script: nothing accumulates. */
START_TEST(plot_twice)
{
	char *dir = copy_fixture("growth"), *first, *second;

	ck_assert_msg(plot_run(dir) == 0, "%s", err_msg());
	first = get(dir, "timeline.gp");
	ck_assert_msg(plot_run(dir) == 0, "%s", err_msg());
	second = get(dir, "timeline.gp");
	ck_assert_str_eq(first, second);
	free(first);
	free(second);
	cleanup(dir);
}
END_TEST

/* Only timeline.csv, the optional files empty as a run that died early
 * leaves them, and a trailing slash on the directory. */
START_TEST(timeline_only)
{
	char *dir = tmp_dir(), *slash = xasprintf("%s/", dir), *fix = copy_fixture("rekey");
	char *timeline = get(fix, "timeline.csv"), *svg;

	put(dir, "timeline.csv", timeline);
	put(dir, "traffic.csv", "");
	put(dir, "events.jsonl", "");
	put(dir, "summary.json", "");
	ck_assert_msg(plot_run(slash) == 0, "%s", err_msg());
	svg = get(dir, "timeline.svg");
	assert_has(svg, "no probe traffic", "timeline.svg");
	assert_has(svg, "verdict: unknown", "timeline.svg");
	assert_has(svg, "duplicates: unknown", "timeline.svg");
	free(svg);
	free(slash);
	free(timeline);
	cleanup(fix);
	cleanup(dir);
}
END_TEST

static const char header[] =
	"t,peer,ike,ike_established,ike_connecting,ike_rekeying,"
	"ike_deleting,child,child_installed,child_rekeying,child_rekeyed,child_deleting,"
	"child_max_installed_per_ts,kernel_sas,kernel_policies,acquires,expires_soft,expires_"
	"hard\n";

/* Names are quoted in the CSV and must come through to the picture
 * verbatim: no enhanced-text markup, no broken gnuplot strings. */
START_TEST(odd_names)
{
	char *dir = tmp_dir(), *svg;
	struct strbuf sb = { 0 };

	sb_addf(&sb, "%s", header);
	for (int i = 0; i < 50; i++) {
		sb_addf(&sb, "%.1f,\"o'brien, \"\"gw\"\"\",1,1,0,0,0,1,1,0,0,0,1,2,3,0,0,0\n",
			i * 0.1);
		sb_addf(&sb, "%.1f,x_1^2{3}@4,1,1,0,0,0,%d,%d,0,0,0,1,2,3,0,0,0\n", i * 0.1,
			1 + (i > 20), 1 + (i > 20));
	}
	put(dir, "timeline.csv", sb.buf);
	put(dir, "traffic.csv", "t,dir,tx,rx,lost,dup,reorder\n");
	put(dir, "events.jsonl", "\n{\"t\":1,\"peer\":null,\"source\":\"lab\",\"kind\":\"new\"}\n");
	ck_assert_msg(plot_run(dir) == 0, "%s", err_msg());
	svg = get(dir, "timeline.svg");
	assert_has(svg, "x_1^2{3}@4 installed", "timeline.svg");
	assert_has(svg, "o'brien, \"gw\" established", "timeline.svg");
	assert_has(svg, "no probe traffic", "timeline.svg");
	assert_png(dir);
	free(svg);
	sb_free(&sb);
	cleanup(dir);
}
END_TEST

/* A long run: 2 peers, 20 minutes at 10 Hz, a CHILD_SA rekey every 10 s
 * and probe traffic both ways. Only the changes reach the data file. */
START_TEST(long_run)
{
	char *dir = tmp_dir(), *counts;
	struct strbuf tl = { 0 }, tr = { 0 }, ev = { 0 };
	int64_t start;
	size_t lines = 0;

	sb_addf(&tl, "%s", header);
	sb_addf(&tr, "t,dir,tx,rx,lost,dup,reorder\n");
	for (int i = 0; i < 12000; i++) {
		double t = i * 0.1;
		int child = i % 100 == 50 ? 2 : 1;

		sb_addf(&tl, "%.3f,alice,1,1,0,0,0,%d,%d,0,0,0,%d,4,6,0,0,0\n", t, child, child,
			child);
		sb_addf(&tl, "%.3f,bob,1,1,0,0,0,%d,%d,0,0,0,%d,4,6,0,0,0\n", t + 0.01, child,
			child, child);
		sb_addf(&tr, "%.3f,alice>bob,10,%d,%d,0,0\n", t, 10 - (child - 1), child - 1);
		sb_addf(&tr, "%.3f,bob>alice,10,10,0,0,0\n", t);
		if (child == 2)
			sb_addf(&ev,
				"{\"t\":%.3f,\"wall\":\"x\",\"peer\":\"alice\",\"source\":\"vici\","
				"\"kind\":\"child-rekey\",\"ike_id\":1,\"name\":\"net\",\"old_id\":"
				"%d,"
				"\"new_id\":%d}\n",
				t, i, i + 1);
	}
	put(dir, "timeline.csv", tl.buf);
	put(dir, "traffic.csv", tr.buf);
	put(dir, "events.jsonl", ev.buf);
	start = mono_ns();
	ck_assert_msg(plot_run(dir) == 0, "%s", err_msg());
	ck_assert_msg(mono_ns() - start < 10 * 1000000000LL, "plotting took %.1f s",
		      (double)(mono_ns() - start) / 1e9);
	assert_png(dir);
	counts = get(dir, ".plot/counts.dat");
	for (const char *p = counts; (p = strchr(p, '\n')); p++)
		lines++;
	/* 120 rekeys, 4 rows around each, per peer */
	ck_assert_msg(lines < 1100, "counts.dat has %zu lines", lines);
	free(counts);
	sb_free(&tl);
	sb_free(&tr);
	sb_free(&ev);
	cleanup(dir);
}
END_TEST

/* ---- broken input ------------------------------------------------------- */

struct broken {
	const char *file, *text;
	const char *msg; /* err_msg() after "<dir>/" */
};

static const struct broken broken[] = {
	{ "timeline.csv",
	  "t,peer,ike,ike_established,child_installed\n"
	  "0.1,alice,1,1,1\n0.2,alice,x,1,1\n",
	  "timeline.csv:3: ike is not a number: 'x'" },
	{ "timeline.csv", "t,peer,ike,ike_established,child_installed\n0.1,alice,1,1\n",
	  "timeline.csv:2: expected 5 fields like the header, found 4" },
	{ "timeline.csv",
	  "t,peer,ike,ike_established,child_installed\n"
	  "0.1,alice,1,1,1\n\n0.3,\"alice,1,1,1\n",
	  "timeline.csv:4: unterminated quote" },
	{ "timeline.csv", "t,peer,ike,child_installed\n0.1,alice,1,1\n",
	  "timeline.csv:1: no column 'ike_established' in the header" },
	{ "timeline.csv", "t,peer,ike,ike_established,child_installed\n",
	  "timeline.csv has no samples" },
	{ "timeline.csv", "", "timeline.csv has no samples" },
	{ "timeline.csv", "t,peer,ike,ike_established,child_installed\n0.1,,1,1,1\n",
	  "timeline.csv:2: empty peer" },
	{ "traffic.csv",
	  "t,dir,tx,rx,lost,dup,reorder\n0.0,a>b,10,10,0,0,0\n"
	  "0.1,a>b,10,9,1,0,0\n0.2,a>b,10,9,one,0,0\n",
	  "traffic.csv:4: lost is not a number: 'one'" },
	{ "events.jsonl",
	  "{\"t\":0.1,\"peer\":\"alice\",\"source\":\"lab\",\"kind\":\"x\"}\n"
	  "{\"t\":0.2,\"peer\":\"alice\",\"source\":\"kernel\",\n",
	  "events.jsonl:2: " },
	{ "events.jsonl", "{\"t\":\"soon\",\"peer\":null,\"source\":\"lab\",\"kind\":\"x\"}\n",
	  "events.jsonl:1: not an event: needs a number t, strings source and kind, "
	  "and a string or null peer" },
	{ "summary.json", "{\"lab\": \"two-peer\",\n \"verdict\": }\n", "summary.json:2:" },
	{ "summary.json", "[1, 2]\n", "summary.json: not a JSON object" },
	{ "children.csv", "t,peer,child,installed\n0.1,alice,net,many\n",
	  "children.csv:2: installed is not a number: 'many'" },
	{ "children.csv", "t,peer,installed\n0.1,alice,1\n",
	  "children.csv:1: no column 'child' in the header" },
};

/* A peer with two CHILD_SA names gets a line for each; a peer with one,
 * and rows of a peer the timeline does not know, none. */
START_TEST(child_lines)
{
	char *dir = tmp_dir(), *gp, *dat;

	put(dir, "timeline.csv",
	    "t,peer,ike,ike_established,child_installed\n0.1,alice,1,1,1\n0.2,alice,1,1,2\n"
	    "0.1,bob,1,1,1\n0.2,bob,1,1,1\n");
	put(dir, "children.csv",
	    "t,peer,child,installed\n0.1,alice,net,1\n0.2,alice,net,1\n0.2,alice,net2,1\n"
	    "0.1,bob,net,1\n0.2,bob,net,1\n0.2,carol,x,1\n");
	ck_assert_msg(plot_run(dir) == 0, "%s", err_msg());
	gp = get(dir, "timeline.gp");
	assert_has(gp, "'.plot/children.dat' index 0", "timeline.gp");
	assert_has(gp, "'.plot/children.dat' index 1", "timeline.gp");
	assert_has(gp, "title 'alice net2'", "timeline.gp");
	ck_assert_ptr_null(strstr(gp, "index 2 using"));
	ck_assert_ptr_null(strstr(gp, "'bob net'"));
	dat = get(dir, ".plot/children.dat");
	assert_has(dat, "0.200 1\n", "children.dat");
	free(gp);
	free(dat);
	cleanup(dir);
}
END_TEST

START_TEST(broken_input)
{
	const struct broken *b = &broken[_i];
	char *dir = tmp_dir(), *want = xasprintf("%s/%s", dir, b->msg);

	put(dir, "timeline.csv", "t,peer,ike,ike_established,child_installed\n0.1,alice,1,1,1\n");
	put(dir, b->file, b->text);
	ck_assert_int_eq(plot_run(dir), -1);
	ck_assert_msg(!strncmp(err_msg(), want, strlen(want)), "error '%s' is not '%s...'",
		      err_msg(), want);
	free(want);
	cleanup(dir);
}
END_TEST

START_TEST(missing_timeline)
{
	char *dir = tmp_dir(), *want = xasprintf("%s/timeline.csv is missing", dir);

	put(dir, "events.jsonl", "");
	ck_assert_int_eq(plot_run(dir), -1);
	ck_assert_err_has(want);
	ck_assert_err_has("ikelab record");
	free(want);
	cleanup(dir);
}
END_TEST

START_TEST(missing_dir)
{
	ck_assert_int_eq(plot_run("/nonexistent/ikelab-run"), -1);
	ck_assert_str_eq(err_msg(), "run directory /nonexistent/ikelab-run: "
				    "No such file or directory");
}
END_TEST

/* ---- what a guest may plant ---------------------------------------------- */

/* Under user-mode Linux the guest writes the run directory: a link there
 * is not followed (the rekey fixture's valid timeline, linked from
 * elsewhere, is refused), nor a link to a directory on the way to one. */
START_TEST(planted_link)
{
	char *fix = copy_fixture("rekey"), *dir = tmp_dir();
	char *from = xasprintf("%s/timeline.csv", fix), *to = xasprintf("%s/timeline.csv", dir);

	ck_assert_int_eq(symlink(from, to), 0);
	ck_assert_int_eq(plot_run(dir), -1);
	ck_assert_err_has("timeline.csv: a symbolic link");
	ck_assert (!exists_in(dir, "timeline.svg"))
		;
	free(to);
	to = xasprintf("%s/summary.json", fix);
	free(from);
	from = xasprintf("%s/summary.json", dir);
	put(dir, "timeline.csv", "t,peer,ike,ike_established,child_installed\n0.1,alice,1,1,1\n");
	ck_assert_int_eq(symlink(to, from), 0);
	ck_assert_int_eq(plot_run(dir), -1);
	ck_assert_err_has("summary.json: a symbolic link");
	free(from);
	free(to);
	cleanup(fix);
	cleanup(dir);
}
END_TEST

/* A FIFO nobody writes, where timeline.csv or events.jsonl should be: an
 * error at once (the alarm ends a test that waits). */
START_TEST(planted_fifo)
{
	const char *name = _i ? "events.jsonl" : "timeline.csv";
	char *dir = tmp_dir(), *fifo = xasprintf("%s/%s", dir, name);

	put(dir, "timeline.csv", "t,peer,ike,ike_established,child_installed\n0.1,alice,1,1,1\n");
	unlink(fifo);
	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	alarm(2);
	ck_assert_int_eq(plot_run(dir), -1);
	alarm(0);
	ck_assert_err_has(name);
	ck_assert_err_has("it is a FIFO, not a regular file");
	free(fifo);
	cleanup(dir);
}
END_TEST

/* ---- gnuplot ------------------------------------------------------------ */

START_TEST(no_gnuplot)
{
	char *dir = copy_fixture("rekey"), *empty = tmp_dir(), *saved = path_only(empty);

	ck_assert_int_eq(plot_run(dir), -1);
	ck_assert_err_has("gnuplot is not installed");
	ck_assert_err_has("apt-get install gnuplot-nox");
	path_restore(saved);
	cleanup(empty);
	cleanup(dir);
}
END_TEST

/* What gnuplot prints for an error in a script: the line, a pointer to
 * the spot, and where. */
static const char fake_gnuplot[] = "#!/bin/sh\n"
				   "echo '         plot boom' >&2\n"
				   "echo '              ^' >&2\n"
				   "echo \"\\\"$2\\\" line 42: undefined variable: boom\" >&2\n"
				   "exit 1\n";

/* A gnuplot that fails: its complaint is the error, and no picture from
 * an earlier run is left behind to be mistaken for this one. */
START_TEST(gnuplot_fails)
{
	char *dir = copy_fixture("killed"), *bin = tmp_dir(), *saved, *want;
	char *fake = xasprintf("%s/gnuplot", bin);

	ck_assert_int_eq(write_file(fake, fake_gnuplot, strlen(fake_gnuplot), 0755), 0);
	put(dir, "timeline.png", "old picture");
	saved = path_only(bin);
	ck_assert_int_eq(plot_run(dir), -1);
	path_restore(saved);
	want = xasprintf("gnuplot failed on %s/timeline.gp: plot boom; "
			 "\"timeline.gp\" line 42: undefined variable: boom",
			 dir);
	ck_assert_str_eq(err_msg(), want);
	ck_assert (!exists_in(dir, "timeline.png"))
		;
	free(want);
	free(fake);
	cleanup(bin);
	cleanup(dir);
}
END_TEST

static Suite *plot_suite(void)
{
	Suite *s = suite_create("plot");
	TCase *tc = tcase_create("plot");

	/* gnuplot renders every picture twice (SVG and PNG). */
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, fixture_plots, 0, (int)ARRAY_LEN(fixtures));
	tcase_add_test(tc, shading_merged);
	tcase_add_test(tc, new_ike_marks);
	tcase_add_test(tc, plot_twice);
	tcase_add_test(tc, timeline_only);
	tcase_add_test(tc, odd_names);
	tcase_add_test(tc, long_run);
	tcase_add_test(tc, child_lines);
	tcase_add_loop_test(tc, broken_input, 0, (int)ARRAY_LEN(broken));
	tcase_add_test(tc, missing_timeline);
	tcase_add_test(tc, missing_dir);
	tcase_add_test(tc, planted_link);
	tcase_add_loop_test(tc, planted_fifo, 0, 2);
	tcase_add_test(tc, no_gnuplot);
	tcase_add_test(tc, gnuplot_fails);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(plot_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

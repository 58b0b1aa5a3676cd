/*
 * report_junit.c - junit.xml for CI: Jenkins' JUnit schema, a test suite
 * per scenario, a test case per seed (see report.h, report-internal.h).
 */
#include "judge/report.h"
#include "judge/report-internal.h"
#include "base/err.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A longer report.txt is cut at a line break in junit.xml: the run
 * directory keeps the whole file, and CI servers choke on huge XML. */
#define REPORT_TXT_MAX (64 * 1024)
/* What is read of it at all: a report is a few KiB. */
#define REPORT_TXT_READ_MAX ((size_t)16 << 20)

/* Where a run's directory is, as a reader of the CI log can open it;
 * NULL when the summary names none. */
static char *run_path(const char *root, const char *dir)
{
	if (!dir)
		return NULL;
	if (dir[0] == '/')
		return xstrdup(dir);
	return xasprintf("%s/%s", root, dir);
}

/* junit.xml */

static void junit_property(struct strbuf *sb, const char *name, const char *value)
{
	report_add_property(sb, 6, name, value);
}

/* The version a scenario entry ran on: which charon, and how its
 * verdict changed from the versions before it. */
static void junit_version_properties(struct strbuf *sb, const json_t *sum, const json_t *sc)
{
	const char *label = jget_str(sc, "charon");
	const json_t *v = report_version(sum, label);

	junit_property(sb, "charon", label);
	junit_property(sb, "charon_version",
		       jget_str(v, "version") ?: jget_str(sc, "charon_version"));
	junit_property(sb, "charon_commit", jget_str(v, "commit"));
	junit_property(sb, "version_change",
		       jget_str(report_matrix_row(sum, jget_str(sc, "name")), "verdict"));
}

static void junit_properties(struct strbuf *sb, const json_t *sum, const json_t *sc)
{
	const json_t *charon = json_object_get(sum, "charon");
	char *rate = NULL, *reruns;
	double v;

	if (jget_num(sc, "rate", &v))
		rate = xasprintf("%g", v);
	reruns = xasprintf("%lld", (long long)json_integer_value(json_object_get(sc, "reruns")));
	sb_addf(sb, "    <properties>\n");
	junit_property(sb, "expect", jget_str(sc, "expect") ?: "clean");
	junit_property(sb, "rate", rate);
	if (report_several_versions(sum)) {
		junit_version_properties(sb, sum, sc);
	} else {
		junit_property(sb, "charon_version", jget_str(charon, "version"));
		junit_property(sb, "charon_commit", jget_str(charon, "commit"));
	}
	junit_property(sb, "status", report_status_of(sc));
	junit_property(sb, "change", jget_str(sc, "change"));
	junit_property(sb, "reruns", reruns);
	junit_property(sb, "file", jget_str(sc, "file"));
	junit_property(sb, "description", jget_str(sc, "description"));
	junit_property(sb, "cites", jget_str(sc, "cites"));
	sb_addf(sb, "    </properties>\n");
	free(rate);
	free(reruns);
}

/* The run's report.txt, cut to REPORT_TXT_MAX; NULL if there is none. The
 * run wrote it (under user-mode Linux, the guest did), so it is read below
 * the night's directory ROOT with read_file_beneath: a link or a FIFO there
 * never brings a host file into junit.xml or blocks the report. DIR is
 * the run's directory below ROOT, as summary.json names it. */
static char *report_txt(const char *root, const char *dir)
{
	char *rel, *path, *text = NULL;
	size_t len;

	if (!dir)
		return NULL;
	rel = xasprintf("%s/report.txt", dir);
	path = xasprintf("%s/%s", root, rel);
	if (read_file_beneath(root, rel, REPORT_TXT_READ_MAX, &text, &len) < 0) {
		err_clear();
		text = NULL;
	} else if (len > REPORT_TXT_MAX) {
		char *cut = memrchr(text, '\n', REPORT_TXT_MAX);
		size_t keep = cut ? (size_t)(cut - text) + 1 : REPORT_TXT_MAX;
		char *note = xasprintf("[... %zu more bytes in %s]\n", len - keep, path);
		size_t nlen = strlen(note);

		text = xrealloc(text, keep + nlen + 1);
		memcpy(text + keep, note, nlen + 1);
		free(note);
	}
	free(rel);
	free(path);
	return text;
}

/* <failure> or <error> with report.txt as its text, or else body. */
static void junit_problem(struct strbuf *sb, const char *tag, const char *type, const char *message,
			  const char *root, const char *dir, const char *body)
{
	char *text = report_txt(root, dir);

	sb_addf(sb, "      <%s", tag);
	report_add_attr(sb, "message", message);
	report_add_attr(sb, "type", type);
	sb_addf(sb, ">");
	report_esc_text(sb, text ? text : body);
	sb_addf(sb, "</%s>\n", tag);
	free(text);
}

static void junit_outcome(struct strbuf *sb, const json_t *sc, const json_t *run, const char *root)
{
	const char *dir = jget_str(run, "dir");
	char *rundir = run_path(root, dir);
	const char *where = rundir ?: "none recorded";
	enum outcome o = report_outcome_of(run);
	struct strbuf msg = { 0 };

	if (o == LAB_ERROR) {
		char *e = report_lab_error_text(run);

		sb_addf(&msg, "%s\nrun directory: %s\n", e, where);
		junit_problem(sb, "error", "lab-error", e, root, dir, msg.buf);
		free(e);
	} else if (o == NOT_EXPECTED) {
		if (report_has_violations(run))
			report_add_violations(&msg, run);
		else
			sb_addf(&msg, "%s",
				report_is_reproduction(sc)
					? "not reproduced: every expectation held"
					: "failed");
		sb_addf(&msg, "; run directory: %s", where);
		junit_problem(sb, "failure", "expectation", msg.buf, root, dir, msg.buf);
	} else {
		sb_addf(&msg, "%s: ", jget_str(run, "result"));
		if (report_has_violations(run))
			report_add_violations(&msg, run);
		else
			sb_addf(&msg, "every expectation held");
		if (report_is_reproduction(sc))
			sb_addf(&msg, " (the bug showed, as expected)");
		sb_addf(&msg, "\nrun directory: %s\n", where);
		sb_addf(sb, "      <system-out>");
		report_esc_text(sb, msg.buf);
		sb_addf(sb, "</system-out>\n");
	}
	sb_free(&msg);
	free(rundir);
}

/* With several versions a test case is "seed-1 on 6.0.3": CI servers
 * know a test by its class and name, not by its suite. */
static void junit_case(struct strbuf *sb, const json_t *sc, const json_t *run, const char *root,
		       const char *version)
{
	char *cls = xasprintf("ikelab.%s", jget_str(sc, "name") ?: "");
	char *seed = report_seed_label(run);
	char *name = version ? xasprintf("%s on %s", seed, version) : xstrdup(seed);
	double wall = 0;

	jget_num(run, "wall_s", &wall);
	sb_addf(sb, "    <testcase");
	report_add_attr(sb, "classname", cls);
	report_add_attr(sb, "name", name);
	sb_addf(sb, " time=\"%.3f\">\n", wall > 0 ? wall : 0);
	junit_outcome(sb, sc, run, root);
	sb_addf(sb, "    </testcase>\n");
	free(cls);
	free(seed);
	free(name);
}

/* A suite per scenario entry: "uniqueness-race", or with several
 * versions "uniqueness-race on 6.0.3", so that names stay unique. */
static void junit_suite(struct strbuf *sb, const json_t *sum, const json_t *sc, const char *root)
{
	char *version = report_several_versions(sum) ? report_entry_version_name(sum, sc) : NULL;
	const char *name = jget_str(sc, "name") ?: "";
	char *suite = version ? xasprintf("%s on %s", name, version) : xstrdup(name);
	struct tally t = report_tally_of(sc);
	size_t i;
	json_t *run;

	sb_addf(sb, "  <testsuite");
	report_add_attr(sb, "name", suite);
	sb_addf(sb, " tests=\"%ld\" failures=\"%ld\" errors=\"%ld\" skipped=\"0\" time=\"%.3f\"",
		t.runs, t.failures, t.errors, t.wall_s);
	if (jget_str(sum, "started"))
		report_add_attr(sb, "timestamp", jget_str(sum, "started"));
	report_add_attr(sb, "hostname", jget_str(sum, "hostname") ?: "localhost");
	sb_addf(sb, ">\n");
	junit_properties(sb, sum, sc);
	json_array_foreach (json_object_get(sc, "seeds"), i, run)
		junit_case(sb, sc, run, root, version);
	sb_addf(sb, "  </testsuite>\n");
	free(suite);
	free(version);
}

/* The nightly directory as an absolute path when it can be had, so the
 * failure messages in a CI log point somewhere. */
static char *root_of(const char *out_dir)
{
	char *r = realpath(out_dir, NULL);

	return r ? r : xstrdup(out_dir);
}

int report_junit(const json_t *summary, const char *out_dir)
{
	char *path = xasprintf("%s/junit.xml", out_dir), *root;
	const json_t *scs = report_scenarios_of(summary, path);
	struct strbuf sb = { 0 };
	struct tally all = { 0 };
	double wall;
	size_t i;
	json_t *sc;
	int r;

	if (!scs) {
		free(path);
		return -1;
	}
	root = root_of(out_dir);
	json_array_foreach (scs, i, sc)
		report_tally_add(&all, sc);
	/* Scenarios run in parallel: the nightly's own clock is the time. */
	if (!jget_num(json_object_get(summary, "totals"), "wall_s", &wall) || wall < 0)
		wall = all.wall_s;
	sb_addf(&sb,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ikelab nightly\""
		" tests=\"%ld\" failures=\"%ld\" errors=\"%ld\" time=\"%.3f\">\n",
		all.runs, all.failures, all.errors, wall);
	json_array_foreach (scs, i, sc)
		junit_suite(&sb, summary, sc, root);
	sb_addf(&sb, "</testsuites>\n");
	r = report_write(path, &sb);
	if (r < 0)
		err_wrap("junit report");
	free(root);
	free(path);
	return r;
}

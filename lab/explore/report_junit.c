/*
 * report_junit.c - junit.xml of an explore run: one suite "ikelab
 * explore", a test case per group and one "lab-errors" (see report.h,
 * report-internal.h). A new group is a <failure>; a known race passes
 * with what was seen as its <system-out>, the way a reproduction that
 * reproduced passes in the nightly's junit.xml (no <skipped>: the
 * nightly's consumers never see one).
 */
#include "explore/report.h"
#include "explore/report-internal.h"
#include "judge/report-internal.h"
#include "base/err.h"
#include "base/json.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static void property(struct strbuf *sb, const char *name, const char *value)
{
	report_add_property(sb, 4, name, value);
}

static void property_int(struct strbuf *sb, const char *name, const json_t *obj, const char *key)
{
	long long v;
	char *s;

	if (!exrep_int(obj, key, &v))
		return;
	s = xasprintf("%lld", v);
	property(sb, name, s);
	free(s);
}

static void properties(struct strbuf *sb, const json_t *f)
{
	const json_t *charon = json_object_get(f, "charon"), *t = json_object_get(f, "trials");

	sb_addf(sb, "  <properties>\n");
	property(sb, "charon", jget_str(charon, "label"));
	property(sb, "charon_version", jget_str(charon, "version"));
	property_int(sb, "seed", f, "seed");
	property(sb, "shard", jget_str(f, "shard"));
	property_int(sb, "trials_run", t, "run");
	property_int(sb, "trials_failed", t, "failed");
	property_int(sb, "lab_errors", t, "lab_errors");
	property(sb, "known_file", jget_str(f, "known_file"));
	sb_addf(sb, "  </properties>\n");
}

/* A list of strings, or of integers, as "a, b, c". */
static void add_list(struct strbuf *sb, const json_t *arr)
{
	size_t i;
	json_t *v;

	json_array_foreach (arr, i, v) {
		if (json_is_string(v))
			sb_addf(sb, "%s%s", i ? ", " : "", json_string_value(v));
		else if (json_is_integer(v))
			sb_addf(sb, "%s%lld", i ? ", " : "", (long long)json_integer_value(v));
	}
	if (!json_array_size(arr))
		sb_addf(sb, "none");
}

/* root/rel for the CI log, or why not; into sb, unescaped. */
static void add_path(struct strbuf *sb, const char *root, const char *rel)
{
	if (!rel)
		sb_addf(sb, "none");
	else if (exrep_rel_ok(rel))
		sb_addf(sb, "%s/%s", root, rel);
	else
		sb_addf(sb, "(refused: not a path below the output directory)");
}

/* What was seen of a group, as plain text (escaped by the caller). */
static void group_text(struct strbuf *sb, const json_t *f, const json_t *g, const char *root)
{
	const json_t *shrink = json_object_get(g, "shrink");

	sb_addf(sb, "%s\n", jget_str(g, "detail") ?: "(no detail)");
	sb_addf(sb, "signature: %s\nexpectation: %s\nseen in ", jget_str(g, "signature") ?: "?",
		jget_str(g, "expectation") ?: "?");
	exrep_add_share(sb, f, g);
	sb_addf(sb, "\nmarkers: ");
	add_list(sb, json_object_get(g, "markers"));
	sb_addf(sb, "\nseeds: ");
	add_list(sb, json_object_get(g, "seeds"));
	sb_addf(sb, "\nfirst trial: ");
	add_path(sb, root, jget_str(g, "run"));
	sb_addf(sb, "\nshrunk scenario: ");
	add_path(sb, root, jget_str(g, "shrunk"));
	if (jget_str(shrink, "status"))
		sb_addf(sb, " (%s)", jget_str(shrink, "status"));
	sb_addf(sb, "\nfixed in: %s\n", jget_str(g, "fixed_in") ?: "no later version");
}

static void group_case(struct strbuf *sb, const json_t *f, const json_t *g, const char *root)
{
	char *cls = xasprintf("explore.%s", jget_str(g, "invariant") ?: "unknown");
	char *name = xasprintf("%s %s", jget_str(g, "id") ?: "(no id)",
			       jget_str(g, "phase") ?: "(no phase)");
	struct strbuf text = { 0 };

	group_text(&text, f, g, root);
	sb_addf(sb, "  <testcase");
	report_add_attr(sb, "classname", cls);
	report_add_attr(sb, "name", name);
	sb_addf(sb, " time=\"0\">\n");
	if (exrep_known(g)) {
		sb_addf(sb, "    <system-out>known race: ");
		report_esc_text(sb, text.buf);
		sb_addf(sb, "</system-out>\n");
	} else {
		sb_addf(sb, "    <failure");
		report_add_attr(sb, "message", jget_str(g, "detail") ?: "a new group of failures");
		report_add_attr(sb, "type", jget_str(g, "invariant") ?: "invariant");
		sb_addf(sb, ">");
		report_esc_text(sb, text.buf);
		sb_addf(sb, "</failure>\n");
	}
	sb_addf(sb, "  </testcase>\n");
	sb_free(&text);
	free(cls);
	free(name);
}

/* Fails when more than half the trials were lab errors: then the run
 * explored the lab, not charon. */
static bool lab_errors_case(struct strbuf *sb, const json_t *f)
{
	long long run = exrep_trials_run(f);
	long long errs = exrep_count(json_object_get(f, "trials"), "lab_errors");
	bool bad = errs > 0 && errs * 2 > run;

	sb_addf(sb, "  <testcase classname=\"explore\" name=\"lab-errors\" time=\"0\">\n");
	if (bad)
		sb_addf(sb,
			"    <failure message=\"%lld of %lld trials were lab errors\" "
			"type=\"lab-errors\">more than half the trials were lab errors: their "
			"run directories say why</failure>\n",
			errs, run);
	else
		sb_addf(sb, "    <system-out>%lld of %lld trials were lab errors</system-out>\n",
			errs, run);
	sb_addf(sb, "  </testcase>\n");
	return bad;
}

/* The run's wall time, within reason. */
static double wall_of(const json_t *f)
{
	double w = jget_num_or(f, "wall_s", 0);

	return w > 0 && w < 1e9 ? w : 0;
}

static void suite(struct strbuf *sb, const json_t *f, const char *root)
{
	size_t n, fresh = 0;
	const json_t **gs = exrep_groups(f, &n);
	struct strbuf cases = { 0 };
	bool bad;

	for (size_t i = 0; i < n; i++) {
		fresh += !exrep_known(gs[i]);
		group_case(&cases, f, gs[i], root);
	}
	bad = lab_errors_case(&cases, f);
	sb_addf(sb,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ikelab explore\" "
		"tests=\"%zu\" failures=\"%zu\" errors=\"0\" time=\"%.3f\">\n",
		n + 1, fresh + bad, wall_of(f));
	sb_addf(sb,
		"<testsuite name=\"ikelab explore\" tests=\"%zu\" failures=\"%zu\" "
		"errors=\"0\" skipped=\"0\" time=\"%.3f\"",
		n + 1, fresh + bad, wall_of(f));
	if (jget_str(f, "started"))
		report_add_attr(sb, "timestamp", jget_str(f, "started"));
	sb_addf(sb, " hostname=\"localhost\">\n");
	properties(sb, f);
	sb_add(sb, cases.buf, cases.len);
	sb_addf(sb, "</testsuite>\n</testsuites>\n");
	sb_free(&cases);
	free(gs);
}

int explore_report_junit(const json_t *findings, const char *out_dir)
{
	char *path = xasprintf("%s/junit.xml", out_dir);
	char *root = realpath(out_dir, NULL) ?: xstrdup(out_dir);
	struct strbuf sb = { 0 };
	int r = -1;

	if (!json_is_object(findings)) {
		err_set("%s: findings are not a JSON object", path);
	} else {
		suite(&sb, findings, root);
		r = report_write(path, &sb);
		if (r < 0)
			err_wrap("explore junit report");
	}
	free(root);
	free(path);
	return r;
}

/*
 * report.c - junit.xml and index.html from a nightly's summary.json.
 *
 * Both documents are built in memory and written atomically, so a reader
 * never sees half a report. Every string from the summary (and from the
 * runs' report.txt) goes through one escaper that suits XML and HTML
 * alike; paths become percent-encoded relative URLs. Counts are taken
 * from the seeds themselves, so the two reports always agree.
 *
 * This file reads the summary for both reports; report_escape.c escapes,
 * report_junit.c and report_html.c write them (report-internal.h).
 */
#include "judge/report-internal.h"
#include "base/err.h"
#include "base/util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Reading the summary */

enum outcome report_outcome_of(const json_t *run)
{
	const char *r = jget_str(run, "result");

	if (r && (!strcmp(r, "pass") || !strcmp(r, "reproduced")))
		return AS_EXPECTED;
	if (r && (!strcmp(r, "fail") || !strcmp(r, "not-reproduced")))
		return NOT_EXPECTED;
	/* A result this writer does not know says nothing about charon:
	 * count it as the lab's error rather than hide it. */
	return LAB_ERROR;
}

void report_tally_add(struct tally *t, const json_t *scenario)
{
	const json_t *seeds = json_object_get(scenario, "seeds");
	size_t i;
	json_t *run;

	json_array_foreach (seeds, i, run) {
		enum outcome o = report_outcome_of(run);
		double wall;

		t->runs++;
		t->as_expected += o == AS_EXPECTED;
		t->failures += o == NOT_EXPECTED;
		t->errors += o == LAB_ERROR;
		if (jget_num(run, "wall_s", &wall) && wall > 0)
			t->wall_s += wall;
	}
}

struct tally report_tally_of(const json_t *scenario)
{
	struct tally t = { 0 };

	report_tally_add(&t, scenario);
	return t;
}

/* The nightly's status; derived from the seeds if it is missing. */
const char *report_status_of(const json_t *scenario)
{
	const char *s = jget_str(scenario, "status");
	struct tally t;

	if (s)
		return s;
	t = report_tally_of(scenario);
	if (t.runs > 0 && t.as_expected == t.runs)
		return "pass";
	return t.as_expected ? "flaky" : "fail";
}

bool report_is_reproduction(const json_t *scenario)
{
	const char *e = jget_str(scenario, "expect");

	return e && !strcmp(e, "reproduces");
}

char *report_seed_label(const json_t *run)
{
	json_t *v = json_object_get(run, "seed");

	if (json_is_integer(v))
		return xasprintf("seed-%lld", (long long)json_integer_value(v));
	/* Seeds above 2^63 - 1 travel as strings. */
	if (json_is_string(v))
		return xasprintf("seed-%s", json_string_value(v));
	return xstrdup("seed-?");
}

/* "max_ike_per_peer: 2 > 1 at t=1.9 s, ..." for the violated expectations. */
void report_add_violations(struct strbuf *sb, const json_t *run)
{
	size_t i;
	json_t *v;

	json_array_foreach (json_object_get(run, "violated"), i, v) {
		double actual, limit, at;
		bool has_actual = jget_num(v, "actual", &actual);

		sb_addf(sb, "%s%s:", i ? ", " : "", jget_str(v, "name") ?: "(unnamed)");
		if (has_actual && jget_num(v, "limit", &limit))
			sb_addf(sb, " %g > %g", actual, limit);
		else if (has_actual)
			sb_addf(sb, " %g", actual);
		else
			sb_addf(sb, " violated");
		if (jget_num(v, "at", &at))
			sb_addf(sb, " at t=%g s", at);
	}
}

bool report_has_violations(const json_t *run)
{
	return json_array_size(json_object_get(run, "violated")) > 0;
}

char *report_lab_error_text(const json_t *run)
{
	const char *msg = jget_str(run, "lab_error");
	const char *res = jget_str(run, "result");

	if (msg)
		return xstrdup(msg);
	if (res && strcmp(res, "lab-error"))
		return xasprintf("unknown result '%s'", res);
	return xstrdup(res ? "lab error (no message)" : "no result recorded");
}

const json_t *report_scenarios_of(const json_t *summary, const char *path)
{
	const json_t *scs = json_object_get(summary, "scenarios");

	if (!json_is_array(scs))
		err_set("%s: the nightly summary has no \"scenarios\" array", path);
	return json_is_array(scs) ? scs : NULL;
}

int report_write(const char *path, struct strbuf *sb)
{
	int r = write_file(path, sb->buf, sb->len, 0644);

	sb_free(sb);
	return r;
}

/* A nightly of several charons */

bool report_several_versions(const json_t *summary)
{
	return json_array_size(json_object_get(summary, "versions")) > 1;
}

const json_t *report_version(const json_t *summary, const char *label)
{
	size_t i;
	json_t *v;

	json_array_foreach (json_object_get(summary, "versions"), i, v)
		if (label && !strcmp(jget_str(v, "label") ?: "", label))
			return v;
	return NULL;
}

/* Another version than the one labelled label goes by the name s. */
static bool name_shared(const json_t *summary, const char *s, const char *label)
{
	size_t i;
	json_t *v;

	json_array_foreach (json_object_get(summary, "versions"), i, v) {
		const char *l = jget_str(v, "label") ?: "";

		if (strcmp(l, label ?: "") && !strcmp(jget_str(v, "version") ?: l, s))
			return true;
	}
	return false;
}

/* Debian's 5.9.8 and an upstream 5.9.8 built by ikelab share a version
 * string; the label then tells them apart (labels are unique: the
 * summary refers to a version by its label). */
char *report_version_name(const json_t *summary, const char *label, const char *version)
{
	const char *s = jget_str(report_version(summary, label), "version") ?: version;

	s = s ?: label ?: "unknown version";
	if (label && strcmp(s, label) && name_shared(summary, s, label))
		return xasprintf("%s (%s)", s, label);
	return xstrdup(s);
}

char *report_entry_version_name(const json_t *summary, const json_t *scenario)
{
	return report_version_name(summary, jget_str(scenario, "charon"),
				   jget_str(scenario, "charon_version"));
}

const json_t *report_matrix_row(const json_t *summary, const char *name)
{
	size_t i;
	json_t *row;

	json_array_foreach (json_object_get(summary, "matrix"), i, row)
		if (name && !strcmp(jget_str(row, "name") ?: "", name))
			return row;
	return NULL;
}

const json_t *report_entry_on(const json_t *summary, const char *name, const char *label)
{
	size_t i;
	json_t *sc;

	if (!name || !label)
		return NULL;
	json_array_foreach (json_object_get(summary, "scenarios"), i, sc)
		if (!strcmp(jget_str(sc, "name") ?: "", name) &&
		    !strcmp(jget_str(sc, "charon") ?: "", label))
			return sc;
	return NULL;
}

/* The bug a scenario is about shows as a reproduction in a scenario that
 * expects one, and as a failure in one that expects a clean run. */
long report_bug_runs(const json_t *scenario)
{
	struct tally t = report_tally_of(scenario);

	return report_is_reproduction(scenario) ? t.as_expected : t.failures;
}

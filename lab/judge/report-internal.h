/*
 * report-internal.h - what the files of the report module share.
 *
 *   report.c         the summary read the same way for both reports (the
 *                    outcome of a run, the tallies, a scenario's status),
 *                    and writing a finished report;
 *   report_escape.c  the one escaper for XML and HTML text and attribute
 *                    values, and paths as relative URLs; durations and
 *                    times as both reports and explore's show them;
 *   report_junit.c   junit.xml (report_junit);
 *   report_html.c    index.html (report_html);
 *   report_html_versions.c  the parts of index.html about charon
 *                    versions: the header's versions and plugins, a
 *                    row's version tag, the versions side by side.
 *
 * Both reports count from the same functions, so they always agree, and
 * write every string from the summary through the same escaper. With
 * several charon versions both name a version the same way
 * (report_version_name).
 */
#ifndef IKELAB_REPORT_INTERNAL_H
#define IKELAB_REPORT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "base/util.h"
#include "base/json.h"

/* ---- report.c: reading the summary ---- */

enum outcome {
	AS_EXPECTED,  /* pass, or reproduced */
	NOT_EXPECTED, /* fail, or not-reproduced */
	LAB_ERROR,    /* lab-error, no result, or one not known here */
};

/* How a run went, from its "result". */
enum outcome report_outcome_of(const json_t *run);

struct tally {
	long runs, as_expected, failures, errors;
	double wall_s;
};

/* Add the runs of a scenario's seeds to t. */
void report_tally_add(struct tally *t, const json_t *scenario);
struct tally report_tally_of(const json_t *scenario);
/* The nightly's status of a scenario (pass, flaky, fail, ...); derived
 * from the seeds if it is missing. Points into the summary. */
const char *report_status_of(const json_t *scenario);
/* The scenario expects to reproduce a bug. */
bool report_is_reproduction(const json_t *scenario);
/* "seed-42"; the caller frees it. */
char *report_seed_label(const json_t *run);
/* "max_ike_per_peer: 2 > 1 at t=1.9 s, ..." for the violated expectations. */
void report_add_violations(struct strbuf *sb, const json_t *run);
bool report_has_violations(const json_t *run);
/* What went wrong in a lab error; the caller frees it. */
char *report_lab_error_text(const json_t *run);
/* The summary's "scenarios" array, or NULL with err_msg() naming path. */
const json_t *report_scenarios_of(const json_t *summary, const char *path);
/* Write sb to path (atomically) and free sb; 0, or -1 with err_msg(). */
int report_write(const char *path, struct strbuf *sb);

/* ---- report.c: a nightly of several charon versions ----
 *
 * Such a summary has "versions" (in command-line order), one scenario
 * entry per scenario and version (its "charon" the version's label) and
 * "matrix": per scenario, a cell per version and the "changes" between
 * neighbouring versions. A summary without them has one version. */

/* "versions" has more than one entry. */
bool report_several_versions(const json_t *summary);
/* The "versions" entry labelled label, or NULL. Points into the summary. */
const json_t *report_version(const json_t *summary, const char *label);
/* What both reports call the version labelled label: its version string
 * (else version, else the label), with the label added when another
 * version has the same string. The caller frees it. */
char *report_version_name(const json_t *summary, const char *label, const char *version);
/* The same for the version a scenario entry ran on; the caller frees it. */
char *report_entry_version_name(const json_t *summary, const json_t *scenario);
/* The "matrix" row of scenario name, or NULL. Points into the summary. */
const json_t *report_matrix_row(const json_t *summary, const char *name);
/* The entry of scenario name run on the version labelled label, or NULL.
 * Points into the summary. */
const json_t *report_entry_on(const json_t *summary, const char *name, const char *label);
/* How many of a scenario entry's runs showed the bug it is about. */
long report_bug_runs(const json_t *scenario);

/* ---- report_escape.c ---- */

/* s as text (NULL: nothing); XML 1.0's forbidden characters and broken
 * UTF-8 become U+FFFD. */
void report_esc_text(struct strbuf *sb, const char *s);
/* ` name="value"`, the value escaped. */
void report_add_attr(struct strbuf *sb, const char *name, const char *value);
/* A JUnit `<property name= value=/>` line, indented by INDENT spaces;
 * nothing when VALUE is NULL. */
void report_add_property(struct strbuf *sb, int indent, const char *name, const char *value);
/* A path as a percent-encoded relative URL, safe in an attribute. */
void report_add_url(struct strbuf *sb, const char *path);
/* ` href="url"` for a path. */
void report_add_href(struct strbuf *sb, const char *path);
/* Seconds as "42.0 s", "5 min 03 s" or "2 h 07 min" (none below 0). */
void report_add_duration(struct strbuf *sb, double s);
/* "2026-11-26T19:35:00Z" as "2026-11-26 19:35:00 UTC", escaped; another
 * form as it is, NULL as "unknown". */
void report_add_when(struct strbuf *sb, const char *iso);

/* ---- report_html.c, for index.html's of other commands too ---- */

/* The nightly page's style sheet (explore's page builds on it). */
extern const char report_html_css[];

/* ---- report_html.c, for report_html_versions.c ---- */

/* out_dir/rel (or rel, if absolute) exists. */
bool report_run_file_exists(const char *out_dir, const char *rel);
/* A badge: cls one of a fixed set of classes, label and title text. */
void report_html_badge(struct strbuf *sb, const char *cls, const char *label, const char *title);
/* The scenario's expectation as a badge, and the version tag of a row. */
void report_html_expect(struct strbuf *sb, const json_t *sum, const json_t *sc);
/* "6.0.3, commit ..."; the commit cut to 12 digits when short_commit. */
void report_html_charon_version(struct strbuf *sb, const json_t *charon, bool short_commit);

/* ---- report_html_versions.c ---- */

/* The style of what follows, appended to index.html's. */
extern const char report_html_versions_css[];
/* The header's "charon versions", a version a line. */
void report_html_meta_versions(struct strbuf *sb, const json_t *versions);
/* The plugins: one line, or one per version when they differ. */
void report_html_plugins(struct strbuf *sb, const json_t *sum);
/* "on 6.0.3" under a row's name, when the summary has several versions. */
void report_html_version_tag(struct strbuf *sb, const json_t *sum, const json_t *sc);
/* " · across versions: 1 regressed, 1 fixed" for the verdict line. */
void report_html_verdict_versions(struct strbuf *sb, const json_t *sum);
/* The section "Versions side by side", when the summary has a matrix. */
void report_html_versions(struct strbuf *sb, const json_t *sum, const char *out_dir);

#endif

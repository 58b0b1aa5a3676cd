/*
 * report-internal.h - what the files of explore's reports share.
 *
 *   report.c        findings.json read the same way for both reports: the
 *                   groups in their order, numbers, and the paths in it
 *                   checked (relative, below the output directory) before
 *                   anything links to them or reads them;
 *   report_html.c   index.html (explore_report_html): header and groups;
 *   report_html_parts.c  index.html's cells that read files (the
 *                   timeline, the shrunk scenario) and the trial list;
 *   report_junit.c  junit.xml (explore_report_junit).
 *
 * The escaping, the durations and times and the page's style come from
 * the nightly's reports (judge/report-internal.h).
 */
#ifndef IKELAB_EXPLORE_REPORT_INTERNAL_H
#define IKELAB_EXPLORE_REPORT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/util.h"

/* ---- report.c ---- */

/* rel may be linked and read below the output directory: not empty,
 * not absolute, no ".." component, no backslash or control character,
 * no scheme (a ':' before the first '/'), and not absurdly long. */
bool exrep_rel_ok(const char *rel);
/* out_dir/rel is a regular file reached without leaving out_dir or
 * following a link (false too when rel is not exrep_rel_ok). */
bool exrep_file_ok(const char *out_dir, const char *rel);
/* "dir/name" when dir is exrep_rel_ok, else NULL; the caller frees it. */
char *exrep_join(const char *dir, const char *name);
/* The text of out_dir/rel read as read_file_beneath reads (at most max
 * bytes), or NULL with *why saying why not (a static string). The
 * caller frees it. */
char *exrep_read(const char *out_dir, const char *rel, size_t max, const char **why);

/* An integer field (a real counts when it is whole and in range). */
bool exrep_int(const json_t *obj, const char *key, long long *out);
long long exrep_int_or(const json_t *obj, const char *key, long long dflt);
/* A count: the integer field, 0 when missing or below 0. */
long long exrep_count(const json_t *obj, const char *key);
/* The group is in the known-race list ("known": true). */
bool exrep_known(const json_t *group);
/* The id is 8 lowercase hex digits, so it may name an anchor. */
bool exrep_id_ok(const char *id);
/* findings' groups as the page lists them: new before known, each by
 * count, most first (findings' order among equals). An array of n
 * borrowed pointers the caller frees; NULL when there are none. */
const json_t **exrep_groups(const json_t *findings, size_t *n);
/* Trials run: "trials"."run", never below 0. */
long long exrep_trials_run(const json_t *findings);
/* "12 of 120 trials (10%)" for a group. */
void exrep_add_share(struct strbuf *sb, const json_t *findings, const json_t *group);

/* ---- report_html_parts.c ---- */

/* The cell with the first trial's timeline and its files. */
void exrep_html_timeline(struct strbuf *sb, const json_t *group, const char *out_dir);
/* The cell with the shrunk scenario: how shrinking went, its text. */
void exrep_html_shrunk(struct strbuf *sb, const json_t *group, const char *out_dir);
/* The cell with the later versions: fixed in, and their runs. */
void exrep_html_versions(struct strbuf *sb, const json_t *group);
/* The collapsed list of every trial. */
void exrep_html_trials(struct strbuf *sb, const json_t *findings, const char *out_dir);
/* What index.html adds to the nightly's style. */
extern const char exrep_css[];

#endif

/*
 * report.h - the two reports of an `ikelab explore` run, written into its
 * output directory from the findings.json the command wrote there:
 * index.html for people (what ran, then a row per group of failures --
 * new groups first, then the known races, each by how many trials showed
 * it -- with the first trial's timeline, the shrunk scenario's text, how
 * shrinking went and on which later charon the group was gone, then every
 * trial in a collapsed list) and junit.xml for CI (one suite "ikelab
 * explore", a test case per group: a new group fails, a known one passes
 * with what was seen as its output, as a reproduction passes in the
 * nightly's; and a case "lab-errors" that fails when more than half the
 * trials were lab errors).
 *
 * Everything in findings.json is hostile text: it comes from charon logs
 * and scenario files. Every string is escaped by the nightly's escaper
 * (judge/report-internal.h), so XML 1.0's forbidden characters and broken
 * UTF-8 become U+FFFD; any field may be missing or of another type and
 * reads as absent. The paths in it ("run", "shrunk") are relative to
 * out_dir: one that is empty, absolute, holds a ".." component, a
 * backslash or a control character, or starts with a scheme ("x:") is
 * never linked nor read, and a file is linked or read only when it is a
 * regular file reached below out_dir without following a symbolic link
 * (read_file_beneath, base/file.h). The page reads the shrunk scenarios'
 * text that way, each up to EXPLORE_SHRUNK_MAX bytes.
 *
 * Both files are written as the nightly's are: whole, under a temporary
 * name, renamed over the old one (write_file).
 */
#ifndef IKELAB_EXPLORE_REPORT_H
#define IKELAB_EXPLORE_REPORT_H

#include <jansson.h>

/* What index.html embeds of a shrunk scenario at most; a longer one is
 * only linked. */
#define EXPLORE_SHRUNK_MAX ((size_t)64 << 10)

/* out_dir/index.html from findings (borrowed, not changed); 0, or -1
 * with err_msg() naming the file. */
int explore_report_html(const json_t *findings, const char *out_dir);
/* out_dir/junit.xml from findings (borrowed, not changed); 0, or -1 with
 * err_msg() naming the file. */
int explore_report_junit(const json_t *findings, const char *out_dir);

#endif

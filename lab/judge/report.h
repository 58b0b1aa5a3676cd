/*
 * report.h - the two reports of a nightly run, written into its output
 * directory from the nightly's summary.json: junit.xml for CI (Jenkins'
 * JUnit schema: a test suite per scenario, a test case per seed) and
 * index.html for people (one self-contained page, read from the file
 * system). A nightly of several charon versions has a suite per scenario
 * and version, named after the version, and a page that shows each
 * scenario on each version side by side, "fixed in" or "regressed in"
 * where its verdict changed.
 *
 * Paths in the summary ("dir", "plot") are relative to out_dir. Both
 * writers trust no string in the summary: every one is escaped, and
 * characters XML 1.0 forbids (or broken UTF-8) become U+FFFD.
 */
#ifndef IKELAB_REPORT_H
#define IKELAB_REPORT_H

#include <jansson.h>

/* out_dir/junit.xml; 0, or -1 with err_msg() naming the file. */
int report_junit(const json_t *summary, const char *out_dir);
/* out_dir/index.html; 0, or -1 with err_msg() naming the file. */
int report_html(const json_t *summary, const char *out_dir);

#endif

/*
 * report.c - junit.xml and index.html from a nightly's summary.json.
 *
 * Both documents are built in memory and written atomically, so a reader
 * never sees half a report. Every string from the summary (and from the
 * runs' report.txt) goes through one escaper that suits XML and HTML
 * alike; paths become percent-encoded relative URLs. Counts are taken
 * from the seeds themselves, so the two reports always agree.
 */
#include "judge/report.h"
#include "base/err.h"
#include "base/util.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A longer report.txt is cut at a line break in junit.xml: the run
 * directory keeps the whole file, and CI servers choke on huge XML. */
#define REPORT_TXT_MAX (64 * 1024)

/* The files of a run directory the page links to, if they exist. */
static const char *const run_files[][2] = {
	{ "report.txt", "report" },
	{ "summary.json", "summary" },
	{ "timeline.png", "timeline" },
	{ "events.jsonl", "events" },
};

/* Reading the summary */

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Absent and null numbers are common (no duplicate, no baseline). */
static bool jnum(const json_t *o, const char *key, double *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

enum outcome {
	AS_EXPECTED,
	NOT_EXPECTED,
	LAB_ERROR,
};

static enum outcome report_outcome_of(const json_t *run)
{
	const char *r = jstr(run, "result");

	if (r && (!strcmp(r, "pass") || !strcmp(r, "reproduced")))
		return AS_EXPECTED;
	if (r && (!strcmp(r, "fail") || !strcmp(r, "not-reproduced")))
		return NOT_EXPECTED;
	/* A result this writer does not know says nothing about charon:
	 * count it as the lab's error rather than hide it. */
	return LAB_ERROR;
}

struct tally {
	long runs, as_expected, failures, errors;
	double wall_s;
};

static void report_tally_add(struct tally *t, const json_t *scenario)
{
	const json_t *seeds = json_object_get(scenario, "seeds");
	size_t i;
	json_t *run;

	json_array_foreach(seeds, i, run) {
		enum outcome o = report_outcome_of(run);
		double wall;

		t->runs++;
		t->as_expected += o == AS_EXPECTED;
		t->failures += o == NOT_EXPECTED;
		t->errors += o == LAB_ERROR;
		if (jnum(run, "wall_s", &wall) && wall > 0)
			t->wall_s += wall;
	}
}

static struct tally report_tally_of(const json_t *scenario)
{
	struct tally t = { 0 };

	report_tally_add(&t, scenario);
	return t;
}

/* The nightly's status; derived from the seeds if it is missing. */
static const char *report_status_of(const json_t *scenario)
{
	const char *s = jstr(scenario, "status");
	struct tally t;

	if (s)
		return s;
	t = report_tally_of(scenario);
	if (t.runs > 0 && t.as_expected == t.runs)
		return "pass";
	return t.as_expected ? "flaky" : "fail";
}

static bool report_is_reproduction(const json_t *scenario)
{
	const char *e = jstr(scenario, "expect");

	return e && !strcmp(e, "reproduces");
}

static char *report_seed_label(const json_t *run)
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
static void report_add_violations(struct strbuf *sb, const json_t *run)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(run, "violated"), i, v) {
		double actual, limit, at;
		bool has_actual = jnum(v, "actual", &actual);

		sb_addf(sb, "%s%s:", i ? ", " : "", jstr(v, "name") ?: "(unnamed)");
		if (has_actual && jnum(v, "limit", &limit))
			sb_addf(sb, " %g > %g", actual, limit);
		else if (has_actual)
			sb_addf(sb, " %g", actual);
		else
			sb_addf(sb, " violated");
		if (jnum(v, "at", &at))
			sb_addf(sb, " at t=%g s", at);
	}
}

static bool report_has_violations(const json_t *run)
{
	return json_array_size(json_object_get(run, "violated")) > 0;
}

static char *report_lab_error_text(const json_t *run)
{
	const char *msg = jstr(run, "lab_error");
	const char *res = jstr(run, "result");

	if (msg)
		return xstrdup(msg);
	if (res && strcmp(res, "lab-error"))
		return xasprintf("unknown result '%s'", res);
	return xstrdup(res ? "lab error (no message)" : "no result recorded");
}

/* Paths */

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

static bool run_file_exists(const char *out_dir, const char *rel)
{
	char *path = rel[0] == '/' ? xstrdup(rel) : xasprintf("%s/%s", out_dir, rel);
	bool r = path_exists(path);

	free(path);
	return r;
}

/* Escaping */

/* One UTF-8 sequence at s (n bytes left): its length, or 0 when it is
 * malformed, overlong, a surrogate or beyond U+10FFFF. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c, min;
	size_t len;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, c = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, c = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, c = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* XML 1.0's Char production, less the C1 controls HTML refuses too. */
static bool char_allowed(uint32_t c)
{
	if (c < 0x20)
		return c == '\t' || c == '\n' || c == '\r';
	if (c >= 0x7f && c <= 0x9f)
		return false;
	return c != 0xfffe && c != 0xffff;
}

static void esc_char(struct strbuf *sb, const unsigned char *p, size_t len, uint32_t c, bool attr)
{
	switch (c) {
	case '&':
		sb_addf(sb, "&amp;");
		return;
	case '<':
		sb_addf(sb, "&lt;");
		return;
	case '>':
		sb_addf(sb, "&gt;");
		return;
	case '"':
		sb_addf(sb, "&quot;");
		return;
	case '\'':
		sb_addf(sb, "&#39;");
		return;
	case '\r':
		/* A bare CR would become LF when the file is parsed. */
		sb_addf(sb, "&#13;");
		return;
	case '\t':
	case '\n':
		/* Attribute values are normalised to spaces unless referenced. */
		if (attr) {
			sb_addf(sb, "&#%u;", (unsigned)c);
			return;
		}
		break;
	}
	sb_add(sb, p, len);
}

static void esc_n(struct strbuf *sb, const char *s, size_t n, bool attr)
{
	const unsigned char *p = (const unsigned char *)s;

	while (n > 0) {
		uint32_t c = 0;
		size_t len = utf8_decode(p, n, &c);

		if (len == 0 || !char_allowed(c)) {
			sb_add(sb, "\xef\xbf\xbd", 3);
			len = len ? len : 1;
		} else {
			esc_char(sb, p, len, c, attr);
		}
		p += len;
		n -= len;
	}
}

static void report_esc_text(struct strbuf *sb, const char *s)
{
	if (s)
		esc_n(sb, s, strlen(s), false);
}

static void esc_attr(struct strbuf *sb, const char *s)
{
	if (s)
		esc_n(sb, s, strlen(s), true);
}

/* ` name="value"`, the value escaped. */
static void report_add_attr(struct strbuf *sb, const char *name, const char *value)
{
	sb_addf(sb, " %s=\"", name);
	esc_attr(sb, value);
	sb_addf(sb, "\"");
}

/* A path as a relative URL: percent-encoded, so no name in it can turn
 * into a scheme ("javascript:"), a query or a fragment. The result needs
 * no further escaping. */
static void report_add_url(struct strbuf *sb, const char *path)
{
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		unsigned char c = *p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
			sb_add(sb, p, 1);
		else
			sb_addf(sb, "%%%02X", c);
	}
}

static void report_add_href(struct strbuf *sb, const char *path)
{
	sb_addf(sb, " href=\"");
	report_add_url(sb, path);
	sb_addf(sb, "\"");
}

static int report_write(const char *path, struct strbuf *sb)
{
	int r = write_file(path, sb->buf, sb->len, 0644);

	sb_free(sb);
	return r;
}

/* junit.xml */

static void junit_property(struct strbuf *sb, const char *name, const char *value)
{
	if (!value)
		return;
	sb_addf(sb, "      <property");
	report_add_attr(sb, "name", name);
	report_add_attr(sb, "value", value);
	sb_addf(sb, "/>\n");
}

static void junit_properties(struct strbuf *sb, const json_t *sum, const json_t *sc)
{
	const json_t *charon = json_object_get(sum, "charon");
	char *rate = NULL, *reruns;
	double v;

	if (jnum(sc, "rate", &v))
		rate = xasprintf("%g", v);
	reruns = xasprintf("%lld", (long long)json_integer_value(json_object_get(sc, "reruns")));
	sb_addf(sb, "    <properties>\n");
	junit_property(sb, "expect", jstr(sc, "expect") ?: "clean");
	junit_property(sb, "rate", rate);
	junit_property(sb, "charon_version", jstr(charon, "version"));
	junit_property(sb, "status", report_status_of(sc));
	junit_property(sb, "change", jstr(sc, "change"));
	junit_property(sb, "reruns", reruns);
	junit_property(sb, "file", jstr(sc, "file"));
	junit_property(sb, "description", jstr(sc, "description"));
	junit_property(sb, "cites", jstr(sc, "cites"));
	sb_addf(sb, "    </properties>\n");
	free(rate);
	free(reruns);
}

/* The run's report.txt, cut to REPORT_TXT_MAX; NULL if there is none. */
static char *report_txt(const char *rundir)
{
	char *path, *text = NULL;
	size_t len;

	if (!rundir)
		return NULL;
	path = xasprintf("%s/report.txt", rundir);
	if (path_exists(path) && read_file(path, &text, &len) == 0 && len > REPORT_TXT_MAX) {
		char *cut = memrchr(text, '\n', REPORT_TXT_MAX);
		size_t keep = cut ? (size_t)(cut - text) + 1 : REPORT_TXT_MAX;
		char *note = xasprintf("[... %zu more bytes in %s]\n", len - keep, path);
		size_t nlen = strlen(note);

		text = xrealloc(text, keep + nlen + 1);
		memcpy(text + keep, note, nlen + 1);
		free(note);
	}
	free(path);
	return text;
}

/* <failure> or <error> with report.txt as its text, or else body. */
static void junit_problem(struct strbuf *sb, const char *tag, const char *type,
			  const char *message, const char *rundir, const char *body)
{
	char *text = report_txt(rundir);

	sb_addf(sb, "      <%s", tag);
	report_add_attr(sb, "message", message);
	report_add_attr(sb, "type", type);
	sb_addf(sb, ">");
	report_esc_text(sb, text ? text : body);
	sb_addf(sb, "</%s>\n", tag);
	free(text);
}

static void junit_outcome(struct strbuf *sb, const json_t *sc, const json_t *run, const char *rundir)
{
	const char *where = rundir ?: "none recorded";
	enum outcome o = report_outcome_of(run);
	struct strbuf msg = { 0 };

	if (o == LAB_ERROR) {
		char *e = report_lab_error_text(run);

		sb_addf(&msg, "%s\nrun directory: %s\n", e, where);
		junit_problem(sb, "error", "lab-error", e, rundir, msg.buf);
		free(e);
	} else if (o == NOT_EXPECTED) {
		if (report_has_violations(run))
			report_add_violations(&msg, run);
		else
			sb_addf(&msg, "%s", report_is_reproduction(sc) ?
				"not reproduced: every expectation held" : "failed");
		sb_addf(&msg, "; run directory: %s", where);
		junit_problem(sb, "failure", "expectation", msg.buf, rundir, msg.buf);
	} else {
		sb_addf(&msg, "%s: ", jstr(run, "result"));
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
}

static void junit_case(struct strbuf *sb, const json_t *sc, const json_t *run, const char *root)
{
	char *cls = xasprintf("ikelab.%s", jstr(sc, "name") ?: "");
	char *name = report_seed_label(run);
	char *rundir = run_path(root, jstr(run, "dir"));
	double wall = 0;

	jnum(run, "wall_s", &wall);
	sb_addf(sb, "    <testcase");
	report_add_attr(sb, "classname", cls);
	report_add_attr(sb, "name", name);
	sb_addf(sb, " time=\"%.3f\">\n", wall > 0 ? wall : 0);
	junit_outcome(sb, sc, run, rundir);
	sb_addf(sb, "    </testcase>\n");
	free(cls);
	free(name);
	free(rundir);
}

static void junit_suite(struct strbuf *sb, const json_t *sum, const json_t *sc, const char *root)
{
	struct tally t = report_tally_of(sc);
	size_t i;
	json_t *run;

	sb_addf(sb, "  <testsuite");
	report_add_attr(sb, "name", jstr(sc, "name") ?: "");
	sb_addf(sb, " tests=\"%ld\" failures=\"%ld\" errors=\"%ld\" skipped=\"0\" time=\"%.3f\"",
		t.runs, t.failures, t.errors, t.wall_s);
	if (jstr(sum, "started"))
		report_add_attr(sb, "timestamp", jstr(sum, "started"));
	report_add_attr(sb, "hostname", jstr(sum, "hostname") ?: "localhost");
	sb_addf(sb, ">\n");
	junit_properties(sb, sum, sc);
	json_array_foreach(json_object_get(sc, "seeds"), i, run)
		junit_case(sb, sc, run, root);
	sb_addf(sb, "  </testsuite>\n");
}

/* The nightly directory as an absolute path when it can be had, so the
 * failure messages in a CI log point somewhere. */
static char *root_of(const char *out_dir)
{
	char *r = realpath(out_dir, NULL);

	return r ? r : xstrdup(out_dir);
}

static const json_t *report_scenarios_of(const json_t *summary, const char *path)
{
	const json_t *scs = json_object_get(summary, "scenarios");

	if (!json_is_array(scs))
		err_set("%s: the nightly summary has no \"scenarios\" array", path);
	return json_is_array(scs) ? scs : NULL;
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
	json_array_foreach(scs, i, sc)
		report_tally_add(&all, sc);
	/* Scenarios run in parallel: the nightly's own clock is the time. */
	if (!jnum(json_object_get(summary, "totals"), "wall_s", &wall) || wall < 0)
		wall = all.wall_s;
	sb_addf(&sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ikelab nightly\""
		" tests=\"%ld\" failures=\"%ld\" errors=\"%ld\" time=\"%.3f\">\n",
		all.runs, all.failures, all.errors, wall);
	json_array_foreach(scs, i, sc)
		junit_suite(&sb, summary, sc, root);
	sb_addf(&sb, "</testsuites>\n");
	r = report_write(path, &sb);
	if (r < 0)
		err_wrap("junit report");
	free(root);
	free(path);
	return r;
}

/* index.html */

static const char css[] =
	"*{box-sizing:border-box}"
	"body{margin:0;font:14px/1.45 'DejaVu Sans',system-ui,sans-serif;color:#1f2328;background:#f3f5f7}"
	"a{color:#0550ae;text-decoration:none}a:hover{text-decoration:underline}"
	"header{background:#fff;border-bottom:1px solid #d0d7de;padding:22px 32px 18px}"
	"h1{margin:0 0 12px;font-size:22px;font-weight:600}h1 .when{color:#59636e;font-weight:400}"
	".verdict{display:inline-block;margin:0 0 16px;padding:8px 16px;border-radius:6px;"
	"font-size:17px;font-weight:600}"
	".verdict.good{background:#dafbe1;color:#116329}.verdict.bad{background:#ffebe9;color:#a40e26}"
	".verdict .more{font-weight:400;margin-left:10px}"
	"dl.meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:10px 28px;margin:0}"
	"dt{color:#59636e;font-size:11px;text-transform:uppercase;letter-spacing:.06em}"
	"dd{margin:0}dd small,.sub{color:#59636e;font-size:12px}"
	".plugins{margin:12px 0 0;color:#59636e;font-size:12px}"
	".chip{display:inline-block;margin:2px 3px 0 0;padding:0 6px;border-radius:4px;background:#eaeef2;"
	"color:#1f2328;font:11px/18px 'DejaVu Sans Mono',monospace}"
	"main{padding:22px 32px 8px;overflow-x:auto}"
	"table.sc{width:100%;border-collapse:separate;border-spacing:0;background:#fff;"
	"border:1px solid #d0d7de;border-radius:8px;overflow:hidden}"
	".sc th,.sc td{padding:10px 12px;text-align:left;vertical-align:top;border-bottom:1px solid #e4e8ec}"
	".sc>thead th{background:#f6f8fa;color:#59636e;font-size:12px;font-weight:600;white-space:nowrap}"
	".sc>tbody>tr:last-child>td{border-bottom:0}"
	".sc>tbody>tr>td:first-child{border-left:5px solid #1a7f37}"
	".sc>tbody>tr.fail{background:#fff6f5}.sc>tbody>tr.fail>td:first-child{border-left-color:#cf222e}"
	".sc>tbody>tr.flaky{background:#fffbf0}.sc>tbody>tr.flaky>td:first-child{border-left-color:#d4a72c}"
	".name{min-width:200px;font-weight:600;font-size:15px;overflow-wrap:anywhere}"
	".desc{max-width:280px;margin-top:3px;color:#424a53;font-size:12px}"
	".cites{max-width:280px;margin-top:3px;color:#59636e;font-size:11px;font-style:italic}"
	".rate{font-size:22px;font-weight:700;white-space:nowrap}.rate.pass{color:#1a7f37}"
	".rate.fail{color:#cf222e}.rate.flaky{color:#9a6700}"
	".tags{margin-top:5px}.badge{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600;"
	"white-space:nowrap;border:1px solid #d0d7de;color:#424a53;background:#f6f8fa}"
	".b-new-failure{background:#cf222e;border-color:#cf222e;color:#fff}"
	".b-still-failing{background:#ffebe9;border-color:#ff8182;color:#a40e26}"
	".b-fixed{background:#1a7f37;border-color:#1a7f37;color:#fff}"
	".b-flaky{background:#fff8c5;border-color:#d4a72c;color:#7d4e00}"
	".b-new{background:#ddf4ff;border-color:#80ccff;color:#0550ae}"
	".b-reproduces{background:#fbefff;border-color:#d8b9ff;color:#6e40c9}"
	"table.n{border-collapse:collapse;font-size:12px}"
	".n th,.n td{padding:1px 7px;border:0;text-align:right;font-weight:400}"
	".n thead th{color:#59636e;font-size:11px}.n tbody th{color:#59636e;text-align:left;padding-left:0}"
	".n td{font-variant-numeric:tabular-nums}.n .hi{color:#cf222e;font-weight:700}"
	".dup{white-space:nowrap}.none{color:#8c959f}"
	"img.thumb{display:block;width:224px;height:140px;object-fit:contain;background:#fff;"
	"border:1px solid #d0d7de;border-radius:4px}"
	".noplot{width:224px;padding:52px 0;text-align:center;color:#8c959f;font-size:12px;"
	"border:1px dashed #d0d7de;border-radius:4px}"
	".cap{margin-top:4px;color:#59636e;font-size:11px}"
	"ul.runs{list-style:none;margin:0;padding:0}ul.runs li{padding:0 0 6px}"
	".dot{display:inline-block;width:9px;height:9px;margin-right:6px;border-radius:50%;background:#1a7f37}"
	".r-not-expected .dot{background:#cf222e}.r-lab-error .dot{background:#8250df}"
	".seed{font-weight:600}.res{margin-left:6px;color:#424a53}.r-not-expected .res{color:#cf222e;font-weight:600}"
	".r-lab-error .res{color:#8250df;font-weight:600}"
	".wall{margin-left:6px;color:#8c959f;font-size:12px}"
	".files{margin-left:15px;font-size:12px;white-space:nowrap}.files a,.files span{margin-right:9px}"
	".files .gone{color:#afb8c1}"
	".why{max-width:300px;margin-left:15px;font-size:12px;color:#a40e26}"
	".r-lab-error .why{color:#8250df}"
	"footer{padding:10px 32px 28px;color:#59636e;font-size:12px}";

/* A badge whose class comes from a fixed set: the value itself is text. */
static void html_badge(struct strbuf *sb, const char *cls, const char *label, const char *title)
{
	sb_addf(sb, "<span class=\"badge b-%s\"", cls);
	if (title)
		report_add_attr(sb, "title", title);
	sb_addf(sb, ">");
	report_esc_text(sb, label);
	sb_addf(sb, "</span>");
}

static void add_duration(struct strbuf *sb, double s)
{
	long long t;

	if (!(s > 0))
		s = 0;
	if (s > 1e9)
		s = 1e9;
	t = (long long)s;
	if (s < 60)
		sb_addf(sb, "%.1f s", s);
	else if (s < 3600)
		sb_addf(sb, "%lld min %02lld s", t / 60, t % 60);
	else
		sb_addf(sb, "%lld h %02lld min", t / 3600, t % 3600 / 60);
}

static void html_head(struct strbuf *sb, const json_t *sum, long met, size_t n)
{
	sb_addf(sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	sb_addf(sb, "ikelab nightly %ld/%zu: ", met, n);
	report_esc_text(sb, jstr(sum, "started") ?: "(no start time)");
	sb_addf(sb, "</title>\n<style>%s</style>\n</head>\n<body>\n", css);
}

struct verdict_counts {
	long met, failing, flaky, new_failures, fixed;
};

static struct verdict_counts verdict_counts(const json_t *scs)
{
	struct verdict_counts v = { 0 };
	size_t i;
	json_t *sc;

	json_array_foreach(scs, i, sc) {
		const char *st = report_status_of(sc), *ch = jstr(sc, "change") ?: "";

		v.met += !strcmp(st, "pass");
		v.flaky += !strcmp(st, "flaky");
		v.failing += strcmp(st, "pass") && strcmp(st, "flaky");
		v.new_failures += !strcmp(ch, "new-failure");
		v.fixed += !strcmp(ch, "fixed");
	}
	return v;
}

static void html_verdict(struct strbuf *sb, const json_t *scs)
{
	struct verdict_counts v = verdict_counts(scs);
	size_t n = json_array_size(scs);

	sb_addf(sb, "<p class=\"verdict %s\">%ld of %zu scenario%s met %s expectation",
		v.met == (long)n && n > 0 ? "good" : "bad", v.met, n, n == 1 ? "" : "s",
		n == 1 ? "its" : "their");
	sb_addf(sb, "<span class=\"more\">%ld failing &middot; %ld flaky", v.failing, v.flaky);
	if (v.new_failures)
		sb_addf(sb, " &middot; %ld new failure%s", v.new_failures, v.new_failures == 1 ? "" : "s");
	if (v.fixed)
		sb_addf(sb, " &middot; %ld fixed", v.fixed);
	sb_addf(sb, "</span></p>\n");
}

static void meta_open(struct strbuf *sb, const char *term)
{
	sb_addf(sb, "<div><dt>%s</dt><dd>", term);
}

static void meta_close(struct strbuf *sb)
{
	sb_addf(sb, "</dd></div>\n");
}

static void html_meta_baseline(struct strbuf *sb, const char *baseline)
{
	char *index, *slash;

	meta_open(sb, "Baseline");
	if (!baseline) {
		sb_addf(sb, "none <small>(every scenario counts as new)</small>");
		meta_close(sb);
		return;
	}
	sb_addf(sb, "<a");
	report_add_href(sb, baseline);
	sb_addf(sb, ">");
	report_esc_text(sb, baseline);
	sb_addf(sb, "</a>");
	/* The baseline's own page, when it was written beside its summary. */
	slash = strrchr(baseline, '/');
	index = slash ? xasprintf("%.*s/index.html", (int)(slash - baseline), baseline) :
		xstrdup("index.html");
	if (path_exists(index)) {
		sb_addf(sb, " <small>(<a");
		report_add_href(sb, index);
		sb_addf(sb, ">its report</a>)</small>");
	}
	free(index);
	meta_close(sb);
}

static void html_meta_charon(struct strbuf *sb, const json_t *charon)
{
	meta_open(sb, "charon");
	report_esc_text(sb, jstr(charon, "version") ?: "unknown version");
	if (jstr(charon, "path")) {
		sb_addf(sb, " <small>");
		report_esc_text(sb, jstr(charon, "path"));
		sb_addf(sb, "</small>");
	}
	meta_close(sb);
}

static void html_meta_runs(struct strbuf *sb, const json_t *sum, const json_t *scs)
{
	const json_t *totals = json_object_get(sum, "totals");
	struct tally all = { 0 };
	double wall;
	size_t i;
	json_t *sc;

	json_array_foreach(scs, i, sc)
		report_tally_add(&all, sc);
	meta_open(sb, "Runs");
	sb_addf(sb, "%ld run%s of %zu scenario%s <small>(%ld as expected, %ld not, %ld lab error%s)</small>",
		all.runs, all.runs == 1 ? "" : "s", json_array_size(scs),
		json_array_size(scs) == 1 ? "" : "s", all.as_expected, all.failures, all.errors,
		all.errors == 1 ? "" : "s");
	meta_close(sb);
	meta_open(sb, "Seeds &middot; jobs");
	sb_addf(sb, "%lld seed%s per scenario &middot; %lld in parallel",
		(long long)json_integer_value(json_object_get(sum, "seeds")),
		json_integer_value(json_object_get(sum, "seeds")) == 1 ? "" : "s",
		(long long)json_integer_value(json_object_get(sum, "jobs")));
	meta_close(sb);
	if (jnum(totals, "wall_s", &wall)) {
		meta_open(sb, "Took");
		add_duration(sb, wall);
		meta_close(sb);
	}
}

static void html_meta_text(struct strbuf *sb, const char *term, const char *value)
{
	meta_open(sb, term);
	report_esc_text(sb, value ?: "unknown");
	meta_close(sb);
}

/* "2026-11-26T19:35:00Z" reads better as "2026-11-26 19:35:00 UTC". */
static void add_when(struct strbuf *sb, const char *iso)
{
	char *t;

	if (!iso || strlen(iso) != 20 || iso[10] != 'T' || iso[19] != 'Z') {
		report_esc_text(sb, iso ?: "unknown");
		return;
	}
	t = xasprintf("%.10s %.8s UTC", iso, iso + 11);
	report_esc_text(sb, t);
	free(t);
}

static void html_meta_when(struct strbuf *sb, const char *term, const char *iso)
{
	meta_open(sb, term);
	add_when(sb, iso);
	meta_close(sb);
}

static void html_plugins(struct strbuf *sb, const json_t *charon)
{
	const json_t *plugins = json_object_get(charon, "plugins");
	size_t i;
	json_t *p;

	if (!json_array_size(plugins))
		return;
	sb_addf(sb, "<p class=\"plugins\">plugins ");
	json_array_foreach(plugins, i, p) {
		sb_addf(sb, "<span class=\"chip\">");
		report_esc_text(sb, json_string_value(p) ?: "?");
		sb_addf(sb, "</span>");
	}
	sb_addf(sb, "</p>\n");
}

static void html_header(struct strbuf *sb, const json_t *sum, const json_t *scs)
{
	const json_t *charon = json_object_get(sum, "charon");

	sb_addf(sb, "<header>\n<h1>ikelab nightly <span class=\"when\">");
	add_when(sb, jstr(sum, "started"));
	sb_addf(sb, "</span></h1>\n");
	html_verdict(sb, scs);
	sb_addf(sb, "<dl class=\"meta\">\n");
	html_meta_when(sb, "Started", jstr(sum, "started"));
	html_meta_when(sb, "Finished", jstr(sum, "finished"));
	html_meta_text(sb, "Host", jstr(sum, "hostname"));
	html_meta_charon(sb, charon);
	html_meta_runs(sb, sum, scs);
	html_meta_baseline(sb, jstr(sum, "baseline"));
	sb_addf(sb, "</dl>\n");
	html_plugins(sb, charon);
	sb_addf(sb, "</header>\n");
}

static void html_expect(struct strbuf *sb, const json_t *sc)
{
	bool repro = report_is_reproduction(sc);

	sb_addf(sb, "<div class=\"tags\">");
	html_badge(sb, repro ? "reproduces" : "clean", repro ? "reproduces" : "clean",
		   repro ? "a reproduction: the bug showing is a pass" :
		   "every expectation must hold");
	sb_addf(sb, "</div>");
}

static void html_name_cell(struct strbuf *sb, const json_t *sc)
{
	const char *desc = jstr(sc, "description"), *cites = jstr(sc, "cites");

	sb_addf(sb, "<td><div class=\"name\"");
	if (jstr(sc, "file"))
		report_add_attr(sb, "title", jstr(sc, "file"));
	sb_addf(sb, ">");
	report_esc_text(sb, jstr(sc, "name") ?: "(unnamed)");
	sb_addf(sb, "</div>");
	html_expect(sb, sc);
	if (desc) {
		sb_addf(sb, "<div class=\"desc\">");
		report_esc_text(sb, desc);
		sb_addf(sb, "</div>");
	}
	if (cites) {
		sb_addf(sb, "<div class=\"cites\">");
		report_esc_text(sb, cites);
		sb_addf(sb, "</div>");
	}
	sb_addf(sb, "</td>\n");
}

/* The change against the baseline; known values get their colour. */
static void html_change(struct strbuf *sb, const char *change)
{
	static const char *const changes[][2] = {
		{ "new", "new" },
		{ "new-failure", "new failure" },
		{ "fixed", "fixed" },
		{ "still-failing", "still failing" },
		{ "still-passing", "still passing" },
		{ "flaky", "flaky" },
	};

	sb_addf(sb, "<div class=\"tags\">");
	for (size_t i = 0; i < ARRAY_LEN(changes); i++) {
		if (!strcmp(change, changes[i][0])) {
			html_badge(sb, changes[i][0], changes[i][1], "against the baseline");
			sb_addf(sb, "</div>");
			return;
		}
	}
	html_badge(sb, "other", change, "against the baseline");
	sb_addf(sb, "</div>");
}

static void html_rate_cell(struct strbuf *sb, const json_t *sc, const char *status)
{
	struct tally t = report_tally_of(sc);
	long long reruns = json_integer_value(json_object_get(sc, "reruns"));
	const char *cls = !strcmp(status, "pass") || !strcmp(status, "flaky") ? status : "fail";

	sb_addf(sb, "<td><div class=\"rate %s\" title=\"runs as expected\">%ld/%ld</div>"
		"<div class=\"sub\">%s", cls, t.as_expected, t.runs, cls);
	if (t.runs > 0)
		sb_addf(sb, " &middot; %.0f%%", 100.0 * (double)t.as_expected / (double)t.runs);
	sb_addf(sb, "</div>");
	if (reruns > 0)
		sb_addf(sb, "<div class=\"sub\">%lld rerun%s</div>", reruns, reruns == 1 ? "" : "s");
	if (jstr(sc, "change"))
		html_change(sb, jstr(sc, "change"));
	sb_addf(sb, "</td>\n");
}

static void html_count(struct strbuf *sb, const json_t *row, const char *key, const json_t *median)
{
	double v, m;

	if (!jnum(row, key, &v)) {
		sb_addf(sb, "<td class=\"none\">&ndash;</td>");
		return;
	}
	/* A worst run well beyond the median is what to look at first. */
	sb_addf(sb, "<td%s>%g</td>", row != median && jnum(median, key, &m) && v > m ? " class=\"hi\"" : "", v);
}

static void html_counts_cell(struct strbuf *sb, const json_t *sc)
{
	const json_t *median = json_object_get(sc, "median");
	const char *rows[] = { "median", "worst" };

	sb_addf(sb, "<td><table class=\"n\"><thead><tr><th></th><th title=\"most IKE_SAs\">IKE</th>"
		"<th title=\"most CHILD_SAs per traffic selector pair\">CHILD/TS</th>"
		"<th title=\"probe packets lost\">lost</th></tr></thead><tbody>");
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		const json_t *row = json_object_get(sc, rows[i]);

		sb_addf(sb, "<tr><th>%s</th>", rows[i]);
		html_count(sb, row, "max_ike", median);
		html_count(sb, row, "max_child_per_ts", median);
		html_count(sb, row, "lost", median);
		sb_addf(sb, "</tr>");
	}
	sb_addf(sb, "</tbody></table></td>\n");
}

static void html_dup_cell(struct strbuf *sb, const json_t *sc)
{
	const json_t *d = json_object_get(sc, "time_to_first_duplicate_s");
	double med, lo, hi;

	sb_addf(sb, "<td class=\"dup\">");
	if (!jnum(d, "median", &med)) {
		sb_addf(sb, "<span class=\"none\">no duplicate</span></td>\n");
		return;
	}
	sb_addf(sb, "%.2f s", med);
	if (jnum(d, "min", &lo) && jnum(d, "max", &hi))
		sb_addf(sb, "<div class=\"sub\">%.2f &ndash; %.2f s</div>", lo, hi);
	sb_addf(sb, "</td>\n");
}

static void html_plot_cell(struct strbuf *sb, const json_t *sc, const char *out_dir)
{
	const char *plot = jstr(sc, "plot");
	json_t *worst = json_object_get(sc, "worst_seed");

	sb_addf(sb, "<td>");
	if (plot && run_file_exists(out_dir, plot)) {
		sb_addf(sb, "<a");
		report_add_href(sb, plot);
		sb_addf(sb, "><img class=\"thumb\" alt=\"timeline of the worst seed\"");
		sb_addf(sb, " src=\"");
		report_add_url(sb, plot);
		sb_addf(sb, "\"></a>");
	} else {
		sb_addf(sb, "<div class=\"noplot\">%s</div>", plot ? "plot file missing" : "no plot");
	}
	if (json_is_integer(worst))
		sb_addf(sb, "<div class=\"cap\">worst run: seed %lld</div>",
			(long long)json_integer_value(worst));
	sb_addf(sb, "</td>\n");
}

static const char *outcome_class(enum outcome o)
{
	return o == AS_EXPECTED ? "r-as-expected" : o == NOT_EXPECTED ? "r-not-expected" : "r-lab-error";
}

/* Links to the run's files; a file the run did not write is shown greyed. */
static void html_run_files(struct strbuf *sb, const char *dir, const char *out_dir)
{
	sb_addf(sb, "<div class=\"files\">");
	for (size_t i = 0; i < ARRAY_LEN(run_files); i++) {
		char *rel = xasprintf("%s/%s", dir, run_files[i][0]);

		if (run_file_exists(out_dir, rel)) {
			sb_addf(sb, "<a");
			report_add_href(sb, rel);
			sb_addf(sb, ">%s</a>", run_files[i][1]);
		} else {
			sb_addf(sb, "<span class=\"gone\" title=\"not written\">%s</span>", run_files[i][1]);
		}
		free(rel);
	}
	sb_addf(sb, "</div>");
}

static void html_run_why(struct strbuf *sb, const json_t *run, enum outcome o)
{
	struct strbuf why = { 0 };

	if (o == LAB_ERROR) {
		char *e = report_lab_error_text(run);

		sb_addf(&why, "lab error: %s", e);
		free(e);
	} else if (o == NOT_EXPECTED && report_has_violations(run)) {
		report_add_violations(&why, run);
	}
	if (why.buf) {
		sb_addf(sb, "<div class=\"why\"");
		report_add_attr(sb, "title", why.buf);
		sb_addf(sb, ">");
		report_esc_text(sb, why.buf);
		sb_addf(sb, "</div>");
	}
	sb_free(&why);
}

static void html_run(struct strbuf *sb, const json_t *run, const char *out_dir)
{
	enum outcome o = report_outcome_of(run);
	const char *dir = jstr(run, "dir");
	char *label = report_seed_label(run);
	double wall;

	sb_addf(sb, "<li class=\"%s\"><span class=\"dot\"></span>", outcome_class(o));
	if (dir) {
		char *slash = xasprintf("%s/", dir);

		sb_addf(sb, "<a class=\"seed\"");
		report_add_href(sb, slash);
		sb_addf(sb, ">");
		free(slash);
	} else {
		sb_addf(sb, "<span class=\"seed\">");
	}
	report_esc_text(sb, label);
	sb_addf(sb, "%s", dir ? "</a>" : "</span>");
	sb_addf(sb, "<span class=\"res\">");
	report_esc_text(sb, jstr(run, "result") ?: "no result");
	sb_addf(sb, "</span>");
	if (jnum(run, "wall_s", &wall)) {
		sb_addf(sb, "<span class=\"wall\">");
		add_duration(sb, wall);
		sb_addf(sb, "</span>");
	}
	if (dir)
		html_run_files(sb, dir, out_dir);
	html_run_why(sb, run, o);
	sb_addf(sb, "</li>\n");
	free(label);
}

static void html_runs_cell(struct strbuf *sb, const json_t *sc, const char *out_dir)
{
	size_t i;
	json_t *run;

	sb_addf(sb, "<td><ul class=\"runs\">\n");
	json_array_foreach(json_object_get(sc, "seeds"), i, run)
		html_run(sb, run, out_dir);
	sb_addf(sb, "</ul>");
	if (!json_array_size(json_object_get(sc, "seeds")))
		sb_addf(sb, "<span class=\"none\">no runs</span>");
	sb_addf(sb, "</td>\n");
}

static void html_row(struct strbuf *sb, const json_t *sc, const char *out_dir)
{
	const char *status = report_status_of(sc);
	const char *cls = !strcmp(status, "pass") || !strcmp(status, "flaky") ? status : "fail";

	sb_addf(sb, "<tr class=\"%s\">\n", cls);
	html_name_cell(sb, sc);
	html_rate_cell(sb, sc, status);
	html_counts_cell(sb, sc);
	html_dup_cell(sb, sc);
	html_plot_cell(sb, sc, out_dir);
	html_runs_cell(sb, sc, out_dir);
	sb_addf(sb, "</tr>\n");
}

/* Failing first, then flaky, then passing; the nightly's order within. */
static int status_rank(const json_t *sc)
{
	const char *s = report_status_of(sc);

	return !strcmp(s, "pass") ? 2 : !strcmp(s, "flaky") ? 1 : 0;
}

static void html_table(struct strbuf *sb, const json_t *scs, const char *out_dir)
{
	size_t n = json_array_size(scs);

	sb_addf(sb, "<main>\n<table class=\"sc\">\n<thead><tr><th>Scenario</th>"
		"<th>As expected</th><th>SAs and loss</th>"
		"<th>First duplicate</th><th>Worst run</th><th>Runs</th></tr></thead>\n<tbody>\n");
	for (int rank = 0; rank <= 2; rank++)
		for (size_t i = 0; i < n; i++)
			if (status_rank(json_array_get(scs, i)) == rank)
				html_row(sb, json_array_get(scs, i), out_dir);
	sb_addf(sb, "</tbody>\n</table>\n</main>\n");
}

static void html_footer(struct strbuf *sb, const char *out_dir)
{
	sb_addf(sb, "<footer>");
	if (run_file_exists(out_dir, "summary.json"))
		sb_addf(sb, "<a href=\"summary.json\">summary.json</a> &middot; ");
	sb_addf(sb, "<a href=\"junit.xml\">junit.xml</a> &middot; written by ikelab</footer>\n"
		"</body>\n</html>\n");
}

int report_html(const json_t *summary, const char *out_dir)
{
	char *path = xasprintf("%s/index.html", out_dir);
	const json_t *scs = report_scenarios_of(summary, path);
	struct strbuf sb = { 0 };
	int r;

	if (!scs) {
		free(path);
		return -1;
	}
	html_head(&sb, summary, verdict_counts(scs).met, json_array_size(scs));
	html_header(&sb, summary, scs);
	html_table(&sb, scs, out_dir);
	html_footer(&sb, out_dir);
	r = report_write(path, &sb);
	if (r < 0)
		err_wrap("html report");
	free(path);
	return r;
}

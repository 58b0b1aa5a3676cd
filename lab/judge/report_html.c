/*
 * report_html.c - index.html for people: one self-contained page, read
 * from the file system (see report.h, report-internal.h).
 */
#include "judge/report.h"
#include "judge/report-internal.h"
#include "base/err.h"
#include "base/util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The files of a run directory the page links to, if they exist. */
static const char *const run_files[][2] = {
	{ "report.txt", "report" },
	{ "summary.json", "summary" },
	{ "timeline.png", "timeline" },
	{ "events.jsonl", "events" },
};

bool report_run_file_exists(const char *out_dir, const char *rel)
{
	char *path = rel[0] == '/' ? xstrdup(rel) : xasprintf("%s/%s", out_dir, rel);
	bool r = path_exists(path);

	free(path);
	return r;
}

/* index.html */

const char report_html_css[] =
	"*{box-sizing:border-box}"
	"body{margin:0;font:14px/1.45 'DejaVu "
	"Sans',system-ui,sans-serif;color:#1f2328;background:#f3f5f7}"
	"a{color:#0550ae;text-decoration:none}a:hover{text-decoration:underline}"
	"header{background:#fff;border-bottom:1px solid #d0d7de;padding:22px 32px 18px}"
	"h1{margin:0 0 12px;font-size:22px;font-weight:600}h1 .when{color:#59636e;font-weight:400}"
	".verdict{display:inline-block;margin:0 0 16px;padding:8px 16px;border-radius:6px;"
	"font-size:17px;font-weight:600}"
	".verdict.good{background:#dafbe1;color:#116329}.verdict.bad{background:#ffebe9;color:#"
	"a40e26}"
	".verdict .more{font-weight:400;margin-left:10px}"
	"dl.meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:10px "
	"28px;margin:0}"
	"dt{color:#59636e;font-size:11px;text-transform:uppercase;letter-spacing:.06em}"
	"dd{margin:0}dd small,.sub{color:#59636e;font-size:12px}"
	".plugins{margin:12px 0 0;color:#59636e;font-size:12px}"
	".chip{display:inline-block;margin:2px 3px 0 0;padding:0 "
	"6px;border-radius:4px;background:#eaeef2;"
	"color:#1f2328;font:11px/18px 'DejaVu Sans Mono',monospace}"
	"main{padding:22px 32px 8px;overflow-x:auto}"
	"table.sc{width:100%;border-collapse:separate;border-spacing:0;background:#fff;"
	"border:1px solid #d0d7de;border-radius:8px;overflow:hidden}"
	".sc th,.sc td{padding:10px 12px;text-align:left;vertical-align:top;border-bottom:1px "
	"solid #e4e8ec}"
	".sc>thead "
	"th{background:#f6f8fa;color:#59636e;font-size:12px;font-weight:600;white-space:nowrap}"
	".sc>tbody>tr:last-child>td{border-bottom:0}"
	".sc>tbody>tr>td:first-child{border-left:5px solid #1a7f37}"
	".sc>tbody>tr.fail{background:#fff6f5}.sc>tbody>tr.fail>td:first-child{border-left-color:#"
	"cf222e}"
	".sc>tbody>tr.flaky{background:#fffbf0}.sc>tbody>tr.flaky>td:first-child{border-left-color:"
	"#d4a72c}"
	".name{min-width:200px;font-weight:600;font-size:15px;overflow-wrap:anywhere}"
	".desc{max-width:280px;margin-top:3px;color:#424a53;font-size:12px}"
	".cites{max-width:280px;margin-top:3px;color:#59636e;font-size:11px;font-style:italic}"
	".rate{font-size:22px;font-weight:700;white-space:nowrap}.rate.pass{color:#1a7f37}"
	".rate.fail{color:#cf222e}.rate.flaky{color:#9a6700}"
	".tags{margin-top:5px}.badge{display:inline-block;padding:1px "
	"9px;border-radius:999px;font-size:12px;font-weight:600;"
	"white-space:nowrap;border:1px solid #d0d7de;color:#424a53;background:#f6f8fa}"
	".b-new-failure{background:#cf222e;border-color:#cf222e;color:#fff}"
	".b-still-failing{background:#ffebe9;border-color:#ff8182;color:#a40e26}"
	".b-fixed{background:#1a7f37;border-color:#1a7f37;color:#fff}"
	".b-flaky{background:#fff8c5;border-color:#d4a72c;color:#7d4e00}"
	".b-new{background:#ddf4ff;border-color:#80ccff;color:#0550ae}"
	".b-reproduces{background:#fbefff;border-color:#d8b9ff;color:#6e40c9}"
	"table.n{border-collapse:collapse;font-size:12px}"
	".n th,.n td{padding:1px 7px;border:0;text-align:right;font-weight:400}"
	".n thead th{color:#59636e;font-size:11px}.n tbody "
	"th{color:#59636e;text-align:left;padding-left:0}"
	".n td{font-variant-numeric:tabular-nums}.n .hi{color:#cf222e;font-weight:700}"
	".dup{white-space:nowrap}.none{color:#8c959f}"
	"img.thumb{display:block;width:224px;height:140px;object-fit:contain;background:#fff;"
	"border:1px solid #d0d7de;border-radius:4px}"
	".noplot{width:224px;padding:52px 0;text-align:center;color:#8c959f;font-size:12px;"
	"border:1px dashed #d0d7de;border-radius:4px}"
	".cap{margin-top:4px;color:#59636e;font-size:11px}"
	"ul.runs{list-style:none;margin:0;padding:0}ul.runs li{padding:0 0 6px}"
	".dot{display:inline-block;width:9px;height:9px;margin-right:6px;border-radius:50%;"
	"background:#1a7f37}"
	".r-not-expected .dot{background:#cf222e}.r-lab-error .dot{background:#8250df}"
	".seed{font-weight:600}.res{margin-left:6px;color:#424a53}.r-not-expected "
	".res{color:#cf222e;font-weight:600}"
	".r-lab-error .res{color:#8250df;font-weight:600}"
	".wall{margin-left:6px;color:#8c959f;font-size:12px}"
	".files{margin-left:15px;font-size:12px;white-space:nowrap}.files a,.files "
	"span{margin-right:9px}"
	".files .gone{color:#afb8c1}"
	".why{max-width:300px;margin-left:15px;font-size:12px;color:#a40e26}"
	".r-lab-error .why{color:#8250df}"
	"footer{padding:10px 32px 28px;color:#59636e;font-size:12px}";

/* A badge whose class comes from a fixed set: the value itself is text. */
void report_html_badge(struct strbuf *sb, const char *cls, const char *label, const char *title)
{
	sb_addf(sb, "<span class=\"badge b-%s\"", cls);
	if (title)
		report_add_attr(sb, "title", title);
	sb_addf(sb, ">");
	report_esc_text(sb, label);
	sb_addf(sb, "</span>");
}

static void html_head(struct strbuf *sb, const json_t *sum, long met, size_t n)
{
	sb_addf(sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, "
		    "initial-scale=1\">\n<title>");
	sb_addf(sb, "ikelab nightly %ld/%zu: ", met, n);
	report_esc_text(sb, jget_str(sum, "started") ?: "(no start time)");
	sb_addf(sb, "</title>\n<style>%s%s</style>\n</head>\n<body>\n", report_html_css,
		report_html_versions_css);
}

struct verdict_counts {
	long met, failing, flaky, new_failures, fixed;
};

static struct verdict_counts verdict_counts(const json_t *scs)
{
	struct verdict_counts v = { 0 };
	size_t i;
	json_t *sc;

	json_array_foreach (scs, i, sc) {
		const char *st = report_status_of(sc), *ch = jget_str(sc, "change") ?: "";

		v.met += !strcmp(st, "pass");
		v.flaky += !strcmp(st, "flaky");
		v.failing += strcmp(st, "pass") && strcmp(st, "flaky");
		v.new_failures += !strcmp(ch, "new-failure");
		v.fixed += !strcmp(ch, "fixed");
	}
	return v;
}

static void html_verdict(struct strbuf *sb, const json_t *sum, const json_t *scs)
{
	struct verdict_counts v = verdict_counts(scs);
	size_t n = json_array_size(scs), m = json_array_size(json_object_get(sum, "matrix"));
	size_t nv = json_array_size(json_object_get(sum, "versions"));

	sb_addf(sb, "<p class=\"verdict %s\">", v.met == (long)n && n > 0 ? "good" : "bad");
	if (report_several_versions(sum) && m > 0)
		sb_addf(sb,
			"%ld of %zu (%zu scenario%s &times; %zu versions) met their expectation",
			v.met, n, m, m == 1 ? "" : "s", nv);
	else
		sb_addf(sb, "%ld of %zu scenario%s met %s expectation", v.met, n, n == 1 ? "" : "s",
			n == 1 ? "its" : "their");
	sb_addf(sb, "<span class=\"more\">%ld failing &middot; %ld flaky", v.failing, v.flaky);
	if (v.new_failures)
		sb_addf(sb, " &middot; %ld new failure%s", v.new_failures,
			v.new_failures == 1 ? "" : "s");
	if (v.fixed)
		sb_addf(sb, " &middot; %ld fixed", v.fixed);
	report_html_verdict_versions(sb, sum);
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
	index = slash ? xasprintf("%.*s/index.html", (int)(slash - baseline), baseline)
		      : xstrdup("index.html");
	if (path_exists(index)) {
		sb_addf(sb, " <small>(<a");
		report_add_href(sb, index);
		sb_addf(sb, ">its report</a>)</small>");
	}
	free(index);
	meta_close(sb);
}

/* "6.0.3, commit 40-hex"; a commit shortened when short is set. */
void report_html_charon_version(struct strbuf *sb, const json_t *charon, bool short_commit)
{
	const char *commit = jget_str(charon, "commit");

	report_esc_text(sb, jget_str(charon, "version") ?: "unknown version");
	if (!commit)
		return;
	sb_addf(sb, ", <span");
	report_add_attr(sb, "title", commit);
	sb_addf(sb, ">commit ");
	if (short_commit) {
		char *c = xasprintf("%.12s", commit);

		report_esc_text(sb, c);
		free(c);
	} else {
		report_esc_text(sb, commit);
	}
	sb_addf(sb, "</span>");
}

static void html_meta_charon(struct strbuf *sb, const json_t *charon)
{
	meta_open(sb, "charon");
	report_html_charon_version(sb, charon, false);
	if (jget_str(charon, "path")) {
		sb_addf(sb, " <small>");
		report_esc_text(sb, jget_str(charon, "path"));
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

	json_array_foreach (scs, i, sc)
		report_tally_add(&all, sc);
	meta_open(sb, "Runs");
	sb_addf(sb, "%ld run%s of ", all.runs, all.runs == 1 ? "" : "s");
	if (report_several_versions(sum) && json_array_size(json_object_get(sum, "matrix")))
		sb_addf(sb, "%zu scenarios &times; %zu versions",
			json_array_size(json_object_get(sum, "matrix")),
			json_array_size(json_object_get(sum, "versions")));
	else
		sb_addf(sb, "%zu scenario%s", json_array_size(scs),
			json_array_size(scs) == 1 ? "" : "s");
	sb_addf(sb, " <small>(%ld as expected, %ld not, %ld lab error%s)</small>", all.as_expected,
		all.failures, all.errors, all.errors == 1 ? "" : "s");
	meta_close(sb);
	meta_open(sb, "Seeds &middot; jobs");
	sb_addf(sb, "%lld seed%s per scenario &middot; %lld in parallel",
		(long long)json_integer_value(json_object_get(sum, "seeds")),
		json_integer_value(json_object_get(sum, "seeds")) == 1 ? "" : "s",
		(long long)json_integer_value(json_object_get(sum, "jobs")));
	meta_close(sb);
	if (jget_num(totals, "wall_s", &wall)) {
		meta_open(sb, "Took");
		report_add_duration(sb, wall);
		meta_close(sb);
	}
}

static void html_meta_text(struct strbuf *sb, const char *term, const char *value)
{
	meta_open(sb, term);
	report_esc_text(sb, value ?: "unknown");
	meta_close(sb);
}

static void html_meta_when(struct strbuf *sb, const char *term, const char *iso)
{
	meta_open(sb, term);
	report_add_when(sb, iso);
	meta_close(sb);
}

static void html_header(struct strbuf *sb, const json_t *sum, const json_t *scs)
{
	const json_t *versions = json_object_get(sum, "versions");

	sb_addf(sb, "<header>\n<h1>ikelab nightly <span class=\"when\">");
	report_add_when(sb, jget_str(sum, "started"));
	sb_addf(sb, "</span></h1>\n");
	html_verdict(sb, sum, scs);
	sb_addf(sb, "<dl class=\"meta\">\n");
	html_meta_when(sb, "Started", jget_str(sum, "started"));
	html_meta_when(sb, "Finished", jget_str(sum, "finished"));
	html_meta_text(sb, "Host", jget_str(sum, "hostname"));
	if (!json_array_size(versions))
		html_meta_charon(sb, json_object_get(sum, "charon"));
	html_meta_runs(sb, sum, scs);
	html_meta_baseline(sb, jget_str(sum, "baseline"));
	if (json_array_size(versions))
		report_html_meta_versions(sb, versions);
	sb_addf(sb, "</dl>\n");
	report_html_plugins(sb, sum);
	sb_addf(sb, "</header>\n");
}

void report_html_expect(struct strbuf *sb, const json_t *sum, const json_t *sc)
{
	bool repro = report_is_reproduction(sc);

	sb_addf(sb, "<div class=\"tags\">");
	report_html_badge(sb, repro ? "reproduces" : "clean", repro ? "reproduces" : "clean",
			  repro ? "a reproduction: the bug showing is a pass"
				: "every expectation must hold");
	report_html_version_tag(sb, sum, sc);
	sb_addf(sb, "</div>");
}

static void html_name_cell(struct strbuf *sb, const json_t *sum, const json_t *sc)
{
	const char *desc = jget_str(sc, "description"), *cites = jget_str(sc, "cites");

	sb_addf(sb, "<td><div class=\"name\"");
	if (jget_str(sc, "file"))
		report_add_attr(sb, "title", jget_str(sc, "file"));
	sb_addf(sb, ">");
	report_esc_text(sb, jget_str(sc, "name") ?: "(unnamed)");
	sb_addf(sb, "</div>");
	report_html_expect(sb, sum, sc);
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
			report_html_badge(sb, changes[i][0], changes[i][1], "against the baseline");
			sb_addf(sb, "</div>");
			return;
		}
	}
	report_html_badge(sb, "other", change, "against the baseline");
	sb_addf(sb, "</div>");
}

static void html_rate_cell(struct strbuf *sb, const json_t *sc, const char *status)
{
	struct tally t = report_tally_of(sc);
	long long reruns = json_integer_value(json_object_get(sc, "reruns"));
	const char *cls = !strcmp(status, "pass") || !strcmp(status, "flaky") ? status : "fail";

	sb_addf(sb,
		"<td><div class=\"rate %s\" title=\"runs as expected\">%ld/%ld</div>"
		"<div class=\"sub\">%s",
		cls, t.as_expected, t.runs, cls);
	if (t.runs > 0)
		sb_addf(sb, " &middot; %.0f%%", 100.0 * (double)t.as_expected / (double)t.runs);
	sb_addf(sb, "</div>");
	if (reruns > 0)
		sb_addf(sb, "<div class=\"sub\">%lld rerun%s</div>", reruns,
			reruns == 1 ? "" : "s");
	if (jget_str(sc, "change"))
		html_change(sb, jget_str(sc, "change"));
	sb_addf(sb, "</td>\n");
}

static void html_count(struct strbuf *sb, const json_t *row, const char *key, const json_t *median)
{
	double v, m;

	if (!jget_num(row, key, &v)) {
		sb_addf(sb, "<td class=\"none\">&ndash;</td>");
		return;
	}
	/* A worst run well beyond the median is what to look at first. */
	sb_addf(sb, "<td%s>%g</td>",
		row != median && jget_num(median, key, &m) && v > m ? " class=\"hi\"" : "", v);
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
	if (!jget_num(d, "median", &med)) {
		sb_addf(sb, "<span class=\"none\">no duplicate</span></td>\n");
		return;
	}
	sb_addf(sb, "%.2f s", med);
	if (jget_num(d, "min", &lo) && jget_num(d, "max", &hi))
		sb_addf(sb, "<div class=\"sub\">%.2f &ndash; %.2f s</div>", lo, hi);
	sb_addf(sb, "</td>\n");
}

static void html_plot_cell(struct strbuf *sb, const json_t *sc, const char *out_dir)
{
	const char *plot = jget_str(sc, "plot");
	json_t *worst = json_object_get(sc, "worst_seed");

	sb_addf(sb, "<td>");
	if (plot && report_run_file_exists(out_dir, plot)) {
		sb_addf(sb, "<a");
		report_add_href(sb, plot);
		sb_addf(sb, "><img class=\"thumb\" alt=\"timeline of the worst seed\"");
		sb_addf(sb, " src=\"");
		report_add_url(sb, plot);
		sb_addf(sb, "\"></a>");
	} else {
		sb_addf(sb, "<div class=\"noplot\">%s</div>",
			plot ? "plot file missing" : "no plot");
	}
	if (json_is_integer(worst))
		sb_addf(sb, "<div class=\"cap\">worst run: seed %lld</div>",
			(long long)json_integer_value(worst));
	sb_addf(sb, "</td>\n");
}

static const char *outcome_class(enum outcome o)
{
	return o == AS_EXPECTED    ? "r-as-expected"
	       : o == NOT_EXPECTED ? "r-not-expected"
				   : "r-lab-error";
}

/* Links to the run's files; a file the run did not write is shown greyed. */
static void html_run_files(struct strbuf *sb, const char *dir, const char *out_dir)
{
	sb_addf(sb, "<div class=\"files\">");
	for (size_t i = 0; i < ARRAY_LEN(run_files); i++) {
		char *rel = xasprintf("%s/%s", dir, run_files[i][0]);

		if (report_run_file_exists(out_dir, rel)) {
			sb_addf(sb, "<a");
			report_add_href(sb, rel);
			sb_addf(sb, ">%s</a>", run_files[i][1]);
		} else {
			sb_addf(sb, "<span class=\"gone\" title=\"not written\">%s</span>",
				run_files[i][1]);
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
	const char *dir = jget_str(run, "dir");
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
	report_esc_text(sb, jget_str(run, "result") ?: "no result");
	sb_addf(sb, "</span>");
	if (jget_num(run, "wall_s", &wall)) {
		sb_addf(sb, "<span class=\"wall\">");
		report_add_duration(sb, wall);
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
	json_array_foreach (json_object_get(sc, "seeds"), i, run)
		html_run(sb, run, out_dir);
	sb_addf(sb, "</ul>");
	if (!json_array_size(json_object_get(sc, "seeds")))
		sb_addf(sb, "<span class=\"none\">no runs</span>");
	sb_addf(sb, "</td>\n");
}

static void html_row(struct strbuf *sb, const json_t *sum, const json_t *sc, const char *out_dir)
{
	const char *status = report_status_of(sc);
	const char *cls = !strcmp(status, "pass") || !strcmp(status, "flaky") ? status : "fail";

	sb_addf(sb, "<tr class=\"%s\">\n", cls);
	html_name_cell(sb, sum, sc);
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

static void html_table(struct strbuf *sb, const json_t *sum, const json_t *scs, const char *out_dir)
{
	size_t n = json_array_size(scs);

	sb_addf(sb, "<main>\n");
	if (json_array_size(json_object_get(sum, "matrix"))) {
		report_html_versions(sb, sum, out_dir);
		sb_addf(sb, "<h2>Every scenario on every version</h2>\n<p class=\"sub\">failing "
			    "first; the tag under a name says which version it ran on</p>\n");
	}
	sb_addf(sb,
		"<table class=\"sc\">\n<thead><tr><th>Scenario</th>"
		"<th>As expected</th><th>SAs and loss</th>"
		"<th>First duplicate</th><th>Worst run</th><th>Runs</th></tr></thead>\n<tbody>\n");
	for (int rank = 0; rank <= 2; rank++)
		for (size_t i = 0; i < n; i++)
			if (status_rank(json_array_get(scs, i)) == rank)
				html_row(sb, sum, json_array_get(scs, i), out_dir);
	sb_addf(sb, "</tbody>\n</table>\n</main>\n");
}

static void html_footer(struct strbuf *sb, const char *out_dir)
{
	sb_addf(sb, "<footer>");
	if (report_run_file_exists(out_dir, "summary.json"))
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
	html_table(&sb, summary, scs, out_dir);
	html_footer(&sb, out_dir);
	r = report_write(path, &sb);
	if (r < 0)
		err_wrap("html report");
	free(path);
	return r;
}

/*
 * report_html_parts.c - the cells of index.html that link to or read a
 * run's files (the first trial's timeline, the shrunk scenario), the
 * later versions' cell and the list of every trial (see report.h,
 * report-internal.h). A file is linked only when exrep_file_ok says it
 * is a regular file below the output directory; a missing one is shown
 * greyed, as the nightly's page does.
 */
#include "explore/report.h"
#include "explore/report-internal.h"
#include "judge/report-internal.h"
#include "base/json.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

const char exrep_css[] =
	"h2{margin:0 0 2px;font-size:17px;font-weight:600}main>p.sub{margin:0 0 12px}"
	".sc>tbody>tr.known>td:first-child{border-left-color:#8c959f}"
	".b-known{background:#eaeef2;border-color:#afb8c1;color:#424a53}"
	".b-lab-error{background:#fbefff;border-color:#d8b9ff;color:#8250df}"
	".b-budget{background:#fff8c5;border-color:#d4a72c;color:#7d4e00}"
	".gid{font:600 15px/1.3 'DejaVu Sans Mono',monospace;overflow-wrap:anywhere}"
	".inv{font-weight:600;margin-left:4px;overflow-wrap:anywhere}"
	".sc td{overflow-wrap:anywhere}.sc>tbody>tr>td:first-child{min-width:190px}"
	".detail{max-width:300px;color:#a40e26;font-size:12px}"
	"tr.known .detail{color:#424a53}"
	"ul.markers{max-width:300px;margin:6px 0 0;padding-left:15px;color:#424a53;"
	"font:11px/1.4 'DejaVu Sans Mono',monospace}"
	"details.seeds{margin-top:4px;max-width:160px;font-size:11px;color:#59636e}"
	"summary{cursor:pointer;color:#0550ae}"
	"pre.yaml{max-width:360px;max-height:240px;overflow:auto;margin:6px 0 0;padding:6px 8px;"
	"background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px;"
	"font:11px/1.4 'DejaVu Sans Mono',monospace;white-space:pre}"
	".files{margin:4px 0 0;white-space:normal}"
	".empty{padding:14px;background:#fff;border:1px solid #d0d7de;border-radius:8px}"
	"details.trials{margin:22px 0 0}details.trials>summary{font-size:15px;font-weight:600;"
	"margin-bottom:10px}"
	".tl td{padding:4px 12px}.tl .gone{color:#afb8c1}"
	".sc>tbody>tr.lab>td:first-child{border-left-color:#8250df}"
	".tl .r-fail{color:#cf222e;font-weight:600}"
	".tl .r-lab-error{color:#8250df;font-weight:600}.tl .r-clean{color:#1a7f37}";

/* A link to dir/name named label, or the label greyed when the run did
 * not write it (or it is no regular file below out_dir). */
static void add_file_link(struct strbuf *sb, const char *dir, const char *name, const char *label,
			  const char *out_dir)
{
	char *rel = exrep_join(dir, name);

	if (rel && exrep_file_ok(out_dir, rel)) {
		sb_addf(sb, "<a");
		report_add_href(sb, rel);
		sb_addf(sb, ">%s</a>", label);
	} else {
		sb_addf(sb, "<span class=\"gone\" title=\"not there\">%s</span>", label);
	}
	free(rel);
}

static void add_run_files(struct strbuf *sb, const char *dir, const char *out_dir)
{
	sb_addf(sb, "<div class=\"files\">");
	add_file_link(sb, dir, "timeline.svg", "svg", out_dir);
	add_file_link(sb, dir, "report.txt", "report", out_dir);
	add_file_link(sb, dir, "scenario.yaml", "scenario", out_dir);
	sb_addf(sb, "</div>");
}

void exrep_html_timeline(struct strbuf *sb, const json_t *g, const char *out_dir)
{
	const char *run = jget_str(g, "run");
	char *png = exrep_join(run, "timeline.png"), *svg = exrep_join(run, "timeline.svg");

	sb_addf(sb, "<td>");
	if (png && exrep_file_ok(out_dir, png)) {
		sb_addf(sb, "<a");
		report_add_href(sb, exrep_file_ok(out_dir, svg) ? svg : png);
		sb_addf(sb, "><img class=\"thumb\" alt=\"timeline of the first trial\" src=\"");
		report_add_url(sb, png);
		sb_addf(sb, "\"></a>");
	} else {
		sb_addf(sb, "<div class=\"noplot\">%s</div>",
			!run   ? "no run recorded"
			: !png ? "run not below the output directory"
			       : "no timeline");
	}
	if (png)
		add_run_files(sb, run, out_dir);
	sb_addf(sb, "</td>\n");
	free(png);
	free(svg);
}

/* The shrink status as a badge from a fixed set of classes. */
static void shrink_badge(struct strbuf *sb, const char *status)
{
	static const char *const known[][2] = {
		{ "reproduces", "reproduces" }, { "lab-error", "lab-error" },
		{ "budget", "budget" },         { "not-shrinkable", "other" },
		{ "skipped", "other" },
	};

	for (size_t i = 0; i < ARRAY_LEN(known); i++)
		if (!strcmp(status, known[i][0])) {
			report_html_badge(sb, known[i][1], status, "how shrinking went");
			return;
		}
	report_html_badge(sb, "other", status, "how shrinking went");
}

static void shrink_status(struct strbuf *sb, const json_t *shrink)
{
	long long before, after;
	double wall;

	if (!json_is_object(shrink)) {
		sb_addf(sb, "<div class=\"none\">not shrunk</div>");
		return;
	}
	sb_addf(sb, "<div class=\"tags\">");
	shrink_badge(sb, jget_str(shrink, "status") ?: "unknown");
	sb_addf(sb, "</div><div class=\"sub\">");
	if (exrep_int(shrink, "entries_before", &before) &&
	    exrep_int(shrink, "entries_after", &after))
		sb_addf(sb, "%lld &rarr; %lld schedule entries", before, after);
	if (jget_num(shrink, "wall_s", &wall)) {
		sb_addf(sb, " in ");
		report_add_duration(sb, wall);
	}
	sb_addf(sb, "</div>");
}

void exrep_html_shrunk(struct strbuf *sb, const json_t *g, const char *out_dir)
{
	const char *rel = jget_str(g, "shrunk"), *why = NULL;
	char *text = rel ? exrep_read(out_dir, rel, EXPLORE_SHRUNK_MAX, &why) : NULL;

	sb_addf(sb, "<td>");
	shrink_status(sb, json_object_get(g, "shrink"));
	if (rel) {
		sb_addf(sb, "<div class=\"files\">");
		if (exrep_file_ok(out_dir, rel)) {
			sb_addf(sb, "<a");
			report_add_href(sb, rel);
			sb_addf(sb, ">");
			report_esc_text(sb, rel);
			sb_addf(sb, "</a>");
		} else {
			sb_addf(sb, "<span class=\"gone\">");
			report_esc_text(sb, rel);
			sb_addf(sb, "</span>");
		}
		if (why)
			sb_addf(sb, " <small>(%s)</small>", why);
		sb_addf(sb, "</div>");
	}
	if (text) {
		sb_addf(sb, "<pre class=\"yaml\">");
		report_esc_text(sb, text);
		sb_addf(sb, "</pre>");
	}
	sb_addf(sb, "</td>\n");
	free(text);
}

static void version_runs(struct strbuf *sb, const json_t *runs)
{
	size_t i;
	json_t *r;

	sb_addf(sb, "<table class=\"n\"><thead><tr><th></th><th title=\"runs of the shrunk "
		    "scenario that showed the group\">showed</th></tr></thead><tbody>");
	json_array_foreach (runs, i, r) {
		long long rep = exrep_count(r, "reproduced"), of = exrep_count(r, "of");

		sb_addf(sb, "<tr><th>");
		report_esc_text(sb, jget_str(r, "version") ?: "?");
		sb_addf(sb, "</th><td%s>%lld of %lld</td></tr>", rep > 0 ? " class=\"hi\"" : "",
			rep, of);
	}
	sb_addf(sb, "</tbody></table>");
}

void exrep_html_versions(struct strbuf *sb, const json_t *g)
{
	const char *fixed = jget_str(g, "fixed_in");
	const json_t *runs = json_object_get(g, "version_runs");

	sb_addf(sb, "<td><div class=\"tags\">");
	if (fixed) {
		char *label = xasprintf("fixed in %s", fixed);

		report_html_badge(sb, "fixed", label, "the first later version it did not show on");
		free(label);
	} else if (json_array_size(runs)) {
		report_html_badge(sb, "still-failing", "on every version",
				  "no later version fixed it");
	} else {
		sb_addf(sb, "<span class=\"none\">not checked</span>");
	}
	sb_addf(sb, "</div>");
	if (json_array_size(runs))
		version_runs(sb, runs);
	sb_addf(sb, "</td>\n");
}

/* The trials */

static void trial_groups(struct strbuf *sb, const json_t *groups)
{
	size_t i;
	json_t *g;

	json_array_foreach (groups, i, g) {
		const char *id = json_string_value(g);

		if (!id)
			continue;
		if (exrep_id_ok(id)) {
			sb_addf(sb, "<a href=\"#g-%s\">%s</a> ", id, id);
		} else {
			report_esc_text(sb, id);
			sb_addf(sb, " ");
		}
	}
}

static void trial_row(struct strbuf *sb, const json_t *t, const char *out_dir)
{
	const char *res = jget_str(t, "result") ?: "no result", *run = jget_str(t, "run");
	bool fail = !strcmp(res, "fail"), lab = !strcmp(res, "lab-error");
	long long seed;

	sb_addf(sb, "<tr class=\"%s\"><td>", fail ? "fail" : lab ? "lab" : "pass");
	if (exrep_int(t, "seed", &seed))
		sb_addf(sb, "%lld", seed);
	sb_addf(sb, "</td><td class=\"%s\">",
		fail                                            ? "r-fail"
		: lab                                           ? "r-lab-error"
		: !strcmp(res, "pass") || !strcmp(res, "clean") ? "r-clean"
								: "");
	report_esc_text(sb, res);
	sb_addf(sb, "</td><td>");
	trial_groups(sb, json_object_get(t, "groups"));
	sb_addf(sb, "</td><td>");
	report_add_duration(sb, jget_num_or(t, "wall_s", 0));
	sb_addf(sb, "</td><td>");
	if (exrep_rel_ok(run)) {
		add_file_link(sb, run, "timeline.png", "timeline", out_dir);
		sb_addf(sb, " ");
		add_file_link(sb, run, "report.txt", "report", out_dir);
		sb_addf(sb, " ");
		add_file_link(sb, run, "scenario.yaml", "scenario", out_dir);
	}
	sb_addf(sb, "</td></tr>\n");
}

void exrep_html_trials(struct strbuf *sb, const json_t *f, const char *out_dir)
{
	const json_t *list = json_object_get(f, "trials_list");
	size_t i;
	json_t *t;

	sb_addf(sb, "<details class=\"trials\"><summary>All %zu trials</summary>\n",
		json_array_size(list));
	sb_addf(sb, "<table class=\"sc tl\">\n<thead><tr><th>Seed</th><th>Result</th>"
		    "<th>Groups</th><th>Took</th><th>Files</th></tr></thead>\n<tbody>\n");
	json_array_foreach (list, i, t)
		if (json_is_object(t))
			trial_row(sb, t, out_dir);
	sb_addf(sb, "</tbody>\n</table>\n</details>\n");
}

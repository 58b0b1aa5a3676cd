/*
 * report_html.c - index.html of an explore run: what ran, then a row per
 * group of failures (see report.h, report-internal.h). The cells that
 * read files, and the trial list, are in report_html_parts.c.
 */
#include "explore/report.h"
#include "explore/report-internal.h"
#include "judge/report-internal.h"
#include "base/err.h"
#include "base/json.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

/* The head */

static void html_head(struct strbuf *sb, const json_t *f, size_t fresh)
{
	sb_addf(sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, "
		    "initial-scale=1\">\n<title>");
	sb_addf(sb, "ikelab explore: %zu new group%s, ", fresh, fresh == 1 ? "" : "s");
	report_esc_text(sb, jget_str(f, "started") ?: "(no start time)");
	sb_addf(sb, "</title>\n<style>%s%s</style>\n</head>\n<body>\n", report_html_css, exrep_css);
}

static void html_verdict(struct strbuf *sb, const json_t *f, size_t fresh, size_t known)
{
	const json_t *t = json_object_get(f, "trials");
	long long run = exrep_trials_run(f);

	sb_addf(sb, "<p class=\"verdict %s\">", fresh ? "bad" : "good");
	if (fresh)
		sb_addf(sb, "%zu new group%s of failures", fresh, fresh == 1 ? "" : "s");
	else
		sb_addf(sb, "no new failures");
	sb_addf(sb, " in %lld trial%s<span class=\"more\">%zu known race%s &middot; ", run,
		run == 1 ? "" : "s", known, known == 1 ? "" : "s");
	sb_addf(sb, "%lld failed &middot; %lld lab error%s</span></p>\n", exrep_count(t, "failed"),
		exrep_count(t, "lab_errors"), exrep_count(t, "lab_errors") == 1 ? "" : "s");
}

static void meta_open(struct strbuf *sb, const char *term)
{
	sb_addf(sb, "<div><dt>%s</dt><dd>", term);
}

static void meta_close(struct strbuf *sb)
{
	sb_addf(sb, "</dd></div>\n");
}

static void meta_when(struct strbuf *sb, const char *term, const char *iso)
{
	meta_open(sb, term);
	report_add_when(sb, iso);
	meta_close(sb);
}

/* What follows the last '/' of a path (the path when nothing does). */
static const char *base_of(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash && slash[1] ? slash + 1 : path;
}

/* Each string of arr as a chip; basenames only when base is set. */
static void add_chips(struct strbuf *sb, const json_t *arr, bool base)
{
	size_t i;
	json_t *s;

	json_array_foreach (arr, i, s) {
		const char *t = json_string_value(s);

		if (!t)
			continue;
		sb_addf(sb, "<span class=\"chip\"");
		report_add_attr(sb, "title", t);
		sb_addf(sb, ">");
		report_esc_text(sb, base ? base_of(t) : t);
		sb_addf(sb, "</span>");
	}
	if (!json_array_size(arr))
		sb_addf(sb, "<span class=\"none\">none</span>");
}

static void meta_charon(struct strbuf *sb, const json_t *f)
{
	const json_t *charon = json_object_get(f, "charon"), *versions;
	size_t i;
	json_t *v;

	meta_open(sb, "charon explored");
	report_esc_text(sb, jget_str(charon, "version") ?: "unknown version");
	if (jget_str(charon, "label") &&
	    strcmp(jget_str(charon, "label"), jget_str(charon, "version") ?: "")) {
		sb_addf(sb, " <small>(");
		report_esc_text(sb, jget_str(charon, "label"));
		sb_addf(sb, ")</small>");
	}
	meta_close(sb);
	versions = json_object_get(f, "versions");
	if (json_array_size(versions) < 2)
		return;
	meta_open(sb, "Later versions checked");
	json_array_foreach (versions, i, v)
		if (i > 0 && json_is_string(v)) {
			sb_addf(sb, "<span class=\"chip\">");
			report_esc_text(sb, json_string_value(v));
			sb_addf(sb, "</span>");
		}
	sb_addf(sb, "<div class=\"sub\">each shrunk scenario, on each</div>");
	meta_close(sb);
}

static void meta_trials(struct strbuf *sb, const json_t *f)
{
	const json_t *t = json_object_get(f, "trials");
	long long seed;
	double v;

	meta_open(sb, "Trials");
	sb_addf(sb, "%lld trials <small>(%lld clean, %lld failed, %lld lab error%s)</small>",
		exrep_trials_run(f), exrep_count(t, "clean"), exrep_count(t, "failed"),
		exrep_count(t, "lab_errors"), exrep_count(t, "lab_errors") == 1 ? "" : "s");
	meta_close(sb);
	meta_open(sb, "Pace &middot; took");
	if (jget_num(t, "per_hour", &v) && v >= 0 && v < 1e9)
		sb_addf(sb, "%.1f trials per hour &middot; ", v);
	report_add_duration(sb, jget_num_or(f, "wall_s", 0));
	meta_close(sb);
	meta_open(sb, "Seeds");
	if (exrep_int(f, "seed", &seed))
		sb_addf(sb, "from %lld", seed);
	else
		sb_addf(sb, "unknown");
	if (jget_str(f, "shard")) {
		sb_addf(sb, " <small>(shard ");
		report_esc_text(sb, jget_str(f, "shard"));
		sb_addf(sb, ")</small>");
	}
	meta_close(sb);
}

static void meta_generator(struct strbuf *sb, const json_t *f)
{
	const json_t *gen = json_object_get(f, "generator");

	meta_open(sb, "Profiles");
	add_chips(sb, json_object_get(gen, "profiles"), true);
	meta_close(sb);
	meta_open(sb, "Topology &middot; generator");
	report_esc_text(sb, base_of(jget_str(gen, "topology")) ?: "unknown");
	sb_addf(sb, " &middot; version %lld", exrep_int_or(gen, "version", 0));
	meta_close(sb);
	meta_open(sb, "Invariants");
	add_chips(sb, json_object_get(gen, "invariants"), false);
	meta_close(sb);
	meta_open(sb, "Known races");
	report_esc_text(sb, jget_str(f, "known_file") ?: "no list");
	meta_close(sb);
}

static void html_header(struct strbuf *sb, const json_t *f, size_t fresh, size_t known)
{
	sb_addf(sb, "<header>\n<h1>ikelab explore <span class=\"when\">");
	report_add_when(sb, jget_str(f, "started"));
	sb_addf(sb, "</span></h1>\n");
	html_verdict(sb, f, fresh, known);
	sb_addf(sb, "<dl class=\"meta\">\n");
	meta_when(sb, "Started", jget_str(f, "started"));
	meta_when(sb, "Ended", jget_str(f, "ended"));
	meta_charon(sb, f);
	meta_trials(sb, f);
	meta_generator(sb, f);
	sb_addf(sb, "</dl>\n</header>\n");
}

/* A row per group */

static void group_cell(struct strbuf *sb, const json_t *g)
{
	const char *id = jget_str(g, "id"), *exp = jget_str(g, "expectation");
	bool known = exrep_known(g);

	sb_addf(sb, "<td><div class=\"gid\"");
	if (jget_str(g, "signature"))
		report_add_attr(sb, "title", jget_str(g, "signature"));
	sb_addf(sb, ">");
	report_esc_text(sb, id ?: "(no id)");
	sb_addf(sb, "</div><div class=\"tags\">");
	report_html_badge(sb, known ? "known" : "new-failure", known ? "known" : "NEW",
			  known ? "in the known-race list" : "not in the known-race list");
	sb_addf(sb, " <span class=\"inv\">");
	report_esc_text(sb, jget_str(g, "invariant") ?: "unknown invariant");
	sb_addf(sb, "</span></div><div class=\"sub\">in <b>");
	report_esc_text(sb, jget_str(g, "phase") ?: "an unknown phase");
	sb_addf(sb, "</b>%s", exp ? " &middot; " : "");
	report_esc_text(sb, exp);
	sb_addf(sb, "</div>");
	if (json_array_size(json_object_get(g, "exchanges"))) {
		sb_addf(sb, "<div class=\"tags\">");
		add_chips(sb, json_object_get(g, "exchanges"), false);
		sb_addf(sb, "</div>");
	}
	sb_addf(sb, "</td>\n");
}

static void seen_cell(struct strbuf *sb, const json_t *f, const json_t *g)
{
	const json_t *seeds = json_object_get(g, "seeds");
	long long seed;
	double after;
	size_t i;
	json_t *s;

	sb_addf(sb, "<td><div class=\"rate %s\">%lld</div><div class=\"sub\">",
		exrep_known(g) ? "flaky" : "fail", exrep_count(g, "count"));
	exrep_add_share(sb, f, g);
	sb_addf(sb, "</div><div class=\"sub\">first: ");
	if (exrep_int(g, "first_seed", &seed))
		sb_addf(sb, "seed <b>%lld</b>", seed);
	else
		sb_addf(sb, "unknown seed");
	if (jget_num(g, "first_after_s", &after)) {
		sb_addf(sb, ", after ");
		report_add_duration(sb, after);
	}
	sb_addf(sb, "</div>");
	if (json_array_size(seeds)) {
		sb_addf(sb, "<details class=\"seeds\"><summary>seeds</summary>");
		json_array_foreach (seeds, i, s)
			if (json_is_integer(s))
				sb_addf(sb, "%s%lld", i ? " " : "",
					(long long)json_integer_value(s));
		sb_addf(sb, "</details>");
	}
	sb_addf(sb, "</td>\n");
}

static void what_cell(struct strbuf *sb, const json_t *g)
{
	const json_t *markers = json_object_get(g, "markers");
	size_t i;
	json_t *m;

	sb_addf(sb, "<td><div class=\"detail\">");
	report_esc_text(sb, jget_str(g, "detail") ?: "(no detail)");
	sb_addf(sb, "</div>");
	if (json_array_size(markers)) {
		sb_addf(sb, "<ul class=\"markers\" title=\"charon log lines, normalized\">");
		json_array_foreach (markers, i, m)
			if (json_is_string(m)) {
				sb_addf(sb, "<li>");
				report_esc_text(sb, json_string_value(m));
				sb_addf(sb, "</li>");
			}
		sb_addf(sb, "</ul>");
	}
	sb_addf(sb, "</td>\n");
}

static void html_row(struct strbuf *sb, const json_t *f, const json_t *g, const char *out_dir)
{
	const char *id = jget_str(g, "id");

	sb_addf(sb, "<tr class=\"%s\"", exrep_known(g) ? "known" : "fail");
	if (exrep_id_ok(id))
		sb_addf(sb, " id=\"g-%s\"", id);
	sb_addf(sb, ">\n");
	group_cell(sb, g);
	seen_cell(sb, f, g);
	what_cell(sb, g);
	exrep_html_timeline(sb, g, out_dir);
	exrep_html_shrunk(sb, g, out_dir);
	exrep_html_versions(sb, g);
	sb_addf(sb, "</tr>\n");
}

static void html_groups(struct strbuf *sb, const json_t *f, const json_t **gs, size_t n,
			const char *out_dir)
{
	sb_addf(sb, "<main>\n<h2>Groups of failures</h2>\n<p class=\"sub\">new first, then the "
		    "known races; each by how many trials showed it</p>\n");
	if (!n) {
		sb_addf(sb, "<p class=\"empty\">No trial failed an invariant.</p>\n");
	} else {
		sb_addf(sb, "<table class=\"sc\">\n<thead><tr><th>Group</th><th>Seen</th>"
			    "<th>What happened</th><th>First trial</th><th>Shrunk scenario</th>"
			    "<th>Later versions</th></tr></thead>\n<tbody>\n");
		for (size_t i = 0; i < n; i++)
			html_row(sb, f, gs[i], out_dir);
		sb_addf(sb, "</tbody>\n</table>\n");
	}
	exrep_html_trials(sb, f, out_dir);
	sb_addf(sb, "</main>\n");
}

static void html_footer(struct strbuf *sb, const char *out_dir)
{
	sb_addf(sb, "<footer>");
	if (exrep_file_ok(out_dir, "findings.json"))
		sb_addf(sb, "<a href=\"findings.json\">findings.json</a> &middot; ");
	sb_addf(sb, "<a href=\"junit.xml\">junit.xml</a> &middot; written by ikelab "
		    "explore</footer>\n</body>\n</html>\n");
}

int explore_report_html(const json_t *findings, const char *out_dir)
{
	char *path = xasprintf("%s/index.html", out_dir);
	struct strbuf sb = { 0 };
	size_t n, fresh = 0;
	const json_t **gs;
	int r;

	if (!json_is_object(findings)) {
		err_set("%s: findings are not a JSON object", path);
		free(path);
		return -1;
	}
	gs = exrep_groups(findings, &n);
	for (size_t i = 0; i < n; i++)
		fresh += !exrep_known(gs[i]);
	html_head(&sb, findings, fresh);
	html_header(&sb, findings, fresh, n - fresh);
	html_groups(&sb, findings, gs, n, out_dir);
	html_footer(&sb, out_dir);
	r = report_write(path, &sb);
	if (r < 0)
		err_wrap("explore html report");
	free(gs);
	free(path);
	return r;
}

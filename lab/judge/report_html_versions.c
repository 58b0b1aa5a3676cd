/*
 * report_html_versions.c - the parts of index.html that are about charon
 * versions (see report-internal.h): the header's line of versions and
 * their plugins, the tag that says which version a row ran on, and the
 * table of versions side by side with the change between each two. All
 * of it is written only for a summary of several versions, except the
 * plugins, which a nightly of one version shows as before.
 */
#include "judge/report-internal.h"
#include "base/util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char report_html_versions_css[] =
	"dl.meta>.wide{grid-column:1/-1}.vl{display:inline-block;margin:0 28px 2px 0}"
	".vl small{overflow-wrap:anywhere}"
	"h2{margin:0 0 4px;font-size:16px;font-weight:600}h2+.sub{margin:0 0 10px}"
	"section.vs{margin:0 0 26px}"
	"table.vm{border-collapse:separate;border-spacing:0;background:#fff;border:1px solid "
	"#d0d7de;border-radius:8px;overflow:hidden}"
	".vm th,.vm td{padding:10px 14px;text-align:left;vertical-align:top;border-bottom:1px "
	"solid #e4e8ec}"
	".vm>thead th{background:#f6f8fa;color:#59636e;font-size:12px;font-weight:600}"
	".vm>thead .v{display:block;color:#1f2328;font-size:15px}"
	".vm>thead small{display:block;max-width:260px;font-weight:400;overflow-wrap:anywhere}"
	".vm>tbody>tr:last-child>*{border-bottom:0}.vm>tbody th{font-weight:400}"
	".vm td.cell{min-width:190px;border-left:1px solid #e4e8ec;box-shadow:inset 4px 0 0 "
	"#1a7f37}"
	".vm td.fail{background:#fff6f5;box-shadow:inset 4px 0 0 #cf222e}"
	".vm td.flaky{background:#fffbf0;box-shadow:inset 4px 0 0 #d4a72c}"
	".vm td.lab{background:#fbf8ff;box-shadow:inset 4px 0 0 #8250df}"
	".vm td.missing{background:#fff;box-shadow:none}"
	".vm td.vchange{border-left:1px solid #e4e8ec;min-width:150px}.vchange .badge{margin:0 0 "
	"4px}"
	".st{font-size:15px;font-weight:700}.st.pass{color:#1a7f37}.st.fail{color:#cf222e}"
	".st.flaky{color:#9a6700}.st.lab{color:#8250df}.sub.lab{color:#8250df}"
	".b-same{background:#fff;border-color:#e4e8ec;color:#8c959f;font-weight:400}"
	".b-unknown{background:#fbf8ff;border-color:#c297ff;color:#8250df}"
	".ver{display:inline-block;margin:2px 0 0 4px;padding:0 7px;border-radius:4px;"
	"background:#eaeef2;color:#424a53;font:11px/18px 'DejaVu Sans Mono',monospace;"
	"overflow-wrap:anywhere;vertical-align:top}";

/* The header */

/* Every version of a nightly of several, on one line of the header: its
 * version and commit, and its label and path where they say more. */
void report_html_meta_versions(struct strbuf *sb, const json_t *versions)
{
	size_t i;
	json_t *v;

	sb_addf(sb, "<div class=\"wide\"><dt>charon versions</dt><dd>");
	json_array_foreach (versions, i, v) {
		const char *label = jget_str(v, "label"), *path = jget_str(v, "path");
		const char *ver = jget_str(v, "version");

		sb_addf(sb, "<span class=\"vl\">");
		report_html_charon_version(sb, v, true);
		if (label && (!ver || strcmp(label, ver)) && (!path || strcmp(label, path))) {
			sb_addf(sb, " <small>");
			report_esc_text(sb, label);
			sb_addf(sb, "</small>");
		}
		if (path) {
			sb_addf(sb, " <small>");
			report_esc_text(sb, path);
			sb_addf(sb, "</small>");
		}
		sb_addf(sb, "</span>");
	}
	sb_addf(sb, "</dd></div>\n");
}

/* The n bytes at s as a chip (a plugin's name). */
static void add_chip(struct strbuf *sb, const char *s, size_t n)
{
	char *c = xasprintf("%.*s", (int)n, s);

	sb_addf(sb, "<span class=\"chip\">");
	report_esc_text(sb, c);
	sb_addf(sb, "</span>");
	free(c);
}

/* A charon's plugins as chips: a list, or one string of names. */
static void add_plugin_chips(struct strbuf *sb, const json_t *plugins)
{
	const char *s = json_string_value(plugins);
	size_t i;
	json_t *p;

	json_array_foreach (plugins, i, p) {
		const char *name = json_string_value(p) ?: "?";

		add_chip(sb, name, strlen(name));
	}
	while (s && *s) {
		size_t n = strcspn(s, " ");

		if (n > 0)
			add_chip(sb, s, n);
		s += n + strspn(s + n, " ");
	}
}

/* Some plugins are named, in either form. */
static bool has_plugins(const json_t *plugins)
{
	return json_array_size(plugins) ||
	       (json_string_value(plugins) && *json_string_value(plugins));
}

/* "plugins random nonce ..."; "plugins on 6.0.3 ..." when on names one. */
static void html_plugins_of(struct strbuf *sb, const json_t *plugins, const char *on)
{
	if (!has_plugins(plugins))
		return;
	sb_addf(sb, "<p class=\"plugins\">plugins ");
	if (on) {
		sb_addf(sb, "on ");
		report_esc_text(sb, on);
		sb_addf(sb, " ");
	}
	add_plugin_chips(sb, plugins);
	sb_addf(sb, "</p>\n");
}

void report_html_plugins(struct strbuf *sb, const json_t *sum)
{
	const json_t *versions = json_object_get(sum, "versions");
	const json_t *first = json_object_get(json_array_get(versions, 0), "plugins");
	bool same = true;
	size_t i;
	json_t *v;

	json_array_foreach (versions, i, v) {
		const json_t *p = json_object_get(v, "plugins");

		same = same && ((!p && !first) || (p && first && json_equal(p, first)));
	}
	if (same || !report_several_versions(sum)) {
		html_plugins_of(sb, json_object_get(json_object_get(sum, "charon"), "plugins"),
				NULL);
		return;
	}
	json_array_foreach (versions, i, v) {
		char *name = report_version_name(sum, jget_str(v, "label"), NULL);

		html_plugins_of(sb, json_object_get(v, "plugins"), name);
		free(name);
	}
}

/* Which version a row ran on */

void report_html_version_tag(struct strbuf *sb, const json_t *sum, const json_t *sc)
{
	const char *label = jget_str(sc, "charon");
	char *name, *title;

	if (!label || !report_several_versions(sum))
		return;
	name = report_entry_version_name(sum, sc);
	title = xasprintf("ran on charon %s", label);
	sb_addf(sb, "<span class=\"ver\"");
	report_add_attr(sb, "title", title);
	sb_addf(sb, ">on ");
	report_esc_text(sb, name);
	sb_addf(sb, "</span>");
	free(title);
	free(name);
}

/* Ranking the changes between versions */

/* How a scenario's verdict changed between versions, worst first:
 * regressed, fixed, unknown, same. Reads a "change" or a "verdict". */
static int change_rank(const char *change)
{
	if (!change)
		return 2;
	if (!strncmp(change, "regressed", 9))
		return 0;
	if (!strncmp(change, "fixed", 5))
		return 1;
	return strcmp(change, "same") ? 2 : 3;
}

/* A matrix row's rank: its worst change, else its verdict. */
static int matrix_rank(const json_t *row)
{
	const json_t *changes = json_object_get(row, "changes");
	int r = 3;
	size_t i;
	json_t *c;

	if (!json_array_size(changes))
		return change_rank(jget_str(row, "verdict"));
	json_array_foreach (changes, i, c) {
		int k = change_rank(jget_str(c, "change"));

		r = k < r ? k : r;
	}
	return r;
}

void report_html_verdict_versions(struct strbuf *sb, const json_t *sum)
{
	static const char *const kinds[] = { "regressed", "fixed", "unknown" };
	long n[ARRAY_LEN(kinds)] = { 0 };
	const char *sep = " &middot; across versions: ";
	size_t i;
	json_t *row;

	json_array_foreach (json_object_get(sum, "matrix"), i, row) {
		int k = matrix_rank(row);

		if (k < (int)ARRAY_LEN(kinds))
			n[k]++;
	}
	for (size_t k = 0; k < ARRAY_LEN(kinds); k++) {
		if (!n[k])
			continue;
		sb_addf(sb, "%s%ld %s", sep, n[k], kinds[k]);
		sep = ", ";
	}
}

/* Versions side by side */

/* The columns: "versions", else the cells of the first row. */
static const json_t *matrix_columns(const json_t *sum)
{
	const json_t *versions = json_object_get(sum, "versions");

	if (json_array_size(versions))
		return versions;
	return json_object_get(json_array_get(json_object_get(sum, "matrix"), 0), "cells");
}

/* A column's label: a version's, or a cell's "charon". */
static const char *column_label(const json_t *col)
{
	return jget_str(col, "label") ?: jget_str(col, "charon");
}

/* A column's head: the version (else the label) and, in small type, the
 * label where it says more, and the commit. */
static void html_vhead(struct strbuf *sb, const json_t *col)
{
	const char *label = column_label(col), *ver = jget_str(col, "version");
	const char *commit = jget_str(col, "commit");

	sb_addf(sb, "<th scope=\"col\"><span class=\"v\">");
	report_esc_text(sb, ver ?: label ?: "unknown version");
	sb_addf(sb, "</span>");
	if (ver && label && strcmp(ver, label)) {
		sb_addf(sb, "<small>");
		report_esc_text(sb, label);
		sb_addf(sb, "</small>");
	}
	if (commit) {
		char *c = xasprintf("commit %.12s", commit);

		sb_addf(sb, "<small");
		report_add_attr(sb, "title", commit);
		sb_addf(sb, ">");
		report_esc_text(sb, c);
		sb_addf(sb, "</small>");
		free(c);
	}
	sb_addf(sb, "</th>");
}

/* A scenario on one version, counted from its entry's seeds like the
 * rest of the page, or else taken from the matrix cell. */
struct vcell {
	const char *status, *plot;
	long runs, bug, errors;
};

/* The scenario of row on the version labelled label; false when neither
 * an entry nor a cell has it. */
static bool vcell_of(const json_t *sum, const json_t *row, const char *label, struct vcell *c)
{
	const json_t *sc = report_entry_on(sum, jget_str(row, "name"), label), *cell = NULL;
	size_t i;
	json_t *x;

	json_array_foreach (json_object_get(row, "cells"), i, x)
		if (label && !strcmp(jget_str(x, "charon") ?: "", label))
			cell = x;
	*c = (struct vcell){ jget_str(cell, "status"), jget_str(cell, "plot"), 0, 0, 0 };
	if (sc) {
		struct tally t = report_tally_of(sc);

		*c = (struct vcell){ report_status_of(sc), c->plot ?: jget_str(sc, "plot"), t.runs,
				     report_bug_runs(sc), t.errors };
		return true;
	}
	c->runs = (long)jget_num_or(cell, "runs", 0);
	c->bug = (long)jget_num_or(cell, "bug_runs", 0);
	c->errors = (long)jget_num_or(cell, "lab_errors", 0);
	return cell != NULL;
}

/* The cell's colour: the status classes of the main table, and the lab
 * error's purple when no run gave a verdict. */
static const char *vcell_class(const struct vcell *c)
{
	if (c->runs == c->errors && c->errors > 0)
		return "lab";
	if (!c->status)
		return "fail";
	return !strcmp(c->status, "pass") || !strcmp(c->status, "flaky") ? c->status : "fail";
}

/* A link to the timeline of the worst run, when it was drawn. */
static void html_vplot(struct strbuf *sb, const json_t *row, const char *version, const char *plot,
		       const char *out_dir)
{
	char *aria;

	if (!plot || !report_run_file_exists(out_dir, plot))
		return;
	aria = xasprintf("timeline of %s on %s", jget_str(row, "name") ?: "the scenario", version);
	sb_addf(sb, "<div class=\"sub\"><a");
	report_add_href(sb, plot);
	report_add_attr(sb, "aria-label", aria);
	sb_addf(sb, ">timeline</a></div>");
	free(aria);
}

/* The status, "2 of 3 runs showed the bug", lab errors, the plot. */
static void html_vcell(struct strbuf *sb, const json_t *sum, const json_t *row, const json_t *col,
		       const char *out_dir)
{
	const char *label = column_label(col);
	char *version = report_version_name(sum, label, jget_str(col, "version"));
	struct vcell c;
	long valid;

	if (!vcell_of(sum, row, label, &c)) {
		sb_addf(sb,
			"<td class=\"cell missing\"><span class=\"none\">not run</span></td>\n");
		free(version);
		return;
	}
	valid = c.runs - c.errors;
	sb_addf(sb, "<td class=\"cell %s\"><div class=\"st %s\">", vcell_class(&c),
		vcell_class(&c));
	report_esc_text(sb, c.status ?: "no status");
	sb_addf(sb, "</div><div class=\"sub\">");
	if (valid > 0)
		sb_addf(sb, "%ld of %ld run%s showed the bug", c.bug, valid, valid == 1 ? "" : "s");
	else
		sb_addf(sb, "no valid run");
	sb_addf(sb, "</div>");
	if (c.errors > 0)
		sb_addf(sb, "<div class=\"sub lab\">%ld lab error%s</div>", c.errors,
			c.errors == 1 ? "" : "s");
	html_vplot(sb, row, version, c.plot, out_dir);
	sb_addf(sb, "</td>\n");
	free(version);
}

/* The badge of a change: a regression in the colour of a new failure. */
static const char *change_class(const char *change)
{
	static const char *const classes[] = { "new-failure", "fixed", "unknown", "same" };

	return classes[change_rank(change)];
}

/* What a change between two versions means, for its badge's title. */
static char *change_title(const json_t *sum, const json_t *c)
{
	char *a = report_version_name(sum, jget_str(c, "from"), NULL);
	char *b = report_version_name(sum, jget_str(c, "to"), NULL);
	char *t;

	switch (change_rank(jget_str(c, "change"))) {
	case 0:
		t = xasprintf("the bug showed in no run on %s, and on %s", a, b);
		break;
	case 1:
		t = xasprintf("the bug showed on %s, and in no run on %s", a, b);
		break;
	case 3:
		t = xasprintf("the same verdict on %s and on %s", a, b);
		break;
	default:
		t = xasprintf("%s or %s has no valid run to compare", a, b);
	}
	free(a);
	free(b);
	return t;
}

/* A change's badge: the summary's text, else "fixed in 6.0.3". */
static void html_vchange(struct strbuf *sb, const json_t *sum, const json_t *c)
{
	const char *change = jget_str(c, "change") ?: "unknown";
	char *to = report_version_name(sum, jget_str(c, "to"), NULL);
	char *text = change_rank(change) < 2 ? xasprintf("%s in %s", change, to) : xstrdup(change);
	char *title = change_title(sum, c);

	sb_addf(sb, "<div>");
	report_html_badge(sb, change_class(change), jget_str(c, "text") ?: text, title);
	sb_addf(sb, "</div>");
	free(title);
	free(text);
	free(to);
}

/* The changes between neighbouring versions that are not "same"; "same"
 * when all are; the verdict when the row lists no changes. */
static void html_vchanges(struct strbuf *sb, const json_t *sum, const json_t *row)
{
	const json_t *changes = json_object_get(row, "changes");
	const char *verdict = jget_str(row, "verdict") ?: "unknown";
	size_t i, shown = 0;
	json_t *c;

	sb_addf(sb, "<td class=\"vchange\">");
	json_array_foreach (changes, i, c) {
		if (change_rank(jget_str(c, "change")) != 3) {
			html_vchange(sb, sum, c);
			shown++;
		}
	}
	if (!shown && json_array_size(changes))
		html_vchange(sb, sum, json_array_get(changes, 0));
	else if (!shown)
		report_html_badge(sb, change_class(verdict), verdict, NULL);
	sb_addf(sb, "</td>\n");
}

/* A scenario's row; a matrix row has no "charon", so its name carries
 * no version tag. */
static void html_vrow(struct strbuf *sb, const json_t *sum, const json_t *row, const char *out_dir)
{
	static const char *const kinds[] = { "regressed", "fixed", "unknown", "same" };
	const json_t *cols = matrix_columns(sum);
	size_t i;
	json_t *col;

	sb_addf(sb, "<tr class=\"vm-%s\"><th scope=\"row\"><div class=\"name\">",
		kinds[matrix_rank(row)]);
	report_esc_text(sb, jget_str(row, "name") ?: "(unnamed)");
	sb_addf(sb, "</div>");
	report_html_expect(sb, sum, row);
	sb_addf(sb, "</th>\n");
	json_array_foreach (cols, i, col)
		html_vcell(sb, sum, row, col, out_dir);
	html_vchanges(sb, sum, row);
	sb_addf(sb, "</tr>\n");
}

void report_html_versions(struct strbuf *sb, const json_t *sum, const char *out_dir)
{
	const json_t *matrix = json_object_get(sum, "matrix");
	size_t i;
	json_t *col, *row;

	sb_addf(sb, "<section class=\"vs\" aria-labelledby=\"vs-h\">\n<h2 id=\"vs-h\">Versions "
		    "side by side</h2>\n<p class=\"sub\">each scenario's status on each charon, "
		    "and in how many runs the bug it is about showed</p>\n<table class=\"vm\">\n"
		    "<thead><tr><th scope=\"col\">Scenario</th>");
	json_array_foreach (matrix_columns(sum), i, col)
		html_vhead(sb, col);
	sb_addf(sb, "<th scope=\"col\">Change</th></tr></thead>\n<tbody>\n");
	for (int rank = 0; rank <= 3; rank++)
		json_array_foreach (matrix, i, row)
			if (matrix_rank(row) == rank)
				html_vrow(sb, sum, row, out_dir);
	sb_addf(sb, "</tbody>\n</table>\n</section>\n");
}

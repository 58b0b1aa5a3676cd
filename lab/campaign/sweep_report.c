/*
 * sweep_report.c - a sweep's rates (see sweep.h): from the night's
 * summary.json, per value the runs and how many showed the bug, with the
 * 95 % Wilson interval, as sweep.csv, sweep.json and a gnuplot picture.
 */
#include "campaign/sweep-internal.h"
#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "base/util.h"
#include "judge/plot.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct row {
	const char *value, *label;
	int runs, bug, errors;
	double rate, lo, hi;
};

/* Each value's runs, counted from its scenario entry (in value order: the
 * night added one scenario per version). */
static int tabulate(const struct sweep *S, struct row *rows)
{
	char *path = xasprintf("%s/summary.json", S->o->out);
	json_error_t je;
	json_t *sum = json_load_file(path, 0, &je), *scs, *r;
	size_t k;

	if (!sum) {
		err_set("%s:%d: %s", path, je.line, je.text);
		free(path);
		return -1;
	}
	free(path);
	scs = json_object_get(sum, "scenarios");
	for (int i = 0; i < S->n; i++) {
		struct row *w = &rows[i];
		const char *bug = S->reproduces ? "reproduced" : "fail";

		w->value = S->values[i];
		w->label = S->labels[i];
		json_array_foreach (json_object_get(json_array_get(scs, (size_t)i), "seeds"), k,
				    r) {
			const char *res = jget_str_or(r, "result", "lab-error");

			w->runs++;
			w->errors += !strcmp(res, "lab-error");
			w->bug += !strcmp(res, bug);
		}
		w->rate = w->runs > w->errors ? (double)w->bug / (w->runs - w->errors) : 0;
		wilson_interval((unsigned)w->bug, (unsigned)(w->runs - w->errors), &w->lo, &w->hi);
	}
	json_decref(sum);
	return 0;
}

/* A CSV field: quoted when it holds a comma or a quote. */
static void csv_field(struct strbuf *sb, const char *s)
{
	if (!strpbrk(s, ",\"")) {
		sb_addf(sb, "%s", s);
		return;
	}
	sb_addf(sb, "\"");
	for (; *s; s++)
		sb_addf(sb, "%s%c", *s == '"' ? "\"" : "", *s);
	sb_addf(sb, "\"");
}

static int write_csv(const struct sweep *S, const struct row *rows)
{
	struct strbuf sb = { 0 };
	char *path = xasprintf("%s/sweep.csv", S->o->out);
	int rc;

	sb_addf(&sb, "value,runs,bug_runs,lab_errors,rate,wilson_low,wilson_high\n");
	for (int i = 0; i < S->n; i++) {
		csv_field(&sb, rows[i].value);
		sb_addf(&sb, ",%d,%d,%d,%.4f,%.4f,%.4f\n", rows[i].runs, rows[i].bug,
			rows[i].errors, rows[i].rate, rows[i].lo, rows[i].hi);
	}
	rc = write_file(path, sb.buf, sb.len, 0644);
	free(path);
	sb_free(&sb);
	return rc;
}

static int write_json(const struct sweep *S, const struct row *rows)
{
	json_t *vals = json_array(), *j;
	char *path = xasprintf("%s/sweep.json", S->o->out);
	int rc;

	for (int i = 0; i < S->n; i++)
		json_array_append_new(vals,
				      json_pack("{s:s, s:s, s:i, s:i, s:i, s:f, s:f, s:f}", "value",
						rows[i].value, "set", S->sets[i], "runs",
						rows[i].runs, "bug_runs", rows[i].bug, "lab_errors",
						rows[i].errors, "rate", rows[i].rate, "wilson_low",
						rows[i].lo, "wilson_high", rows[i].hi));
	j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s?, s:o}", "scenario", S->name, "file",
		      S->o->scenario, "expect", S->reproduces ? "reproduces" : "clean", "path",
		      S->path, "seeds", (int)S->o->seeds, "charon", S->o->charon, "values", vals);
	rc = json_write(path, j);
	free(path);
	json_decref(j);
	return rc;
}

/* The unit every value shares when all are whole numbers ("" for none),
 * or NULL: then the values are labels on an even axis. */
static const char *numeric_unit(const struct sweep *S)
{
	static char unit[8];

	for (int i = 0; i < S->n; i++) {
		const char *v = S->values[i] + (S->values[i][0] == '-');
		size_t d = strspn(v, "0123456789");
		const char *u = v + d;

		if (!d || strlen(u) >= sizeof(unit))
			return NULL;
		for (const char *p = u; *p; p++)
			if (!isalpha((unsigned char)*p))
				return NULL;
		if (i && strcmp(u, unit))
			return NULL;
		snprintf(unit, sizeof(unit), "%s", u);
	}
	return unit;
}

/* A label gnuplot reads back: no quotes, backslashes or backquotes (which
 * gnuplot substitutes as commands even inside quotes). */
static void plot_label(struct strbuf *sb, const char *s)
{
	sb_addf(sb, "\"");
	for (; *s; s++)
		sb_addf(sb, "%c", strchr("\"\\`", *s) ? '\'' : *s);
	sb_addf(sb, "\"");
}

static int write_plot_data(const struct sweep *S, const struct row *rows, const char *unit)
{
	struct strbuf sb = { 0 };
	char *path = xasprintf("%s/sweep.dat", S->o->out);
	int rc;

	sb_addf(&sb, "# index x label rate wilson_low wilson_high\n");
	for (int i = 0; i < S->n; i++) {
		/* x: the number without its unit, or 0 when the values are labels */
		int digits = unit ? (int)(strlen(rows[i].value) - strlen(unit)) : 1;

		sb_addf(&sb, "%d %.*s ", i, digits, unit ? rows[i].value : "0");
		plot_label(&sb, rows[i].value);
		sb_addf(&sb, " %.4f %.4f %.4f\n", rows[i].rate, rows[i].lo, rows[i].hi);
	}
	rc = write_file(path, sb.buf, sb.len, 0644);
	free(path);
	sb_free(&sb);
	return rc;
}

static int write_plot_script(const struct sweep *S, const char *unit)
{
	struct strbuf sb = { 0 };
	char *path = xasprintf("%s/sweep.gp", S->o->out);
	const char *using = unit ? "2:4:5:6" : "1:4:5:6:xticlabels(3)";
	int rc;

	sb_addf(&sb, "set terminal svg size 900,500 dynamic font 'sans,12' noenhanced\n"
		     "set output 'sweep.svg'\n"
		     "set title ");
	{
		char *t =
			xasprintf("%s: how often the bug shows, per value of %s", S->name, S->path);

		plot_label(&sb, t);
		free(t);
	}
	sb_addf(&sb, "\nset xlabel ");
	{
		char *x = xasprintf("%s%s%s%s", S->path, unit && *unit ? " (" : "",
				    unit ? unit : "", unit && *unit ? ")" : "");

		plot_label(&sb, x);
		free(x);
	}
	sb_addf(&sb,
		"\nset ylabel \"runs where the bug showed (%u seeds a value, 95 %% Wilson)\"\n"
		"set yrange [0:1.05]\nset offsets graph 0.03, graph 0.03, 0, 0\nset grid\n"
		"set key off\n"
		"plot 'sweep.dat' using %s with yerrorlines lw 2 pt 7 lc rgb '#b2182b'\n"
		"set terminal pngcairo size 900,500 font 'sans,11' noenhanced\n"
		"set output 'sweep.png'\nreplot\n",
		S->o->seeds, using);
	rc = write_file(path, sb.buf, sb.len, 0644);
	free(path);
	sb_free(&sb);
	return rc;
}

static int write_plot(const struct sweep *S, const struct row *rows)
{
	const char *unit = numeric_unit(S);
	struct stat st;
	char *png;
	int rc;

	if (write_plot_data(S, rows, unit) < 0 || write_plot_script(S, unit) < 0 ||
	    plot_gnuplot(S->o->out, "sweep.gp") < 0)
		return -1;
	png = xasprintf("%s/sweep.png", S->o->out);
	rc = stat(png, &st) < 0 || !st.st_size ? err_set("gnuplot wrote no %s", png) : 0;
	free(png);
	return rc;
}

static int print_table(const struct sweep *S, const struct row *rows)
{
	int missing = 0;

	printf("%-24s %5s %5s %6s %6s  %s\n", S->path, "runs", "bug", "errors", "rate",
	       "95 % interval");
	for (int i = 0; i < S->n; i++) {
		printf("%-24s %5d %5d %6d %6.2f  [%.2f, %.2f]\n", rows[i].value, rows[i].runs,
		       rows[i].bug, rows[i].errors, rows[i].rate, rows[i].lo, rows[i].hi);
		missing += rows[i].runs == rows[i].errors;
	}
	printf("  %s/sweep.csv\n  %s/sweep.json\n  %s/sweep.png\n", S->o->out, S->o->out,
	       S->o->out);
	return missing ? 1 : 0;
}

int sweep_report(const struct sweep *S)
{
	struct row *rows = xcalloc((size_t)S->n, sizeof(*rows));
	int rc = -1;

	if (tabulate(S, rows) == 0 && write_csv(S, rows) == 0 && write_json(S, rows) == 0) {
		if (write_plot(S, rows) < 0) {
			fprintf(stderr, "ikelab: warning: sweep: no plot: %s\n", err_msg());
			err_clear();
		}
		rc = print_table(S, rows);
	}
	free(rows);
	return rc;
}

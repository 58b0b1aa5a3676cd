/*
 * plot_script.c - timeline.gp: three panels over one time axis (IKE_SAs,
 * CHILD_SAs, lost probe packets), the event marks through all of them,
 * duplicates shaded, one key (see plot-internal.h).
 */
#include "judge/plot-internal.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

#define PEER_NUDGE 0.011 /* of a panel's height: about 3 pixels */

struct mark_style {
	const char *title, *color, *dash;
	double width;
};

/* Light, thin and dashed for the routine, strong for what is news; the
 * alpha byte (00 opaque) keeps dense marks from hiding the counts. */
static const struct mark_style mark_styles[MARK_KINDS] = {
	[MARK_ACQUIRE] = { "kernel acquire", "#30ff7f0e", "3", 1.5 },
	[MARK_CHILD_REKEY] = { "CHILD_SA rekey", "#70909090", "2", 1.5 },
	[MARK_IKE_REKEY] = { "IKE_SA rekey", "#30303030", "4", 1.5 },
	[MARK_NEW_IKE] = { "new IKE_SA while one is up", "#50c000c0", "1", 2.5 },
	[MARK_EXIT] = { "charon exit", "#00d62728", "1", 4 },
};

static const char *const palette[] = {
	"#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#bcbd22", "#7f7f7f", "#e6ab02",
};

#define SPAN_IKE_COLOR "#f08080"
#define SPAN_CHILD_COLOR "#f0b040"
#define SPAN_ALPHA 0.3
#define EXIT_COLOR "#d62728"

struct axis {
	double top, step;
};

/* ---- the script --------------------------------------------------------- */

/* A gnuplot single-quoted string: nothing is special but the quote. */
static void gp_str(struct strbuf *sb, const char *s)
{
	sb_add(sb, "'", 1);
	for (; *s; s++) {
		if (*s == '\'')
			sb_add(sb, "''", 2);
		else if ((unsigned char)*s < 0x20)
			sb_add(sb, "?", 1);
		else
			sb_add(sb, s, 1);
	}
	sb_add(sb, "'", 1);
}

/* Whole-number tics from 0, about four of them, one step of headroom. */
static struct axis int_axis(double max)
{
	static const double mult[] = { 1, 2, 5 };
	struct axis a = { 0, 1 };

	if (max < 1)
		max = 1;
	for (double mag = 1; !a.top; mag *= 10)
		for (size_t i = 0; i < ARRAY_LEN(mult) && !a.top; i++)
			if (mag * mult[i] * 4 >= max) {
				a.step = mag * mult[i];
				a.top = ((long)(max / a.step) + 1) * a.step;
			}
	return a;
}

static double peers_max(const struct run *r, int lo, int hi)
{
	double max = 0;

	for (size_t i = 0; i < r->npeers; i++)
		for (size_t j = 0; j < r->peers[i].rows.n; j += S_COLS)
			for (int c = lo; c <= hi; c++)
				if (r->peers[i].rows.v[j + c] > max)
					max = r->peers[i].rows.v[j + c];
	return max;
}

static const char *peer_color(size_t i)
{
	return palette[i % ARRAY_LEN(palette)];
}

/* A probe direction is drawn in its sender's colour. */
static const char *flow_color(const struct run *r, size_t i)
{
	const char *dir = r->flows[i].dir;
	size_t len = strcspn(dir, ">");

	for (size_t p = 0; p < r->npeers; p++)
		if (strlen(r->peers[p].name) == len && !strncmp(r->peers[p].name, dir, len))
			return peer_color(p);
	return palette[(r->npeers + i) % ARRAY_LEN(palette)];
}

/* A plot command assembled one element at a time. */
struct plotcmd {
	struct strbuf *sb;
	int n;
};

static struct strbuf *pc_next(struct plotcmd *pc)
{
	sb_addf(pc->sb, pc->n++ ? ", \\\n\t" : "plot \\\n\t");
	return pc->sb;
}

static void pc_end(struct plotcmd *pc)
{
	if (!pc->n)
		sb_addf(pc->sb, "plot NaN notitle");
	sb_addf(pc->sb, "\n");
}

static void style(struct strbuf *sb, const char *with, const char *color, double width,
		  const char *dash)
{
	sb_addf(sb, " with %s lc rgb '%s' lw %g dt %s", with, color, width, dash);
}

/* The marks behind a panel's data, as lines from 0 to the top. */
static void plot_marks(struct plotcmd *pc, const struct run *r, double top)
{
	for (int k = 0; k < MARK_KINDS; k++) {
		const struct mark_style *m = &mark_styles[k];

		if (r->mark_block[k] < 0)
			continue;
		sb_addf(pc_next(pc), "'.plot/marks.dat' index %d using 1:(%g)", r->mark_block[k],
			top);
		style(pc->sb, "impulses", m->color, m->width, m->dash);
		sb_addf(pc->sb, " notitle");
	}
}

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* Shade one kind of duplicate in the current panel. Both ends of an SA
 * report the same episode, so the spans are merged first: overlapping
 * translucent shades would darken. */
static void shade(struct strbuf *sb, const struct run *r, bool ike, double alpha, int *obj)
{
	struct span *s = xcalloc(r->nspans, sizeof(*s));
	size_t n = 0;

	for (size_t i = 0; i < r->nspans; i++) {
		if (r->spans[i].ike != ike)
			continue;
		s[n] = r->spans[i];
		if (s[n].end < 0)
			s[n].end = r->xmax;
		n++;
	}
	qsort(s, n, sizeof(*s), span_cmp);
	for (size_t i = 0; i < n;) {
		double start = s[i].start, end = s[i].end;

		for (i++; i < n && s[i].start <= end; i++)
			if (s[i].end > end)
				end = s[i].end;
		sb_addf(sb,
			"set object %d rect from first %.3f, graph 0 to first %.3f, graph 1 "
			"behind fc rgb '%s' fs transparent solid %g noborder\n",
			++*obj, start, end, ike ? SPAN_IKE_COLOR : SPAN_CHILD_COLOR, alpha);
	}
	free(s);
}

static void panel_frame(struct strbuf *sb, double top, double bottom, const char *ylabel,
			struct axis a)
{
	sb_addf(sb, "set tmargin at screen %g\nset bmargin at screen %g\n", top, bottom);
	sb_addf(sb, "set yrange [0:%g]\nset ytics 0, %g\nset ylabel ", a.top, a.step);
	gp_str(sb, ylabel);
	sb_addf(sb, "\nset key at screen 0.78, %g left top Left reverse\n", top);
}

/* Both ends of an SA usually count the same, and one line would hide the
 * other: each peer is drawn a few pixels off the true value, the peers
 * centred on it. */
static void counts_using(struct strbuf *sb, const struct run *r, size_t peer, int col,
			 struct axis a)
{
	double off = ((double)peer - (double)(r->npeers - 1) / 2) * PEER_NUDGE * a.top;

	sb_addf(sb, "'.plot/counts.dat' index %zu using 1:($%d%+g)", peer, col, off);
}

static void peer_title(struct strbuf *sb, const char *peer, const char *what)
{
	char *t = xasprintf("%s %s", peer, what);

	sb_addf(sb, " title ");
	gp_str(sb, t);
	free(t);
}

static void panel_ike(struct strbuf *sb, const struct run *r)
{
	struct axis a = int_axis(peers_max(r, S_IKE, S_IKE_EST));
	struct plotcmd pc = { sb, 0 };
	int obj = 0;

	sb_addf(sb, "\n# IKE_SAs per peer\n");
	panel_frame(sb, 0.915, 0.65, "IKE_SAs", a);
	shade(sb, r, true, SPAN_ALPHA, &obj);
	for (size_t i = 0; i < r->nexits; i++) {
		const struct note *e = &r->exits[i];
		bool right = e->t > 0.6 * r->xmax;

		sb_addf(sb, "set label %zu ", i + 1);
		gp_str(sb, e->text);
		sb_addf(sb, " at %.3f, graph %g %s offset %d,0 front tc rgb '%s' font ',12'\n",
			e->t, 0.94 - 0.09 * (double)(i % 8), right ? "right" : "left",
			right ? -1 : 1, EXIT_COLOR);
	}
	plot_marks(&pc, r, a.top);
	for (size_t i = 0; i < r->npeers; i++) {
		counts_using(pc_next(&pc), r, i, 3, a);
		style(sb, "steps", peer_color(i), 2.5, "1");
		peer_title(sb, r->peers[i].name, "established");
		counts_using(pc_next(&pc), r, i, 2, a);
		style(sb, "steps", peer_color(i), 1.5, "(3,2)");
		peer_title(sb, r->peers[i].name, "all states");
	}
	pc_end(&pc);
	for (size_t i = 0; i < r->nexits; i++)
		sb_addf(sb, "unset label %zu\n", i + 1);
	sb_addf(sb, "unset object\n");
}

/* A peer with several CHILD_SA names: a thin line per name, in the
 * peer's colour, dotted differently, nudged like the peer's counts. */
static void kid_lines(struct plotcmd *pc, const struct run *r, size_t peer, struct axis a)
{
	static const char *const dashes[] = { "(1,2)", "(8,2,1,2)", "(4,4)", "(1,4)" };
	double off = ((double)peer - (double)(r->npeers - 1) / 2) * PEER_NUDGE * a.top;
	size_t n = 0;

	for (size_t i = 0; i < r->nkids; i++) {
		const struct kid *k = &r->kids[i];

		if (k->peer != peer || k->block < 0)
			continue;
		sb_addf(pc_next(pc), "'.plot/children.dat' index %d using 1:($2%+g)", k->block,
			off);
		style(pc->sb, "steps", peer_color(peer), 1.2, dashes[n++ % ARRAY_LEN(dashes)]);
		peer_title(pc->sb, r->peers[peer].name, k->name);
	}
}

static void panel_child(struct strbuf *sb, const struct run *r)
{
	struct axis a = int_axis(peers_max(r, S_CHILD, S_CHILD_ALL));
	struct plotcmd pc = { sb, 0 };
	int obj = 0;

	sb_addf(sb, "\n# CHILD_SAs per peer\n");
	panel_frame(sb, 0.63, 0.365, "CHILD_SAs", a);
	shade(sb, r, false, SPAN_ALPHA, &obj);
	plot_marks(&pc, r, a.top);
	for (size_t i = 0; i < r->npeers; i++) {
		counts_using(pc_next(&pc), r, i, 4, a);
		style(sb, "steps", peer_color(i), 2.5, "1");
		peer_title(sb, r->peers[i].name, "installed");
		/* Rekeyed SAs linger (DELETED) until their lifetime ends: the
		 * 1 -> 2 -> 1 of each rekey shows here. */
		counts_using(pc_next(&pc), r, i, 6, a);
		style(sb, "steps", peer_color(i), 1.5, "(3,2)");
		peer_title(sb, r->peers[i].name, "all states");
		kid_lines(&pc, r, i, a);
		if (!r->peers[i].per_ts_differs)
			continue;
		counts_using(pc_next(&pc), r, i, 5, a);
		style(sb, "steps", peer_color(i), 1.5, "(6,3)");
		peer_title(sb, r->peers[i].name, "max per TS pair");
	}
	pc_end(&pc);
	sb_addf(sb, "unset object\n");
}

static void legend_entry(struct strbuf *sb, const char *title, size_t count)
{
	char *t = xasprintf("%s (%zu)", title, count);

	sb_addf(sb, " title ");
	gp_str(sb, t);
	free(t);
}

/* An empty line in the key between the loss entries and the rest. */
static void key_gap(struct plotcmd *pc, bool *gap)
{
	if (*gap)
		sb_addf(pc_next(pc), "keyentry with lines lc rgb '#ffffff' title ' '");
	*gap = false;
}

/* What the marks and the shading mean, after the loss panel's own key
 * entries: the marks run through every panel, so one key serves all. */
static void key_marks(struct plotcmd *pc, const struct run *r)
{
	size_t spans[2] = { 0, 0 };
	bool gap = r->nflows > 0;

	for (int k = 0; k < MARK_KINDS; k++) {
		const struct mark_style *m = &mark_styles[k];

		if (r->mark_block[k] < 0)
			continue;
		key_gap(pc, &gap);
		sb_addf(pc_next(pc), "keyentry");
		style(pc->sb, "lines", m->color, m->width, m->dash);
		legend_entry(pc->sb, m->title, r->marks[k].n);
	}
	for (size_t i = 0; i < r->nspans; i++)
		spans[r->spans[i].ike]++;
	for (int ike = 1; ike >= 0; ike--) {
		if (!spans[ike])
			continue;
		key_gap(pc, &gap);
		sb_addf(pc_next(pc),
			"keyentry with boxes fs transparent solid %g noborder lc rgb '%s'",
			SPAN_ALPHA, ike ? SPAN_IKE_COLOR : SPAN_CHILD_COLOR);
		legend_entry(pc->sb, ike ? "duplicate IKE_SAs" : "duplicate CHILD_SAs", spans[ike]);
	}
}

static void panel_loss(struct strbuf *sb, const struct run *r)
{
	double max = 0;
	struct axis a;
	struct plotcmd pc = { sb, 0 };
	const char *empty = !r->nflows ? "no probe traffic" : NULL;
	int obj = 0;

	for (size_t i = 0; i < r->nflows; i++)
		if (r->flows[i].max > max)
			max = r->flows[i].max;
	if (r->nflows && !max)
		empty = "no packets lost";
	a = int_axis(max);
	sb_addf(sb, "\n# lost probe packets\n");
	panel_frame(sb, 0.345, 0.08, "lost packets / 100 ms", a);
	sb_addf(sb, "set format x '%%g'\nset xlabel 'seconds since the recording started'\n");
	/* Both kinds meet here: half as strong, so loss stays readable. */
	shade(sb, r, true, SPAN_ALPHA / 2, &obj);
	shade(sb, r, false, SPAN_ALPHA / 2, &obj);
	if (empty) {
		sb_addf(sb, "unset ytics\nset label 1 ");
		gp_str(sb, empty);
		sb_addf(sb, " at graph 0.5, graph 0.5 center front tc rgb '#606060' font ',16'\n");
	}
	plot_marks(&pc, r, a.top);
	for (size_t i = 0; i < r->nflows; i++) {
		const struct flow *f = &r->flows[i];
		char *t = xasprintf("%s: %.0f lost (%.2f%%)", f->dir, f->total,
				    f->tx > 0 ? 100 * f->total / f->tx : 0);

		if (f->block >= 0)
			sb_addf(pc_next(&pc), "'.plot/loss.dat' index %d using 1:2", f->block);
		else
			sb_addf(pc_next(&pc), "NaN");
		style(sb, "impulses", flow_color(r, i), 2, "1");
		sb_addf(sb, " title ");
		gp_str(sb, t);
		free(t);
	}
	key_marks(&pc, r);
	pc_end(&pc);
	if (empty)
		sb_addf(sb, "unset label 1\n");
}

static void header(struct strbuf *sb, const struct run *r)
{
	const char *base = strrchr(r->dir, '/');
	struct strbuf title = { 0 };

	sb_addf(&title, "%s   |   %.1f s   |   verdict: %s   |   ",
		r->lab ? r->lab
		: base ? base + 1
		       : r->dir,
		r->duration > 0 ? r->duration : r->xmax, r->verdict ? r->verdict : "unknown");
	if (r->duplicates < 0)
		sb_addf(&title, "duplicates: unknown (no summary.json)");
	else
		sb_addf(&title, "%ld duplicate%s", r->duplicates, r->duplicates == 1 ? "" : "s");
	sb_addf(sb, "set label 101 ");
	gp_str(sb, title.buf);
	sb_addf(sb, " at screen 0.5, 0.975 center font ',16'\n");
	if (r->lab_error) {
		sb_addf(sb, "set label 102 ");
		gp_str(sb, r->lab_error);
		sb_addf(sb, " at screen 0.5, 0.945 center tc rgb '%s' font ',13'\n", EXIT_COLOR);
	}
	sb_free(&title);
}

void plot_script(struct strbuf *sb, const struct run *r)
{
	sb_addf(sb,
		"# timeline.gp - written by `ikelab plot`; to render again:\n"
		"#   cd RUN_DIR && gnuplot timeline.gp\n"
		"# .plot/counts.dat: a block per peer (in key order), rows only where counts "
		"change\n"
		"# .plot/loss.dat: a block per probe direction that lost packets\n"
		"# .plot/marks.dat: a block per kind of event mark\n"
		"do for [out in 'svg png'] {\n"
		"reset\n"
		"if (out eq 'svg') {\n"
		"\tset terminal svg size 1600,1000 dynamic noenhanced font 'DejaVu Sans,13' "
		"background '#ffffff'\n"
		"\tset output 'timeline.svg'\n"
		"} else {\n"
		"\tset terminal pngcairo size 1600,1000 noenhanced font 'DejaVu Sans,11' "
		"background '#ffffff'\n"
		"\tset output 'timeline.png'\n"
		"}\n"
		"set encoding utf8\n"
		"set multiplot\n"
		"set lmargin at screen 0.065\nset rmargin at screen 0.77\n"
		"set xrange [0:%g]\nset format x ''\nset format y '%%.0f'\nset mytics 1\n"
		"set grid xtics ytics lc rgb '#e0e0e0' lw 1 dt 1\n"
		"set key spacing 1.15 samplen 2.5\n",
		r->xmax);
	header(sb, r);
	panel_ike(sb, r);
	sb_addf(sb, "unset label 101\nunset label 102\n");
	panel_child(sb, r);
	panel_loss(sb, r);
	sb_addf(sb, "unset multiplot\nset output\n}\n");
}

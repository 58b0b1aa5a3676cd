/*
 * plot.c - render a run directory (docs/run-directory.md) with gnuplot.
 *
 * Everything gnuplot needs is written next to the run: timeline.gp, which
 * can be rerun by hand from the run directory, and its data under .plot/.
 * Peer names never reach the data files (blocks are selected by index), so
 * only the quoted titles in the script have to cope with odd names.
 */
#include "judge/plot.h"
#include "base/err.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define GNUPLOT_TIMEOUT_MS 20000
#define GNUPLOT_OUT_MAX 1400
#define CSV_MAX_FIELDS 64
#define INTERVAL_S 0.1
#define PEER_NUDGE 0.011        /* of a panel's height: about 3 pixels */

struct dvec {
	double *v;
	size_t n, cap;
};

/* One timeline row, reduced to what is drawn. */
enum { S_T, S_IKE, S_IKE_EST, S_CHILD, S_CHILD_TS, S_CHILD_ALL, S_COLS };

struct peer {
	char *name;
	struct dvec rows;       /* S_COLS values per sample */
	double est0;            /* IKE_SAs established in the first sample */
	bool seeded;            /* est0 has been turned into anonymous IKE_SAs */
	bool per_ts_differs;    /* max installed per TS pair != installed */
};

struct flow {
	char *dir;              /* "alice>bob" */
	struct dvec lost;       /* (interval start, lost) where lost > 0 */
	double tx, total, max;
	int block;              /* block in loss.dat, -1 without losses */
};

enum mark_kind {
	MARK_ACQUIRE,
	MARK_CHILD_REKEY,
	MARK_IKE_REKEY,
	MARK_NEW_IKE,
	MARK_EXIT,
	MARK_KINDS,
};

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

struct note {
	double t;
	char *text;
};

struct span {
	double start, end;      /* end < 0: to the end of the run */
	bool ike;
};

/* An IKE_SA a peer has up. remote and id are NULL for SAs that were up
 * before the recording started: only their number is known. */
struct ike_up {
	size_t peer;
	char *remote, *id;
};

struct run {
	char *dir;
	struct peer *peers;
	size_t npeers;
	struct flow *flows;
	size_t nflows;
	struct dvec marks[MARK_KINDS];
	int mark_block[MARK_KINDS];
	struct note *exits;
	size_t nexits;
	struct span *spans;
	size_t nspans;
	struct ike_up *ups;
	size_t nups;
	char *lab, *verdict, *lab_error;
	double duration, xmax;
	long duplicates;        /* -1: unknown, no summary.json */
};

struct axis {
	double top, step;
};

static void dv_push(struct dvec *d, double x)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	d->v[d->n++] = x;
}

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? xstrdup(s) : NULL;
}

static char *plot_run_path(const struct run *r, const char *name)
{
	return xasprintf("%s/%s", r->dir, name);
}

/* An optional file, or NULL when it is missing or empty. */
static char *optional_path(const struct run *r, const char *name)
{
	char *path = plot_run_path(r, name);
	struct stat st;

	if (stat(path, &st) == 0 && st.st_size > 0)
		return path;
	free(path);
	return NULL;
}

static void see_t(struct run *r, double t)
{
	if (t > r->xmax)
		r->xmax = t;
}

/* ---- reading ---------------------------------------------------------- */

/* The next line of a buffer, terminated in place; NULL at the end. */
static char *plot_next_line(char **cur)
{
	char *s = *cur, *nl;
	size_t len;

	if (!*s)
		return NULL;
	nl = strchr(s, '\n');
	len = nl ? (size_t)(nl - s) : strlen(s);
	*cur = nl ? nl + 1 : s + len;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	s[len] = '\0';
	return s;
}

/*
 * Split a CSV line in place. A field may be double-quoted ("" inside is a
 * quote), so names can hold commas. Returns the number of fields (more
 * than max when there are too many), or -1 for a broken quote.
 */
static int csv_split(char *s, char **f, int max)
{
	int n = 0;

	for (;;) {
		char *w = s, c;

		if (n == max)
			return max + 1;
		f[n++] = w;
		if (*s == '"') {
			for (s++;; s++) {
				if (!*s)
					return -1;
				if (*s == '"' && *++s != '"')
					break;
				*w++ = *s;
			}
			if (*s && *s != ',')
				return -1;
		} else {
			s = w = s + strcspn(s, ",");
		}
		c = *s;
		*w = '\0';
		if (!c)
			return n;
		s++;
	}
}

static bool parse_num(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return end != s && !*end && !errno && isfinite(*out);
}

struct col {
	const char *name;
	bool required;
	int idx;                /* -1 when absent */
};

static int csv_header(char *line, struct col *cols, size_t ncols, int *nfields,
		      const char *path)
{
	char *f[CSV_MAX_FIELDS];
	int n = line ? csv_split(line, f, CSV_MAX_FIELDS) : 0;

	if (n < 1 || n > CSV_MAX_FIELDS)
		return err_set("%s:1: expected a header line (%s,...)", path, cols[0].name);
	for (size_t c = 0; c < ncols; c++) {
		cols[c].idx = -1;
		for (int i = 0; i < n; i++)
			if (!strcmp(f[i], cols[c].name))
				cols[c].idx = i;
		if (cols[c].idx < 0 && cols[c].required)
			return err_set("%s:1: no column '%s' in the header", path, cols[c].name);
	}
	*nfields = n;
	return 0;
}

/* Split a data row and check its shape against the header. */
static int csv_row(char *line, char **f, int want, const char *path, size_t ln)
{
	int n = csv_split(line, f, CSV_MAX_FIELDS);

	if (n < 0)
		return err_set("%s:%zu: unterminated quote", path, ln);
	if (n != want)
		return err_set("%s:%zu: expected %d fields like the header, found %s%d", path, ln,
			       want, n > CSV_MAX_FIELDS ? "more than " : "",
			       n > CSV_MAX_FIELDS ? CSV_MAX_FIELDS : n);
	return 0;
}

static int csv_num(char **f, const struct col *c, double *out, const char *path, size_t ln)
{
	if (!parse_num(f[c->idx], out))
		return err_set("%s:%zu: %s is not a number: '%s'", path, ln, c->name, f[c->idx]);
	return 0;
}

typedef int (*row_fn)(struct run *r, char **f, const struct col *cols, const char *path,
		      size_t ln);

/* Read a CSV file with a header into rows handed to fn. */
static int read_csv(struct run *r, const char *path, struct col *cols, size_t ncols, row_fn fn)
{
	char *f[CSV_MAX_FIELDS];
	char *buf, *cur, *line;
	size_t ln = 1;
	int nfields = 0, rc = -1;

	if (read_file(path, &buf, NULL) < 0)
		return -1;
	cur = buf;
	/* Empty: the run ended before the first line was written. */
	if (*cur && csv_header(plot_next_line(&cur), cols, ncols, &nfields, path) < 0)
		goto out;
	while ((line = plot_next_line(&cur))) {
		ln++;
		if (!*line)
			continue;
		if (csv_row(line, f, nfields, path, ln) < 0 || fn(r, f, cols, path, ln) < 0)
			goto out;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

static struct peer *peer_get(struct run *r, const char *name, bool add)
{
	for (size_t i = 0; i < r->npeers; i++)
		if (!strcmp(r->peers[i].name, name))
			return &r->peers[i];
	if (!add)
		return NULL;
	r->peers = xrealloc(r->peers, (r->npeers + 1) * sizeof(*r->peers));
	r->peers[r->npeers] = (struct peer){ .name = xstrdup(name) };
	return &r->peers[r->npeers++];
}

enum { TL_T, TL_PEER, TL_IKE, TL_IKE_EST, TL_CHILD, TL_CHILD_TS, TL_CHILD_ALL, TL_COLS };

static int timeline_row(struct run *r, char **f, const struct col *cols, const char *path,
			size_t ln)
{
	static const int to_sample[TL_COLS] = {
		[TL_T] = S_T, [TL_IKE] = S_IKE, [TL_IKE_EST] = S_IKE_EST,
		[TL_CHILD] = S_CHILD, [TL_CHILD_TS] = S_CHILD_TS, [TL_CHILD_ALL] = S_CHILD_ALL,
	};
	double v[S_COLS];
	struct peer *p;

	for (int c = 0; c < TL_COLS; c++) {
		if (c == TL_PEER || cols[c].idx < 0)
			continue;
		if (csv_num(f, &cols[c], &v[to_sample[c]], path, ln) < 0)
			return -1;
	}
	if (!*f[cols[TL_PEER].idx])
		return err_set("%s:%zu: empty peer", path, ln);
	/* Without the column, one TS pair per CHILD_SA is all we can tell. */
	if (cols[TL_CHILD_TS].idx < 0)
		v[S_CHILD_TS] = v[S_CHILD];
	if (cols[TL_CHILD_ALL].idx < 0)
		v[S_CHILD_ALL] = v[S_CHILD];
	p = peer_get(r, f[cols[TL_PEER].idx], true);
	if (!p->rows.n)
		p->est0 = v[S_IKE_EST];
	if (v[S_CHILD_TS] != v[S_CHILD])
		p->per_ts_differs = true;
	for (int i = 0; i < S_COLS; i++)
		dv_push(&p->rows, v[i]);
	see_t(r, v[S_T]);
	return 0;
}

static int load_timeline(struct run *r)
{
	struct col cols[TL_COLS] = {
		[TL_T] = { "t", true, -1 },
		[TL_PEER] = { "peer", true, -1 },
		[TL_IKE] = { "ike", true, -1 },
		[TL_IKE_EST] = { "ike_established", true, -1 },
		[TL_CHILD] = { "child_installed", true, -1 },
		[TL_CHILD_TS] = { "child_max_installed_per_ts", false, -1 },
		[TL_CHILD_ALL] = { "child", false, -1 },
	};
	char *path = plot_run_path(r, "timeline.csv");
	int rc = -1;

	if (!path_exists(path)) {
		err_set("%s is missing: %s is not a run directory written by `ikelab record`",
			path, r->dir);
		goto out;
	}
	if (read_csv(r, path, cols, TL_COLS, timeline_row) < 0)
		goto out;
	if (!r->npeers) {
		err_set("%s has no samples", path);
		goto out;
	}
	rc = 0;
out:
	free(path);
	return rc;
}

enum { TR_T, TR_DIR, TR_TX, TR_LOST, TR_COLS };

static struct flow *flow_get(struct run *r, const char *dir)
{
	for (size_t i = 0; i < r->nflows; i++)
		if (!strcmp(r->flows[i].dir, dir))
			return &r->flows[i];
	r->flows = xrealloc(r->flows, (r->nflows + 1) * sizeof(*r->flows));
	r->flows[r->nflows] = (struct flow){ .dir = xstrdup(dir), .block = -1 };
	return &r->flows[r->nflows++];
}

static int traffic_row(struct run *r, char **f, const struct col *cols, const char *path,
		       size_t ln)
{
	double t, tx, lost;
	struct flow *fl;

	if (csv_num(f, &cols[TR_T], &t, path, ln) < 0 ||
	    csv_num(f, &cols[TR_TX], &tx, path, ln) < 0 ||
	    csv_num(f, &cols[TR_LOST], &lost, path, ln) < 0)
		return -1;
	fl = flow_get(r, f[cols[TR_DIR].idx]);
	fl->tx += tx;
	fl->total += lost;
	if (lost > 0) {
		dv_push(&fl->lost, t);
		dv_push(&fl->lost, lost);
	}
	if (lost > fl->max)
		fl->max = lost;
	see_t(r, t + INTERVAL_S);
	return 0;
}

static int load_traffic(struct run *r)
{
	struct col cols[TR_COLS] = {
		[TR_T] = { "t", true, -1 },
		[TR_DIR] = { "dir", true, -1 },
		[TR_TX] = { "tx", true, -1 },
		[TR_LOST] = { "lost", true, -1 },
	};
	char *path = optional_path(r, "traffic.csv");
	int rc = path ? read_csv(r, path, cols, TR_COLS, traffic_row) : 0;

	free(path);
	return rc;
}

/* ---- events ----------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* SA ids are numbers from our recorder; accept strings too. */
static char *json_id(const json_t *v)
{
	if (json_is_integer(v))
		return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	return NULL;
}

static void mark(struct run *r, enum mark_kind k, double t)
{
	dv_push(&r->marks[k], t);
}

static void up_remove(struct run *r, size_t i)
{
	free(r->ups[i].remote);
	free(r->ups[i].id);
	r->ups[i] = r->ups[--r->nups];
}

static void up_add(struct run *r, size_t peer, const char *remote, const char *id)
{
	r->ups = xrealloc(r->ups, (r->nups + 1) * sizeof(*r->ups));
	r->ups[r->nups++] = (struct ike_up){
		.peer = peer,
		.remote = remote ? xstrdup(remote) : NULL,
		.id = id ? xstrdup(id) : NULL,
	};
}

/* The IKE_SA with this id, else (for an id we never saw come up) one
 * that was up before the recording started; -1 if neither. */
static long up_find(const struct run *r, size_t peer, const char *id)
{
	long anon = -1;

	for (size_t i = 0; i < r->nups; i++) {
		if (r->ups[i].peer != peer)
			continue;
		if (r->ups[i].id && !strcmp(r->ups[i].id, id))
			return (long)i;
		if (!r->ups[i].id && anon < 0)
			anon = (long)i;
	}
	return anon;
}

/*
 * IKE_SAs that were up when the recording started announced nothing;
 * the first sample counts them. They are taken to lead to whatever remote
 * the next one does. SAs whose up event came before that sample are
 * already known, so only the rest become anonymous.
 */
static void seed_ups(struct run *r, size_t peer, double t)
{
	struct peer *p = &r->peers[peer];
	double known = 0;

	if (p->seeded || t < p->rows.v[S_T])
		return;
	p->seeded = true;
	for (size_t i = 0; i < r->nups; i++)
		if (r->ups[i].peer == peer)
			known++;
	for (; known < p->est0; known++)
		up_add(r, peer, NULL, NULL);
}

static void on_ike_updown(struct run *r, const json_t *e, double t, const char *peer)
{
	const json_t *ike = json_object_get(e, "ike");
	const char *remote = jstr(ike, "remote");
	struct peer *p = peer ? peer_get(r, peer, false) : NULL;
	char *id = json_id(json_object_get(ike, "id"));
	size_t pi = p ? (size_t)(p - r->peers) : 0;
	long i;

	if (!p || !id)
		goto out;
	seed_ups(r, pi, t);
	if (!json_is_true(json_object_get(e, "up"))) {
		if ((i = up_find(r, pi, id)) >= 0)
			up_remove(r, (size_t)i);
		goto out;
	}
	for (size_t j = 0; j < r->nups; j++) {
		const struct ike_up *u = &r->ups[j];

		if (u->peer == pi && (!u->id || strcmp(u->id, id)) &&
		    (!u->remote || !remote || !strcmp(u->remote, remote))) {
			mark(r, MARK_NEW_IKE, t);
			break;
		}
	}
	if ((i = up_find(r, pi, id)) < 0 || !r->ups[i].id)
		up_add(r, pi, remote, id);
out:
	free(id);
}

static void on_ike_rekey(struct run *r, const json_t *e, double t, const char *peer)
{
	struct peer *p = peer ? peer_get(r, peer, false) : NULL;
	char *old = json_id(json_object_get(e, "old_id"));
	char *new = json_id(json_object_get(e, "new_id"));
	long i;

	mark(r, MARK_IKE_REKEY, t);
	if (p && old && new) {
		seed_ups(r, (size_t)(p - r->peers), t);
		i = up_find(r, (size_t)(p - r->peers), old);
		if (i >= 0)
			set_str(&r->ups[i].id, new);
	}
	free(old);
	free(new);
}

static void on_child_rekey(struct run *r, const json_t *e, double t, const char *peer)
{
	mark(r, MARK_CHILD_REKEY, t);
}

static void on_acquire(struct run *r, const json_t *e, double t, const char *peer)
{
	mark(r, MARK_ACQUIRE, t);
}

static void on_charon_exit(struct run *r, const json_t *e, double t, const char *peer)
{
	const char *how = jstr(e, "how");
	struct peer *p = peer ? peer_get(r, peer, false) : NULL;
	json_int_t pid = json_integer_value(json_object_get(e, "pid"));
	struct strbuf sb = { 0 };

	mark(r, MARK_EXIT, t);
	sb_addf(&sb, "charon");
	if (peer)
		sb_addf(&sb, " of %s", peer);
	if (pid > 0)
		sb_addf(&sb, " (pid %" JSON_INTEGER_FORMAT ")", pid);
	sb_addf(&sb, " %s", how ? how : "exited");
	r->exits = xrealloc(r->exits, (r->nexits + 1) * sizeof(*r->exits));
	r->exits[r->nexits++] = (struct note){ t, sb.buf };
	/* A restarted charon starts from nothing. */
	for (size_t i = r->nups; p && i-- > 0;)
		if (r->ups[i].peer == (size_t)(p - r->peers))
			up_remove(r, i);
	if (p)
		p->seeded = true;
}

static void on_record_start(struct run *r, const json_t *e, double t, const char *peer)
{
	const json_t *d = json_object_get(e, "duration");

	if (jstr(e, "lab"))
		set_str(&r->lab, jstr(e, "lab"));
	if (json_is_number(d))
		r->duration = json_number_value(d);
}

static void on_record_end(struct run *r, const json_t *e, double t, const char *peer)
{
	const char *verdict = jstr(e, "verdict");

	if (!verdict)
		return;
	set_str(&r->verdict, verdict);
	/* How long it really ran; record-start only said how long it would. */
	r->duration = t;
	if (strcmp(verdict, "ok"))
		set_str(&r->lab_error, jstr(e, "reason"));
}

static const struct {
	const char *source, *kind;
	void (*fn)(struct run *r, const json_t *e, double t, const char *peer);
} handlers[] = {
	{ "lab", "record-start", on_record_start },
	{ "lab", "record-end", on_record_end },
	{ "lab", "charon-exit", on_charon_exit },
	{ "kernel", "acquire", on_acquire },
	{ "vici", "ike-updown", on_ike_updown },
	{ "vici", "ike-rekey", on_ike_rekey },
	{ "vici", "child-rekey", on_child_rekey },
};

static int event_line(struct run *r, const char *line, const char *path, size_t ln)
{
	json_error_t je;
	json_t *e = json_loads(line, 0, &je);
	const json_t *t = json_object_get(e, "t");
	const json_t *peer = json_object_get(e, "peer");
	const char *source = jstr(e, "source"), *kind = jstr(e, "kind");

	if (!e)
		return err_set("%s:%zu: %s", path, ln, je.text);
	if (!json_is_number(t) || !source || !kind || (peer && !json_is_null(peer) &&
						      !json_is_string(peer))) {
		json_decref(e);
		return err_set("%s:%zu: not an event: needs a number t, strings source and kind, "
			       "and a string or null peer", path, ln);
	}
	for (size_t i = 0; i < ARRAY_LEN(handlers); i++)
		if (!strcmp(source, handlers[i].source) && !strcmp(kind, handlers[i].kind))
			handlers[i].fn(r, e, json_number_value(t), json_string_value(peer));
	see_t(r, json_number_value(t));
	json_decref(e);
	return 0;
}

static int load_events(struct run *r)
{
	char *path = optional_path(r, "events.jsonl");
	char *buf = NULL, *cur, *line;
	size_t ln = 0;
	int rc = -1;

	if (!path)
		return 0;
	if (read_file(path, &buf, NULL) < 0)
		goto out;
	cur = buf;
	while ((line = plot_next_line(&cur))) {
		ln++;
		if (*line && event_line(r, line, path, ln) < 0)
			goto out;
	}
	rc = 0;
out:
	free(buf);
	free(path);
	return rc;
}

/* ---- summary.json ----------------------------------------------------- */

static void summary_spans(struct run *r, const json_t *dups)
{
	size_t i;
	const json_t *d;

	r->duplicates = (long)json_array_size(dups);
	json_array_foreach(dups, i, d) {
		const json_t *start = json_object_get(d, "start");
		const json_t *end = json_object_get(d, "end");
		const char *kind = jstr(d, "kind");

		if (!json_is_number(start))
			continue;
		r->spans = xrealloc(r->spans, (r->nspans + 1) * sizeof(*r->spans));
		r->spans[r->nspans++] = (struct span){
			.start = json_number_value(start),
			.end = json_is_number(end) ? json_number_value(end) : -1,
			.ike = !kind || strcmp(kind, "child"),
		};
	}
}

/* What the recorder concluded overrides what events.jsonl suggested. */
static void summary_apply(struct run *r, const json_t *s)
{
	const json_t *v;

	if (jstr(s, "lab"))
		set_str(&r->lab, jstr(s, "lab"));
	/* A scenario run is known by its scenario and seed, not its lab. */
	if (jstr(s, "scenario")) {
		char *t = xasprintf("%s, seed %lld", jstr(s, "scenario"),
				    (long long)json_integer_value(json_object_get(s, "seed")));

		set_str(&r->lab, t);
		free(t);
	}
	if (jstr(s, "result"))
		set_str(&r->verdict, jstr(s, "result"));
	if (json_is_number(v = json_object_get(s, "duration_s")))
		r->duration = json_number_value(v);
	if (jstr(s, "verdict") && !jstr(s, "result"))
		set_str(&r->verdict, jstr(s, "verdict"));
	if ((v = json_object_get(s, "lab_error")))
		set_str(&r->lab_error, json_string_value(v));
	if (json_is_array(v = json_object_get(s, "duplicates")))
		summary_spans(r, v);
}

static int load_summary(struct run *r)
{
	char *path = optional_path(r, "summary.json");
	json_error_t je;
	json_t *s;
	int rc = 0;

	if (!path)
		return 0;
	s = json_load_file(path, 0, &je);
	if (!s)
		rc = err_set("%s:%d:%d: %s", path, je.line, je.column, je.text);
	else if (!json_is_object(s))
		rc = err_set("%s: not a JSON object", path);
	else
		summary_apply(r, s);
	json_decref(s);
	free(path);
	return rc;
}

/* ---- data files --------------------------------------------------------- */

static bool row_same(const double *a, const double *b)
{
	for (int i = S_IKE; i < S_COLS; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* Counts change rarely; a row that equals both neighbours adds nothing to
 * a line or a step through them, so only the rows around a change (and
 * the ends) are written. A 10 Hz hour stays a few hundred points. */
static void write_counts_block(struct strbuf *sb, const struct peer *p)
{
	size_t n = p->rows.n / S_COLS;

	sb_addf(sb, "# %zu samples\n", n);
	for (size_t i = 0; i < n; i++) {
		const double *row = &p->rows.v[i * S_COLS];

		if (i > 0 && i + 1 < n && row_same(row, row - S_COLS) &&
		    row_same(row, row + S_COLS))
			continue;
		sb_addf(sb, "%.3f %g %g %g %g %g\n", row[S_T], row[S_IKE], row[S_IKE_EST],
			row[S_CHILD], row[S_CHILD_TS], row[S_CHILD_ALL]);
	}
	sb_addf(sb, "\n\n");
}

static int write_dat(const struct run *r, const char *name, const struct strbuf *sb)
{
	char *path = xasprintf("%s/.plot/%s", r->dir, name);
	int rc = write_file(path, sb->buf, sb->len, 0644);

	free(path);
	return rc;
}

static int plot_write_data(struct run *r)
{
	struct strbuf counts = { 0 }, loss = { 0 }, marks = { 0 };
	char *dir = plot_run_path(r, ".plot");
	int block = 0, rc = -1;

	sb_addf(&counts, "# t ike ike_established child_installed child_max_installed_per_ts child\n");
	for (size_t i = 0; i < r->npeers; i++)
		write_counts_block(&counts, &r->peers[i]);
	sb_addf(&loss, "# t within the interval, lost packets\n");
	for (size_t i = 0; i < r->nflows; i++) {
		struct flow *f = &r->flows[i];
		/* Directions side by side within the interval, so that equal
		 * losses both ways do not hide one another. */
		double at = INTERVAL_S * ((double)i + 0.5) / (double)r->nflows;

		if (!f->lost.n)
			continue;
		f->block = block++;
		for (size_t j = 0; j < f->lost.n; j += 2)
			sb_addf(&loss, "%.3f %g\n", f->lost.v[j] + at, f->lost.v[j + 1]);
		sb_addf(&loss, "\n\n");
	}
	sb_addf(&marks, "# t\n");
	block = 0;
	for (int k = 0; k < MARK_KINDS; k++) {
		r->mark_block[k] = r->marks[k].n ? block++ : -1;
		for (size_t j = 0; j < r->marks[k].n; j++)
			sb_addf(&marks, "%.3f\n", r->marks[k].v[j]);
		if (r->marks[k].n)
			sb_addf(&marks, "\n\n");
	}
	if (mkdir_p(dir, 0755) == 0 && write_dat(r, "counts.dat", &counts) == 0 &&
	    write_dat(r, "loss.dat", &loss) == 0 && write_dat(r, "marks.dat", &marks) == 0)
		rc = 0;
	free(dir);
	sb_free(&counts);
	sb_free(&loss);
	sb_free(&marks);
	return rc;
}

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
		sb_addf(sb, "set object %d rect from first %.3f, graph 0 to first %.3f, graph 1 "
			"behind fc rgb '%s' fs transparent solid %g noborder\n", ++*obj, start, end,
			ike ? SPAN_IKE_COLOR : SPAN_CHILD_COLOR, alpha);
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
		sb_addf(sb, " at %.3f, graph %g %s offset %d,0 front tc rgb '%s' font ',12'\n", e->t,
			0.94 - 0.09 * (double)(i % 8), right ? "right" : "left", right ? -1 : 1,
			EXIT_COLOR);
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
		sb_addf(pc_next(pc), "keyentry with boxes fs transparent solid %g noborder lc rgb '%s'",
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

	sb_addf(&title, "%s   |   %.1f s   |   verdict: %s   |   ", r->lab ? r->lab :
		base ? base + 1 : r->dir, r->duration > 0 ? r->duration : r->xmax,
		r->verdict ? r->verdict : "unknown");
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

static void plot_script(struct strbuf *sb, const struct run *r)
{
	sb_addf(sb, "# timeline.gp - written by `ikelab plot`; to render again:\n"
		"#   cd RUN_DIR && gnuplot timeline.gp\n"
		"# .plot/counts.dat: a block per peer (in key order), rows only where counts change\n"
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
		"set key spacing 1.15 samplen 2.5\n", r->xmax);
	header(sb, r);
	panel_ike(sb, r);
	sb_addf(sb, "unset label 101\nunset label 102\n");
	panel_child(sb, r);
	panel_loss(sb, r);
	sb_addf(sb, "unset multiplot\nset output\n}\n");
}

/* ---- running gnuplot ---------------------------------------------------- */

static char *find_in_path(const char *name)
{
	const char *p = getenv("PATH");
	struct stat st;

	if (!p || !*p)
		p = "/usr/local/bin:/usr/bin:/bin";
	for (;;) {
		size_t len = strcspn(p, ":");
		char *cand = len ? xasprintf("%.*s/%s", (int)len, p, name) : xasprintf("./%s", name);

		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (!p[len])
			return NULL;
		p += len + 1;
	}
}

static void __attribute__((noreturn)) exec_gnuplot(const char *dir, const char *exe, int out)
{
	static const char msg[] = "cannot start gnuplot in the run directory\n";
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null >= 0 && chdir(dir) == 0 && dup2(null, 0) == 0 && dup2(out, 1) == 1 &&
	    dup2(out, 2) == 2)
		execl(exe, "gnuplot", "-d", "timeline.gp", (char *)NULL);
	(void)!write(out, msg, sizeof(msg) - 1);
	_exit(127);
}

/* Read the child's output until it closes, keeping the start; returns
 * 1 if the deadline passed first. */
static int drain(int fd, struct strbuf *out, int64_t deadline)
{
	char buf[4096];

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int64_t left = (deadline - mono_ns()) / 1000000;
		ssize_t n;
		int ready;

		if (left <= 0)
			return 1;
		ready = poll(&pfd, 1, (int)left);
		if (ready < 0 && errno != EINTR)
			return err_sys("poll");
		if (ready <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return err_sys("read gnuplot output");
		if (n == 0)
			return 0;
		if (out->len < GNUPLOT_OUT_MAX)
			sb_add(out, buf, (size_t)n);
	}
}

/* gnuplot's complaint on one line: drop blank lines and its ^ pointers. */
static char *one_line(const char *text)
{
	struct strbuf sb = { 0 };
	char *copy = xstrdup(text), *cur = copy, *line;

	while ((line = plot_next_line(&cur))) {
		line += strspn(line, " \t");
		if (!line[strspn(line, " \t^")])
			continue;
		sb_addf(&sb, "%s%s", sb.len ? "; " : "", line);
	}
	free(copy);
	if (!sb.buf)
		sb_addf(&sb, "no output");
	return sb.buf;
}

static int gnuplot_failed(const char *script, const char *how, const struct strbuf *out)
{
	char *said = one_line(out->buf ? out->buf : "");

	err_set("gnuplot %s on %s: %s", how, script, said);
	free(said);
	return -1;
}

static void gnuplot_killed(const char *script, int sig, const struct strbuf *out)
{
	char *how = xasprintf("was killed by signal %d (%s)", sig, strsignal(sig));

	gnuplot_failed(script, how, out);
	free(how);
}

static int run_gnuplot(const struct run *r)
{
	char *exe = find_in_path("gnuplot"), *script = plot_run_path(r, "timeline.gp");
	struct strbuf out = { 0 };
	int pfd[2], status, timed_out, rc = -1;
	pid_t pid;

	if (!exe) {
		free(script);
		return err_set("gnuplot is not installed (not found in PATH); "
			       "install it with: apt-get install gnuplot-nox");
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		err_sys("pipe");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		err_sys("fork");
		close(pfd[0]);
		close(pfd[1]);
		goto out;
	}
	if (pid == 0)
		exec_gnuplot(r->dir, exe, pfd[1]);
	close(pfd[1]);
	timed_out = drain(pfd[0], &out, mono_ns() + (int64_t)GNUPLOT_TIMEOUT_MS * 1000000);
	close(pfd[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			err_sys("waitpid gnuplot");
			goto out;
		}
	if (timed_out > 0)
		err_set("gnuplot did not finish %s within %d s and was killed", script,
			GNUPLOT_TIMEOUT_MS / 1000);
	else if (timed_out < 0)
		err_wrap("running gnuplot on %s", script);
	else if (WIFSIGNALED(status))
		gnuplot_killed(script, WTERMSIG(status), &out);
	else if (WEXITSTATUS(status))
		gnuplot_failed(script, "failed", &out);
	else
		rc = 0;
out:
	sb_free(&out);
	free(exe);
	free(script);
	return rc;
}

static const char *const outputs[] = { "timeline.svg", "timeline.png" };

/* A failed render must not leave an older picture looking current. */
static int remove_outputs(const struct run *r)
{
	for (size_t i = 0; i < ARRAY_LEN(outputs); i++) {
		char *path = plot_run_path(r, outputs[i]);
		int rc = unlink(path) < 0 && errno != ENOENT ? err_sys("remove %s", path) : 0;

		free(path);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int check_outputs(const struct run *r)
{
	struct stat st;

	for (size_t i = 0; i < ARRAY_LEN(outputs); i++) {
		char *path = plot_run_path(r, outputs[i]);
		int rc = stat(path, &st) < 0 || st.st_size == 0 ?
			 err_set("gnuplot succeeded but wrote no %s", path) : 0;

		free(path);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- plot_run ----------------------------------------------------------- */

static void plot_run_free(struct run *r)
{
	for (size_t i = 0; i < r->npeers; i++) {
		free(r->peers[i].name);
		free(r->peers[i].rows.v);
	}
	for (size_t i = 0; i < r->nflows; i++) {
		free(r->flows[i].dir);
		free(r->flows[i].lost.v);
	}
	for (int k = 0; k < MARK_KINDS; k++)
		free(r->marks[k].v);
	for (size_t i = 0; i < r->nexits; i++)
		free(r->exits[i].text);
	while (r->nups)
		up_remove(r, r->nups - 1);
	free(r->peers);
	free(r->flows);
	free(r->exits);
	free(r->spans);
	free(r->ups);
	free(r->lab);
	free(r->verdict);
	free(r->lab_error);
	free(r->dir);
}

static int plot_load(struct run *r)
{
	struct stat st;

	if (stat(r->dir, &st) < 0)
		return err_sys("run directory %s", r->dir);
	if (!S_ISDIR(st.st_mode))
		return err_set("%s is not a directory", r->dir);
	if (load_timeline(r) < 0 || load_traffic(r) < 0 || load_events(r) < 0 ||
	    load_summary(r) < 0)
		return -1;
	if (r->duration > r->xmax)
		r->xmax = r->duration;
	if (r->xmax <= 0)
		r->xmax = 1;
	return 0;
}

int plot_run(const char *run_dir)
{
	struct run r = { .duplicates = -1 };
	struct strbuf sb = { 0 };
	char *path = NULL;
	size_t len = strlen(run_dir);
	int rc = -1;

	/* Trailing slashes would double up in every path we print. */
	while (len > 1 && run_dir[len - 1] == '/')
		len--;
	r.dir = xasprintf("%.*s", (int)len, run_dir);
	if (plot_load(&r) < 0 || plot_write_data(&r) < 0)
		goto out;
	plot_script(&sb, &r);
	path = plot_run_path(&r, "timeline.gp");
	if (write_file(path, sb.buf, sb.len, 0644) < 0 || remove_outputs(&r) < 0 ||
	    run_gnuplot(&r) < 0 || check_outputs(&r) < 0)
		goto out;
	rc = 0;
out:
	free(path);
	sb_free(&sb);
	plot_run_free(&r);
	return rc;
}

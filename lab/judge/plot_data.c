/*
 * plot_data.c - a run directory read into a struct run, and the data files
 * gnuplot reads written from it (see plot-internal.h). It is
 * over 800 lines: one reader of one directory's five files, sharing the
 * CSV and file helpers that a split would have to export.
 */
#include "judge/plot-internal.h"
#include "base/json.h"
#include "base/err.h"
#include "base/util.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CSV_MAX_FIELDS 64
#define INTERVAL_S 0.1
#define PLOT_FILE_MAX ((size_t)1 << 30) /* a week of two peers at 10 Hz is about 0.5 GiB */

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

char *plot_run_path(const struct run *r, const char *name)
{
	return xasprintf("%s/%s", r->dir, name);
}

/* The run's file NAME, read as someone else may have left it: under
 * user-mode Linux the guest wrote the run directory, and a link there
 * must not make us read a host file, nor a FIFO block us (base/file.h,
 * read_file_beneath). 1 with *text, 0 when it is missing (*text NULL),
 * -1 with err_msg() when it was refused or could not be read. */
static int read_run_file(const struct run *r, const char *name, char **text)
{
	*text = NULL;
	if (read_file_beneath(r->dir, name, PLOT_FILE_MAX, text, NULL) == 0)
		return 1;
	if (errno != ENOENT)
		return -1;
	err_clear();
	return 0;
}

static void see_t(struct run *r, double t)
{
	if (t > r->xmax)
		r->xmax = t;
}

/* ---- reading ---------------------------------------------------------- */

/* The next line of a buffer, terminated in place; NULL at the end. */
char *plot_next_line(char **cur)
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
	int idx; /* -1 when absent */
};

static int csv_header(char *line, struct col *cols, size_t ncols, int *nfields, const char *path)
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

typedef int (*row_fn)(struct run *r, char **f, const struct col *cols, const char *path, size_t ln);

/* A CSV file's text BUF (PATH's, cut up in place) with a header into rows
 * handed to fn. */
static int read_csv(struct run *r, const char *path, char *buf, struct col *cols, size_t ncols,
		    row_fn fn)
{
	char *f[CSV_MAX_FIELDS];
	char *cur = buf, *line;
	size_t ln = 1;
	int nfields = 0;

	/* Empty: the run ended before the first line was written. */
	if (*cur && csv_header(plot_next_line(&cur), cols, ncols, &nfields, path) < 0)
		return -1;
	while ((line = plot_next_line(&cur))) {
		ln++;
		if (!*line)
			continue;
		if (csv_row(line, f, nfields, path, ln) < 0 || fn(r, f, cols, path, ln) < 0)
			return -1;
	}
	return 0;
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

enum {
	TL_T,
	TL_PEER,
	TL_IKE,
	TL_IKE_EST,
	TL_CHILD,
	TL_CHILD_TS,
	TL_CHILD_ALL,
	TL_COLS
};

static int timeline_row(struct run *r, char **f, const struct col *cols, const char *path,
			size_t ln)
{
	static const int to_sample[TL_COLS] = {
		[TL_T] = S_T,         [TL_IKE] = S_IKE,           [TL_IKE_EST] = S_IKE_EST,
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
	char *path = plot_run_path(r, "timeline.csv"), *buf;
	int rc = -1, got = read_run_file(r, "timeline.csv", &buf);

	if (got == 0)
		err_set("%s is missing: %s is not a run directory written by `ikelab record`", path,
			r->dir);
	if (got <= 0 || read_csv(r, path, buf, cols, TL_COLS, timeline_row) < 0)
		goto out;
	if (!r->npeers) {
		err_set("%s has no samples", path);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	free(path);
	return rc;
}

enum {
	TR_T,
	TR_DIR,
	TR_TX,
	TR_LOST,
	TR_COLS
};

static struct flow *flow_get(struct run *r, const char *dir)
{
	for (size_t i = 0; i < r->nflows; i++)
		if (!strcmp(r->flows[i].dir, dir))
			return &r->flows[i];
	r->flows = xrealloc(r->flows, (r->nflows + 1) * sizeof(*r->flows));
	r->flows[r->nflows] = (struct flow){ .dir = xstrdup(dir), .block = -1 };
	return &r->flows[r->nflows++];
}

static int traffic_row(struct run *r, char **f, const struct col *cols, const char *path, size_t ln)
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
	char *path = plot_run_path(r, "traffic.csv"), *buf;
	int got = read_run_file(r, "traffic.csv", &buf);
	int rc = got > 0 ? read_csv(r, path, buf, cols, TR_COLS, traffic_row) : got;

	free(buf);
	free(path);
	return rc;
}

/* ---- children.csv -------------------------------------------------------- */

enum {
	CH_T,
	CH_PEER,
	CH_CHILD,
	CH_INSTALLED,
	CH_COLS
};

static struct kid *kid_get(struct run *r, size_t peer, const char *name)
{
	for (size_t i = 0; i < r->nkids; i++)
		if (r->kids[i].peer == peer && !strcmp(r->kids[i].name, name))
			return &r->kids[i];
	r->kids = xrealloc(r->kids, (r->nkids + 1) * sizeof(*r->kids));
	r->kids[r->nkids] = (struct kid){ .peer = peer, .name = xstrdup(name), .block = -1 };
	return &r->kids[r->nkids++];
}

/* Rows of peers the timeline does not know are left out. */
static int children_row(struct run *r, char **f, const struct col *cols, const char *path,
			size_t ln)
{
	struct peer *p = peer_get(r, f[cols[CH_PEER].idx], false);
	double t, n;
	struct kid *k;

	if (csv_num(f, &cols[CH_T], &t, path, ln) < 0 ||
	    csv_num(f, &cols[CH_INSTALLED], &n, path, ln) < 0)
		return -1;
	if (!p)
		return 0;
	k = kid_get(r, (size_t)(p - r->peers), f[cols[CH_CHILD].idx]);
	dv_push(&k->pts, t);
	dv_push(&k->pts, n);
	return 0;
}

static int load_children(struct run *r)
{
	struct col cols[CH_COLS] = {
		[CH_T] = { "t", true, -1 },
		[CH_PEER] = { "peer", true, -1 },
		[CH_CHILD] = { "child", true, -1 },
		[CH_INSTALLED] = { "installed", true, -1 },
	};
	char *path = plot_run_path(r, "children.csv"), *buf;
	int got = read_run_file(r, "children.csv", &buf);
	int rc = got > 0 ? read_csv(r, path, buf, cols, CH_COLS, children_row) : got;

	free(buf);
	free(path);
	return rc;
}

/* How many CHILD_SA names peer P had. */
size_t plot_peer_kids(const struct run *r, size_t p)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nkids; i++)
		n += r->kids[i].peer == p;
	return n;
}

/* A block per child of a peer with several, the rows around a change. */
static void write_kids(struct run *r, struct strbuf *sb)
{
	int block = 0;

	sb_addf(sb, "# t installed\n");
	for (size_t i = 0; i < r->nkids; i++) {
		struct kid *k = &r->kids[i];
		size_t n = k->pts.n / 2;

		if (plot_peer_kids(r, k->peer) < 2)
			continue;
		k->block = block++;
		for (size_t j = 0; j < n; j++) {
			const double *v = k->pts.v;

			if (j > 0 && j + 1 < n && v[2 * j + 1] == v[2 * j - 1] &&
			    v[2 * j + 1] == v[2 * j + 3])
				continue;
			sb_addf(sb, "%.3f %g\n", v[2 * j], v[2 * j + 1]);
		}
		sb_addf(sb, "\n\n");
	}
}

/* ---- events ----------------------------------------------------------- */

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
	const char *remote = jget_str(ike, "remote");
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
	const char *how = jget_str(e, "how");
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

	if (jget_str(e, "lab"))
		set_str(&r->lab, jget_str(e, "lab"));
	if (json_is_number(d))
		r->duration = json_number_value(d);
}

static void on_record_end(struct run *r, const json_t *e, double t, const char *peer)
{
	const char *verdict = jget_str(e, "verdict");

	if (!verdict)
		return;
	set_str(&r->verdict, verdict);
	/* How long it really ran; record-start only said how long it would. */
	r->duration = t;
	if (strcmp(verdict, "ok"))
		set_str(&r->lab_error, jget_str(e, "reason"));
}

static const struct {
	const char *source, *kind;
	void (*fn)(struct run *r, const json_t *e, double t, const char *peer);
} handlers[] = {
	{ "lab", "record-start", on_record_start }, { "lab", "record-end", on_record_end },
	{ "lab", "charon-exit", on_charon_exit },   { "kernel", "acquire", on_acquire },
	{ "vici", "ike-updown", on_ike_updown },    { "vici", "ike-rekey", on_ike_rekey },
	{ "vici", "child-rekey", on_child_rekey },
};

static int event_line(struct run *r, const char *line, const char *path, size_t ln)
{
	json_error_t je;
	json_t *e = json_loads(line, 0, &je);
	const json_t *t = json_object_get(e, "t");
	const json_t *peer = json_object_get(e, "peer");
	const char *source = jget_str(e, "source"), *kind = jget_str(e, "kind");

	if (!e)
		return err_set("%s:%zu: %s", path, ln, je.text);
	if (!json_is_number(t) || !source || !kind ||
	    (peer && !json_is_null(peer) && !json_is_string(peer))) {
		json_decref(e);
		return err_set("%s:%zu: not an event: needs a number t, strings source and kind, "
			       "and a string or null peer",
			       path, ln);
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
	char *path = plot_run_path(r, "events.jsonl");
	char *buf, *cur, *line;
	size_t ln = 0;
	int rc = read_run_file(r, "events.jsonl", &buf);

	if (rc <= 0)
		goto out;
	rc = -1;
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

	r->duplicates = 0;
	json_array_foreach (dups, i, d) {
		const json_t *start = json_object_get(d, "start");
		const json_t *end = json_object_get(d, "end");
		const char *kind = jget_str(d, "kind");

		/* Duplicate SAs only: a reqid two CHILD_SAs share is no
		 * duplicate of either (its own expectation says so). */
		if (!json_is_number(start) ||
		    (kind && strcmp(kind, "ike") && strcmp(kind, "child")))
			continue;
		r->duplicates++;
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

	if (jget_str(s, "lab"))
		set_str(&r->lab, jget_str(s, "lab"));
	/* A scenario run is known by its scenario and seed, not its lab. */
	if (jget_str(s, "scenario")) {
		char *t = xasprintf("%s, seed %lld", jget_str(s, "scenario"),
				    (long long)json_integer_value(json_object_get(s, "seed")));

		set_str(&r->lab, t);
		free(t);
	}
	if (jget_str(s, "result"))
		set_str(&r->verdict, jget_str(s, "result"));
	if (json_is_number(v = json_object_get(s, "duration_s")))
		r->duration = json_number_value(v);
	if (jget_str(s, "verdict") && !jget_str(s, "result"))
		set_str(&r->verdict, jget_str(s, "verdict"));
	if ((v = json_object_get(s, "lab_error")))
		set_str(&r->lab_error, json_string_value(v));
	if (json_is_array(v = json_object_get(s, "duplicates")))
		summary_spans(r, v);
}

static int load_summary(struct run *r)
{
	char *path = plot_run_path(r, "summary.json"), *text;
	int rc = read_run_file(r, "summary.json", &text);
	json_error_t je;
	json_t *s;

	/* Empty: the run ended before it was written. */
	if (rc <= 0 || !*text) {
		free(text);
		free(path);
		return rc < 0 ? -1 : 0;
	}
	rc = 0;
	s = json_loads(text, 0, &je);
	free(text);
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

int plot_write_data(struct run *r)
{
	struct strbuf counts = { 0 }, loss = { 0 }, marks = { 0 }, kids = { 0 };
	char *dir = plot_run_path(r, ".plot");
	int block = 0, rc = -1;

	sb_addf(&counts,
		"# t ike ike_established child_installed child_max_installed_per_ts child\n");
	for (size_t i = 0; i < r->npeers; i++)
		write_counts_block(&counts, &r->peers[i]);
	write_kids(r, &kids);
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
	    write_dat(r, "children.dat", &kids) == 0 && write_dat(r, "loss.dat", &loss) == 0 &&
	    write_dat(r, "marks.dat", &marks) == 0)
		rc = 0;
	free(dir);
	sb_free(&counts);
	sb_free(&loss);
	sb_free(&marks);
	sb_free(&kids);
	return rc;
}

/* ---- the run ------------------------------------------------------------ */

void plot_run_free(struct run *r)
{
	for (size_t i = 0; i < r->npeers; i++) {
		free(r->peers[i].name);
		free(r->peers[i].rows.v);
	}
	for (size_t i = 0; i < r->nflows; i++) {
		free(r->flows[i].dir);
		free(r->flows[i].lost.v);
	}
	for (size_t i = 0; i < r->nkids; i++) {
		free(r->kids[i].name);
		free(r->kids[i].pts.v);
	}
	free(r->kids);
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

int plot_load(struct run *r)
{
	struct stat st;

	if (stat(r->dir, &st) < 0)
		return err_sys("run directory %s", r->dir);
	if (!S_ISDIR(st.st_mode))
		return err_set("%s is not a directory", r->dir);
	if (load_timeline(r) < 0 || load_children(r) < 0 || load_traffic(r) < 0 ||
	    load_events(r) < 0 || load_summary(r) < 0)
		return -1;
	if (r->duration > r->xmax)
		r->xmax = r->duration;
	if (r->xmax <= 0)
		r->xmax = 1;
	return 0;
}

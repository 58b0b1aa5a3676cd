/*
 * shrink.c - the search of `ikelab shrink` (see shrink.h): candidates, the
 * rules they follow, the scenarios they stand for (views), and delta
 * debugging over them. Pure: a callback judges each candidate;
 * shrink_run.c judges by running them. Which entries end an outage is
 * shrink_mend.c's.
 */
#include "campaign/shrink.h"
#include "campaign/shrink-internal.h"
#include "config/profile.h"
#include "base/util.h"
#include "judge/verdict.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARGIN_MS 2000 /* after the last action, besides the grace */
#define STEP_MS 1000   /* durations are whole seconds */
#define NAMES_SHOWN 3  /* items named in one candidate's line */

/* ---- candidates ---------------------------------------------------------- */

static bool *bools(const bool *src, unsigned n)
{
	bool *b = xcalloc(n ? n : 1, sizeof(*b));

	for (unsigned i = 0; i < n; i++)
		b[i] = src ? src[i] : true;
	return b;
}

void shrink_cand_init(struct shrink_cand *c, const struct scenario *s)
{
	memset(c, 0, sizeof(*c));
	c->n_entries = s->schedule_count;
	c->n_faults = s->faults_count;
	c->n_leaves = shrink_leaves(s);
	c->entry = bools(NULL, c->n_entries);
	c->fault = bools(NULL, c->n_faults);
	c->leaf = bools(NULL, c->n_leaves);
	c->duration_ms = s->duration_ms;
	c->pps = s->traffic ? s->traffic->pps : 0;
}

void shrink_cand_copy(struct shrink_cand *dst, const struct shrink_cand *src)
{
	*dst = *src;
	dst->entry = bools(src->entry, src->n_entries);
	dst->fault = bools(src->fault, src->n_faults);
	dst->leaf = bools(src->leaf, src->n_leaves);
}

void shrink_cand_free(struct shrink_cand *c)
{
	free(c->entry);
	free(c->fault);
	free(c->leaf);
	memset(c, 0, sizeof(*c));
}

/* ---- settings of set: ---------------------------------------------------- */

/* A key of peers[peer].set: FIELD of the profile, or SUB inside that
 * section. */
struct leaf {
	unsigned peer;
	const cyaml_schema_field_t *field, *sub;
};

static void **field_at(void *data, const cyaml_schema_field_t *f)
{
	return (void **)(void *)((char *)data + f->data_offset);
}

static const void *field_get(const void *data, const cyaml_schema_field_t *f)
{
	return *(const void *const *)(const void *)((const char *)data + f->data_offset);
}

static bool all_null(const void *data, const cyaml_schema_field_t *f)
{
	for (; f->key; f++)
		if (field_get(data, f))
			return false;
	return true;
}

/* The leaves in order; OUT may be NULL to count them. */
static unsigned leaves_list(const struct scenario *s, struct leaf *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->peers_count; i++) {
		const struct profile *set = s->peers[i].set;

		for (const cyaml_schema_field_t *f = profile_fields; set && f->key; f++) {
			const void *v = field_get(set, f);

			if (v && f->value.type != CYAML_MAPPING) {
				if (out)
					out[n] = (struct leaf){ i, f, NULL };
				n++;
			}
			for (const cyaml_schema_field_t *g = v && f->value.type == CYAML_MAPPING
								     ? f->value.mapping.fields
								     : NULL;
			     g && g->key; g++) {
				if (!field_get(v, g))
					continue;
				if (out)
					out[n] = (struct leaf){ i, f, g };
				n++;
			}
		}
	}
	return n;
}

static struct leaf *leaves_all(const struct scenario *s, unsigned *n)
{
	struct leaf *l;

	*n = leaves_list(s, NULL);
	l = xcalloc(*n ? *n : 1, sizeof(*l));
	leaves_list(s, l);
	return l;
}

unsigned shrink_leaves(const struct scenario *s)
{
	return leaves_list(s, NULL);
}

const char *shrink_leaf_name(const struct scenario *s, unsigned leaf, char *buf, size_t len)
{
	unsigned n;
	struct leaf *l = leaves_all(s, &n);

	if (leaf >= n)
		snprintf(buf, len, "?");
	else if (l[leaf].sub)
		snprintf(buf, len, "peers[%s].set.%s.%s", s->peers[l[leaf].peer].name,
			 l[leaf].field->key, l[leaf].sub->key);
	else
		snprintf(buf, len, "peers[%s].set.%s", s->peers[l[leaf].peer].name,
			 l[leaf].field->key);
	free(l);
	return buf;
}

/* ---- rules the candidates follow ----------------------------------------- */

/* Whether a kept rule holds until NAME (its until, or its own name). */
static bool hold_kept(const struct scenario *s, const struct shrink_cand *c, const char *name)
{
	for (unsigned j = 0; j < s->faults_count; j++) {
		const struct sc_fault *f = &s->faults[j];

		if (c->fault[j] && !strcmp(f->action, "hold") &&
		    !strcmp(f->until ? f->until : f->name, name))
			return true;
	}
	return false;
}

void shrink_drop_releases(const struct scenario *s, struct shrink_cand *c)
{
	for (unsigned i = 0; i < s->schedule_count; i++) {
		const struct sc_entry *e = &s->schedule[i];

		if (c->entry[i] && !strcmp(e->action, "release") && !hold_kept(s, c, e->name))
			c->entry[i] = false;
	}
}

static uint32_t round_up(uint64_t ms)
{
	return (uint32_t)((ms + STEP_MS - 1) / STEP_MS * STEP_MS);
}

/* The latest an entry can come, in ms, as the loader checks it. */
static uint64_t entry_latest_ms(const struct sc_entry *e)
{
	uint64_t jitter = e->jitter && *e->jitter ? *e->jitter - 1 : 0;
	uint64_t skew = e->skew_us ? (*e->skew_us + 999) / 1000 : 0;

	return e->at + jitter + skew;
}

uint32_t shrink_duration_floor(const struct scenario *s, const struct shrink_cand *c)
{
	uint64_t last = 0, ms;

	for (unsigned i = 0; i < s->schedule_count; i++)
		if (c->entry[i] && entry_latest_ms(&s->schedule[i]) > last)
			last = entry_latest_ms(&s->schedule[i]);
	if (c->pps && s->traffic && s->traffic->start && *s->traffic->start > last)
		last = *s->traffic->start;
	ms = round_up(last + MARGIN_MS + (uint64_t)(s->grace_s * 1000 + 0.5));
	return ms < s->duration_ms ? (uint32_t)ms : s->duration_ms;
}

/* ---- views --------------------------------------------------------------- */

struct view {
	struct scenario s; /* first: shrink_view hands out &v->s */
	void **owned;
	unsigned n_owned;
};

static void *own(struct view *v, void *p)
{
	v->owned = xrealloc(v->owned, (v->n_owned + 1) * sizeof(*v->owned));
	v->owned[v->n_owned++] = p;
	return p;
}

static void *kept(struct view *v, const void *items, size_t size, const bool *keep, unsigned n,
		  unsigned *count)
{
	char *out = own(v, xcalloc(n ? n : 1, size));

	*count = 0;
	for (unsigned i = 0; i < n; i++)
		if (keep[i])
			memcpy(out + (*count)++ * size, (const char *)items + i * size, size);
	return out;
}

/* peers[peer].set without the leaves the candidate drops; NULL when
 * nothing is left. Sections are copied before they change. */
static struct profile *view_set(struct view *v, const struct profile *set, const struct leaf *l,
				unsigned n, const bool *keep, unsigned peer)
{
	struct profile *p;

	if (!set)
		return NULL;
	p = own(v, xmalloc(sizeof(*p)));
	*p = *set;
	for (unsigned k = 0; k < n; k++) {
		void **sec;

		if (l[k].peer != peer || keep[k])
			continue;
		sec = field_at(p, l[k].field);
		if (!l[k].sub) {
			*sec = NULL;
			memset((char *)p + l[k].field->count_offset, 0, l[k].field->count_size);
			continue;
		}
		if (*sec == field_get(set, l[k].field)) {
			void *copy = own(v, xmalloc(l[k].field->value.data_size));

			memcpy(copy, *sec, l[k].field->value.data_size);
			*sec = copy;
		}
		*field_at(*sec, l[k].sub) = NULL;
	}
	for (const cyaml_schema_field_t *f = profile_fields; f->key; f++)
		if (f->value.type == CYAML_MAPPING && field_get(p, f) &&
		    all_null(field_get(p, f), f->value.mapping.fields))
			*field_at(p, f) = NULL;
	return all_null(p, profile_fields) ? NULL : p;
}

/* A peer entry left with neither a profile nor settings is left out. */
static void view_peers(struct view *v, const struct scenario *s, const struct shrink_cand *c)
{
	unsigned n;
	struct leaf *l = leaves_all(s, &n);
	struct sc_peer *peers =
		own(v, xcalloc(s->peers_count ? s->peers_count : 1, sizeof(*peers)));

	v->s.peers = peers;
	v->s.peers_count = 0;
	for (unsigned i = 0; i < s->peers_count; i++) {
		struct sc_peer p = s->peers[i];

		p.set = view_set(v, p.set, l, n, c->leaf, i);
		if (p.profile || p.set)
			peers[v->s.peers_count++] = p;
	}
	free(l);
}

char *shrink_ms_text(uint32_t ms)
{
	return ms % 1000 ? xasprintf("%" PRIu32 "ms", ms) : xasprintf("%" PRIu32 "s", ms / 1000);
}

struct scenario *shrink_view(const struct scenario *s, const struct shrink_cand *c, uint64_t seed)
{
	struct view *v = xcalloc(1, sizeof(*v));
	struct scenario *o = &v->s;

	*o = *s;
	o->seed = own(v, xmalloc(sizeof(*o->seed)));
	*o->seed = seed;
	o->duration = own(v, shrink_ms_text(c->duration_ms));
	o->duration_ms = c->duration_ms;
	o->traffic = NULL;
	if (c->pps && s->traffic) {
		o->traffic = own(v, xmalloc(sizeof(*o->traffic)));
		*o->traffic = *s->traffic;
		o->traffic->pps = c->pps;
	}
	o->schedule = kept(v, s->schedule, sizeof(*s->schedule), c->entry, c->n_entries,
			   &o->schedule_count);
	o->faults = kept(v, s->faults, sizeof(*s->faults), c->fault, c->n_faults, &o->faults_count);
	view_peers(v, s, c);
	return o;
}

void shrink_view_free(struct scenario *s)
{
	struct view *v = (struct view *)(void *)s;

	if (!v)
		return;
	for (unsigned i = 0; i < v->n_owned; i++)
		free(v->owned[i]);
	free(v->owned);
	free(v);
}

/* ---- a reproduction of what was violated --------------------------------- */

static bool named(const char *const *names, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

/* The entries of a list whose name (NAME_OF) is among NAMES, copied; their
 * count into *COUNT. */
static void *kept_named(struct view *v, const void *items, size_t size, unsigned n,
			const char *(*name_of)(const void *, char *, size_t),
			const char *const *names, unsigned n_names, unsigned *count)
{
	bool *keep = xcalloc(n ? n : 1, sizeof(*keep));
	char buf[128];
	void *out;

	for (unsigned i = 0; i < n; i++)
		keep[i] = named(names, n_names,
				name_of((const char *)items + i * size, buf, sizeof(buf)));
	out = kept(v, items, size, keep, n, count);
	free(keep);
	return out;
}

static const char *stat_name(const void *x, char *buf, size_t len)
{
	return verdict_stat_name(x, buf, len);
}

static const char *events_name(const void *x, char *buf, size_t len)
{
	return verdict_events_name(x, buf, len);
}

static const char *logs_name(const void *x, char *buf, size_t len)
{
	return verdict_logs_name(x, buf, len);
}

void shrink_view_reproduces(struct scenario *s, const char *const *violated, unsigned n)
{
	static bool no = false;
	struct view *v = (struct view *)(void *)s;
	struct sc_expect *x = own(v, xcalloc(1, sizeof(*x))), none = { 0 };
	const struct sc_expect *was = s->expectations ? s->expectations : &none;

	*x = *was;
	s->expect = own(v, xstrdup("reproduces"));
	s->reproduces = true;
	for (const cyaml_schema_field_t *f = sc_expect_fields; f->key; f++)
		if (f->value.type != CYAML_SEQUENCE && !named(violated, n, f->key))
			*field_at(x, f) = NULL;
	/* Absent, no_crash means true: only a crash that was seen stays. */
	if (!named(violated, n, "no_crash"))
		x->no_crash = &no;
	x->stats = kept_named(v, was->stats, sizeof(*was->stats), was->stats_count, stat_name,
			      violated, n, &x->stats_count);
	x->events = kept_named(v, was->events, sizeof(*was->events), was->events_count, events_name,
			       violated, n, &x->events_count);
	x->logs = kept_named(v, was->logs, sizeof(*was->logs), was->logs_count, logs_name, violated,
			     n, &x->logs_count);
	x->stats = x->stats_count ? x->stats : NULL;
	x->events = x->events_count ? x->events : NULL;
	x->logs = x->logs_count ? x->logs : NULL;
	s->expectations = x;
}

/* ---- the search ---------------------------------------------------------- */

static const char *const part_names[] = {
	[PART_SCHEDULE] = "schedule",
	[PART_FAULTS] = "faults",
	[PART_SET] = "set",
};

struct search {
	const struct scenario *s;
	struct shrink_cand *best;
	shrink_try_fn try_fn;
	shrink_stop_fn stop_fn;
	void *ctx;
	bool stopped; /* stop_fn said so: no candidate is tried any more */
};

/* The part's kept flags (C's own array: callers may change them). */
bool *shrink_part_mask(const struct shrink_cand *c, enum part p, unsigned *n)
{
	switch (p) {
	case PART_SCHEDULE:
		*n = c->n_entries;
		return c->entry;
	case PART_FAULTS:
		*n = c->n_faults;
		return c->fault;
	default:
		*n = c->n_leaves;
		return c->leaf;
	}
}

/* "#3 traffic burst alice", "#8 release deletes", "#5 netem clear wan",
 * "#10 kill STOP bob". */
static void entry_name(const struct scenario *s, unsigned i, struct strbuf *sb)
{
	const struct sc_entry *e = &s->schedule[i];
	const char *what = e->peer ? e->peer : e->node ? e->node : e->name;

	sb_addf(sb, "#%u %s", i, e->action);
	if (e->op)
		sb_addf(sb, " %s", e->op);
	if (e->state)
		sb_addf(sb, " %s", e->state);
	if (e->signal)
		sb_addf(sb, " %s", e->signal);
	if (e->clear && *e->clear)
		sb_addf(sb, " clear");
	if (what)
		sb_addf(sb, " %s", what);
}

void shrink_item_name(const struct scenario *s, enum part p, unsigned i, struct strbuf *sb)
{
	char buf[160];

	if (p == PART_SCHEDULE)
		entry_name(s, i, sb);
	else if (p == PART_FAULTS)
		sb_addf(sb, "%s", s->faults[i].name);
	else
		sb_addf(sb, "%s", shrink_leaf_name(s, i, buf, sizeof(buf)));
}

static bool in_chunk(const unsigned *idx, unsigned len, unsigned i)
{
	for (unsigned k = 0; k < len; k++)
		if (idx[k] == i)
			return true;
	return false;
}

/* The items of part Q the candidate drops beyond the chunk (of part P):
 * ", with #9 release deletes, #5 link up wan". */
static void describe_along(const struct search *S, enum part p, const unsigned *idx, unsigned len,
			   const struct shrink_cand *c, enum part q, bool *first, struct strbuf *sb)
{
	unsigned n;
	const bool *was = shrink_part_mask(S->best, q, &n), *now = shrink_part_mask(c, q, &n);

	for (unsigned i = 0; i < n; i++) {
		if (!was[i] || now[i] || (p == q && in_chunk(idx, len, i)))
			continue;
		sb_addf(sb, *first ? ", with " : ", ");
		shrink_item_name(S->s, q, i, sb);
		*first = false;
	}
}

/* "schedule: drop #3 install alice, #4 rekey bob", with what goes along:
 * the releases of a dropped hold rule, an outage and what undoes it. */
static char *describe_drop(const struct search *S, enum part p, const unsigned *idx, unsigned len,
			   const struct shrink_cand *c)
{
	struct strbuf sb = { 0 };
	bool first = true;

	sb_addf(&sb, "%s: drop ", part_names[p]);
	for (unsigned k = 0; k < len && k < NAMES_SHOWN; k++) {
		sb_addf(&sb, "%s", k ? ", " : "");
		shrink_item_name(S->s, p, idx[k], &sb);
	}
	if (len > NAMES_SHOWN)
		sb_addf(&sb, " and %u more", len - NAMES_SHOWN);
	describe_along(S, p, idx, len, c, PART_SCHEDULE, &first, &sb);
	describe_along(S, p, idx, len, c, PART_FAULTS, &first, &sb);
	return sb.buf;
}

/* Judge CAND; when it fails the same way it becomes the best. CAND is
 * consumed either way. */
static bool attempt(struct search *S, struct shrink_cand *cand, const char *what)
{
	bool ok;

	S->stopped = S->stopped || (S->stop_fn && S->stop_fn(S->ctx));
	/* Never an outage kept without what ends it (shrink_mend). */
	ok = !S->stopped && shrink_unmended(S->s, cand) < 0 && S->try_fn(S->ctx, cand, what);

	if (ok) {
		shrink_cand_free(S->best);
		*S->best = *cand;
	} else {
		shrink_cand_free(cand);
	}
	return ok;
}

static bool drop_chunk(struct search *S, enum part p, const unsigned *idx, unsigned len)
{
	struct shrink_cand c;
	unsigned n;
	bool *mask, ok;
	char *what;

	shrink_cand_copy(&c, S->best);
	mask = shrink_part_mask(&c, p, &n);
	for (unsigned k = 0; k < len; k++)
		mask[idx[k]] = false;
	shrink_mend(S->s, &c);
	what = describe_drop(S, p, idx, len, &c);
	ok = attempt(S, &c, what);
	free(what);
	return ok;
}

/*
 * Delta debugging on what is left of one part: drop each of PARTS chunks
 * in turn (halves first); after a drop, go on with one chunk fewer; when
 * none could go, with twice as many, down to single items. An item that
 * could not go alone is not tried alone again: a run costs seconds, and
 * taking more away rarely makes an item removable.
 */
static void ddmin(struct search *S, enum part p)
{
	unsigned parts = 2, n;
	bool *alone_failed;

	shrink_part_mask(S->best, p, &n);
	alone_failed = xcalloc(n ? n : 1, sizeof(*alone_failed));
	while (!S->stopped) {
		bool *mask = shrink_part_mask(S->best, p, &n), dropped = false;
		unsigned m = 0, *idx = xcalloc(n ? n : 1, sizeof(*idx));

		for (unsigned i = 0; i < n; i++)
			if (mask[i])
				idx[m++] = i;
		if (parts > m)
			parts = m;
		for (unsigned k = 0; k < parts && !dropped; k++) {
			unsigned from = k * m / parts, to = (k + 1) * m / parts;

			if (to - from == 1 && alone_failed[idx[from]])
				continue;
			dropped = drop_chunk(S, p, idx + from, to - from);
			if (to - from == 1 && !dropped)
				alone_failed[idx[from]] = true;
		}
		free(idx);
		if (dropped)
			parts = parts > 2 ? parts - 1 : 2;
		else if (parts >= m)
			break;
		else
			parts = parts * 2 < m ? parts * 2 : m;
	}
	free(alone_failed);
}

static bool try_duration(struct search *S, uint32_t ms)
{
	struct shrink_cand c;
	char *from = shrink_ms_text(S->best->duration_ms), *to = shrink_ms_text(ms);
	char *what = xasprintf("duration: %s -> %s", from, to);
	bool ok;

	shrink_cand_copy(&c, S->best);
	c.duration_ms = ms;
	ok = attempt(S, &c, what);
	free(what);
	free(from);
	free(to);
	return ok;
}

/* Halve while the failure holds, then bisect between the last duration
 * that lost it and the best, to a second. */
static void shrink_duration(struct search *S)
{
	uint32_t least = shrink_duration_floor(S->s, S->best), bad = 0;

	while (S->best->duration_ms > least && !S->stopped) {
		uint32_t half = round_up(S->best->duration_ms / 2);
		uint32_t next = half > least ? half : least;

		if (next >= S->best->duration_ms)
			break;
		if (!try_duration(S, next)) {
			bad = next;
			break;
		}
	}
	while (bad && S->best->duration_ms - bad > STEP_MS && !S->stopped) {
		uint32_t mid = round_up(((uint64_t)bad + S->best->duration_ms) / 2);

		if (mid >= S->best->duration_ms)
			break;
		if (!try_duration(S, mid))
			bad = mid;
	}
}

static bool try_pps(struct search *S, uint32_t pps)
{
	struct shrink_cand c;
	char *what = pps ? xasprintf("traffic: %" PRIu32 " -> %" PRIu32 " pps", S->best->pps, pps)
			 : xasprintf("traffic: %" PRIu32 " pps -> none", S->best->pps);
	bool ok;

	shrink_cand_copy(&c, S->best);
	c.pps = pps;
	ok = attempt(S, &c, what);
	free(what);
	return ok;
}

/* None at all first, then 1 pps (traffic that only sets something off):
 * when either holds, halving would be runs spent for nothing. */
static void shrink_traffic(struct search *S)
{
	uint32_t pps = S->best->pps;

	if (!pps || try_pps(S, 0) || pps == 1 || try_pps(S, 1))
		return;
	while (S->best->pps / 2 > 1 && !S->stopped && try_pps(S, S->best->pps / 2))
		;
}

bool shrink_search_until(const struct scenario *s, struct shrink_cand *best, shrink_try_fn try_fn,
			 shrink_stop_fn stop_fn, void *ctx)
{
	struct search S = {
		.s = s, .best = best, .try_fn = try_fn, .stop_fn = stop_fn, .ctx = ctx
	};

	ddmin(&S, PART_SCHEDULE);
	ddmin(&S, PART_FAULTS);
	ddmin(&S, PART_SET);
	shrink_traffic(&S);
	shrink_duration(&S);
	return S.stopped;
}

void shrink_search(const struct scenario *s, struct shrink_cand *best, shrink_try_fn try_fn,
		   void *ctx)
{
	shrink_search_until(s, best, try_fn, NULL, ctx);
}

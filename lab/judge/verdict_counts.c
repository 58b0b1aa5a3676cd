/*
 * verdict_counts.c - limits on what is counted over a run: charon's
 * counters from VICI stats, events of a kind in events.jsonl, lines of a
 * peer's charon.log (verdict-internal.h).
 */
#include "judge/verdict.h"
#include "judge/verdict-internal.h"
#include "base/err.h"
#include "base/json.h"
#include "base/util.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_MAX (64u << 20) /* bytes of a charon.log the judge reads */

/* "at most 3", "at least 1", "between 1 and 3" */
static void limits_text(char *buf, size_t len, const uint32_t *max, const uint32_t *min)
{
	if (max && min)
		snprintf(buf, len, "between %u and %u", *min, *max);
	else
		snprintf(buf, len, "%s %u", max ? "at most" : "at least", max ? *max : *min);
}

const char *verdict_stat_name(const struct sc_stat *x, char *buf, size_t len)
{
	snprintf(buf, len, "stats: %s", x->counter);
	return buf;
}

const char *verdict_events_name(const struct sc_events *x, char *buf, size_t len)
{
	snprintf(buf, len, "events: %s%s%s", x->kind, x->per ? " per " : "", x->per ? x->per : "");
	return buf;
}

const char *verdict_logs_name(const struct sc_logs *x, char *buf, size_t len)
{
	snprintf(buf, len, "logs: /%.60s/", x->match);
	return buf;
}

/* One entry of the verdict's expectations for a counted limit. */
static json_t *entry(const char *name, const uint32_t *max, const uint32_t *min, double actual,
		     bool held)
{
	json_t *e = json_pack("{s:s, s:f, s:f, s:b}", "name", name, "limit",
			      (double)(max ? *max : *min), "actual", actual, "held", held);

	if (!max)
		json_object_set_new(e, "bound", json_string(">="));
	return e;
}

/* A stretch of one peer's counter beyond its limit, from the stats
 * events: the first that lasted longer than the grace, or the longest. */
struct stretch {
	bool seen, in, sustained;
	double from, at;
	long long v, worst;
};

static bool beyond(const struct sc_stat *st, long long v)
{
	return (st->max && v > (long long)*st->max) || (st->min && v < (long long)*st->min);
}

static void stretch_end(struct stretch *s, double t, double grace)
{
	if (s->in && t - s->from > grace && !s->sustained) {
		s->sustained = true;
		s->at = s->from;
	}
	s->in = false;
}

static void stretch_add(struct stretch *s, const struct sc_stat *st, double t, long long v,
			double grace)
{
	s->seen = true;
	if (!beyond(st, v)) {
		stretch_end(s, t, grace);
		return;
	}
	if (!s->in) {
		s->in = true;
		s->from = t;
		s->v = v;
	}
	if (!s->sustained && (st->max ? v > s->v : v < s->v))
		s->v = v;
	if (!s->sustained)
		s->worst = s->v;
}

static struct stretch stat_stretch(const struct run *r, const struct sc_stat *st, const char *peer)
{
	struct stretch s = { 0 };
	size_t i;
	json_t *e;

	json_array_foreach (r->events, i, e) {
		json_t *v = json_object_get(json_object_get(e, "counters"), st->counter);

		if (!json_is_integer(v) || strcmp(jget_str(e, "source") ?: "", "stats") ||
		    strcmp(jget_str(e, "peer") ?: "", peer))
			continue;
		stretch_add(&s, st, json_number_value(json_object_get(e, "t")),
			    json_integer_value(v), r->s->grace_s);
	}
	stretch_end(&s, json_number_value(json_object_get(r->summary, "duration_s")),
		    r->s->grace_s);
	return s;
}

static void expect_stat(struct run *r, unsigned k, const struct sc_stat *st)
{
	json_t *peers = json_object_get(r->summary, "peers"), *e, *unused;
	const char *peer, *bad = NULL;
	struct stretch worst = { 0 };
	bool seen = false;
	char what[64], name[96];

	json_object_foreach (peers, peer, unused) {
		struct stretch s;

		if (st->peer && strcmp(st->peer, peer))
			continue;
		s = stat_stretch(r, st, peer);
		seen |= s.seen;
		if (s.sustained && !bad) {
			worst = s;
			bad = peer;
		}
	}
	if (!seen && !r->missing)
		r->missing =
			xasprintf("expectations.stats[%u]: charon's VICI stats%s%s have no "
				  "counter '%s'",
				  k, st->peer ? " on " : "", st->peer ? st->peer : "", st->counter);
	limits_text(what, sizeof(what), st->max, st->min);
	verdict_stat_name(st, name, sizeof(name));
	e = entry(name, st->max, st->min, (double)(bad ? worst.worst : 0), !bad);
	if (bad) {
		json_object_set_new(e, "at", json_real(worst.at));
		json_object_set_new(e, "peer", json_string(bad));
		json_object_set_new(e, "detail",
				    json_sprintf("%s on %s: %lld from %.3f s, longer than the "
						 "%.1f s grace (expected %s)",
						 st->counter, bad, worst.worst, worst.at,
						 r->s->grace_s, what));
	} else {
		json_object_set_new(e, "detail",
				    json_sprintf("%s %s%s%s, apart from stretches within the "
						 "%.1f s grace",
						 st->counter, what, st->peer ? " on " : "",
						 st->peer ? st->peer : "", r->s->grace_s));
	}
	json_array_append_new(r->out, e);
}

/* A stats event shown around a violation: only the counter a stats
 * expectation is about, and nothing around the others (NULL). */
json_t *vj_stats_around(const json_t *ev, const char *name)
{
	const char *counter;
	json_t *c, *copy;

	if (strncmp(name, "stats: ", 7))
		return NULL;
	counter = name + 7;
	c = json_object_get(json_object_get(ev, "counters"), counter);
	if (!c)
		return NULL;
	copy = json_deep_copy(ev);
	json_object_del(copy, "counters");
	json_object_set(copy, counter, c);
	return copy;
}

void vj_expect_stats(struct run *r)
{
	for (unsigned k = 0; k < r->s->expectations->stats_count; k++)
		expect_stat(r, k, &r->s->expectations->stats[k]);
}

/* ---- events ----------------------------------------------------------------- */

/* The field at the dotted PATH of EV as text ("true", "3", "net"), or
 * NULL where there is none or it is an object or array. Caller frees. */
static char *field_text(const json_t *ev, const char *path)
{
	char *copy = xstrdup(path), *save, *name, *out = NULL;
	const json_t *v = ev;

	for (name = strtok_r(copy, ".", &save); name && v; name = strtok_r(NULL, ".", &save))
		v = json_object_get(v, name);
	if (json_is_string(v))
		out = xstrdup(json_string_value(v));
	else if (json_is_boolean(v))
		out = xstrdup(json_is_true(v) ? "true" : "false");
	else if (json_is_integer(v))
		out = xasprintf("%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		out = xasprintf("%g", json_real_value(v));
	free(copy);
	return out;
}

static bool field_is(const json_t *ev, const char *where)
{
	const char *eq = strchr(where, '=');
	char *path = xasprintf("%.*s", (int)(eq - where), where), *v = field_text(ev, path);
	bool same = v && !strcmp(v, eq + 1);

	free(path);
	free(v);
	return same;
}

static bool in_window(double t, uint32_t after_ms, uint32_t before_ms)
{
	return t >= after_ms / 1000.0 && t < before_ms / 1000.0;
}

static bool event_matches(const struct sc_events *x, const json_t *ev)
{
	if (strcmp(jget_str(ev, "kind") ?: "", x->kind) ||
	    (x->source && strcmp(jget_str(ev, "source") ?: "", x->source)) ||
	    (x->peer && strcmp(jget_str(ev, "peer") ?: "", x->peer)) ||
	    !in_window(json_number_value(json_object_get(ev, "t")), x->after_ms, x->before_ms))
		return false;
	for (unsigned k = 0; k < x->where_count; k++)
		if (!field_is(ev, x->where[k]))
			return false;
	return true;
}

/* Counts per group (each peer's, and within it the `per` field's value),
 * and where the first group went over max: its value, peer and the
 * event's time. */
struct tally {
	json_t *counts; /* "PEER VALUE" -> count */
	char *over_key, *over_value, *over_peer;
	double over_t;
};

/* Groups are per peer: SA ids are each charon's own. */
static void tally_event(struct tally *ty, const struct sc_events *x, const json_t *ev)
{
	char *value = x->per ? field_text(ev, x->per) : xstrdup(""), *key;
	const char *peer = jget_str(ev, "peer") ?: "-";
	json_int_t n;

	if (!value)
		return;
	key = xasprintf("%s %s", peer, value);
	n = json_integer_value(json_object_get(ty->counts, key)) + 1;
	json_object_set_new(ty->counts, key, json_integer(n));
	if (x->max && n == (json_int_t)*x->max + 1 && !ty->over_key) {
		ty->over_key = key;
		ty->over_value = value;
		ty->over_peer = xstrdup(peer);
		ty->over_t = json_number_value(json_object_get(ev, "t"));
		return;
	}
	free(key);
	free(value);
}

static void expect_event(struct run *r, const struct sc_events *x)
{
	struct tally ty = { .counts = json_object() };
	json_int_t most = 0, least = -1;
	const char *key;
	json_t *ev, *c, *e;
	char what[64], name[96];
	size_t i;
	bool held;

	json_array_foreach (r->events, i, ev)
		if (event_matches(x, ev))
			tally_event(&ty, x, ev);
	json_object_foreach (ty.counts, key, c) {
		json_int_t n = json_integer_value(c);

		most = n > most ? n : most;
		least = least < 0 || n < least ? n : least;
	}
	least = least < 0 ? 0 : least;
	held = (!x->max || most <= (json_int_t)*x->max) &&
	       (!x->min || least >= (json_int_t)*x->min);
	limits_text(what, sizeof(what), x->max, x->min);
	verdict_events_name(x, name, sizeof(name));
	e = entry(name, x->max, x->min, (double)(ty.over_key || !x->min ? most : least), held);
	if (ty.over_key) {
		char *group = x->per ? xasprintf(" for %s=%s", x->per, ty.over_value) : xstrdup("");

		json_object_set_new(e, "at", json_real(ty.over_t));
		json_object_set_new(e, "peer", json_string(ty.over_peer));
		json_object_set_new(e, "detail",
				    json_sprintf("%s events%s on %s: %lld, over the limit from "
						 "%.3f s (expected %s)",
						 x->kind, group, ty.over_peer,
						 (long long)json_integer_value(
							 json_object_get(ty.counts, ty.over_key)),
						 ty.over_t, what));
		free(group);
	} else {
		json_object_set_new(
			e, "detail",
			json_sprintf("%s events%s%s%s on %s from %.1f to %.1f s%s: %lld "
				     "(expected %s)",
				     x->kind, x->where_count ? " with " : "",
				     x->where_count ? x->where[0] : "",
				     x->where_count > 1 ? ", ..." : "",
				     x->peer ? x->peer : "each peer", x->after_ms / 1000.0,
				     x->before_ms / 1000.0,
				     x->per ? ", the fewest of one group" : "",
				     (long long)(held && !x->min ? most : least), what));
		if (!held)
			json_object_set_new(e, "at", json_real(x->before_ms / 1000.0));
	}
	json_array_append_new(r->out, e);
	json_decref(ty.counts);
	free(ty.over_key);
	free(ty.over_value);
	free(ty.over_peer);
}

void vj_expect_events(struct run *r)
{
	for (unsigned k = 0; k < r->s->expectations->events_count; k++)
		expect_event(r, &r->s->expectations->events[k]);
}

/* ---- logs --------------------------------------------------------------------- */

/* "2026-12-04T09:45:39.389697Z" (the recorder's wall clock) or
 * "2026-12-04 09:45:39.389" (charon's filelog, UTC: the lab starts charon
 * with TZ=UTC) as seconds since the epoch; -1 for anything else. */
static double wall_seconds(const char *s)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec, n = 0;
	double frac = 0;

	if (sscanf(s, "%4d-%2d-%2d%*1[ T]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || !n)
		return -1;
	if (s[n] == '.') {
		double scale = 0.1;

		for (const char *p = s + n + 1; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return (double)timegm(&tm) + frac;
}

/* The recorder's start: its wall clock and its run time. */
static int run_start(const struct run *r, double *wall, double *t)
{
	size_t i;
	json_t *ev;

	json_array_foreach (r->events, i, ev)
		if (!strcmp(jget_str(ev, "kind") ?: "", "record-start") && jget_str(ev, "wall")) {
			*wall = wall_seconds(jget_str(ev, "wall"));
			*t = json_number_value(json_object_get(ev, "t"));
			return *wall < 0 ? -1 : 0;
		}
	return -1;
}

struct log_count {
	long n;
	double first_over; /* when the count went over max; -1: it did not */
};

/* The lines of TEXT in the window that match RE; a line without a time
 * of its own belongs to the last one that had one. */
static struct log_count count_lines(char *text, const regex_t *re, const struct sc_logs *x,
				    double wall0, double t0)
{
	struct log_count c = { 0, -1 };
	double t = -1;
	char *save, *line;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		double w = wall_seconds(line);

		if (w >= 0)
			t = w - wall0 + t0;
		if (t < 0 || !in_window(t, x->after_ms, x->before_ms) ||
		    regexec(re, line, 0, NULL, 0))
			continue;
		if (++c.n == (long)(x->max ? *x->max : 0) + 1 && x->max)
			c.first_over = t;
	}
	return c;
}

static void expect_log(struct run *r, const char *run_dir, unsigned k, const struct sc_logs *x)
{
	double wall0, t0, at = -1;
	const char *peer, *bad = NULL;
	long most = 0, least = -1;
	char what[64], name[96], *who;
	json_t *p, *e;
	regex_t re;

	if (run_start(r, &wall0, &t0) < 0 || regcomp(&re, x->match, REG_EXTENDED | REG_NOSUB)) {
		if (!r->missing)
			r->missing = xasprintf("expectations.logs[%u]: the run has no start time "
					       "in events.jsonl to place the log lines by",
					       k);
		return;
	}
	json_object_foreach (json_object_get(r->summary, "peers"), peer, p) {
		char *path, *text;
		struct log_count c;

		if (x->peer && strcmp(x->peer, peer))
			continue;
		path = xasprintf("%s/%s/charon.log", run_dir, peer);
		if (read_file_untrusted(path, LOG_MAX, &text, NULL) < 0) {
			if (!r->missing)
				r->missing = xasprintf("expectations.logs[%u]: %s", k, err_msg());
			err_clear();
			free(path);
			continue;
		}
		free(path);
		c = count_lines(text, &re, x, wall0, t0);
		free(text);
		if (c.first_over >= 0 && !bad) {
			bad = peer;
			at = c.first_over;
		}
		most = c.n > most ? c.n : most;
		least = least < 0 || c.n < least ? c.n : least;
	}
	regfree(&re);
	least = least < 0 ? 0 : least;
	limits_text(what, sizeof(what), x->max, x->min);
	verdict_logs_name(x, name, sizeof(name));
	e = entry(name, x->max, x->min, (double)(bad || !x->min ? most : least),
		  !bad && (!x->min || least >= (long)*x->min));
	if (bad) {
		json_object_set_new(e, "at", json_real(at));
		json_object_set_new(e, "peer", json_string(bad));
	} else if (x->min && least < (long)*x->min) {
		json_object_set_new(e, "at", json_real(x->before_ms / 1000.0));
	}
	who = bad       ? xasprintf("%s's", bad)
	      : x->peer ? xasprintf("%s's", x->peer)
			: xstrdup("each peer's");
	json_object_set_new(
		e, "detail",
		json_sprintf("lines of %s charon.log matching /%s/ from %.1f to %.1f s: "
			     "%ld (expected %s)",
			     who, x->match, x->after_ms / 1000.0, x->before_ms / 1000.0,
			     bad || !x->min ? most : least, what));
	free(who);
	json_array_append_new(r->out, e);
}

#define LOG_AROUND_S 0.5
#define LOG_AROUND_MAX 16

json_t *vj_log_around(const struct run *r, const char *run_dir, const char *peer, double at)
{
	char *path = xasprintf("%s/%s/charon.log", run_dir, peer), *text, *save, *line;
	json_t *out = json_array();
	double wall0, t0, t = -1;

	if (run_start(r, &wall0, &t0) < 0 || read_file_untrusted(path, LOG_MAX, &text, NULL) < 0) {
		err_clear();
		free(path);
		return out;
	}
	free(path);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		double w = wall_seconds(line);

		if (w >= 0)
			t = w - wall0 + t0;
		if (t < at - LOG_AROUND_S || t > at + LOG_AROUND_S)
			continue;
		if (json_array_size(out) == LOG_AROUND_MAX)
			break;
		json_array_append_new(out, json_pack("{s:f, s:s}", "t", t, "line", line));
	}
	free(text);
	return out;
}

void vj_expect_logs(struct run *r, const char *run_dir)
{
	for (unsigned k = 0; k < r->s->expectations->logs_count; k++)
		expect_log(r, run_dir, k, &r->s->expectations->logs[k]);
}

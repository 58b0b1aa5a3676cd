/*
 * scenario_expect.c - what the loader checks of a scenario's expectations
 * beyond single numbers: charon's counters (stats), events of a kind
 * (events) and lines of charon's log (logs), each problem at FILE:LINE:COL
 * (scenario-internal.h).
 */
#include "config/scenario.h"
#include "base/err.h"
#include "base/util.h"
#include "config/scenario-internal.h"
#include "config/yamlcheck.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>

#define PATTERN_MAX 512 /* bytes of a logs match */

/* A dotted path of names as VICI and events.jsonl write them: lower-case
 * letters, digits, '-' and '_' ("ikesas.half-open", "child.id"). */
static bool path_ok(const char *c)
{
	bool dot = true;

	for (; *c; c++) {
		if (*c == '.' && !dot) {
			dot = true;
			continue;
		}
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
		      *c == '_'))
			return false;
		dot = false;
	}
	return !dot;
}

/* max, min or both, min not above max: for stats, events and logs. */
static int check_limits(const struct ydoc *d, const char *at, unsigned i, const uint32_t *max,
			const uint32_t *min)
{
	char path[YPATH_LEN];

	if (!max && !min)
		return ydoc_err(d, ypath(path, "expectations.%s[%u]", at, i),
				"an expectation of %s needs max, min or both", at);
	if (max && min && *min > *max)
		return ydoc_err(d, ypath(path, "expectations.%s[%u].min", at, i),
				"min %u is above max %u", *min, *max);
	return 0;
}

/* after and before: a window of the run, before the end of it. */
static int check_window(const struct scenario *s, const struct ydoc *d, const char *at, unsigned i,
			const char *after, const char *before, uint32_t *after_ms,
			uint32_t *before_ms)
{
	char path[YPATH_LEN];

	*after_ms = 0;
	*before_ms = s->duration_ms;
	if (after && sc_ms_parse(after, after_ms) < 0)
		return ydoc_err(d, ypath(path, "expectations.%s[%u].after", at, i), "%s",
				err_msg());
	if (before && sc_ms_parse(before, before_ms) < 0)
		return ydoc_err(d, ypath(path, "expectations.%s[%u].before", at, i), "%s",
				err_msg());
	if (*before_ms > s->duration_ms)
		return ydoc_err(d, ypath(path, "expectations.%s[%u].before", at, i),
				"%s is after the end of the run (duration %u ms)", before,
				s->duration_ms);
	if (*after_ms >= *before_ms)
		return ydoc_err(d, ypath(path, "expectations.%s[%u].after", at, i),
				"the window is empty: %u ms is not before %u ms", *after_ms,
				*before_ms);
	return 0;
}

static int check_stat(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const struct sc_stat *st = &s->expectations->stats[i];
	char path[YPATH_LEN];

	if (!path_ok(st->counter))
		return ydoc_err(d, ypath(path, "expectations.stats[%u].counter", i),
				"'%s' is not a counter of VICI stats: names of lower-case letters, "
				"digits, '-' and '_' joined by dots, like ikesas.half-open",
				st->counter);
	if (st->peer &&
	    sc_want_peer(s, d, ypath(path, "expectations.stats[%u].peer", i), st->peer, false) < 0)
		return -1;
	return check_limits(d, "stats", i, st->max, st->min);
}

/* "PATH=VALUE", PATH a field of the event. */
static int check_where(const struct ydoc *d, unsigned i, unsigned k, const char *w)
{
	const char *eq = strchr(w, '=');
	char path[YPATH_LEN], field[64];

	if (!eq || eq == w || (size_t)(eq - w) >= sizeof(field))
		return ydoc_err(d, ypath(path, "expectations.events[%u].where[%u]", i, k),
				"'%s' is not FIELD=VALUE (like up=false or child.name=net)", w);
	snprintf(field, sizeof(field), "%.*s", (int)(eq - w), w);
	if (!path_ok(field))
		return ydoc_err(d, ypath(path, "expectations.events[%u].where[%u]", i, k),
				"'%s' is not a field of an event: names of lower-case letters, "
				"digits, '-' and '_' joined by dots",
				field);
	return 0;
}

static int check_events(struct scenario *s, const struct ydoc *d, unsigned i)
{
	struct sc_events *e = &s->expectations->events[i];
	char path[YPATH_LEN];

	if (!path_ok(e->kind) || strchr(e->kind, '.'))
		return ydoc_err(d, ypath(path, "expectations.events[%u].kind", i),
				"'%s' is not an event kind (like child-rekey or child-updown)",
				e->kind);
	if (e->source && !name_valid(e->source, 32))
		return ydoc_err(d, ypath(path, "expectations.events[%u].source", i),
				"'%s' is not an event source (like vici or kernel)", e->source);
	if (e->per && !path_ok(e->per))
		return ydoc_err(d, ypath(path, "expectations.events[%u].per", i),
				"'%s' is not a field of an event: names of lower-case letters, "
				"digits, '-' and '_' joined by dots, like old_id or child.id",
				e->per);
	if (e->peer &&
	    sc_want_peer(s, d, ypath(path, "expectations.events[%u].peer", i), e->peer, false) < 0)
		return -1;
	for (unsigned k = 0; k < e->where_count; k++)
		if (check_where(d, i, k, e->where[k]) < 0)
			return -1;
	if (check_limits(d, "events", i, e->max, e->min) < 0)
		return -1;
	return check_window(s, d, "events", i, e->after, e->before, &e->after_ms, &e->before_ms);
}

static int check_logs(struct scenario *s, const struct ydoc *d, unsigned i)
{
	struct sc_logs *l = &s->expectations->logs[i];
	char path[YPATH_LEN], why[160];
	regex_t re;
	int rc;

	ypath(path, "expectations.logs[%u].match", i);
	if (!*l->match || strlen(l->match) > PATTERN_MAX)
		return ydoc_err(d, path, "a pattern of 1 to %d bytes", PATTERN_MAX);
	rc = regcomp(&re, l->match, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		regerror(rc, &re, why, sizeof(why));
		return ydoc_err(d, path, "'%s' is not a POSIX extended regular expression: %s",
				l->match, why);
	}
	regfree(&re);
	if (l->peer &&
	    sc_want_peer(s, d, ypath(path, "expectations.logs[%u].peer", i), l->peer, false) < 0)
		return -1;
	if (check_limits(d, "logs", i, l->max, l->min) < 0)
		return -1;
	return check_window(s, d, "logs", i, l->after, l->before, &l->after_ms, &l->before_ms);
}

int sc_check_expectations(struct scenario *s, const struct ydoc *d)
{
	const struct sc_expect *e = s->expectations;

	if (!e)
		return 0;
	if (sc_want_decimal(d, "expectations.max_ike_growth_per_hour", e->max_ike_growth_per_hour) <
		    0 ||
	    sc_want_decimal(d, "expectations.max_child_growth_per_hour",
			    e->max_child_growth_per_hour) < 0)
		return -1;
	for (unsigned i = 0; i < e->stats_count; i++)
		if (check_stat(s, d, i) < 0)
			return -1;
	for (unsigned i = 0; i < e->events_count; i++)
		if (check_events(s, d, i) < 0)
			return -1;
	for (unsigned i = 0; i < e->logs_count; i++)
		if (check_logs(s, d, i) < 0)
			return -1;
	return 0;
}

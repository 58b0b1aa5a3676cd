/*
 * stats.c - charon's own counters, from VICI `stats` once a second: a
 * "stats" line in events.jsonl whenever one changes, and the last answer
 * in summary.json, for expectations on half-open IKE_SAs, jobs, workers
 * and memory (recorder-internal.h).
 */
#include "record/recorder-internal.h"
#include "base/err.h"
#include "charon/vici.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATS_EVERY_S 1.0
/* Counters that move without anything happening (the allocator's): a
 * change in them alone is written at most this often. */
#define VOLATILE_EVERY_S 10.0

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Every numeric value of the answer under its dotted path
 * ("ikesas.half-open"); lists and text are left out. */
static void flatten(const struct vici_node *sec, const char *prefix, json_t *out)
{
	for (const struct vici_node *c = sec->children; c; c = c->next) {
		char *path;

		if (!c->name || c->type == VICI_NODE_LIST)
			continue;
		path = prefix[0] ? xasprintf("%s.%s", prefix, c->name) : xstrdup(c->name);
		if (c->type == VICI_NODE_SECTION)
			flatten(c, path, out);
		else if (c->value && all_digits(c->value) && strlen(c->value) < 19)
			json_object_set_new(out, path, json_integer(strtoll(c->value, NULL, 10)));
		free(path);
	}
}

static bool is_volatile(const char *key)
{
	return !strncmp(key, "mallinfo.", 9) || !strncmp(key, "mem.", 4) ||
	       !strncmp(key, "uptime.", 7);
}

/* 2: a counter that matters changed; 1: only volatile ones; 0: none. */
static int changed(const json_t *before, const json_t *now)
{
	const char *key;
	json_t *v;
	int c = 0;

	if (!before || json_object_size(before) != json_object_size(now))
		return 2;
	json_object_foreach ((json_t *)now, key, v) {
		if (json_equal(v, json_object_get(before, key)))
			continue;
		if (!is_volatile(key))
			return 2;
		c = 1;
	}
	return c;
}

void rec_sample_stats(struct recorder *r, struct rec_peer *p, double t)
{
	struct vici_node *resp = NULL;
	json_t *flat;
	int c;

	if (p->dead || p->paused || (p->stats && t - p->stats_t < STATS_EVERY_S))
		return;
	p->stats_t = t;
	if (vici_cmd(p->cmd, "stats", NULL, &resp, VICI_MS) < 0) {
		/* The next list-sas says what is wrong with charon. */
		err_clear();
		return;
	}
	flatten(resp, "", flat = json_object());
	vici_node_free(resp);
	c = changed(p->stats, flat);
	if (c == 2 || (c == 1 && t - p->stats_written >= VOLATILE_EVERY_S)) {
		rec_emit(r, p->name, "stats", "counters", json_pack("{s:O}", "counters", flat));
		p->stats_written = t;
	}
	json_decref(p->stats);
	p->stats = flat;
}

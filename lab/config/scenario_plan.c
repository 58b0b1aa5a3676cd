/*
 * scenario_plan.c - a scenario's schedule expanded with a seed into
 * ordered steps, and the plan as JSON (scenario-internal.h).
 */
#include "config/scenario.h"
#include "base/util.h"
#include "config/scenario-internal.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Plans */

/*
 * Which peer goes first, as an index into the topology's peers, or -1.
 * "NAME-first" names a peer; alice-first and bob-first also stand for the
 * first and the second peer of a topology whose peers are called otherwise.
 */
int sc_order_first(const struct topology *t, const char *order)
{
	size_t n = strlen(order), len = n > 6 ? n - 6 : 0;

	if (!len || strcmp(order + len, "-first"))
		return -1;
	for (unsigned k = 0; k < 2; k++) {
		const char *name = topo_peer(t, k)->name;

		if (strlen(name) == len && !strncmp(order, name, len))
			return (int)k;
	}
	if (!strcmp(order, "alice-first"))
		return 0;
	if (!strcmp(order, "bob-first"))
		return 1;
	return -1;
}

uint64_t sc_rand(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

const char *sc_action_name(enum sc_action_kind k)
{
	return (size_t)k < ARRAY_LEN(sc_actions) ? sc_actions[k].name : "?";
}

static void step_add(struct sc_plan *p, const struct sc_entry *e, unsigned index, uint64_t at_us,
		     const char *peer)
{
	struct sc_step *st = &p->steps[p->n++];

	st->at_us = at_us;
	st->kind = (enum sc_action_kind)(sc_action_find(e->action) - sc_actions);
	st->entry = e;
	st->index = index;
	snprintf(st->peer, sizeof(st->peer), "%s", peer ? peer : "");
}

/* Insertion sort: stable, and schedules are short. */
static void steps_sort(struct sc_plan *p)
{
	for (unsigned i = 1; i < p->n; i++) {
		struct sc_step st = p->steps[i];
		unsigned j = i;

		for (; j > 0 && p->steps[j - 1].at_us > st.at_us; j--)
			p->steps[j] = p->steps[j - 1];
		p->steps[j] = st;
	}
}

/*
 * Every entry takes exactly two numbers from the seed's stream, in file
 * order, whether it uses them or not: the first for its jitter, the second
 * for a random order. So adding jitter or a random order to one entry
 * leaves every other entry's times as they were.
 */
void scenario_plan(const struct scenario *s, uint64_t seed, struct sc_plan *out)
{
	const struct topology *t = s->topo;
	uint64_t state = seed;

	out->steps = xcalloc(2 * (size_t)s->schedule_count, sizeof(*out->steps));
	out->n = 0;
	out->seed = seed;
	for (unsigned i = 0; i < s->schedule_count; i++) {
		const struct sc_entry *e = &s->schedule[i];
		uint64_t jdraw = sc_rand(&state), odraw = sc_rand(&state);
		uint64_t jitter = e->jitter && *e->jitter ? jdraw % *e->jitter : 0;
		uint64_t at_us = ((uint64_t)e->at + jitter) * 1000;
		int first;

		if (!e->peer || strcmp(e->peer, "both")) {
			step_add(out, e, i, at_us, e->peer);
			continue;
		}
		if (e->order && !strcmp(e->order, "random"))
			first = (int)(odraw & 1);
		else
			first = e->order ? sc_order_first(t, e->order) : 0;
		step_add(out, e, i, at_us, topo_peer(t, first)->name);
		step_add(out, e, i, at_us + (e->skew_us ? *e->skew_us : 0),
			 topo_peer(t, 1 - first)->name);
	}
	steps_sort(out);
}

void sc_plan_free(struct sc_plan *p)
{
	free(p->steps);
	p->steps = NULL;
	p->n = 0;
}

/* The entry's arguments as written: everything but its time and peer. */
static void args_json(json_t *o, const struct sc_entry *e)
{
	for (const cyaml_schema_field_t *f = sc_entry_fields; f->key; f++) {
		const void *v;

		if (sc_has_word(ENTRY_RESOLVED, f->key) || !sc_field_set(e, f))
			continue;
		v = *(const void *const *)(const void *)((const char *)e + f->data_offset);
		if (f->value.type == CYAML_MAPPING || f->value.type == CYAML_SEQUENCE) {
			/* set: and args: are the scenario file's to show. */
			json_object_set_new(o, f->key, json_true());
			continue;
		}
		if (f->value.type == CYAML_STRING)
			json_object_set_new(o, f->key, json_string(v));
		else if (f->value.type == CYAML_BOOL)
			json_object_set_new(o, f->key, json_boolean(*(const bool *)v));
		else
			json_object_set_new(o, f->key, json_integer(*(const uint32_t *)v));
	}
}

static json_t *step_json(const struct sc_step *st)
{
	json_t *o = json_object();

	json_object_set_new(o, "at_us", json_integer((json_int_t)st->at_us));
	json_object_set_new(o, "index", json_integer(st->index));
	json_object_set_new(o, "action", json_string(sc_action_name(st->kind)));
	if (st->peer[0])
		json_object_set_new(o, "peer", json_string(st->peer));
	args_json(o, st->entry);
	return o;
}

/* json_int_t is signed: a larger seed is written as a decimal string
 * rather than wrapped into a negative number. */
static json_t *seed_json(uint64_t seed)
{
	char buf[24];

	if (seed <= INT64_MAX)
		return json_integer((json_int_t)seed);
	snprintf(buf, sizeof(buf), "%" PRIu64, seed);
	return json_string(buf);
}

char *sc_plan_json(const struct scenario *s, const struct sc_plan *p)
{
	json_t *root = json_object(), *steps = json_array();
	char *text;

	json_object_set_new(root, "scenario", json_string(s->name));
	json_object_set_new(root, "seed", seed_json(p->seed));
	json_object_set_new(root, "duration_ms", json_integer(s->duration_ms));
	for (unsigned i = 0; i < p->n; i++)
		json_array_append_new(steps, step_json(&p->steps[i]));
	json_object_set_new(root, "steps", steps);
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	/* It fails only without memory, which ends the process (util.h). */
	if (!text) {
		fputs("ikelab: out of memory\n", stderr);
		abort();
	}
	return text;
}

/*
 * scenario-internal.h - what the four files of the scenario module share;
 * included only by lab/config/scenario*.c.
 *
 * scenario.c holds the schema, the table of actions, the loading of a
 * scenario and of the topology and profiles it names, and the accessors;
 * scenario_check.c checks what was loaded, with FILE:LINE:COL messages;
 * scenario_plan.c expands the schedule with a seed and writes the plan as
 * JSON; scenario_save.c writes a scenario back as YAML. What they share
 * -- the schema's field lists, the table of actions, a few helpers -- is
 * declared here with the sc_ prefix of the module; scenario.h
 * stays the module's whole interface.
 */
#ifndef IKELAB_SCENARIO_INTERNAL_H
#define IKELAB_SCENARIO_INTERNAL_H

#include <stdbool.h>
#include <cyaml/cyaml.h>

#include "config/scenario.h"

struct ydoc;

/* scenario.c: the schema. YAML keys are the field names. */
extern const cyaml_schema_field_t sc_entry_fields[];
extern const cyaml_schema_field_t sc_fields[];

/*
 * The actions, indexed by enum sc_action_kind. `takes` lists the keys an
 * entry of that action may have besides at, jitter and action; `needs` the
 * ones it must have.
 */
struct action {
	const char *name;
	const char *takes;
	const char *needs;
};

extern const struct action sc_actions[SC_VICI + 1];

/* Keys every action takes, and those resolved into a step's time and peer
 * rather than passed on as arguments. */
#define ENTRY_COMMON "at jitter action"
#define ENTRY_RESOLVED ENTRY_COMMON " peer skew_us order"

/* scenario.c: helpers the checks, the plan and the saver use too. */
bool sc_has_word(const char *list, const char *word);
const struct action *sc_action_find(const char *name);
bool sc_field_set(const struct sc_entry *e, const cyaml_schema_field_t *f);
char *sc_resolve(const struct scenario *s, const char *path);
int sc_want_peer(const struct scenario *s, const struct ydoc *d, const char *path, const char *name,
		 bool both);
/* The files the scenario names, loaded into s->topo and s->profiles;
 * scenario_check() runs them between its checks. */
int sc_load_topology(struct scenario *s, const struct ydoc *d);
int sc_load_profiles(struct scenario *s, const struct ydoc *d);

/* scenario.c: a reload entry's set: (connections only) over the
 * profile of each peer it acts on, checked as peers[].set is. */
int sc_check_reload(const struct scenario *s, const struct ydoc *d, unsigned i);

/* scenario_vici.c: a vici entry's command and arguments. */
int sc_check_vici(const struct scenario *s, const struct ydoc *d, unsigned i);

/* scenario_inject.c: an inject entry's keys, and the size of the message
 * they make (at schedule[I]). */
int sc_check_inject(const struct scenario *s, const struct ydoc *d, unsigned i);

/* scenario_expect.c: the expectations, each problem at its place. */
int sc_check_expectations(struct scenario *s, const struct ydoc *d);

/* scenario_check.c: everything scenario_load() checks, in file order;
 * and helpers of its checks the other files use: a decimal number (NULL
 * passes), a duration in ms ("10s", "500ms"; -1 and err_msg()). */
int sc_want_decimal(const struct ydoc *d, const char *path, const char *s);
int sc_ms_parse(const char *s, uint32_t *ms);
int scenario_check(struct scenario *s, const struct ydoc *d);

/* scenario_plan.c: which peer an entry's `order` puts first (-1: none). */
int sc_order_first(const struct topology *t, const char *order);

#endif

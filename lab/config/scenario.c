/*
 * scenario.c - a scenario's schema and table of actions, loading it with
 * the topology and profiles it names, freeing it, and scenario_profile().
 * How the module is split: scenario-internal.h.
 */
#include "config/scenario.h"
#include "base/err.h"
#include "base/util.h"
#include "config/scenario-internal.h"
#include "config/trust.h"
#include "config/yamlcheck.h"

#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPT CYAML_FLAG_OPTIONAL
#define STR(key, flags, type, member) \
	CYAML_FIELD_STRING_PTR(key, flags, type, member, 0, CYAML_UNLIMITED)
#define U32(key, type, member) CYAML_FIELD_UINT_PTR(key, OPT, type, member)
#define BOOL(key, type, member) CYAML_FIELD_BOOL_PTR(key, OPT, type, member)

/* Schema: YAML keys are the field names. */

static const cyaml_schema_value_t value_schema = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};

static const cyaml_schema_field_t vici_kv_fields[] = {
	STR("key", CYAML_FLAG_DEFAULT, struct sc_vici_kv, key),
	STR("value", OPT, struct sc_vici_kv, value),
	CYAML_FIELD_SEQUENCE("values", CYAML_FLAG_POINTER | OPT, struct sc_vici_kv, values,
			     &value_schema, 0, CYAML_UNLIMITED),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t vici_kv_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct sc_vici_kv, vici_kv_fields),
};

const cyaml_schema_field_t sc_entry_fields[] = {
	CYAML_FIELD_UINT("at", CYAML_FLAG_DEFAULT, struct sc_entry, at),
	U32("jitter", struct sc_entry, jitter),
	STR("action", CYAML_FLAG_DEFAULT, struct sc_entry, action),
	STR("peer", OPT, struct sc_entry, peer),
	U32("skew_us", struct sc_entry, skew_us),
	STR("order", OPT, struct sc_entry, order),
	STR("child", OPT, struct sc_entry, child),
	STR("ike", OPT, struct sc_entry, ike),
	BOOL("reauth", struct sc_entry, reauth),
	STR("sa", OPT, struct sc_entry, sa),
	BOOL("hard", struct sc_entry, hard),
	STR("op", OPT, struct sc_entry, op),
	U32("pps", struct sc_entry, pps),
	U32("packets", struct sc_entry, packets),
	STR("node", OPT, struct sc_entry, node),
	STR("dev", OPT, struct sc_entry, dev),
	U32("delay_ms", struct sc_entry, delay_ms),
	U32("jitter_ms", struct sc_entry, jitter_ms),
	STR("loss_pct", OPT, struct sc_entry, loss_pct),
	BOOL("clear", struct sc_entry, clear),
	STR("name", OPT, struct sc_entry, name),
	STR("signal", OPT, struct sc_entry, signal),
	U32("port", struct sc_entry, port),
	STR("exchange", OPT, struct sc_entry, exchange),
	STR("spi_i", OPT, struct sc_entry, spi_i),
	STR("spi_r", OPT, struct sc_entry, spi_r),
	U32("message_id", struct sc_entry, message_id),
	U32("flags", struct sc_entry, flags),
	U32("version", struct sc_entry, version),
	STR("payloads", OPT, struct sc_entry, payloads),
	STR("body", OPT, struct sc_entry, body),
	U32("next_payload", struct sc_entry, next_payload),
	U32("length", struct sc_entry, length),
	U32("count", struct sc_entry, count),
	STR("state", OPT, struct sc_entry, state),
	STR("replay", OPT, struct sc_entry, replay),
	CYAML_FIELD_MAPPING_PTR("set", OPT, struct sc_entry, set, profile_fields),
	STR("command", OPT, struct sc_entry, command),
	CYAML_FIELD_SEQUENCE("args", CYAML_FLAG_POINTER | OPT, struct sc_entry, args,
			     &vici_kv_schema, 0, CYAML_UNLIMITED),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t entry_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct sc_entry, sc_entry_fields),
};

static const cyaml_schema_field_t fault_fields[] = {
	STR("name", CYAML_FLAG_DEFAULT, struct sc_fault, name),
	STR("router", CYAML_FLAG_DEFAULT, struct sc_fault, router),
	STR("exchange", OPT, struct sc_fault, exchange),
	BOOL("response", struct sc_fault, response),
	STR("from", OPT, struct sc_fault, from),
	U32("message_id", struct sc_fault, message_id),
	U32("nth", struct sc_fault, nth),
	STR("action", CYAML_FLAG_DEFAULT, struct sc_fault, action),
	U32("delay_ms", struct sc_fault, delay_ms),
	STR("until", OPT, struct sc_fault, until),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t fault_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct sc_fault, fault_fields),
};

static const cyaml_schema_field_t peer_fields[] = {
	STR("name", CYAML_FLAG_DEFAULT, struct sc_peer, name),
	STR("profile", OPT, struct sc_peer, profile),
	CYAML_FIELD_MAPPING_PTR("set", OPT, struct sc_peer, set, profile_fields), CYAML_FIELD_END
};

static const cyaml_schema_value_t peer_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct sc_peer, peer_fields),
};

static const cyaml_schema_field_t traffic_fields[] = {
	CYAML_FIELD_UINT("pps", CYAML_FLAG_DEFAULT, struct sc_traffic, pps),
	U32("start", struct sc_traffic, start), CYAML_FIELD_END
};

static const cyaml_schema_field_t stat_fields[] = {
	STR("counter", CYAML_FLAG_DEFAULT, struct sc_stat, counter),
	STR("peer", OPT, struct sc_stat, peer), U32("max", struct sc_stat, max),
	U32("min", struct sc_stat, min), CYAML_FIELD_END
};

static const cyaml_schema_value_t stat_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct sc_stat, stat_fields),
};

static const cyaml_schema_value_t string_schema = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};

static const cyaml_schema_field_t events_fields[] = {
	STR("kind", CYAML_FLAG_DEFAULT, struct sc_events, kind),
	STR("source", OPT, struct sc_events, source),
	STR("peer", OPT, struct sc_events, peer),
	CYAML_FIELD_SEQUENCE("where", CYAML_FLAG_POINTER | OPT, struct sc_events, where,
			     &string_schema, 0, CYAML_UNLIMITED),
	STR("per", OPT, struct sc_events, per),
	STR("after", OPT, struct sc_events, after),
	STR("before", OPT, struct sc_events, before),
	U32("max", struct sc_events, max),
	U32("min", struct sc_events, min),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t events_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct sc_events, events_fields),
};

static const cyaml_schema_field_t logs_fields[] = { STR("match", CYAML_FLAG_DEFAULT, struct sc_logs,
							match),
						    STR("peer", OPT, struct sc_logs, peer),
						    STR("after", OPT, struct sc_logs, after),
						    STR("before", OPT, struct sc_logs, before),
						    U32("max", struct sc_logs, max),
						    U32("min", struct sc_logs, min),
						    CYAML_FIELD_END };

static const cyaml_schema_value_t logs_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct sc_logs, logs_fields),
};

const cyaml_schema_field_t sc_expect_fields[] = {
	U32("max_ike_per_peer", struct sc_expect, max_ike_per_peer),
	U32("max_child_per_ts", struct sc_expect, max_child_per_ts),
	STR("max_ike_growth_per_hour", OPT, struct sc_expect, max_ike_growth_per_hour),
	STR("max_child_growth_per_hour", OPT, struct sc_expect, max_child_growth_per_hour),
	U32("max_acquires", struct sc_expect, max_acquires),
	U32("max_acquires_during_rekey", struct sc_expect, max_acquires_during_rekey),
	U32("max_lost_packets", struct sc_expect, max_lost_packets),
	U32("max_lost_per_event", struct sc_expect, max_lost_per_event),
	U32("max_lost_each_way", struct sc_expect, max_lost_each_way),
	U32("max_outage_ms", struct sc_expect, max_outage_ms),
	BOOL("no_crash", struct sc_expect, no_crash),
	BOOL("unique_reqids", struct sc_expect, unique_reqids),
	BOOL("kernel_sa_pairs", struct sc_expect, kernel_sa_pairs),
	BOOL("policies_match", struct sc_expect, policies_match),
	BOOL("ledger_agrees", struct sc_expect, ledger_agrees),
	CYAML_FIELD_SEQUENCE("stats", CYAML_FLAG_POINTER | OPT, struct sc_expect, stats,
			     &stat_schema, 0, CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("events", CYAML_FLAG_POINTER | OPT, struct sc_expect, events,
			     &events_schema, 0, CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("logs", CYAML_FLAG_POINTER | OPT, struct sc_expect, logs, &logs_schema,
			     0, CYAML_UNLIMITED),
	CYAML_FIELD_END
};

const cyaml_schema_field_t sc_fields[] = {
	STR("name", CYAML_FLAG_DEFAULT, struct scenario, name),
	STR("description", OPT, struct scenario, description),
	STR("cites", OPT, struct scenario, cites),
	STR("expect", OPT, struct scenario, expect),
	STR("topology", CYAML_FLAG_DEFAULT, struct scenario, topology),
	STR("profile", CYAML_FLAG_DEFAULT, struct scenario, profile),
	CYAML_FIELD_SEQUENCE("peers", CYAML_FLAG_POINTER | OPT, struct scenario, peers,
			     &peer_schema, 0, CYAML_UNLIMITED),
	STR("duration", CYAML_FLAG_DEFAULT, struct scenario, duration),
	CYAML_FIELD_UINT_PTR("seed", OPT, struct scenario, seed),
	STR("sample_rate", OPT, struct scenario, sample_rate),
	STR("grace", OPT, struct scenario, grace),
	BOOL("full_duration", struct scenario, full_duration),
	CYAML_FIELD_MAPPING_PTR("traffic", OPT, struct scenario, traffic, traffic_fields),
	CYAML_FIELD_SEQUENCE("faults", CYAML_FLAG_POINTER | OPT, struct scenario, faults,
			     &fault_schema, 0, CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("schedule", CYAML_FLAG_POINTER | OPT, struct scenario, schedule,
			     &entry_schema, 0, CYAML_UNLIMITED),
	CYAML_FIELD_MAPPING_PTR("expectations", OPT, struct scenario, expectations,
				sc_expect_fields),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t scenario_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct scenario, sc_fields),
};

const cyaml_schema_value_t *scenario_cyaml_schema(void)
{
	return &scenario_schema;
}

/* The actions, indexed by enum sc_action_kind (what `takes` and `needs`
 * mean: struct action in scenario-internal.h). */
const struct action sc_actions[] = {
	[SC_INITIATE] = { "initiate", "peer skew_us order child ike", "peer" },
	[SC_TERMINATE] = { "terminate", "peer skew_us order child ike", "peer" },
	[SC_REKEY] = { "rekey", "peer skew_us order child ike reauth", "peer" },
	[SC_INSTALL] = { "install", "peer skew_us order child ike", "peer" },
	[SC_UNINSTALL] = { "uninstall", "peer skew_us order child ike", "peer" },
	[SC_TRAFFIC] = { "traffic", "peer skew_us order op pps packets", "peer op" },
	[SC_EXPIRE] = { "expire", "peer skew_us order child sa hard", "peer sa" },
	[SC_DELETE_SA] = { "delete-sa", "peer skew_us order child sa", "peer sa" },
	[SC_NETEM] = { "netem", "node dev delay_ms jitter_ms loss_pct clear", "node" },
	[SC_RELEASE] = { "release", "name", "name" },
	[SC_KILL] = { "kill", "peer skew_us order signal", "peer" },
	[SC_RESTART] = { "restart", "peer skew_us order", "peer" },
	[SC_CONNTRACK_FLUSH] = { "conntrack-flush", "node", "node" },
	[SC_INJECT] = { "inject",
			"peer skew_us order node port exchange spi_i spi_r message_id flags "
			"version payloads body next_payload length count replay",
			"peer node" },
	[SC_LINK] = { "link", "node dev state", "node state" },
	[SC_RELOAD] = { "reload", "peer skew_us order set", "peer set" },
	[SC_VICI] = { "vici", "peer skew_us order command args", "peer command" },
};

/* Whether WORD is one of the space-separated words of LIST. */
bool sc_has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	while (*list) {
		size_t len = strcspn(list, " ");

		if (len == n && !strncmp(list, word, n))
			return true;
		list += len;
		list += strspn(list, " ");
	}
	return false;
}

const struct action *sc_action_find(const char *name)
{
	for (size_t k = 0; k < ARRAY_LEN(sc_actions); k++)
		if (!strcmp(sc_actions[k].name, name))
			return &sc_actions[k];
	return NULL;
}

bool sc_field_set(const struct sc_entry *e, const cyaml_schema_field_t *f)
{
	return *(void *const *)(const void *)((const char *)e + f->data_offset) != NULL;
}

/* Files named in the scenario */

/* PATH as written in the scenario file, relative to the file's folder. */
char *sc_resolve(const struct scenario *s, const char *path)
{
	char dir[PATH_MAX];

	if (path[0] == '/')
		return xstrdup(path);
	snprintf(dir, sizeof(dir), "%s", s->path);
	return xasprintf("%s/%s", dirname(dir), path);
}

int sc_load_topology(struct scenario *s, const struct ydoc *d)
{
	char *file = trust_named_file(d, "topology", s->path, s->topology, "topologies");
	int rc = 0;

	if (!file)
		return -1;
	s->topo = topology_load(file);
	if (s->topo)
		s->topology_path = abs_path(file);
	/* Either failure left its reason in err_msg(). */
	if (!s->topology_path)
		rc = ydoc_err(d, "topology", "%s", err_msg());
	free(file);
	return rc;
}

static struct profile *load_profile(const struct scenario *s, const struct ydoc *d,
				    const char *path, const char *file)
{
	char *full = trust_named_file(d, path, s->path, file, "peers");
	struct profile *p = full ? profile_load(full) : NULL;

	if (full && !p)
		ydoc_err(d, path, "%s", err_msg());
	free(full);
	return p;
}

/* Index of NAME among the topology's two peers, or -1. */
static int peer_index(const struct topology *t, const char *name)
{
	for (unsigned k = 0; k < 2; k++)
		if (!strcmp(topo_peer(t, k)->name, name))
			return (int)k;
	return -1;
}

int sc_want_peer(const struct scenario *s, const struct ydoc *d, const char *path, const char *name,
		 bool both)
{
	const struct topology *t = s->topo;
	const char *p0 = topo_peer(t, 0)->name, *p1 = topo_peer(t, 1)->name;

	if ((both && !strcmp(name, "both")) || peer_index(t, name) >= 0)
		return 0;
	if (both)
		return ydoc_err(d, path,
				"'%s' is not a peer of topology %s "
				"(%s, %s or both)",
				name, t->name, p0, p1);
	return ydoc_err(d, path,
			"'%s' is not a peer of topology %s (%s or "
			"%s)",
			name, t->name, p0, p1);
}

/* Profile copies */

static void *copy_value(const cyaml_schema_value_t *v, const void *src, unsigned count);

/* DST is a shallow copy of a mapping: give it its own pointees. */
static void copy_fields(const cyaml_schema_field_t *f, void *dst)
{
	for (; f->key; f++) {
		void **p = (void **)(void *)((char *)dst + f->data_offset);
		unsigned count;

		if (!(f->value.flags & CYAML_FLAG_POINTER) || !*p)
			continue;
		count = f->value.type == CYAML_SEQUENCE ? ycheck_count(dst, f) : 0;
		*p = copy_value(&f->value, *p, count);
	}
}

static void *copy_sequence(const cyaml_schema_value_t *entry, const void *src, unsigned count)
{
	bool ptr = entry->flags & CYAML_FLAG_POINTER;
	size_t size = ptr ? sizeof(void *) : entry->data_size;
	char *dst = xcalloc(count, size);

	memcpy(dst, src, count * size);
	for (unsigned i = 0; i < count; i++) {
		void **item = (void **)(void *)(dst + i * size);

		if (!ptr && entry->type == CYAML_MAPPING)
			copy_fields(entry->mapping.fields, item);
		else if (ptr && *item)
			*item = copy_value(entry, *item, 0);
	}
	return dst;
}

/* A deep copy of what a pointer field of schema V points to; COUNT
 * entries for a sequence. */
static void *copy_value(const cyaml_schema_value_t *v, const void *src, unsigned count)
{
	char *dst;

	if (v->type == CYAML_STRING)
		return xstrdup(src);
	if (v->type == CYAML_SEQUENCE)
		return copy_sequence(v->sequence.entry, src, count);
	dst = xmalloc(v->data_size);
	memcpy(dst, src, v->data_size);
	if (v->type == CYAML_MAPPING)
		copy_fields(v->mapping.fields, dst);
	return dst;
}

/* Freed by profile_free(), like a loaded one: cyaml frees with free(). */
static struct profile *profile_copy(const struct profile *p)
{
	struct profile *c = xmalloc(sizeof(*c));

	memcpy(c, p, sizeof(*c));
	copy_fields(profile_fields, c);
	c->path = p->path ? xstrdup(p->path) : NULL;
	return c;
}

/* Peers and their profiles */

static int check_peer(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const struct sc_peer *o = &s->peers[i];
	char path[YPATH_LEN];
	unsigned line = 0, col;

	if (sc_want_peer(s, d, ypath(path, "peers[%u].name", i), o->name, false) < 0)
		return -1;
	for (unsigned j = 0; j < i; j++)
		if (!strcmp(s->peers[j].name, o->name)) {
			ydoc_mark(d, ypath(path, "peers[%u].name", j), &line, &col);
			return ydoc_err(d, ypath(path, "peers[%u].name", i),
					"duplicate peer '%s' (first at line %u)", o->name, line);
		}
	if (!o->set)
		return 0;
	if (o->set->base)
		return ydoc_err(d, ypath(path, "peers[%u].set.base", i),
				"set: takes settings, not a base profile (use the peer's "
				"profile: for another file)");
	return profile_check_at(o->set, d, ypath(path, "peers[%u].set.", i));
}

static const struct sc_peer *peer_override(const struct scenario *s, const char *name,
					   unsigned *index)
{
	for (unsigned i = 0; i < s->peers_count; i++)
		if (!strcmp(s->peers[i].name, name)) {
			*index = i;
			return &s->peers[i];
		}
	return NULL;
}

/* A set: that names ike: or child: over a profile with connections: would
 * be ignored (they hold defaults there): refused, as in one file. */
static int set_names_nothing(const struct profile *p, const struct profile *set,
			     const struct ydoc *d, const char *at)
{
	char path[YPATH_LEN];

	if (!p->connections || set->connections)
		return 0;
	if (set->ike && set->ike->name)
		return ydoc_err(d, ypath(path, "%sike.name", at),
				"the profile has connections:, so ike: holds their defaults "
				"and names none (set connections: to rename them)");
	if (set->child && set->child->name)
		return ydoc_err(d, ypath(path, "%schild.name", at),
				"the profile has connections:, so child: holds their defaults "
				"and names none (set connections: to rename them)");
	return 0;
}

/* What peer K runs: its own profile or the scenario's, and its set:. */
static struct profile *peer_profile(const struct scenario *s, const struct ydoc *d,
				    const struct profile *dflt, unsigned k)
{
	const struct sc_peer *o;
	struct profile *p;
	char path[YPATH_LEN];
	unsigned i = 0;

	o = peer_override(s, topo_peer(s->topo, k)->name, &i);
	if (o && o->profile)
		p = load_profile(s, d, ypath(path, "peers[%u].profile", i), o->profile);
	else
		p = profile_copy(dflt);
	if (p && o && o->set &&
	    set_names_nothing(p, o->set, d, ypath(path, "peers[%u].set.", i)) < 0) {
		profile_free(p);
		return NULL;
	}
	if (p && o && o->set)
		profile_overlay(p, profile_copy(o->set));
	return p;
}

struct profile *scenario_reloaded(const struct profile *p, const struct sc_entry *e)
{
	struct profile *now = profile_copy(p);

	profile_overlay(now, profile_copy(e->set));
	return now;
}

/* What a reload may change: connections, as swanctl --load-conns does. */
static int reload_keys(const struct profile *set, const struct ydoc *d, const char *at)
{
	char path[YPATH_LEN];
	const char *key = set->base              ? "base"
			  : set->charon          ? "charon"
			  : set->plugins         ? "plugins"
			  : set->settings        ? "settings"
			  : set->log             ? "log"
			  : set->strongswan_conf ? "strongswan_conf"
						 : NULL;

	if (!key)
		return 0;
	return ydoc_err(d, ypath(path, "%s%s", at, key),
			"a reload loads connections (ike, child, connections) as swanctl "
			"--load-conns does; %s needs charon started again (restart, with "
			"peers[].set)",
			key);
}

int sc_check_reload(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const struct sc_entry *e = &s->schedule[i];
	bool both = !strcmp(e->peer, "both");
	char at[YPATH_LEN], path[YPATH_LEN];
	int rc;

	ypath(at, "schedule[%u].set.", i);
	if (reload_keys(e->set, d, at) < 0 || profile_check_at(e->set, d, at) < 0)
		return -1;
	for (unsigned k = 0; k < 2; k++) {
		struct profile *p;

		if (!both && strcmp(topo_peer(s->topo, k)->name, e->peer))
			continue;
		if (set_names_nothing(s->profiles[k], e->set, d, at) < 0)
			return -1;
		p = scenario_reloaded(s->profiles[k], e);
		rc = sc_check_protected(s->topo, p, k);
		profile_free(p);
		if (rc < 0)
			return ydoc_err(d, ypath(path, "schedule[%u].set", i), "%s", err_msg());
	}
	return 0;
}

int sc_check_protected(const struct topology *t, const struct profile *p, unsigned k)
{
	const struct topo_node *me = topo_peer(t, k), *other = topo_peer(t, 1 - k);

	return profile_check_protected(p, topo_protected_count(me), topo_protected_count(other),
				       me->name, other->name);
}

int sc_load_profiles(struct scenario *s, const struct ydoc *d)
{
	struct profile *dflt = load_profile(s, d, "profile", s->profile);
	int rc = dflt ? 0 : -1;

	for (unsigned i = 0; rc == 0 && i < s->peers_count; i++)
		rc = check_peer(s, d, i);
	for (unsigned k = 0; rc == 0 && k < 2; k++) {
		s->profiles[k] = peer_profile(s, d, dflt, k);
		rc = s->profiles[k] ? 0 : -1;
	}
	for (unsigned k = 0; rc == 0 && k < 2; k++)
		if (sc_check_protected(s->topo, s->profiles[k], k) < 0)
			rc = ydoc_err(d, "profile", "%s", err_msg());
	profile_free(dflt);
	return rc;
}

struct scenario *scenario_load(const char *path)
{
	return scenario_load_set(path, NULL, 0);
}

struct scenario *scenario_load_set(const char *path, const char *const *sets, unsigned n_sets)
{
	struct scenario *s;
	struct ydoc *d;
	void *data;
	int rc;

	if (ycheck_load_set(path, &scenario_schema, sets, n_sets, &data, &d) < 0)
		return NULL;
	s = data;
	s->path = xstrdup(path);
	rc = scenario_check(s, d);
	ydoc_free(d);
	if (rc < 0) {
		scenario_free(s);
		return NULL;
	}
	return s;
}

void scenario_free(struct scenario *s)
{
	if (!s)
		return;
	free(s->path);
	free(s->topology_path);
	topology_free(s->topo);
	profile_free(s->profiles[0]);
	profile_free(s->profiles[1]);
	ycheck_free(&scenario_schema, s);
}

struct profile *scenario_profile(const struct scenario *s, const char *peer)
{
	int k = peer_index(s->topo, peer);

	return k < 0 ? NULL : profile_copy(s->profiles[k]);
}

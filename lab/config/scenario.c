#include "config/scenario.h"
#include "config/config.h"
#include "base/err.h"
#include "base/util.h"
#include "config/yamlcheck.h"

#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define OPT CYAML_FLAG_OPTIONAL
#define STR(key, flags, type, member) \
	CYAML_FIELD_STRING_PTR(key, flags, type, member, 0, CYAML_UNLIMITED)
#define U32(key, type, member) CYAML_FIELD_UINT_PTR(key, OPT, type, member)
#define BOOL(key, type, member) CYAML_FIELD_BOOL_PTR(key, OPT, type, member)

#define PATH_LEN 96
#define NAME_MAX_LEN 32         /* fault and hold names */
#define SCENARIO_NAME_MAX 64    /* ends up in run directory names */
#define DIGITS "0123456789"

/* What peer.c loads when a profile names no connection or CHILD_SA. */
#define DEFAULT_IKE "lab"
#define DEFAULT_CHILD "net"

/* Schema: YAML keys are the field names. */

static const cyaml_schema_field_t entry_fields[] = {
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
	CYAML_FIELD_END
};

static const cyaml_schema_value_t entry_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct sc_entry, entry_fields),
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
	CYAML_FIELD_MAPPING_PTR("set", OPT, struct sc_peer, set,
	    profile_fields),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t peer_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct sc_peer, peer_fields),
};

static const cyaml_schema_field_t traffic_fields[] = {
	CYAML_FIELD_UINT("pps", CYAML_FLAG_DEFAULT, struct sc_traffic, pps),
	U32("start", struct sc_traffic, start),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t expect_fields[] = {
	U32("max_ike_per_peer", struct sc_expect, max_ike_per_peer),
	U32("max_child_per_ts", struct sc_expect, max_child_per_ts),
	STR("max_ike_growth_per_hour", OPT, struct sc_expect,
	    max_ike_growth_per_hour),
	STR("max_child_growth_per_hour", OPT, struct sc_expect,
	    max_child_growth_per_hour),
	U32("max_acquires_during_rekey", struct sc_expect,
	    max_acquires_during_rekey),
	U32("max_lost_packets", struct sc_expect, max_lost_packets),
	U32("max_lost_per_event", struct sc_expect, max_lost_per_event),
	BOOL("no_crash", struct sc_expect, no_crash),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t scenario_fields[] = {
	STR("name", CYAML_FLAG_DEFAULT, struct scenario, name),
	STR("description", OPT, struct scenario, description),
	STR("cites", OPT, struct scenario, cites),
	STR("expect", OPT, struct scenario, expect),
	STR("topology", CYAML_FLAG_DEFAULT, struct scenario, topology),
	STR("profile", CYAML_FLAG_DEFAULT, struct scenario, profile),
	CYAML_FIELD_SEQUENCE("peers", CYAML_FLAG_POINTER | OPT,
	    struct scenario, peers, &peer_schema, 0, CYAML_UNLIMITED),
	STR("duration", CYAML_FLAG_DEFAULT, struct scenario, duration),
	CYAML_FIELD_UINT_PTR("seed", OPT, struct scenario, seed),
	STR("sample_rate", OPT, struct scenario, sample_rate),
	STR("grace", OPT, struct scenario, grace),
	CYAML_FIELD_MAPPING_PTR("traffic", OPT, struct scenario, traffic,
	    traffic_fields),
	CYAML_FIELD_SEQUENCE("faults", CYAML_FLAG_POINTER | OPT,
	    struct scenario, faults, &fault_schema, 0, CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("schedule", CYAML_FLAG_POINTER | OPT,
	    struct scenario, schedule, &entry_schema, 0, CYAML_UNLIMITED),
	CYAML_FIELD_MAPPING_PTR("expectations", OPT, struct scenario,
	    expectations, expect_fields),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t scenario_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct scenario,
	    scenario_fields),
};

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

static const struct action actions[] = {
	[SC_INITIATE] = { "initiate", "peer skew_us order child ike", "peer" },
	[SC_TERMINATE] = { "terminate", "peer skew_us order child ike",
	    "peer" },
	[SC_REKEY] = { "rekey", "peer skew_us order child ike reauth", "peer" },
	[SC_INSTALL] = { "install", "peer skew_us order child ike", "peer" },
	[SC_UNINSTALL] = { "uninstall", "peer skew_us order child ike",
	    "peer" },
	[SC_TRAFFIC] = { "traffic", "peer skew_us order op pps packets",
	    "peer op" },
	[SC_EXPIRE] = { "expire", "peer skew_us order child sa hard",
	    "peer sa" },
	[SC_DELETE_SA] = { "delete-sa", "peer skew_us order child sa",
	    "peer sa" },
	[SC_NETEM] = { "netem", "node dev delay_ms jitter_ms loss_pct clear",
	    "node" },
	[SC_RELEASE] = { "release", "name", "name" },
	[SC_KILL] = { "kill", "peer skew_us order signal", "peer" },
	[SC_RESTART] = { "restart", "peer skew_us order", "peer" },
};

/* Keys every action takes, and those resolved into a step's time and peer
 * rather than passed on as arguments. */
#define ENTRY_COMMON "at jitter action"
#define ENTRY_RESOLVED ENTRY_COMMON " peer skew_us order"

static const char *pathf(char buf[static PATH_LEN], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Build a path for ydoc_err(): pathf(buf, "schedule[%u].sa", i). */
static const char *pathf(char buf[static PATH_LEN], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PATH_LEN, fmt, ap);
	va_end(ap);
	return buf;
}

/* Whether WORD is one of the space-separated words of LIST. */
static bool has_word(const char *list, const char *word)
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

/* "a b c" -> "a, b, c", for messages. */
static const char *commas(char *buf, size_t size, const char *list)
{
	size_t n = 0;

	for (; *list && n + 3 < size; list++) {
		if (*list == ' ')
			buf[n++] = ',';
		buf[n++] = *list;
	}
	buf[n] = '\0';
	return buf;
}

static int want_one_of(const struct ydoc *d, const char *path, const char *s,
    const char *list)
{
	char buf[256];

	if (!s || has_word(list, s))
		return 0;
	return ydoc_err(d, path, "'%s' is not one of: %s", s,
	    commas(buf, sizeof(buf), list));
}

/* "4", "0.5", "12.25": digits with an optional fraction, nothing else. */
static bool decimal_parse(const char *s, double *v)
{
	size_t n = strspn(s, DIGITS);

	if (n && s[n] == '.') {
		size_t frac = strspn(s + n + 1, DIGITS);

		if (!frac)
			return false;
		n += 1 + frac;
	}
	if (!n || s[n])
		return false;
	*v = strtod(s, NULL);
	return true;
}

static int want_decimal(const struct ydoc *d, const char *path,
    const char *s)
{
	double v;

	if (s && !decimal_parse(s, &v))
		return ydoc_err(d, path, "'%s' is not a decimal number "
		    "(like 4 or 0.5)", s);
	return 0;
}

/* Durations */

static int ms_malformed(const char *s)
{
	return err_set("'%s' is not a duration (milliseconds with ms, "
	    "seconds, or a number with s, m, h or d: 500ms, 90, 10s, 5m, 1h)",
	    s);
}

static int ms_too_long(const char *s)
{
	return err_set("'%s' is too long a duration (at most %" PRIu32
	    " ms)", s, UINT32_MAX);
}

/*
 * strongSwan's durations, which duration_parse() reads, and "NNNms" for
 * the finer times of a run. The shape is checked here first so that a
 * malformed value is never reported as too long.
 */
static int ms_parse(const char *s, uint32_t *ms)
{
	size_t digits = strspn(s, DIGITS);
	const char *unit = s + digits;
	uint64_t v = 0;
	uint32_t secs;

	if (!digits || (s[0] == '0' && digits > 1) ||
	    (*unit && !has_word("s m h d ms", unit)))
		return ms_malformed(s);
	if (digits > 10)
		return ms_too_long(s);
	if (!strcmp(unit, "ms")) {
		for (size_t i = 0; i < digits; i++)
			v = v * 10 + (uint64_t)(s[i] - '0');
	} else {
		if (duration_parse(s, &secs) < 0)
			return ms_too_long(s);
		v = (uint64_t)secs * 1000;
	}
	if (v > UINT32_MAX)
		return ms_too_long(s);
	*ms = (uint32_t)v;
	return 0;
}

static int want_ms(const struct ydoc *d, const char *path, const char *s,
    uint32_t *ms)
{
	if (ms_parse(s, ms) < 0)
		return ydoc_err(d, path, "%s", err_msg());
	return 0;
}

/* Checks of the scenario's own keys */

static int check_head(struct scenario *s, const struct ydoc *d)
{
	uint32_t grace_ms = 2000;
	double hz = 10;

	if (!name_valid(s->name, SCENARIO_NAME_MAX))
		return ydoc_err(d, "name", "'%s' is not a scenario name "
		    "(letters, digits, '-' and '_', at most %d)", s->name,
		    SCENARIO_NAME_MAX);
	if (want_one_of(d, "expect", s->expect, "clean reproduces") < 0)
		return -1;
	s->reproduces = s->expect && !strcmp(s->expect, "reproduces");
	if (want_ms(d, "duration", s->duration, &s->duration_ms) < 0)
		return -1;
	if (!s->duration_ms)
		return ydoc_err(d, "duration", "a run needs a duration "
		    "above 0");
	if (s->grace && want_ms(d, "grace", s->grace, &grace_ms) < 0)
		return -1;
	s->grace_s = grace_ms / 1000.0;
	if (s->sample_rate && (!decimal_parse(s->sample_rate, &hz) ||
	    hz <= 0 || hz > 100))
		return ydoc_err(d, "sample_rate", "'%s' is not a sample rate "
		    "in Hz above 0 and at most 100 (like 10 or 2.5)",
		    s->sample_rate);
	s->rate_hz = hz;
	if (!s->seed) {
		s->seed = xmalloc(sizeof(*s->seed));
		*s->seed = 1;
	}
	return 0;
}

static int want_before_end(const struct scenario *s, const struct ydoc *d,
    const char *path, uint32_t ms)
{
	if (ms >= s->duration_ms)
		return ydoc_err(d, path, "%" PRIu32 " ms is not before the end "
		    "of the run (duration %" PRIu32 " ms)", ms, s->duration_ms);
	return 0;
}

static int check_traffic(const struct scenario *s, const struct ydoc *d)
{
	const struct sc_traffic *t = s->traffic;

	if (!t)
		return 0;
	if (!t->pps)
		return ydoc_err(d, "traffic.pps", "pps must be at least 1");
	if (t->start && want_before_end(s, d, "traffic.start", *t->start) < 0)
		return -1;
	return 0;
}

static int check_expectations(const struct scenario *s, const struct ydoc *d)
{
	const struct sc_expect *e = s->expectations;

	if (!e)
		return 0;
	if (want_decimal(d, "expectations.max_ike_growth_per_hour",
	    e->max_ike_growth_per_hour) < 0 ||
	    want_decimal(d, "expectations.max_child_growth_per_hour",
	    e->max_child_growth_per_hour) < 0)
		return -1;
	return 0;
}

/* Files named in the scenario */

/* PATH as written in the scenario file, relative to the file's folder. */
static char *resolve(const struct scenario *s, const char *path)
{
	char dir[PATH_MAX];

	if (path[0] == '/')
		return xstrdup(path);
	snprintf(dir, sizeof(dir), "%s", s->path);
	return xasprintf("%s/%s", dirname(dir), path);
}

static int load_topology(struct scenario *s, const struct ydoc *d)
{
	char *file = resolve(s, s->topology);
	int rc = 0;

	s->topo = topology_load(file);
	if (s->topo)
		s->topology_path = abs_path(file);
	/* Either failure left its reason in err_msg(). */
	if (!s->topology_path)
		rc = ydoc_err(d, "topology", "%s", err_msg());
	free(file);
	return rc;
}

static struct profile *load_profile(const struct scenario *s,
    const struct ydoc *d, const char *path, const char *file)
{
	char *full = resolve(s, file);
	struct profile *p = profile_load(full);

	if (!p)
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

static int want_peer(const struct scenario *s, const struct ydoc *d,
    const char *path, const char *name, bool both)
{
	const struct topology *t = s->topo;
	const char *p0 = topo_peer(t, 0)->name, *p1 = topo_peer(t, 1)->name;

	if ((both && !strcmp(name, "both")) || peer_index(t, name) >= 0)
		return 0;
	if (both)
		return ydoc_err(d, path, "'%s' is not a peer of topology %s "
		    "(%s, %s or both)", name, t->name, p0, p1);
	return ydoc_err(d, path, "'%s' is not a peer of topology %s (%s or "
	    "%s)", name, t->name, p0, p1);
}

/* Profile copies */

static void *copy_value(const cyaml_schema_value_t *v, const void *src,
    unsigned count);

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

static void *copy_sequence(const cyaml_schema_value_t *entry,
    const void *src, unsigned count)
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
static void *copy_value(const cyaml_schema_value_t *v, const void *src,
    unsigned count)
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

static int check_peer(const struct scenario *s, const struct ydoc *d,
    unsigned i)
{
	const struct sc_peer *o = &s->peers[i];
	char path[PATH_LEN];
	unsigned line = 0, col;

	if (want_peer(s, d, pathf(path, "peers[%u].name", i), o->name,
	    false) < 0)
		return -1;
	for (unsigned j = 0; j < i; j++)
		if (!strcmp(s->peers[j].name, o->name)) {
			ydoc_mark(d, pathf(path, "peers[%u].name", j), &line,
			    &col);
			return ydoc_err(d, pathf(path, "peers[%u].name", i),
			    "duplicate peer '%s' (first at line %u)", o->name,
			    line);
		}
	if (!o->set)
		return 0;
	if (o->set->base)
		return ydoc_err(d, pathf(path, "peers[%u].set.base", i),
		    "set: takes settings, not a base profile (use the peer's "
		    "profile: for another file)");
	return profile_check_at(o->set, d, pathf(path, "peers[%u].set.", i));
}

static const struct sc_peer *peer_override(const struct scenario *s,
    const char *name, unsigned *index)
{
	for (unsigned i = 0; i < s->peers_count; i++)
		if (!strcmp(s->peers[i].name, name)) {
			*index = i;
			return &s->peers[i];
		}
	return NULL;
}

/* What peer K runs: its own profile or the scenario's, and its set:. */
static struct profile *peer_profile(const struct scenario *s,
    const struct ydoc *d, const struct profile *dflt, unsigned k)
{
	const struct sc_peer *o;
	struct profile *p;
	char path[PATH_LEN];
	unsigned i;

	o = peer_override(s, topo_peer(s->topo, k)->name, &i);
	if (o && o->profile)
		p = load_profile(s, d, pathf(path, "peers[%u].profile", i),
		    o->profile);
	else
		p = profile_copy(dflt);
	if (p && o && o->set)
		profile_overlay(p, profile_copy(o->set));
	return p;
}

static int load_profiles(struct scenario *s, const struct ydoc *d)
{
	struct profile *dflt = load_profile(s, d, "profile", s->profile);
	int rc = dflt ? 0 : -1;

	for (unsigned i = 0; rc == 0 && i < s->peers_count; i++)
		rc = check_peer(s, d, i);
	for (unsigned k = 0; rc == 0 && k < 2; k++) {
		s->profiles[k] = peer_profile(s, d, dflt, k);
		rc = s->profiles[k] ? 0 : -1;
	}
	profile_free(dflt);
	return rc;
}

/* Fault rules */

static int want_router(const struct scenario *s, const struct ydoc *d,
    unsigned i)
{
	const struct topo_node *n = topo_node_find(s->topo,
	    s->faults[i].router);
	char path[PATH_LEN];

	pathf(path, "faults[%u].router", i);
	if (!n)
		return ydoc_err(d, path, "topology %s has no router named "
		    "'%s'", s->topo->name, s->faults[i].router);
	if (n->role != NODE_ROUTER)
		return ydoc_err(d, path, "'%s' is a peer in topology %s, not "
		    "a router", n->name, s->topo->name);
	return 0;
}

static int check_fault_name(const struct scenario *s, const struct ydoc *d,
    unsigned i)
{
	const char *name = s->faults[i].name;
	char path[PATH_LEN];
	unsigned line = 0, col;

	pathf(path, "faults[%u].name", i);
	if (!name_valid(name, NAME_MAX_LEN))
		return ydoc_err(d, path, "'%s' is not a fault name (letters, "
		    "digits, '-' and '_', at most %d)", name, NAME_MAX_LEN);
	for (unsigned j = 0; j < i; j++)
		if (!strcmp(s->faults[j].name, name)) {
			ydoc_mark(d, pathf(path, "faults[%u].name", j), &line,
			    &col);
			return ydoc_err(d, pathf(path, "faults[%u].name", i),
			    "duplicate fault name '%s' (first at line %u)",
			    name, line);
		}
	return 0;
}

static int check_fault_action(const struct sc_fault *f,
    const struct ydoc *d, unsigned i)
{
	bool delay = !strcmp(f->action, "delay");
	char path[PATH_LEN];

	if (want_one_of(d, pathf(path, "faults[%u].action", i), f->action,
	    "delay drop duplicate hold") < 0)
		return -1;
	if (delay && !f->delay_ms)
		return ydoc_err(d, pathf(path, "faults[%u]", i),
		    "action delay needs delay_ms");
	if (!delay && f->delay_ms)
		return ydoc_err(d, pathf(path, "faults[%u].delay_ms", i),
		    "delay_ms applies only to action delay");
	if (delay && !*f->delay_ms)
		return ydoc_err(d, pathf(path, "faults[%u].delay_ms", i),
		    "delay_ms must be at least 1");
	if (!f->until)
		return 0;
	if (strcmp(f->action, "hold"))
		return ydoc_err(d, pathf(path, "faults[%u].until", i),
		    "until applies only to action hold");
	if (!name_valid(f->until, NAME_MAX_LEN))
		return ydoc_err(d, pathf(path, "faults[%u].until", i),
		    "'%s' is not a hold name (letters, digits, '-' and '_', "
		    "at most %d)", f->until, NAME_MAX_LEN);
	return 0;
}

static int check_fault(const struct scenario *s, const struct ydoc *d,
    unsigned i)
{
	const struct sc_fault *f = &s->faults[i];
	char path[PATH_LEN];

	if (check_fault_name(s, d, i) < 0 || want_router(s, d, i) < 0 ||
	    want_one_of(d, pathf(path, "faults[%u].exchange", i), f->exchange,
	    "IKE_SA_INIT IKE_AUTH CREATE_CHILD_SA INFORMATIONAL any") < 0)
		return -1;
	if (f->from && want_peer(s, d, pathf(path, "faults[%u].from", i),
	    f->from, false) < 0)
		return -1;
	if (f->nth && !*f->nth)
		return ydoc_err(d, pathf(path, "faults[%u].nth", i),
		    "nth counts from 1");
	return check_fault_action(f, d, i);
}

static bool is_release_of(const struct sc_entry *e, const char *hold)
{
	return !strcmp(e->action, "release") && e->name &&
	    !strcmp(e->name, hold);
}

/* After the schedule: every named hold is released by some entry, so a
 * misspelt name on either side is caught. */
static int check_holds_released(const struct scenario *s,
    const struct ydoc *d)
{
	char path[PATH_LEN];

	for (unsigned i = 0; i < s->faults_count; i++) {
		const char *until = s->faults[i].until;
		bool found = false;

		for (unsigned j = 0; until && j < s->schedule_count; j++)
			found |= is_release_of(&s->schedule[j], until);
		if (until && !found)
			return ydoc_err(d, pathf(path, "faults[%u].until", i),
			    "no release in the schedule names '%s' (leave "
			    "until out to hold until the end of the run)",
			    until);
	}
	return 0;
}

/* Schedule entries */

static const struct action *action_find(const char *name)
{
	for (size_t k = 0; k < ARRAY_LEN(actions); k++)
		if (!strcmp(actions[k].name, name))
			return &actions[k];
	return NULL;
}

static bool field_set(const struct sc_entry *e, const cyaml_schema_field_t *f)
{
	return *(void *const *)(const void *)((const char *)e +
	    f->data_offset) != NULL;
}

static int check_keys(const struct sc_entry *e, const struct ydoc *d,
    unsigned i, const struct action *a)
{
	char path[PATH_LEN], buf[128];

	for (const cyaml_schema_field_t *f = entry_fields; f->key; f++) {
		if (has_word(ENTRY_COMMON, f->key))
			continue;
		if (field_set(e, f) && !has_word(a->takes, f->key))
			return ydoc_err(d, pathf(path, "schedule[%u].%s", i,
			    f->key), "action %s does not take %s (it takes: "
			    "%s)", a->name, f->key,
			    commas(buf, sizeof(buf), a->takes));
		if (!field_set(e, f) && has_word(a->needs, f->key))
			return ydoc_err(d, pathf(path, "schedule[%u]", i),
			    "action %s needs %s", a->name, f->key);
	}
	return 0;
}

/*
 * Which peer goes first, as an index into the topology's peers, or -1.
 * "NAME-first" names a peer; alice-first and bob-first also stand for the
 * first and the second peer of a topology whose peers are called otherwise.
 */
static int order_first(const struct topology *t, const char *order)
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

static int check_order(const struct scenario *s, const struct ydoc *d,
    unsigned i)
{
	const struct topology *t = s->topo;
	const char *order = s->schedule[i].order, *p0, *p1;
	char path[PATH_LEN];

	if (!strcmp(order, "random") || order_first(t, order) >= 0)
		return 0;
	p0 = topo_peer(t, 0)->name;
	p1 = topo_peer(t, 1)->name;
	if (!strcmp(p0, "alice") && !strcmp(p1, "bob"))
		return ydoc_err(d, pathf(path, "schedule[%u].order", i),
		    "'%s' is not one of: alice-first, bob-first, random",
		    order);
	return ydoc_err(d, pathf(path, "schedule[%u].order", i),
	    "'%s' is not one of: %s-first, %s-first, alice-first, bob-first, "
	    "random", order, p0, p1);
}

static int check_peer_keys(const struct scenario *s, const struct ydoc *d,
    unsigned i)
{
	const struct sc_entry *e = &s->schedule[i];
	char path[PATH_LEN];
	bool both;

	if (!e->peer)
		return 0;
	if (want_peer(s, d, pathf(path, "schedule[%u].peer", i), e->peer,
	    true) < 0)
		return -1;
	both = !strcmp(e->peer, "both");
	if (!both && e->skew_us)
		return ydoc_err(d, pathf(path, "schedule[%u].skew_us", i),
		    "skew_us applies only with peer: both");
	if (!both && e->order)
		return ydoc_err(d, pathf(path, "schedule[%u].order", i),
		    "order applies only with peer: both");
	return e->order ? check_order(s, d, i) : 0;
}

static const char *ike_of(const struct profile *p)
{
	return p->ike && p->ike->name ? p->ike->name : DEFAULT_IKE;
}

static const char *child_of(const struct profile *p)
{
	return p->child && p->child->name ? p->child->name : DEFAULT_CHILD;
}

/* child and ike name what the peer's profile loads: it loads one
 * connection with one CHILD_SA. */
static int check_conn_names(const struct scenario *s, const struct ydoc *d,
    unsigned i)
{
	const struct sc_entry *e = &s->schedule[i];
	char path[PATH_LEN];

	for (unsigned k = 0; k < 2; k++) {
		const char *peer = topo_peer(s->topo, k)->name;
		const struct profile *p = s->profiles[k];

		if (!e->peer || (strcmp(e->peer, "both") &&
		    strcmp(e->peer, peer)))
			continue;
		if (e->child && strcmp(e->child, child_of(p)))
			return ydoc_err(d, pathf(path, "schedule[%u].child", i),
			    "peer %s has no CHILD_SA named '%s' (its profile's "
			    "is '%s')", peer, e->child, child_of(p));
		if (e->ike && strcmp(e->ike, ike_of(p)))
			return ydoc_err(d, pathf(path, "schedule[%u].ike", i),
			    "peer %s has no connection named '%s' (its "
			    "profile's is '%s')", peer, e->ike, ike_of(p));
	}
	return 0;
}

static int check_traffic_op(const struct sc_entry *e, const struct ydoc *d,
    unsigned i)
{
	char path[PATH_LEN];
	bool start = !strcmp(e->op, "start"), burst = !strcmp(e->op, "burst");

	if (want_one_of(d, pathf(path, "schedule[%u].op", i), e->op,
	    "start stop burst") < 0)
		return -1;
	if (start && !e->pps)
		return ydoc_err(d, pathf(path, "schedule[%u]", i),
		    "traffic start needs pps");
	if (!start && e->pps)
		return ydoc_err(d, pathf(path, "schedule[%u].pps", i),
		    "pps applies only to op start");
	if (!burst && e->packets)
		return ydoc_err(d, pathf(path, "schedule[%u].packets", i),
		    "packets applies only to op burst");
	if (e->pps && !*e->pps)
		return ydoc_err(d, pathf(path, "schedule[%u].pps", i),
		    "pps must be at least 1");
	if (e->packets && !*e->packets)
		return ydoc_err(d, pathf(path, "schedule[%u].packets", i),
		    "packets must be at least 1");
	return 0;
}

/* The n-th link a node is on is its veth eth<n-1> (lab.c build_links). */
static unsigned links_of(const struct topology *t, const char *node)
{
	unsigned n = 0;

	for (unsigned l = 0; l < t->links_count; l++)
		for (unsigned j = 0; j < t->links[l].endpoints_count; j++)
			n += !strcmp(t->links[l].endpoints[j].node, node);
	return n;
}

/* "eth0", "eth1", ...: the interface's index, or -1. */
static int eth_index(const char *dev)
{
	size_t digits;

	if (strncmp(dev, "eth", 3))
		return -1;
	digits = strspn(dev + 3, DIGITS);
	if (!digits || digits > 3 || dev[3 + digits] ||
	    (dev[3] == '0' && digits > 1))
		return -1;
	return atoi(dev + 3);
}

static int want_dev(const struct scenario *s, const struct ydoc *d,
    unsigned i)
{
	const struct sc_entry *e = &s->schedule[i];
	unsigned n = links_of(s->topo, e->node);
	char path[PATH_LEN], has[32];
	int k;

	if (!e->dev)
		return 0;
	k = eth_index(e->dev);
	if (k >= 0 && (unsigned)k < n)
		return 0;
	if (n == 1)
		snprintf(has, sizeof(has), "eth0");
	else
		snprintf(has, sizeof(has), "eth0..eth%u", n - 1);
	return ydoc_err(d, pathf(path, "schedule[%u].dev", i), "node '%s' "
	    "has no interface '%s' (it has %s, one per link in link order)",
	    e->node, e->dev, has);
}

static int check_netem(const struct scenario *s, const struct ydoc *d,
    unsigned i)
{
	const struct sc_entry *e = &s->schedule[i];
	bool clear = e->clear && *e->clear;
	char path[PATH_LEN];
	double loss;

	if (!topo_node_find(s->topo, e->node))
		return ydoc_err(d, pathf(path, "schedule[%u].node", i),
		    "topology %s has no node named '%s'", s->topo->name,
		    e->node);
	if (want_dev(s, d, i) < 0)
		return -1;
	if (e->loss_pct && (!decimal_parse(e->loss_pct, &loss) || loss > 100))
		return ydoc_err(d, pathf(path, "schedule[%u].loss_pct", i),
		    "'%s' is not a percentage (a decimal from 0 to 100)",
		    e->loss_pct);
	if (clear && (e->delay_ms || e->jitter_ms || e->loss_pct))
		return ydoc_err(d, pathf(path, "schedule[%u].clear", i),
		    "clear removes the qdisc: it takes no delay_ms, "
		    "jitter_ms or loss_pct");
	if (!clear && !e->delay_ms && !e->loss_pct)
		return ydoc_err(d, pathf(path, "schedule[%u]", i),
		    "netem needs delay_ms or loss_pct (or clear: true)");
	if (e->jitter_ms && !e->delay_ms)
		return ydoc_err(d, pathf(path, "schedule[%u].jitter_ms", i),
		    "jitter_ms needs delay_ms (netem varies the delay)");
	return 0;
}

/* A hold is released by its until, or without one by the rule's name
 * (wire.h); whatever is still held is forwarded when the run ends. */
static int check_release(const struct scenario *s, const struct ydoc *d,
    unsigned i)
{
	const char *name = s->schedule[i].name;
	char path[PATH_LEN];

	for (unsigned j = 0; j < s->faults_count; j++) {
		const struct sc_fault *f = &s->faults[j];

		if (!strcmp(f->action, "hold") &&
		    !strcmp(f->until ? f->until : f->name, name))
			return 0;
	}
	return ydoc_err(d, pathf(path, "schedule[%u].name", i),
	    "no fault rule holds until '%s'", name);
}

/* What each action asks of the keys it takes. */
static int check_args(const struct scenario *s, const struct ydoc *d,
    unsigned i, enum sc_action_kind kind)
{
	const struct sc_entry *e = &s->schedule[i];
	char path[PATH_LEN];

	if (check_conn_names(s, d, i) < 0)
		return -1;
	switch (kind) {
	case SC_REKEY:
		if (e->reauth && *e->reauth && e->child)
			return ydoc_err(d, pathf(path, "schedule[%u].reauth",
			    i), "reauth applies to the IKE_SA, not to a "
			    "CHILD_SA (leave out child)");
		return 0;
	case SC_TRAFFIC:
		return check_traffic_op(e, d, i);
	case SC_EXPIRE:
	case SC_DELETE_SA:
		return want_one_of(d, pathf(path, "schedule[%u].sa", i), e->sa,
		    "in out");
	case SC_NETEM:
		return check_netem(s, d, i);
	case SC_RELEASE:
		return check_release(s, d, i);
	case SC_KILL:
		return want_one_of(d, pathf(path, "schedule[%u].signal", i),
		    e->signal, "KILL TERM SEGV ABRT STOP CONT");
	default:
		return 0;
	}
}

/* The latest the entry can happen: jitter is below `jitter` ms, and the
 * second peer of "both" comes skew_us later. */
static int check_time(const struct scenario *s, const struct ydoc *d,
    unsigned i)
{
	const struct sc_entry *e = &s->schedule[i];
	uint64_t jitter = e->jitter && *e->jitter ? *e->jitter - 1 : 0;
	uint64_t skew = e->skew_us ? *e->skew_us : 0;
	uint64_t latest = (e->at + jitter) * 1000 + skew;
	char path[PATH_LEN];

	pathf(path, "schedule[%u].at", i);
	if (!jitter && !skew)
		return want_before_end(s, d, path, e->at);
	if (latest >= (uint64_t)s->duration_ms * 1000)
		return ydoc_err(d, path, "%" PRIu32 " ms with jitter and skew "
		    "can come at %" PRIu64 " us, not before the end of the run "
		    "(duration %" PRIu32 " ms)", e->at, latest, s->duration_ms);
	return 0;
}

static int check_entry(const struct scenario *s, const struct ydoc *d,
    unsigned i)
{
	const struct sc_entry *e = &s->schedule[i];
	const struct action *a = action_find(e->action);
	char path[PATH_LEN], buf[256];
	struct strbuf sb = { 0 };

	if (!a) {
		for (size_t k = 0; k < ARRAY_LEN(actions); k++)
			sb_addf(&sb, "%s%s", k ? " " : "", actions[k].name);
		ydoc_err(d, pathf(path, "schedule[%u].action", i),
		    "'%s' is not one of: %s", e->action,
		    commas(buf, sizeof(buf), sb.buf));
		sb_free(&sb);
		return -1;
	}
	if (check_keys(e, d, i, a) < 0 || check_peer_keys(s, d, i) < 0 ||
	    check_args(s, d, i, (enum sc_action_kind)(a - actions)) < 0)
		return -1;
	return check_time(s, d, i);
}

static int check_lists(const struct scenario *s, const struct ydoc *d)
{
	for (unsigned i = 0; i < s->faults_count; i++)
		if (check_fault(s, d, i) < 0)
			return -1;
	for (unsigned i = 0; i < s->schedule_count; i++)
		if (check_entry(s, d, i) < 0)
			return -1;
	return check_holds_released(s, d);
}

static int scenario_check(struct scenario *s, const struct ydoc *d)
{
	if (check_head(s, d) < 0 || load_topology(s, d) < 0 ||
	    load_profiles(s, d) < 0 || check_traffic(s, d) < 0 ||
	    check_lists(s, d) < 0 || check_expectations(s, d) < 0)
		return -1;
	return 0;
}

struct scenario *scenario_load(const char *path)
{
	struct scenario *s;
	struct ydoc *d;
	void *data;
	int rc;

	if (ycheck_load(path, &scenario_schema, &data, &d) < 0)
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

/* Plans */

uint64_t sc_rand(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

const char *sc_action_name(enum sc_action_kind k)
{
	return (size_t)k < ARRAY_LEN(actions) ? actions[k].name : "?";
}

static void step_add(struct sc_plan *p, const struct sc_entry *e,
    unsigned index, uint64_t at_us, const char *peer)
{
	struct sc_step *st = &p->steps[p->n++];

	st->at_us = at_us;
	st->kind = (enum sc_action_kind)(action_find(e->action) - actions);
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
void scenario_plan(const struct scenario *s, uint64_t seed,
    struct sc_plan *out)
{
	const struct topology *t = s->topo;
	uint64_t state = seed;

	out->steps = xcalloc(2 * (size_t)s->schedule_count,
	    sizeof(*out->steps));
	out->n = 0;
	out->seed = seed;
	for (unsigned i = 0; i < s->schedule_count; i++) {
		const struct sc_entry *e = &s->schedule[i];
		uint64_t jdraw = sc_rand(&state), odraw = sc_rand(&state);
		uint64_t jitter = e->jitter && *e->jitter ?
		    jdraw % *e->jitter : 0;
		uint64_t at_us = ((uint64_t)e->at + jitter) * 1000;
		int first;

		if (!e->peer || strcmp(e->peer, "both")) {
			step_add(out, e, i, at_us, e->peer);
			continue;
		}
		if (e->order && !strcmp(e->order, "random"))
			first = (int)(odraw & 1);
		else
			first = e->order ? order_first(t, e->order) : 0;
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
	for (const cyaml_schema_field_t *f = entry_fields; f->key; f++) {
		const void *v;

		if (has_word(ENTRY_RESOLVED, f->key) || !field_set(e, f))
			continue;
		v = *(const void *const *)(const void *)((const char *)e +
		    f->data_offset);
		if (f->value.type == CYAML_STRING)
			json_object_set_new(o, f->key, json_string(v));
		else if (f->value.type == CYAML_BOOL)
			json_object_set_new(o, f->key,
			    json_boolean(*(const bool *)v));
		else
			json_object_set_new(o, f->key,
			    json_integer(*(const uint32_t *)v));
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
	json_object_set_new(root, "duration_ms",
	    json_integer(s->duration_ms));
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

/* Saving */

struct saver {
	yaml_emitter_t em;
	struct strbuf out;
	bool failed;
};

static int save_write(void *ctx, unsigned char *buf, size_t size)
{
	sb_add(&((struct saver *)ctx)->out, buf, size);
	return 1;
}

/* Once the emitter failed it stays failed: later events are dropped
 * (the emitter frees those it was handed). */
static void save_event(struct saver *sv, yaml_event_t *ev, int made)
{
	if (!made)
		sv->failed = true;
	else if (sv->failed)
		yaml_event_delete(ev);
	else if (!yaml_emitter_emit(&sv->em, ev))
		sv->failed = true;
}

/* Implicit both plain and quoted: the emitter picks the style, and a
 * quoted string gets no !!str tag. */
static void save_scalar(struct saver *sv, const char *text,
    yaml_scalar_style_t style)
{
	yaml_event_t ev;

	save_event(sv, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL,
	    (yaml_char_t *)text, (int)strlen(text), 1, 1, style));
}

static uint64_t read_uint(const void *p, size_t size)
{
	switch (size) {
	case 1:
		return *(const uint8_t *)p;
	case 2:
		return *(const uint16_t *)p;
	case 4:
		return *(const uint32_t *)p;
	default:
		return *(const uint64_t *)p;
	}
}

static int64_t read_int(const void *p, size_t size)
{
	switch (size) {
	case 1:
		return *(const int8_t *)p;
	case 2:
		return *(const int16_t *)p;
	case 4:
		return *(const int32_t *)p;
	default:
		return *(const int64_t *)p;
	}
}

static void save_value(struct saver *sv, const cyaml_schema_value_t *v,
    const void *data, unsigned count);

/* Fields that are NULL (optional and absent) or empty sequences are left
 * out, as the file did not have them. */
static void save_mapping(struct saver *sv, const cyaml_schema_field_t *f,
    const void *data)
{
	yaml_event_t ev;

	save_event(sv, &ev, yaml_mapping_start_event_initialize(&ev, NULL,
	    NULL, 1, YAML_BLOCK_MAPPING_STYLE));
	for (; f->key; f++) {
		const void *p = (const char *)data + f->data_offset;
		unsigned count = f->value.type == CYAML_SEQUENCE ?
		    ycheck_count(data, f) : 0;

		if (f->value.flags & CYAML_FLAG_POINTER)
			p = *(const void *const *)p;
		if (!p || (f->value.type == CYAML_SEQUENCE && !count))
			continue;
		save_scalar(sv, f->key, YAML_ANY_SCALAR_STYLE);
		save_value(sv, &f->value, p, count);
	}
	save_event(sv, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void save_sequence(struct saver *sv, const cyaml_schema_value_t *e,
    const char *data, unsigned count)
{
	bool ptr = e->flags & CYAML_FLAG_POINTER;
	size_t size = ptr ? sizeof(void *) : e->data_size;
	yaml_event_t ev;

	save_event(sv, &ev, yaml_sequence_start_event_initialize(&ev, NULL,
	    NULL, 1, YAML_BLOCK_SEQUENCE_STYLE));
	for (unsigned i = 0; i < count; i++) {
		const void *item = data + i * size;

		save_value(sv, e, ptr ? *(const void *const *)item : item, 0);
	}
	save_event(sv, &ev, yaml_sequence_end_event_initialize(&ev));
}

/* DATA is the value itself (a pointer field already followed). The
 * schemas here use pointer strings, integers, booleans, mappings and
 * sequences; anything else is an internal error. */
static void save_value(struct saver *sv, const cyaml_schema_value_t *v,
    const void *data, unsigned count)
{
	char num[24];

	switch (v->type) {
	case CYAML_STRING:
		save_scalar(sv, data, strchr(data, '\n') ?
		    YAML_LITERAL_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
		break;
	case CYAML_UINT:
		snprintf(num, sizeof(num), "%" PRIu64,
		    read_uint(data, v->data_size));
		save_scalar(sv, num, YAML_PLAIN_SCALAR_STYLE);
		break;
	case CYAML_INT:
		snprintf(num, sizeof(num), "%" PRId64,
		    read_int(data, v->data_size));
		save_scalar(sv, num, YAML_PLAIN_SCALAR_STYLE);
		break;
	case CYAML_BOOL:
		save_scalar(sv, read_uint(data, v->data_size) ? "true" :
		    "false", YAML_PLAIN_SCALAR_STYLE);
		break;
	case CYAML_MAPPING:
		save_mapping(sv, v->mapping.fields, data);
		break;
	case CYAML_SEQUENCE:
		save_sequence(sv, v->sequence.entry, data, count);
		break;
	default:
		sv->failed = true;
	}
}

/* The document, as YAML text in OUT. */
static int save_doc(const struct scenario *s, struct strbuf *out)
{
	struct saver sv = { .out = *out };
	yaml_event_t ev;

	if (!yaml_emitter_initialize(&sv.em))
		return err_set("libyaml: cannot make an emitter");
	yaml_emitter_set_output(&sv.em, save_write, &sv);
	yaml_emitter_set_unicode(&sv.em, 1);
	yaml_emitter_set_indent(&sv.em, 2);
	yaml_emitter_set_width(&sv.em, -1);
	save_event(&sv, &ev, yaml_stream_start_event_initialize(&ev,
	    YAML_UTF8_ENCODING));
	save_event(&sv, &ev, yaml_document_start_event_initialize(&ev, NULL,
	    NULL, NULL, 1));
	save_mapping(&sv, scenario_fields, s);
	save_event(&sv, &ev, yaml_document_end_event_initialize(&ev, 1));
	save_event(&sv, &ev, yaml_stream_end_event_initialize(&ev));
	if (!sv.failed && !yaml_emitter_flush(&sv.em))
		sv.failed = true;
	*out = sv.out;
	if (sv.failed)
		err_set("libyaml: cannot write the scenario: %s",
		    sv.em.problem ? sv.em.problem : "unsupported value");
	yaml_emitter_delete(&sv.em);
	return sv.failed ? -1 : 0;
}

/* An absolute path for FILE as the scenario names it. */
static char *rebased(const struct scenario *s, const char *file)
{
	char *full = resolve(s, file), *abs = abs_path(full);

	free(full);
	return abs;
}

/* The view that is written: S with its files as absolute paths. The
 * strings and the peers array are the view's; everything else is S's. */
static int rebase(const struct scenario *s, struct scenario *v)
{
	*v = *s;
	v->topology = xstrdup(s->topology_path);
	v->profile = rebased(s, s->profile);
	v->peers = s->peers_count ?
	    xcalloc(s->peers_count, sizeof(*v->peers)) : NULL;
	for (unsigned i = 0; i < s->peers_count; i++) {
		v->peers[i] = s->peers[i];
		if (s->peers[i].profile)
			v->peers[i].profile = rebased(s,
			    s->peers[i].profile);
	}
	for (unsigned i = 0; i < s->peers_count; i++)
		if (s->peers[i].profile && !v->peers[i].profile)
			return -1;
	return v->profile ? 0 : -1;
}

static void rebase_free(const struct scenario *s, struct scenario *v)
{
	free(v->topology);
	free(v->profile);
	for (unsigned i = 0; i < s->peers_count; i++)
		if (s->peers[i].profile)
			free(v->peers[i].profile);
	free(v->peers);
}

static void add_comment(struct strbuf *sb, const char *comment)
{
	while (comment && *comment) {
		size_t n = strcspn(comment, "\n");

		if (n)
			sb_addf(sb, "# %.*s\n", (int)n, comment);
		else
			sb_add(sb, "#\n", 2);
		comment += n;
		comment += *comment == '\n';
	}
}

int scenario_save(const struct scenario *s, const char *path,
    const char *comment)
{
	struct strbuf sb = { 0 };
	struct scenario v;
	int rc;

	add_comment(&sb, comment);
	if (!s->path) {
		rc = save_doc(s, &sb);
	} else {
		rc = rebase(s, &v);
		if (rc == 0)
			rc = save_doc(&v, &sb);
		rebase_free(s, &v);
	}
	if (rc == 0)
		rc = write_file(path, sb.buf, sb.len, 0644);
	sb_free(&sb);
	return rc < 0 ? err_wrap("saving %s", path) : 0;
}

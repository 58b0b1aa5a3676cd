/*
 * scenario_check.c - what scenario_load() checks of a loaded scenario:
 * its own keys, its fault rules and its schedule against the topology and
 * the profiles, each problem at FILE:LINE:COL (scenario-internal.h).
 */
#include "config/scenario.h"
#include "base/err.h"
#include "base/util.h"
#include "config/scenario-internal.h"
#include "config/yamlcheck.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 32 /* fault and hold names */
#define DIGITS "0123456789"

/* What peer.c loads when a profile names no connection or CHILD_SA. */

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

static int want_one_of(const struct ydoc *d, const char *path, const char *s, const char *list)
{
	char buf[256];

	if (!s || sc_has_word(list, s))
		return 0;
	return ydoc_err(d, path, "'%s' is not one of: %s", s, commas(buf, sizeof(buf), list));
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

int sc_want_decimal(const struct ydoc *d, const char *path, const char *s)
{
	double v;

	if (s && !decimal_parse(s, &v))
		return ydoc_err(d, path,
				"'%s' is not a decimal number "
				"(like 4 or 0.5)",
				s);
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
	return err_set("'%s' is too long a duration (at most %" PRIu32 " ms)", s, UINT32_MAX);
}

/*
 * strongSwan's durations, which duration_parse() reads, and "NNNms" for
 * the finer times of a run. The shape is checked here first so that a
 * malformed value is never reported as too long.
 */
int sc_ms_parse(const char *s, uint32_t *ms)
{
	size_t digits = strspn(s, DIGITS);
	const char *unit = s + digits;
	uint64_t v = 0;
	uint32_t secs;

	if (!digits || (s[0] == '0' && digits > 1) || (*unit && !sc_has_word("s m h d ms", unit)))
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

static int want_ms(const struct ydoc *d, const char *path, const char *s, uint32_t *ms)
{
	if (sc_ms_parse(s, ms) < 0)
		return ydoc_err(d, path, "%s", err_msg());
	return 0;
}

/* Checks of the scenario's own keys */

static int check_head(struct scenario *s, const struct ydoc *d)
{
	uint32_t grace_ms = 2000;
	double hz = 10;

	if (!name_valid(s->name, SCENARIO_NAME_MAX))
		return ydoc_err(d, "name",
				"'%s' is not a scenario name "
				"(letters, digits, '-' and '_', at most %d)",
				s->name, SCENARIO_NAME_MAX);
	if (want_one_of(d, "expect", s->expect, "clean reproduces") < 0)
		return -1;
	s->reproduces = s->expect && !strcmp(s->expect, "reproduces");
	if (want_ms(d, "duration", s->duration, &s->duration_ms) < 0)
		return -1;
	if (!s->duration_ms)
		return ydoc_err(d, "duration",
				"a run needs a duration "
				"above 0");
	if (s->grace && want_ms(d, "grace", s->grace, &grace_ms) < 0)
		return -1;
	s->grace_s = grace_ms / 1000.0;
	if (s->sample_rate && (!decimal_parse(s->sample_rate, &hz) || hz <= 0 || hz > 100))
		return ydoc_err(d, "sample_rate",
				"'%s' is not a sample rate "
				"in Hz above 0 and at most 100 (like 10 or 2.5)",
				s->sample_rate);
	s->rate_hz = hz;
	if (!s->seed) {
		s->seed = xmalloc(sizeof(*s->seed));
		*s->seed = 1;
	}
	return 0;
}

static int want_before_end(const struct scenario *s, const struct ydoc *d, const char *path,
			   uint32_t ms)
{
	if (ms >= s->duration_ms)
		return ydoc_err(d, path,
				"%" PRIu32 " ms is not before the end "
				"of the run (duration %" PRIu32 " ms)",
				ms, s->duration_ms);
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

/* Fault rules */

static int want_router(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const struct topo_node *n = topo_node_find(s->topo, s->faults[i].router);
	char path[YPATH_LEN];

	ypath(path, "faults[%u].router", i);
	if (!n)
		return ydoc_err(d, path,
				"topology %s has no router named "
				"'%s'",
				s->topo->name, s->faults[i].router);
	if (n->role != NODE_ROUTER)
		return ydoc_err(d, path,
				"'%s' is a peer in topology %s, not "
				"a router",
				n->name, s->topo->name);
	return 0;
}

static int check_fault_name(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const char *name = s->faults[i].name;
	char path[YPATH_LEN];
	unsigned line = 0, col;

	ypath(path, "faults[%u].name", i);
	if (!name_valid(name, NAME_MAX_LEN))
		return ydoc_err(d, path,
				"'%s' is not a fault name (letters, "
				"digits, '-' and '_', at most %d)",
				name, NAME_MAX_LEN);
	for (unsigned j = 0; j < i; j++)
		if (!strcmp(s->faults[j].name, name)) {
			ydoc_mark(d, ypath(path, "faults[%u].name", j), &line, &col);
			return ydoc_err(d, ypath(path, "faults[%u].name", i),
					"duplicate fault name '%s' (first at line %u)", name, line);
		}
	return 0;
}

static int check_fault_action(const struct sc_fault *f, const struct ydoc *d, unsigned i)
{
	bool delay = !strcmp(f->action, "delay");
	char path[YPATH_LEN];

	if (want_one_of(d, ypath(path, "faults[%u].action", i), f->action,
			"delay drop duplicate hold capture") < 0)
		return -1;
	if (delay && !f->delay_ms)
		return ydoc_err(d, ypath(path, "faults[%u]", i), "action delay needs delay_ms");
	if (!delay && f->delay_ms)
		return ydoc_err(d, ypath(path, "faults[%u].delay_ms", i),
				"delay_ms applies only to action delay");
	if (delay && !*f->delay_ms)
		return ydoc_err(d, ypath(path, "faults[%u].delay_ms", i),
				"delay_ms must be at least 1");
	if (!f->until)
		return 0;
	if (strcmp(f->action, "hold"))
		return ydoc_err(d, ypath(path, "faults[%u].until", i),
				"until applies only to action hold");
	if (!name_valid(f->until, NAME_MAX_LEN))
		return ydoc_err(d, ypath(path, "faults[%u].until", i),
				"'%s' is not a hold name (letters, digits, '-' and '_', "
				"at most %d)",
				f->until, NAME_MAX_LEN);
	return 0;
}

static int check_fault(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const struct sc_fault *f = &s->faults[i];
	char path[YPATH_LEN];

	if (check_fault_name(s, d, i) < 0 || want_router(s, d, i) < 0 ||
	    want_one_of(d, ypath(path, "faults[%u].exchange", i), f->exchange,
			"IKE_SA_INIT IKE_AUTH CREATE_CHILD_SA INFORMATIONAL any") < 0)
		return -1;
	if (f->from && sc_want_peer(s, d, ypath(path, "faults[%u].from", i), f->from, false) < 0)
		return -1;
	if (f->nth && !*f->nth)
		return ydoc_err(d, ypath(path, "faults[%u].nth", i), "nth counts from 1");
	return check_fault_action(f, d, i);
}

static bool is_release_of(const struct sc_entry *e, const char *hold)
{
	return !strcmp(e->action, "release") && e->name && !strcmp(e->name, hold);
}

/* After the schedule: every named hold is released by some entry, so a
 * misspelt name on either side is caught. */
static int check_holds_released(const struct scenario *s, const struct ydoc *d)
{
	char path[YPATH_LEN];

	for (unsigned i = 0; i < s->faults_count; i++) {
		const char *until = s->faults[i].until;
		bool found = false;

		for (unsigned j = 0; until && j < s->schedule_count; j++)
			found |= is_release_of(&s->schedule[j], until);
		if (until && !found)
			return ydoc_err(d, ypath(path, "faults[%u].until", i),
					"no release in the schedule names '%s' (leave "
					"until out to hold until the end of the run)",
					until);
	}
	return 0;
}

/* Schedule entries */

static int check_keys(const struct sc_entry *e, const struct ydoc *d, unsigned i,
		      const struct action *a)
{
	char path[YPATH_LEN], buf[256];

	for (const cyaml_schema_field_t *f = sc_entry_fields; f->key; f++) {
		if (sc_has_word(ENTRY_COMMON, f->key))
			continue;
		if (sc_field_set(e, f) && !sc_has_word(a->takes, f->key))
			return ydoc_err(d, ypath(path, "schedule[%u].%s", i, f->key),
					"action %s does not take %s (it takes: "
					"%s)",
					a->name, f->key, commas(buf, sizeof(buf), a->takes));
		if (!sc_field_set(e, f) && sc_has_word(a->needs, f->key))
			return ydoc_err(d, ypath(path, "schedule[%u]", i), "action %s needs %s",
					a->name, f->key);
	}
	return 0;
}

static int check_order(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const struct topology *t = s->topo;
	const char *order = s->schedule[i].order, *p0, *p1;
	char path[YPATH_LEN];

	if (!strcmp(order, "random") || sc_order_first(t, order) >= 0)
		return 0;
	p0 = topo_peer(t, 0)->name;
	p1 = topo_peer(t, 1)->name;
	if (!strcmp(p0, "alice") && !strcmp(p1, "bob"))
		return ydoc_err(d, ypath(path, "schedule[%u].order", i),
				"'%s' is not one of: alice-first, bob-first, random", order);
	return ydoc_err(d, ypath(path, "schedule[%u].order", i),
			"'%s' is not one of: %s-first, %s-first, alice-first, bob-first, "
			"random",
			order, p0, p1);
}

static int check_peer_keys(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const struct sc_entry *e = &s->schedule[i];
	char path[YPATH_LEN];
	bool both;

	if (!e->peer)
		return 0;
	if (sc_want_peer(s, d, ypath(path, "schedule[%u].peer", i), e->peer, true) < 0)
		return -1;
	both = !strcmp(e->peer, "both");
	if (!both && e->skew_us)
		return ydoc_err(d, ypath(path, "schedule[%u].skew_us", i),
				"skew_us applies only with peer: both");
	if (!both && e->order)
		return ydoc_err(d, ypath(path, "schedule[%u].order", i),
				"order applies only with peer: both");
	return e->order ? check_order(s, d, i) : 0;
}

static bool has_conn(const struct profile *p, const char *name)
{
	for (unsigned i = 0; i < profile_conn_count(p); i++) {
		struct profile_ike c;

		profile_conn(p, i, &c);
		if (!strcmp(c.name, name))
			return true;
	}
	return false;
}

/* "'lab'" or "'a', 'b'": what a peer's profile loads, for messages. */
static void list_conns(const struct profile *p, struct strbuf *sb)
{
	for (unsigned i = 0; i < profile_conn_count(p); i++) {
		struct profile_ike c;

		profile_conn(p, i, &c);
		sb_addf(sb, "%s'%s'", i ? ", " : "", c.name);
	}
}

static int list_child(void *ctx, unsigned i, unsigned j, const struct profile_ike *c,
		      const struct profile_child *ch)
{
	struct strbuf *sb = ctx;

	(void)i;
	(void)j;
	(void)c;
	sb_addf(sb, "%s'%s'", sb->buf ? ", " : "", ch->name);
	return 0;
}

static void list_children(const struct profile *p, struct strbuf *sb)
{
	profile_each_child(p, list_child, sb);
}

static int no_such(const struct ydoc *d, const char *path, const char *peer, const char *what,
		   const char *name, const struct profile *p, bool child)
{
	struct strbuf sb = { 0 };
	int rc;

	if (child)
		list_children(p, &sb);
	else
		list_conns(p, &sb);
	rc = ydoc_err(d, path, "peer %s has no %s named '%s' (its profile's: %s)", peer, what, name,
		      sb.buf);
	sb_free(&sb);
	return rc;
}

/* child and ike name what the peer's profile loads; a child named with
 * its connection must be that connection's. */
static int check_conn_names(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const struct sc_entry *e = &s->schedule[i];
	char path[YPATH_LEN];

	for (unsigned k = 0; k < 2; k++) {
		const char *peer = topo_peer(s->topo, k)->name;
		const struct profile *p = s->profiles[k];
		int conn = e->child ? profile_conn_of_child(p, e->child) : -1;

		if (!e->peer || (strcmp(e->peer, "both") && strcmp(e->peer, peer)))
			continue;
		if (e->child && conn < 0)
			return no_such(d, ypath(path, "schedule[%u].child", i), peer, "CHILD_SA",
				       e->child, p, true);
		if (e->ike && !has_conn(p, e->ike))
			return no_such(d, ypath(path, "schedule[%u].ike", i), peer, "connection",
				       e->ike, p, false);
		if (e->ike && e->child) {
			struct profile_ike c;

			profile_conn(p, (unsigned)conn, &c);
			if (strcmp(c.name, e->ike))
				return ydoc_err(d, ypath(path, "schedule[%u].child", i),
						"peer %s: CHILD_SA '%s' belongs to connection "
						"'%s', not '%s'",
						peer, e->child, c.name, e->ike);
		}
	}
	return 0;
}

static int check_traffic_op(const struct sc_entry *e, const struct ydoc *d, unsigned i)
{
	char path[YPATH_LEN];
	bool start = !strcmp(e->op, "start"), burst = !strcmp(e->op, "burst");

	if (want_one_of(d, ypath(path, "schedule[%u].op", i), e->op, "start stop burst") < 0)
		return -1;
	if (start && !e->pps)
		return ydoc_err(d, ypath(path, "schedule[%u]", i), "traffic start needs pps");
	if (!start && e->pps)
		return ydoc_err(d, ypath(path, "schedule[%u].pps", i),
				"pps applies only to op start");
	if (!burst && e->packets)
		return ydoc_err(d, ypath(path, "schedule[%u].packets", i),
				"packets applies only to op burst");
	if (e->pps && !*e->pps)
		return ydoc_err(d, ypath(path, "schedule[%u].pps", i), "pps must be at least 1");
	if (e->packets && !*e->packets)
		return ydoc_err(d, ypath(path, "schedule[%u].packets", i),
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
	if (!digits || digits > 3 || dev[3 + digits] || (dev[3] == '0' && digits > 1))
		return -1;
	return atoi(dev + 3);
}

static int want_dev(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const struct sc_entry *e = &s->schedule[i];
	unsigned n = links_of(s->topo, e->node);
	char path[YPATH_LEN], has[32];
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
	return ydoc_err(d, ypath(path, "schedule[%u].dev", i),
			"node '%s' "
			"has no interface '%s' (it has %s, one per link in link order)",
			e->node, e->dev, has);
}

static int check_netem(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const struct sc_entry *e = &s->schedule[i];
	bool clear = e->clear && *e->clear;
	char path[YPATH_LEN];
	double loss;

	if (!topo_node_find(s->topo, e->node))
		return ydoc_err(d, ypath(path, "schedule[%u].node", i),
				"topology %s has no node named '%s'", s->topo->name, e->node);
	if (want_dev(s, d, i) < 0)
		return -1;
	if (e->loss_pct && (!decimal_parse(e->loss_pct, &loss) || loss > 100))
		return ydoc_err(d, ypath(path, "schedule[%u].loss_pct", i),
				"'%s' is not a percentage (a decimal from 0 to 100)", e->loss_pct);
	if (clear && (e->delay_ms || e->jitter_ms || e->loss_pct))
		return ydoc_err(d, ypath(path, "schedule[%u].clear", i),
				"clear removes the qdisc: it takes no delay_ms, "
				"jitter_ms or loss_pct");
	if (!clear && !e->delay_ms && !e->loss_pct)
		return ydoc_err(d, ypath(path, "schedule[%u]", i),
				"netem needs delay_ms or loss_pct (or clear: true)");
	if (e->jitter_ms && !e->delay_ms)
		return ydoc_err(d, ypath(path, "schedule[%u].jitter_ms", i),
				"jitter_ms needs delay_ms (netem varies the delay)");
	return 0;
}

/* link takes any node's interface down or up. */
static int check_link(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const struct sc_entry *e = &s->schedule[i];
	char path[YPATH_LEN];

	if (!topo_node_find(s->topo, e->node))
		return ydoc_err(d, ypath(path, "schedule[%u].node", i),
				"topology %s has no node named '%s'", s->topo->name, e->node);
	if (want_dev(s, d, i) < 0)
		return -1;
	return want_one_of(d, ypath(path, "schedule[%u].state", i), e->state, "down up");
}

/* conntrack-flush empties a router's connection tracking (nat.h). */
static int check_router(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const struct topo_node *n = topo_node_find(s->topo, s->schedule[i].node);
	char path[YPATH_LEN];

	if (!n || n->role != NODE_ROUTER)
		return ydoc_err(d, ypath(path, "schedule[%u].node", i),
				"topology %s has no router named '%s'", s->topo->name,
				s->schedule[i].node);
	return 0;
}

/* A hold is released by its until, or without one by the rule's name
 * (wire.h); whatever is still held is forwarded when the run ends. */
static int check_release(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const char *name = s->schedule[i].name;
	char path[YPATH_LEN];

	for (unsigned j = 0; j < s->faults_count; j++) {
		const struct sc_fault *f = &s->faults[j];

		if (!strcmp(f->action, "hold") && !strcmp(f->until ? f->until : f->name, name))
			return 0;
	}
	return ydoc_err(d, ypath(path, "schedule[%u].name", i), "no fault rule holds until '%s'",
			name);
}

/* What each action asks of the keys it takes. */
static int check_args(const struct scenario *s, const struct ydoc *d, unsigned i,
		      enum sc_action_kind kind)
{
	const struct sc_entry *e = &s->schedule[i];
	char path[YPATH_LEN];

	if (check_conn_names(s, d, i) < 0)
		return -1;
	switch (kind) {
	case SC_REKEY:
		if (e->reauth && *e->reauth && e->child)
			return ydoc_err(d, ypath(path, "schedule[%u].reauth", i),
					"reauth applies to the IKE_SA, not to a "
					"CHILD_SA (leave out child)");
		return 0;
	case SC_TRAFFIC:
		return check_traffic_op(e, d, i);
	case SC_EXPIRE:
	case SC_DELETE_SA:
		return want_one_of(d, ypath(path, "schedule[%u].sa", i), e->sa, "in out");
	case SC_NETEM:
		return check_netem(s, d, i);
	case SC_RELEASE:
		return check_release(s, d, i);
	case SC_CONNTRACK_FLUSH:
		return check_router(s, d, i);
	case SC_INJECT:
		return sc_check_inject(s, d, i);
	case SC_LINK:
		return check_link(s, d, i);
	case SC_RELOAD:
		return sc_check_reload(s, d, i);
	case SC_VICI:
		return sc_check_vici(s, d, i);
	case SC_KILL:
		return want_one_of(d, ypath(path, "schedule[%u].signal", i), e->signal,
				   "KILL TERM SEGV ABRT STOP CONT");
	default:
		return 0;
	}
}

/* The latest the entry can happen: jitter is below `jitter` ms, and the
 * second peer of "both" comes skew_us later. */
static int check_time(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const struct sc_entry *e = &s->schedule[i];
	uint64_t jitter = e->jitter && *e->jitter ? *e->jitter - 1 : 0;
	uint64_t skew = e->skew_us ? *e->skew_us : 0;
	uint64_t latest = (e->at + jitter) * 1000 + skew;
	char path[YPATH_LEN];

	ypath(path, "schedule[%u].at", i);
	if (!jitter && !skew)
		return want_before_end(s, d, path, e->at);
	if (latest >= (uint64_t)s->duration_ms * 1000)
		return ydoc_err(d, path,
				"%" PRIu32 " ms with jitter and skew "
				"can come at %" PRIu64 " us, not before the end of the run "
				"(duration %" PRIu32 " ms)",
				e->at, latest, s->duration_ms);
	return 0;
}

static int check_entry(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const struct sc_entry *e = &s->schedule[i];
	const struct action *a = sc_action_find(e->action);
	char path[YPATH_LEN], buf[256];
	struct strbuf sb = { 0 };

	if (!a) {
		for (size_t k = 0; k < ARRAY_LEN(sc_actions); k++)
			sb_addf(&sb, "%s%s", k ? " " : "", sc_actions[k].name);
		ydoc_err(d, ypath(path, "schedule[%u].action", i), "'%s' is not one of: %s",
			 e->action, commas(buf, sizeof(buf), sb.buf));
		sb_free(&sb);
		return -1;
	}
	if (check_keys(e, d, i, a) < 0 || check_peer_keys(s, d, i) < 0 ||
	    check_args(s, d, i, (enum sc_action_kind)(a - sc_actions)) < 0)
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

int scenario_check(struct scenario *s, const struct ydoc *d)
{
	if (check_head(s, d) < 0 || sc_load_topology(s, d) < 0 || sc_load_profiles(s, d) < 0 ||
	    check_traffic(s, d) < 0 || check_lists(s, d) < 0 || sc_check_expectations(s, d) < 0)
		return -1;
	return 0;
}

/*
 * gen.c - the generator's options, the files it loads once, the trial's
 * random stream, and a trial's scenario file put together: head, peers
 * with their lifetimes, traffic, then the other files' parts
 * (gen-internal.h says how the module is split).
 */
#include "explore/gen.h"
#include "base/err.h"
#include "base/home.h"
#include "config/scenario.h"
#include "explore/gen-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TOPOLOGY "topologies/two-peer-router.yaml"

const unsigned gen_default_weights[GEN_KINDS] = {
	[GEN_INITIATE] = 12,       [GEN_TERMINATE] = 5, [GEN_REKEY_IKE] = 8, [GEN_REAUTH] = 8,
	[GEN_REKEY_CHILD] = 10,    [GEN_EXPIRE] = 8,    [GEN_DELETE_SA] = 3, [GEN_UNINSTALL] = 2,
	[GEN_TRAFFIC_BURST] = 5,   [GEN_NETEM] = 5,     [GEN_LINK_FLAP] = 4, [GEN_KILL] = 3,
	[GEN_FREEZE] = 3,          [GEN_RESTART] = 2,   [GEN_RELOAD] = 3,    [GEN_INJECT] = 3,
	[GEN_CONNTRACK_FLUSH] = 2,
};

const unsigned gen_default_fault_weights[GEN_FAULTS] = {
	[GEN_F_DELAY] = 4, [GEN_F_DROP] = 3,    [GEN_F_DUPLICATE] = 3,
	[GEN_F_HOLD] = 2,  [GEN_F_CAPTURE] = 1,
};

static const char *const kind_names[GEN_KINDS] = {
	[GEN_INITIATE] = "initiate",
	[GEN_TERMINATE] = "terminate",
	[GEN_REKEY_IKE] = "rekey-ike",
	[GEN_REAUTH] = "reauth",
	[GEN_REKEY_CHILD] = "rekey-child",
	[GEN_EXPIRE] = "expire",
	[GEN_DELETE_SA] = "delete-sa",
	[GEN_UNINSTALL] = "uninstall",
	[GEN_TRAFFIC_BURST] = "traffic-burst",
	[GEN_NETEM] = "netem",
	[GEN_LINK_FLAP] = "link-flap",
	[GEN_KILL] = "kill",
	[GEN_FREEZE] = "freeze",
	[GEN_RESTART] = "restart",
	[GEN_RELOAD] = "reload",
	[GEN_INJECT] = "inject",
	[GEN_CONNTRACK_FLUSH] = "conntrack-flush",
};

static const char *const fault_names[GEN_FAULTS] = {
	[GEN_F_DELAY] = "delay", [GEN_F_DROP] = "drop",       [GEN_F_DUPLICATE] = "duplicate",
	[GEN_F_HOLD] = "hold",   [GEN_F_CAPTURE] = "capture",
};

const char *gen_kind_name(enum gen_kind k)
{
	return (unsigned)k < GEN_KINDS ? kind_names[k] : "?";
}

const char *gen_fault_name(enum gen_fault f)
{
	return (unsigned)f < GEN_FAULTS ? fault_names[f] : "?";
}

void gen_opts_default(struct gen_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ike_life = (struct gen_range){ 10, 40 };
	o->child_life = (struct gen_range){ 5, 20 };
	o->duration = (struct gen_range){ 20, 45 };
	o->pps = (struct gen_range){ 20, 200 };
	o->max_actions = 6;
	o->max_faults = 3;
	o->invariants = GEN_INV_DEFAULT;
	o->liveness_ms = 8000;
	o->grace_ms = 2000;
	memcpy(o->weights, gen_default_weights, sizeof(o->weights));
	memcpy(o->fault_weights, gen_default_fault_weights, sizeof(o->fault_weights));
}

/* Loading */

static int want_range(const char *what, struct gen_range r, uint32_t min)
{
	if (r.lo < min || r.hi < r.lo)
		return err_set("explore: %s range %" PRIu32 "..%" PRIu32
			       " is empty or starts below %" PRIu32,
			       what, r.lo, r.hi, min);
	return 0;
}

static int check_opts(const struct gen_opts *o)
{
	uint64_t room = (uint64_t)o->duration.lo * 1000;
	unsigned w = 0;

	if (!o->n_profiles || o->n_profiles > GEN_MAX_PROFILES)
		return err_set("explore: 1 to %d profiles, not %u", GEN_MAX_PROFILES,
			       o->n_profiles);
	if (want_range("ike lifetime", o->ike_life, 2) < 0 ||
	    want_range("child lifetime", o->child_life, 2) < 0 ||
	    want_range("duration", o->duration, 1) < 0 || want_range("pps", o->pps, 1) < 0)
		return -1;
	if (o->duration.hi > 86400)
		return err_set("explore: a trial of at most a day, not %" PRIu32 " s",
			       o->duration.hi);
	if (room < (uint64_t)GEN_START_MS + o->liveness_ms + GEN_TAIL_MS + 2000)
		return err_set("explore: runs of %" PRIu32 " s leave no room for actions before "
			       "the liveness tail of %" PRIu32 " ms",
			       o->duration.lo, o->liveness_ms + GEN_TAIL_MS);
	if (!o->max_actions || o->max_actions > GEN_MAX_ACTIONS || o->max_faults > GEN_MAX_FAULTS)
		return err_set("explore: 1 to %d actions and 0 to %d fault rules", GEN_MAX_ACTIONS,
			       GEN_MAX_FAULTS);
	for (unsigned k = 0; k < GEN_KINDS; k++)
		w += o->weights[k];
	return w ? 0 : err_set("explore: every action's weight is 0");
}

/* Paths go into YAML between double quotes: nothing that needs escaping. */
static char *load_path(const char *path)
{
	char *abs = abs_path(path);

	if (!abs)
		return NULL;
	if (strpbrk(abs, "\"\\") || strchr(abs, '\n') || strchr(abs, '\t')) {
		free(abs);
		return err_set("explore: %s: a quote, backslash or control character in the path",
			       path),
		       NULL;
	}
	return abs;
}

static bool child_trap(const struct profile *p)
{
	struct profile_ike conn;
	struct profile_child ch;

	profile_conn(p, 0, &conn);
	if (!profile_child_count(&conn) && !p->child)
		return true;
	profile_child(p, &conn, 0, &ch);
	return !ch.start_action || !strcmp(ch.start_action, "trap");
}

static int load_profile(struct gen *g, unsigned i)
{
	struct profile_ike conn;
	uint32_t secs = 0;

	g->prof_path[i] = load_path(g->o.profiles[i]);
	if (!g->prof_path[i])
		return -1;
	g->prof[i] = profile_load(g->prof_path[i]);
	if (!g->prof[i])
		return -1;
	profile_conn(g->prof[i], 0, &conn);
	g->reauth[i] = conn.reauth_time && duration_parse(conn.reauth_time, &secs) == 0 && secs;
	g->trap[i] = child_trap(g->prof[i]);
	g->mbb[i] = g->prof[i]->settings && g->prof[i]->settings->make_before_break &&
		    *g->prof[i]->settings->make_before_break;
	g->o.profiles[i] = g->prof_path[i];
	/* Either peer may draw it: its protected:N within both peers'. */
	for (unsigned k = 0; k < 2; k++)
		if (sc_check_protected(g->topo, g->prof[i], k) < 0) {
			char *why = xstrdup(err_msg());

			err_set("explore: %s on %s: %s", g->prof_path[i], g->topo_path, why);
			free(why);
			return -1;
		}
	return 0;
}

static int load_topology(struct gen *g)
{
	char *shipped = g->o.topology ? NULL : home_data(DEFAULT_TOPOLOGY);
	const char *want = g->o.topology ? g->o.topology : shipped;

	if (!want)
		return err_set("explore: no shipped %s", DEFAULT_TOPOLOGY);
	g->topo_path = load_path(want);
	free(shipped);
	if (!g->topo_path || !(g->topo = topology_load(g->topo_path)))
		return -1;
	g->o.topology = g->topo_path;
	g->peer[0] = topo_peer(g->topo, 0)->name;
	g->peer[1] = topo_peer(g->topo, 1)->name;
	for (unsigned i = 0; i < g->topo->nodes_count; i++) {
		const struct topo_node *n = &g->topo->nodes[i];

		if (n->role != NODE_ROUTER || g->n_routers == GEN_MAX_ROUTERS)
			continue;
		g->router[g->n_routers++] = n->name;
		if (n->masquerade && !g->masq)
			g->masq = n->name;
	}
	return 0;
}

static bool any_weight_but_flush(const struct gen_opts *o)
{
	for (unsigned k = 0; k < GEN_KINDS; k++)
		if (k != GEN_CONNTRACK_FLUSH && o->weights[k])
			return true;
	return false;
}

struct gen *gen_new(const struct gen_opts *o)
{
	struct gen *g;

	if (check_opts(o) < 0)
		return NULL;
	g = xcalloc(1, sizeof(*g));
	g->o = *o;
	if (load_topology(g) < 0) {
		gen_free(g);
		return NULL;
	}
	for (unsigned i = 0; i < o->n_profiles; i++)
		if (load_profile(g, i) < 0) {
			gen_free(g);
			return NULL;
		}
	if (!g->masq && o->weights[GEN_CONNTRACK_FLUSH] && !any_weight_but_flush(o)) {
		err_set("explore: conntrack-flush alone needs a masquerading router, and %s has "
			"none",
			g->topo_path);
		gen_free(g);
		return NULL;
	}
	return g;
}

void gen_free(struct gen *g)
{
	if (!g)
		return;
	for (unsigned i = 0; i < GEN_MAX_PROFILES; i++) {
		free(g->prof_path[i]);
		profile_free(g->prof[i]);
	}
	free(g->topo_path);
	topology_free(g->topo);
	free(g);
}

/* Drawing */

uint32_t gen_pick(struct draw *d, uint32_t lo, uint32_t hi)
{
	uint64_t r = sc_rand(&d->rng);

	if (hi <= lo)
		return lo;
	return lo + (uint32_t)(r % ((uint64_t)hi - lo + 1));
}

unsigned gen_pick_weighted(struct draw *d, const unsigned *w, unsigned n)
{
	uint64_t total = 0, r;

	for (unsigned i = 0; i < n; i++)
		total += w[i];
	r = sc_rand(&d->rng) % total;
	for (unsigned i = 0; i < n; i++) {
		if (r < w[i])
			return i;
		r -= w[i];
	}
	return n - 1;
}

void gen_disrupt(struct draw *d, uint32_t w)
{
	d->n_disrupt++;
	d->w_sum += w;
	if (w > d->w_max)
		d->w_max = w;
}

const char *gen_dur(char *buf, size_t size, uint32_t ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, size, "%" PRIu32 "s", ms / 1000);
	else
		snprintf(buf, size, "%" PRIu32 "ms", ms);
	return buf;
}

/* The IKE_SA's lifetime: reauth_time when the profile reauthenticates
 * (its rekey_time stays as it is, 0), else rekey_time; rand_time up to a
 * quarter of it, 0 (both ends at once) as likely as any. */
void gen_life_ike(struct draw *d, unsigned k, struct strbuf *sb, int ind)
{
	const struct gen_opts *o = &d->g->o;
	uint32_t life = gen_pick(d, o->ike_life.lo, o->ike_life.hi);
	uint32_t rand = gen_pick(d, 0, 1) ? 0 : gen_pick(d, 0, life / 4);

	sb_addf(sb, "%*sike:\n", ind, "");
	sb_addf(sb, "%*s%s: %" PRIu32 "s\n", ind + 2, "",
		d->g->reauth[d->prof[k]] ? "reauth_time" : "rekey_time", life);
	sb_addf(sb, "%*srand_time: %" PRIu32 "s\n", ind + 2, "", rand);
}

/* The CHILD_SA's: rekey_time, life_time 1 s to half of it later, and a
 * rand_time within the two (charon's default is their difference). */
void gen_life_child(struct draw *d, struct strbuf *sb, int ind)
{
	const struct gen_opts *o = &d->g->o;
	uint32_t rekey = gen_pick(d, o->child_life.lo, o->child_life.hi);
	uint32_t life = rekey + gen_pick(d, 1, rekey / 2 + 1);
	uint32_t rand = gen_pick(d, 0, 1) ? 0 : gen_pick(d, 0, life - rekey);

	sb_addf(sb, "%*schild:\n", ind, "");
	sb_addf(sb, "%*srekey_time: %" PRIu32 "s\n", ind + 2, "", rekey);
	sb_addf(sb, "%*slife_time: %" PRIu32 "s\n", ind + 2, "", life);
	sb_addf(sb, "%*srand_time: %" PRIu32 "s\n", ind + 2, "", rand);
}

static void write_peers(struct draw *d, struct strbuf *sb)
{
	const struct gen *g = d->g;

	sb_addf(sb, "peers:\n");
	for (unsigned k = 0; k < 2; k++) {
		sb_addf(sb, "  - name: %s\n", g->peer[k]);
		if (d->prof[k] != d->prof[0])
			sb_addf(sb, "    profile: \"%s\"\n", g->prof_path[d->prof[k]]);
		sb_addf(sb, "    set:\n");
		gen_life_ike(d, k, sb, 6);
		gen_life_child(d, sb, 6);
	}
}

char *gen_draw(const struct gen *g, uint64_t seed, struct gen_stats *st)
{
	const struct gen_opts *o = &g->o;
	struct gen_stats dummy;
	struct draw d = { .g = g, .rng = seed, .st = st ? st : &dummy };
	struct strbuf body = { 0 }, out = { 0 };
	uint32_t start;
	char buf[32];

	memset(d.st, 0, sizeof(*d.st));
	d.prof[0] = gen_pick(&d, 0, o->n_profiles - 1);
	d.prof[1] = gen_pick(&d, 0, o->n_profiles - 1);
	d.dur_ms = gen_pick(&d, o->duration.lo, o->duration.hi) * 1000;
	d.limit_ms = d.dur_ms - o->liveness_ms - GEN_TAIL_MS;
	d.pps = gen_pick(&d, o->pps.lo, o->pps.hi);
	/* Both probes start at once, when the run does (the traps of both
	 * ends race) or a while later (initiates may come first). */
	start = gen_pick(&d, 0, 1) ? 0 : gen_pick(&d, 200, GEN_START_MS * 3);
	d.st->duration_ms = d.dur_ms;

	sb_addf(&body, "name: explore-%016" PRIx64 "\n", seed);
	sb_addf(&body, "description: a trial of ikelab explore (generator %d, seed %" PRIu64 ")\n",
		GEN_VERSION, seed);
	sb_addf(&body, "expect: clean\n");
	sb_addf(&body, "topology: \"%s\"\n", g->topo_path);
	sb_addf(&body, "profile: \"%s\"\n", g->prof_path[d.prof[0]]);
	write_peers(&d, &body);
	sb_addf(&body, "duration: %s\n", gen_dur(buf, sizeof(buf), d.dur_ms));
	sb_addf(&body, "seed: %" PRIu64 "\n", seed & INT64_MAX);
	sb_addf(&body, "grace: %s\n", gen_dur(buf, sizeof(buf), o->grace_ms));
	sb_addf(&body, "traffic:\n  pps: %" PRIu32 "\n", d.pps);
	if (start)
		sb_addf(&body, "  start: %" PRIu32 "\n", start);
	gen_faults(&d);
	if (d.faults.len) {
		sb_addf(&body, "faults:\n");
		sb_add(&body, d.faults.buf, d.faults.len);
	}
	sb_free(&d.faults);
	gen_schedule(&d);
	gen_write_schedule(&d, &body);
	gen_write_expectations(&d, &body);
	gen_write_header(&d, seed, &out);
	sb_add(&out, body.buf, body.len);
	sb_free(&body);
	return out.buf;
}

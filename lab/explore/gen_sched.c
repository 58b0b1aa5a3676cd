/*
 * gen_sched.c - the generator's menu: schedule entries, each drawn with
 * only the keys its action takes and in the combinations scenario_load()
 * accepts (gen-internal.h).
 *
 * Whatever a menu action breaks on purpose is mended by an entry of its
 * own, a drawn while later (link up, restart, CONT, netem clear, install,
 * release, and an initiate after terminating a CHILD_SA nothing
 * trap-starts), before the quiet tail; the outage that makes is added to
 * the trial's liveness budgets (d->w_max, d->w_sum, d->n_disrupt).
 */
#include "explore/gen-internal.h"
#include "config/scenario.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAMES 32
#define JITTER_MAX_MS 500

static const char *const kill_signals[] = { "KILL", "SEGV", "ABRT", "TERM" };

/* Times, peers and names */

/* A start for something that lasts *W ms (shortened to fit), so that it
 * ends before the quiet tail. */
static uint32_t place(struct draw *d, uint32_t *w)
{
	uint32_t room = d->limit_ms - GEN_START_MS - 1;

	if (*w > room / 2)
		*w = room / 2;
	return gen_pick(d, GEN_START_MS, d->limit_ms - 1 - *w);
}

/* 0 or 1: that peer; 2: both. */
static unsigned pick_peer(struct draw *d, bool both_ok)
{
	return gen_pick(d, 0, both_ok ? 2 : 1);
}

/* peer:, and with both a skew of none, microseconds, a millisecond or
 * up to a fifth of a second, and an order. */
static void add_peer(struct draw *d, struct strbuf *sb, unsigned who)
{
	static const uint32_t skew_max[] = { 0, 100, 2000, 200000 };
	uint32_t skew;
	unsigned order;

	if (who < 2) {
		sb_addf(sb, "    peer: %s\n", d->g->peer[who]);
		return;
	}
	sb_addf(sb, "    peer: both\n");
	skew = gen_pick(d, 0, skew_max[gen_pick(d, 0, 3)]);
	order = gen_pick(d, 0, 3);
	if (skew)
		sb_addf(sb, "    skew_us: %" PRIu32 "\n", skew);
	if (order == 3)
		sb_addf(sb, "    order: random\n");
	else if (order)
		sb_addf(sb, "    order: %s-first\n", d->g->peer[order - 1]);
}

/* An entry that races: a quarter of them get a jitter. */
static struct strbuf *race_add(struct draw *d, const char *action)
{
	uint32_t at = gen_pick(d, GEN_START_MS, d->limit_ms - 1);
	uint32_t jitter = gen_pick(d, 0, 3) ? 0 : gen_pick(d, 1, JITTER_MAX_MS);
	struct strbuf *sb = gen_ent_add(d, at, action);

	if (jitter)
		sb_addf(sb, "    jitter: %" PRIu32 "\n", jitter);
	return sb;
}

struct names {
	const char *v[MAX_NAMES];
	unsigned n;
};

static int add_name(void *ctx, unsigned i, unsigned j, const struct profile_ike *conn,
		    const struct profile_child *child)
{
	struct names *nm = ctx;

	(void)i;
	(void)j;
	(void)conn;
	if (nm->n < MAX_NAMES)
		nm->v[nm->n++] = child->name;
	return 0;
}

/* A CHILD_SA name the peer WHO (2: both) loads. Every profile loads one;
 * for both, one of the first peer's the second has too, NULL if none. */
static const char *pick_child(struct draw *d, unsigned who)
{
	const struct profile *p0 = d->g->prof[d->prof[who == 1]];
	const struct profile *p1 = d->g->prof[d->prof[1]];
	struct names all = { 0 }, ok = { 0 };

	profile_each_child(p0, add_name, &all);
	for (unsigned i = 0; i < all.n; i++)
		if (who < 2 || profile_conn_of_child(p1, all.v[i]) >= 0)
			ok.v[ok.n++] = all.v[i];
	return ok.n ? ok.v[gen_pick(d, 0, ok.n - 1)] : NULL;
}

/* A node of the topology and one of its interfaces. */
static void pick_iface(struct draw *d, struct strbuf *sb)
{
	const struct topology *t = d->g->topo;
	const char *node = t->nodes[gen_pick(d, 0, t->nodes_count - 1)].name;
	unsigned links = 0;

	for (unsigned l = 0; l < t->links_count; l++)
		for (unsigned j = 0; j < t->links[l].endpoints_count; j++)
			links += !strcmp(t->links[l].endpoints[j].node, node);
	sb_addf(sb, "    node: %s\n", node);
	sb_addf(sb, "    dev: eth%" PRIu32 "\n", gen_pick(d, 0, links ? links - 1 : 0));
}

/* Menu actions */

static void act_simple(struct draw *d, enum gen_kind k)
{
	static const char *const action[GEN_KINDS] = {
		[GEN_INITIATE] = "initiate",
		[GEN_REKEY_IKE] = "rekey",
		[GEN_REAUTH] = "rekey",
		[GEN_REKEY_CHILD] = "rekey",
	};
	unsigned who = pick_peer(d, true);
	const char *child = k == GEN_REKEY_CHILD ? pick_child(d, who) : NULL;
	struct strbuf *sb;

	if (k == GEN_REKEY_CHILD && !child) {
		who = 0;
		child = pick_child(d, who);
	}
	sb = race_add(d, action[k]);
	add_peer(d, sb, who);
	if (child)
		sb_addf(sb, "    child: %s\n", child);
	if (k == GEN_REAUTH)
		sb_addf(sb, "    reauth: true\n");
}

/* A CHILD_SA (or the IKE_SA) terminated; a peer whose CHILD_SA is not
 * trap-started initiates it again a while later. */
static void act_terminate(struct draw *d)
{
	unsigned who = pick_peer(d, true);
	const char *child = gen_pick(d, 0, 1) ? pick_child(d, who) : NULL;
	uint32_t w = gen_pick(d, 500, 3000), at = place(d, &w);
	struct strbuf *sb = gen_ent_add(d, at, "terminate");

	add_peer(d, sb, who);
	if (child)
		sb_addf(sb, "    child: %s\n", child);
	gen_disrupt(d, w);
	for (unsigned k = 0; k < 2; k++) {
		if ((who < 2 && who != k) || d->g->trap[d->prof[k]])
			continue;
		sb = gen_ent_add(d, at + w, "initiate");
		add_peer(d, sb, k);
	}
}

static void act_kernel(struct draw *d, enum gen_kind k)
{
	unsigned who = pick_peer(d, true);
	bool hard = k == GEN_EXPIRE && gen_pick(d, 0, 1);
	struct strbuf *sb = race_add(d, k == GEN_EXPIRE ? "expire" : "delete-sa");

	add_peer(d, sb, who);
	sb_addf(sb, "    sa: %s\n", gen_pick(d, 0, 1) ? "out" : "in");
	if (hard)
		sb_addf(sb, "    hard: true\n");
	d->sa_gone |= hard || k == GEN_DELETE_SA;
	if (k == GEN_DELETE_SA) {
		/* Traffic that way is lost until the CHILD_SA is replaced. */
		d->delete_sa = true;
		gen_disrupt(d, d->g->o.child_life.hi * 1000);
	} else {
		gen_disrupt(d, 0);
	}
}

/* Something undone W ms later: link down/up, kill/restart, STOP/CONT,
 * uninstall/install. */
static void act_pair(struct draw *d, enum gen_kind k)
{
	uint32_t w = k == GEN_FREEZE ? gen_pick(d, 300, 2000) : gen_pick(d, 500, 5000);
	uint32_t at = place(d, &w);
	unsigned who = pick_peer(d, false);
	struct strbuf *sb;
	char *iface;
	size_t mark;

	switch (k) {
	case GEN_LINK_FLAP:
		sb = gen_ent_add(d, at, "link");
		mark = sb->len;
		pick_iface(d, sb);
		iface = xasprintf("%.*s", (int)(sb->len - mark), sb->buf + mark);
		sb_addf(sb, "    state: down\n");
		/* The same node and interface, up again. */
		sb = gen_ent_add(d, at + w, "link");
		sb_addf(sb, "%s    state: up\n", iface);
		free(iface);
		break;
	case GEN_KILL:
		sb = gen_ent_add(d, at, "kill");
		add_peer(d, sb, who);
		sb_addf(sb, "    signal: %s\n", kill_signals[gen_pick(d, 0, 3)]);
		add_peer(d, gen_ent_add(d, at + w, "restart"), who);
		break;
	case GEN_FREEZE:
		sb = gen_ent_add(d, at, "kill");
		add_peer(d, sb, who);
		sb_addf(sb, "    signal: STOP\n");
		sb = gen_ent_add(d, at + w, "kill");
		add_peer(d, sb, who);
		sb_addf(sb, "    signal: CONT\n");
		break;
	default: /* GEN_UNINSTALL */
		add_peer(d, gen_ent_add(d, at, "uninstall"), who);
		add_peer(d, gen_ent_add(d, at + w, "install"), who);
		break;
	}
	gen_disrupt(d, w);
}

/* netem with a delay, a loss or both, cleared later. */
static void act_netem(struct draw *d)
{
	uint32_t w = gen_pick(d, 1000, 6000), at = place(d, &w);
	unsigned what = gen_pick(d, 0, 2); /* 0 delay, 1 loss, 2 both */
	struct strbuf *sb = gen_ent_add(d, at, "netem");
	size_t mark = sb->len;
	char *iface;

	pick_iface(d, sb);
	iface = xasprintf("%.*s", (int)(sb->len - mark), sb->buf + mark);
	if (what != 1) {
		uint32_t delay = gen_pick(d, 1, 300);

		sb_addf(sb, "    delay_ms: %" PRIu32 "\n", delay);
		if (gen_pick(d, 0, 1))
			sb_addf(sb, "    jitter_ms: %" PRIu32 "\n", gen_pick(d, 1, delay));
	}
	if (what != 0)
		sb_addf(sb, "    loss_pct: %" PRIu32 "%s\n", gen_pick(d, 0, 30),
			gen_pick(d, 0, 1) ? ".5" : "");
	sb = gen_ent_add(d, at + w, "netem");
	sb_addf(sb, "%s    clear: true\n", iface);
	free(iface);
	gen_disrupt(d, w);
}

static void act_burst(struct draw *d)
{
	struct strbuf *sb = race_add(d, "traffic");

	add_peer(d, sb, pick_peer(d, true));
	sb_addf(sb, "    op: burst\n");
	if (gen_pick(d, 0, 1))
		sb_addf(sb, "    packets: %" PRIu32 "\n", gen_pick(d, 1, 50));
}

static void act_restart(struct draw *d)
{
	uint32_t w = 3000, at = place(d, &w);

	add_peer(d, gen_ent_add(d, at, "restart"), pick_peer(d, false));
	gen_disrupt(d, w);
}

/* New lifetimes: the CHILD_SA's, or the IKE_SA's when the peers acting
 * agree on what it is (a rekey_time or a reauth_time). */
static void act_reload(struct draw *d)
{
	unsigned who = pick_peer(d, true);
	bool agree = who < 2 || d->g->reauth[d->prof[0]] == d->g->reauth[d->prof[1]];
	struct strbuf *sb = race_add(d, "reload");

	add_peer(d, sb, who);
	sb_addf(sb, "    set:\n");
	if (agree && gen_pick(d, 0, 1))
		gen_life_ike(d, who == 1, sb, 6);
	else
		gen_life_child(d, sb, 6);
}

/* An IKE_SA_INIT made to order (message ID 1 now and then, the half-open
 * leak of 5.9.8), or the last message a capture rule took, sent again:
 * from a router, or without one from the other peer. */
static void act_inject(struct draw *d)
{
	const struct gen *g = d->g;
	unsigned who = pick_peer(d, false);
	bool replay = d->n_capture && gen_pick(d, 0, 1);
	struct strbuf *sb = race_add(d, "inject");

	add_peer(d, sb, who);
	if (g->n_routers)
		sb_addf(sb, "    node: %s\n", g->router[gen_pick(d, 0, g->n_routers - 1)]);
	else
		sb_addf(sb, "    node: %s\n", g->peer[1 - who]);
	if (replay) {
		sb_addf(sb, "    replay: %s\n", d->capture[gen_pick(d, 0, d->n_capture - 1)]);
		return;
	}
	if (!gen_pick(d, 0, 2))
		sb_addf(sb, "    message_id: 1\n");
	if (!gen_pick(d, 0, 3))
		sb_addf(sb, "    port: 4500\n");
	if (gen_pick(d, 0, 1))
		sb_addf(sb, "    count: %" PRIu32 "\n", gen_pick(d, 1, 3));
}

static void act_flush(struct draw *d)
{
	struct strbuf *sb = race_add(d, "conntrack-flush");

	sb_addf(sb, "    node: %s\n", d->g->masq);
	gen_disrupt(d, 0);
}

static void act(struct draw *d, enum gen_kind k)
{
	switch (k) {
	case GEN_INITIATE:
	case GEN_REKEY_IKE:
	case GEN_REAUTH:
	case GEN_REKEY_CHILD:
		act_simple(d, k);
		break;
	case GEN_TERMINATE:
		act_terminate(d);
		break;
	case GEN_EXPIRE:
	case GEN_DELETE_SA:
		act_kernel(d, k);
		break;
	case GEN_UNINSTALL:
	case GEN_LINK_FLAP:
	case GEN_KILL:
	case GEN_FREEZE:
		act_pair(d, k);
		break;
	case GEN_TRAFFIC_BURST:
		act_burst(d);
		break;
	case GEN_NETEM:
		act_netem(d);
		break;
	case GEN_RESTART:
		act_restart(d);
		break;
	case GEN_RELOAD:
		act_reload(d);
		break;
	case GEN_INJECT:
		act_inject(d);
		break;
	default: /* GEN_CONNTRACK_FLUSH */
		act_flush(d);
		break;
	}
}

void gen_schedule(struct draw *d)
{
	unsigned w[GEN_KINDS], n = gen_pick(d, 1, d->g->o.max_actions);

	memcpy(w, d->g->o.weights, sizeof(w));
	if (!d->g->masq)
		w[GEN_CONNTRACK_FLUSH] = 0;
	for (unsigned i = 0; i < n; i++) {
		enum gen_kind k = (enum gen_kind)gen_pick_weighted(d, w, GEN_KINDS);

		d->st->kinds[k]++;
		act(d, k);
	}
}

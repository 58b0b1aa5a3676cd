#include "backend/lab.h"
#include "backend/lab-internal.h"
#include "charon/secret.h"
#include "base/json.h"
#include "base/err.h"
#include "base/home.h"
#include "kernel/nat.h"
#include "kernel/net.h"
#include "kernel/netns.h"
#include "charon/build.h"
#include "charon/peer.h"
#include "charon/pki.h"
#include "base/util.h"
#include "backend/uml/warm.h"
#include "config/scenario.h"
#include "config/ts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define CHARON_START_MS 20000 /* user-mode Linux is slow to exec */
#define TRAP_WAIT_MS 10000

char *lab_find_file(const char *path)
{
	char *shipped;

	if (path[0] == '/' || path_exists(path))
		return xstrdup(path);
	shipped = home_data(path);
	return shipped ? shipped : xstrdup(path);
}

int lab_plan_check_charon(struct lab_plan *plan, const char *override)
{
	for (unsigned i = 0; i < 2; i++) {
		struct profile *p = plan->profile[i];
		const char *charon;

		if (override) {
			free(p->charon);
			p->charon = xstrdup(override);
		}
		charon = p->charon ? p->charon : PROFILE_DEFAULT_CHARON;
		if (access(charon, X_OK) == 0)
			continue;
		err_sys("charon binary %s", charon);
		if (override)
			return err_wrap("--charon");
		if (p->charon)
			return err_wrap("%s: charon", p->path);
		return err_wrap("install strongswan-charon (make deps), or name a charon with "
				"--charon PATH (%s names none)",
				p->path);
	}
	return 0;
}

int lab_plan_load(struct lab_plan *plan, const struct up_opts *o)
{
	char *topo = lab_find_file(o->topology ? o->topology : LAB_DEFAULT_TOPOLOGY);
	char *peers = lab_find_file(o->peers ? o->peers : LAB_DEFAULT_PEERS);
	char *peers2 = o->peers2 ? lab_find_file(o->peers2) : xstrdup(peers);
	int r = -1;

	memset(plan, 0, sizeof(*plan));
	plan->topo = topology_load(topo);
	/* One copy per peer: a restart or a scenario may change one only. */
	if (plan->topo && (plan->profile[0] = profile_load(peers)) &&
	    (plan->profile[1] = profile_load(peers2)) &&
	    sc_check_protected(plan->topo, plan->profile[0], 0) == 0 &&
	    sc_check_protected(plan->topo, plan->profile[1], 1) == 0)
		r = lab_plan_check_charon(plan, o->charon);
	free(topo);
	free(peers);
	free(peers2);
	if (r < 0)
		lab_plan_free(plan);
	return r;
}

void lab_plan_free(struct lab_plan *plan)
{
	if (plan->topo && !plan->borrowed_topo)
		topology_free(plan->topo);
	for (unsigned i = 0; i < 2; i++)
		if (plan->profile[i])
			profile_free(plan->profile[i]);
	memset(plan, 0, sizeof(*plan));
}

/* ---- building ---------------------------------------------------------- */

struct builder {
	struct lab_state *st;
	struct lab_plan *plan;
	int nsfd[16];
	struct peer peers[2];
	struct charon_known known[2]; /* what each peer's charon knows */
	char psk[65];
};

static char *netns_name(const char *lab, const char *node)
{
	return xasprintf("%s-%s", lab, node);
}

static int make_psk(struct builder *b)
{
	unsigned char raw[32];
	char *path;
	int r;

	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return err_sys("getrandom");
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(b->psk + 2 * i, 3, "%02x", raw[i]);
	path = xasprintf("%s/psk", b->st->dir);
	r = write_file(path, b->psk, strlen(b->psk), 0600);
	free(path);
	return r;
}

/*
 * Namespaces are named after the lab, so another lab of the same name
 * (under another IKELAB_RUN) or the user's `ip netns add` may hold a name
 * already: only what this lab claimed is recorded as its own. The planned
 * names go on record first, the claim once the name was free, the
 * namespace's inode once it is bound: `down` after a kill at any point
 * removes exactly what this lab made (kernel/netns.h).
 */
static int build_namespace(struct builder *b, json_t *owned, unsigned i)
{
	const char *node = b->plan->topo->nodes[i].name;
	char *ns = netns_name(b->st->name, node);
	unsigned long long ino = 0;
	json_t *entry;
	int r = netns_claim(ns);

	if (r == 0) {
		entry = json_pack("{s:s}", "name", ns);
		json_array_append_new(owned, entry);
		r = state_save(b->st);
		if (r == 0 && netns_bind(ns, &ino) == 0) {
			json_object_set_new(entry, "ino", json_integer((json_int_t)ino));
			r = state_save(b->st);
		} else if (r == 0) {
			/* The bind released the claim: nothing is ours. */
			json_array_remove(owned, json_array_size(owned) - 1);
			r = -1;
		}
	}
	if (r == 0) {
		b->nsfd[i] = netns_open(ns);
		r = b->nsfd[i] < 0 ? -1 : 0;
	}
	free(ns);
	return r < 0 ? err_wrap("node %s", node) : 0;
}

static int build_namespaces(struct builder *b)
{
	const struct topology *t = b->plan->topo;
	json_t *planned = state_arr(b->st, "netns_planned");
	json_t *owned = state_arr(b->st, "netns");

	for (unsigned i = 0; i < t->nodes_count; i++) {
		char *ns = netns_name(b->st->name, t->nodes[i].name);

		json_array_append_new(planned, json_string_nocheck(ns));
		free(ns);
	}
	if (state_save(b->st) < 0)
		return -1;
	for (unsigned i = 0; i < t->nodes_count; i++)
		if (build_namespace(b, owned, i) < 0)
			return -1;
	return 0;
}

/* Inside user-mode Linux, the modules this topology needs beyond every
 * lab's (warm.h); a host kernel loads them on demand itself. */
static int load_features(const struct topology *t)
{
	static const char *const ipv6[] = { "esp6", NULL };
	static const char *const ipv6_wire[] = { "ip6_tables", "ip6table_filter", NULL };
	static const char *const nat[] = { "iptable_nat", "xt_MASQUERADE", "nf_conntrack_netlink",
					   NULL };
	bool router = false, masq = false;

	if (!state_inside_uml())
		return 0;
	for (unsigned i = 0; i < t->nodes_count; i++) {
		router |= t->nodes[i].role == NODE_ROUTER;
		masq |= t->nodes[i].masquerade != NULL;
	}
	if (topo_uses_ipv6(t) && (warm_load(ipv6) < 0 || (router && warm_load(ipv6_wire) < 0)))
		return err_wrap("IPv6 modules");
	if (masq && warm_load(nat) < 0)
		return err_wrap("NAT modules");
	return 0;
}

/* The lab's CA and a certificate per peer, when a profile needs them:
 * each peer's node name and every identity its profile claims. */
static int make_certs(struct builder *b)
{
	const struct lab_plan *pl = b->plan;
	const char *names[2] = { topo_peer(pl->topo, 0)->name, topo_peer(pl->topo, 1)->name };
	const char *ids[2][PROFILE_MAX_CONNS + 2];

	if (!profile_uses_pubkey(pl->profile[0]) && !profile_uses_pubkey(pl->profile[1]))
		return 0;
	for (int i = 0; i < 2; i++) {
		unsigned n = profile_ids(pl->profile[i], true, names[i], ids[i], PROFILE_MAX_CONNS);
		unsigned k;

		for (k = 0; k < n && strcmp(ids[i][k], names[i]); k++)
			;
		if (k == n)
			ids[i][n++] = names[i];
		ids[i][n] = NULL;
	}
	return pki_make(b->st->dir, b->st->name, names,
			(const char *const *const[]){ ids[0], ids[1] });
}

/* The node's protected subnets, masked, into *OUT (allocated). */
static void subnets_of(const struct topo_node *n, char ***out, unsigned *count)
{
	*count = topo_protected_count(n);
	*out = xcalloc(*count, sizeof(char *));
	for (unsigned k = 0; k < *count; k++) {
		char buf[TS_LEN];

		/* Checked by the loader: a CIDR, IPv4 or IPv6. */
		if (!ts_subnet(topo_protected(n, k), buf, sizeof(buf)))
			snprintf(buf, sizeof(buf), "%s", topo_protected(n, k));
		(*out)[k] = xstrdup(buf);
	}
}

static void peer_setup(struct builder *b, unsigned i)
{
	const struct topology *t = b->plan->topo;
	const struct topo_node *me = topo_peer(t, i), *other = topo_peer(t, 1 - i);
	struct peer *p = &b->peers[i];

	memset(p, 0, sizeof(*p));
	p->name = xstrdup(me->name);
	p->remote_name = xstrdup(other->name);
	p->dir = xasprintf("%s/%s", b->st->dir, me->name);
	p->netns = netns_name(b->st->name, me->name);
	p->profile = b->plan->profile[i];
	p->psk = b->psk;
	/* An unreadable cache entry renders like any other binary. */
	if (known_load(p->profile->charon ? p->profile->charon : PROFILE_DEFAULT_CHARON,
		       &b->known[i]) < 0)
		err_clear();
	p->known = &b->known[i];
	snprintf(p->local_addr, sizeof(p->local_addr), "%s", topo_ike_addr(t, me));
	/* Behind a NAT, the other peer is the NAT's outside address. */
	snprintf(p->remote_addr, sizeof(p->remote_addr), "%s", topo_seen_addr(t, other));
	subnets_of(me, &p->local_subnets, &p->n_local_subnets);
	subnets_of(other, &p->remote_subnets, &p->n_remote_subnets);
}

static void peer_clear(struct peer *p)
{
	free(p->name);
	free(p->remote_name);
	free(p->dir);
	free(p->netns);
	for (unsigned k = 0; k < p->n_local_subnets; k++)
		free(p->local_subnets[k]);
	for (unsigned k = 0; k < p->n_remote_subnets; k++)
		free(p->remote_subnets[k]);
	free(p->local_subnets);
	free(p->remote_subnets);
	memset(p, 0, sizeof(*p));
}

static int record_charon(void *ctx, const struct peer *p)
{
	struct builder *b = ctx;
	json_t *node = json_object_get(state_obj(b->st, "nodes"), p->name);

	json_object_set_new(node, "charon", state_proc_json(&p->charon));
	json_object_set_new(node, "keeper", state_proc_json(&p->keeper));
	return state_save(b->st);
}

static int start_peers(struct builder *b)
{
	const struct topology *t = b->plan->topo;
	json_t *nodes = state_obj(b->st, "nodes");

	for (unsigned i = 0; i < 2; i++) {
		struct peer *p = &b->peers[i];

		peer_setup(b, i);
		json_object_set_new(nodes, p->name,
				    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "role", "peer",
					      "netns", p->netns, "dir", p->dir, "ike_addr",
					      p->local_addr, "protected",
					      topo_peer(t, i)->protected_addr, "charon_binary",
					      p->profile->charon ? p->profile->charon
								 : PROFILE_DEFAULT_CHARON));
		/* Which build it runs, for status, exec's PATH and the records. */
		json_object_set_new(json_object_get(nodes, p->name), "charon_build",
				    charon_build_record(p->profile->charon) ?: json_null());
		if (peer_render(p, b->st->name) < 0 || peer_spawn(p, record_charon, b) < 0)
			return -1;
		trace("charon %s spawned", p->name);
	}
	for (unsigned i = 0; i < 2; i++)
		if (peer_spawn_wait(&b->peers[i]) < 0)
			return -1;
	trace("both exec'd");
	/* Both charons start in parallel; only then wait for them. */
	for (unsigned i = 0; i < 2; i++) {
		if (peer_wait_vici(&b->peers[i], CHARON_START_MS) < 0)
			return -1;
		trace("charon %s answers on VICI", b->peers[i].name);
		if (peer_load(&b->peers[i]) < 0)
			return -1;
		trace("charon %s loaded", b->peers[i].name);
	}
	for (unsigned i = 0; i < 2; i++) {
		int n = topo_node_index(t, b->peers[i].name);

		if (peer_wait_traps(&b->peers[i], b->nsfd[n], TRAP_WAIT_MS) < 0)
			return -1;
	}
	return 0;
}

static void print_traps(const struct peer *p)
{
	char *text = peer_traps_text(p), *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		printf("  %-8s trap policy %s\n", "", line);
	free(text);
}

static void print_summary(const struct builder *b, double secs)
{
	const struct topology *t = b->plan->topo;

	printf("lab '%s' is up in %.2f s (%s)\n", b->st->name, secs, b->st->dir);
	for (unsigned i = 0; i < 2; i++) {
		const struct peer *p = &b->peers[i];

		printf("  %-8s netns %-14s IKE %-15s protected %-15s charon pid %d\n", p->name,
		       p->netns, p->local_addr, topo_peer(t, i)->protected_addr,
		       (int)p->charon.pid);
		print_traps(p);
		if (p->known->commit)
			printf("  %-8s charon %s, commit %.12s (built by ikelab)\n", "",
			       p->known->version ? p->known->version : "?", p->known->commit);
	}
	for (unsigned i = 0; i < t->nodes_count; i++)
		if (t->nodes[i].role == NODE_ROUTER)
			printf("  %-8s netns %s-%s (router, forwarding%s%s)\n", t->nodes[i].name,
			       b->st->name, t->nodes[i].name,
			       t->nodes[i].masquerade ? ", masquerading " : "",
			       t->nodes[i].masquerade ? t->nodes[i].masquerade : "");
}

static void builder_init(struct builder *b, struct lab_state *st, struct lab_plan *plan)
{
	memset(b, 0, sizeof(*b));
	for (size_t i = 0; i < ARRAY_LEN(b->nsfd); i++)
		b->nsfd[i] = -1;
	b->st = st;
	b->plan = plan;
}

static void builder_clear(struct builder *b)
{
	for (size_t i = 0; i < ARRAY_LEN(b->nsfd); i++)
		if (b->nsfd[i] >= 0)
			close(b->nsfd[i]);
	for (unsigned i = 0; i < 2; i++) {
		peer_clear(&b->peers[i]);
		known_free(&b->known[i]);
	}
}

int lab_up_plan(const char *name, struct lab_plan *plan, bool quiet)
{
	struct lab_state st;
	struct builder b;
	int64_t t0 = mono_ns();
	int r;

	if (state_claim(&st, name, state_inside_uml() ? "uml" : "host") < 0) {
		state_close(&st);
		return -1;
	}
	builder_init(&b, &st, plan);
	{
		struct proc_id self = { .pid = getpid() };

		/* pid and start time: `ikelab ls` tells a live `up` from one
		 * killed half-way whose pid was reused. */
		proc_id_of(getpid(), &self);
		json_object_set_new(st.doc, "controller", state_proc_json(&self));
	}
	state_set_str(&st, "topology", plan->topo->path);
	json_object_set_new(st.doc, "profiles",
			    json_pack("[s?, s?]", plan->profile[0]->path, plan->profile[1]->path));
	trace("up %s: plan loaded", name);
	r = make_psk(&b);
	if (r == 0)
		r = load_features(plan->topo);
	if (r == 0)
		r = make_certs(&b);
	if (r == 0)
		r = build_namespaces(&b);
	trace("namespaces");
	if (r == 0)
		r = lab_net_build(b.plan->topo, b.nsfd);
	trace("network");
	if (r == 0)
		r = start_peers(&b);
	trace("peers");
	if (r == 0) {
		state_set_str(&st, "phase", "up");
		r = state_save(&st);
	}
	if (r < 0) {
		/* Nothing half-built stays behind. */
		char saved[ERR_MSG_MAX];

		snprintf(saved, sizeof(saved), "%s", err_msg());
		if (!getenv("IKELAB_KEEP_FAILED"))
			lab_teardown(&st, state_inside_uml());
		err_set("%s", saved);
	} else if (!quiet) {
		print_summary(&b, (double)(mono_ns() - t0) / 1e9);
	}
	builder_clear(&b);
	state_close(&st);
	return r;
}

int lab_up_host(const struct up_opts *o)
{
	struct lab_plan plan;
	int r;

	if (lab_plan_load(&plan, o) < 0)
		return -1;
	r = lab_up_plan(o->name, &plan, o->quiet);
	lab_plan_free(&plan);
	return r;
}

static int read_psk(struct builder *b)
{
	char *path = xasprintf("%s/psk", b->st->dir), *text;
	int r = read_file(path, &text, NULL);

	free(path);
	if (r < 0)
		return -1;
	snprintf(b->psk, sizeof(b->psk), "%s", text);
	free(text);
	return 0;
}

/* A builder for one peer of a running lab: its state open, the peer set
 * up from the plan; *I its index. */
static int open_peer(const char *name, struct lab_plan *plan, const char *peer,
		     struct lab_state *st, struct builder *b, int *i)
{
	const struct topology *t = plan->topo;

	*i = -1;
	for (unsigned k = 0; k < 2; k++)
		if (!strcmp(topo_peer(t, k)->name, peer))
			*i = (int)k;
	if (*i < 0)
		return err_set("lab '%s' has no peer named '%s'", name, peer);
	if (state_open(st, name, 10000) != 0) {
		state_close(st);
		return -1;
	}
	builder_init(b, st, plan);
	peer_setup(b, (unsigned)*i);
	b->nsfd[topo_node_index(t, peer)] = netns_open(b->peers[*i].netns);
	return 0;
}

int lab_reload_peer(const char *name, struct lab_plan *plan, const char *peer,
		    const struct profile *old)
{
	struct lab_state st;
	struct builder b;
	int i, r;

	if (open_peer(name, plan, peer, &st, &b, &i) < 0)
		return -1;
	r = peer_reload(&b.peers[i], old);
	if (r == 0)
		r = peer_wait_traps(&b.peers[i], b.nsfd[topo_node_index(plan->topo, peer)],
				    TRAP_WAIT_MS);
	if (r < 0)
		err_wrap("reloading %s", peer);
	builder_clear(&b);
	state_close(&st);
	return r;
}

int lab_restart_peer(const char *name, struct lab_plan *plan, const char *peer)
{
	const struct topology *t = plan->topo;
	struct lab_state st;
	struct builder b;
	int i, r;

	if (open_peer(name, plan, peer, &st, &b, &i) < 0)
		return -1;
	r = read_psk(&b);
	if (r == 0)
		r = peer_spawn(&b.peers[i], record_charon, &b);
	if (r == 0)
		r = peer_spawn_wait(&b.peers[i]);
	if (r == 0)
		r = peer_wait_vici(&b.peers[i], CHARON_START_MS);
	if (r == 0)
		r = peer_load(&b.peers[i]);
	if (r == 0)
		r = peer_wait_traps(&b.peers[i], b.nsfd[topo_node_index(t, peer)], TRAP_WAIT_MS);
	if (r < 0)
		err_wrap("restarting %s", peer);
	builder_clear(&b);
	state_close(&st);
	return r;
}

/* ---- tearing down ------------------------------------------------------ */

static int stop_recorded(json_t *nodes)
{
	const char *name;
	json_t *node;
	int r = 0;

	json_object_foreach (nodes, name, node) {
		struct proc_id id;

		/* charon deletes its SAs and policies on TERM; its keeper
		 * then exits by itself. */
		if (state_proc_from_json(json_object_get(node, "charon"), &id) == 0 &&
		    proc_stop(&id, 3000) < 0)
			r = err_wrap("peer %s", name);
		if (state_proc_from_json(json_object_get(node, "keeper"), &id) == 0 &&
		    proc_stop(&id, 1000) < 0)
			r = err_wrap("peer %s: keeper", name);
	}
	return r;
}

/* What build_namespaces made, and nothing else: a name whose namespace is
 * not the one recorded any more is left alone, and so is a planned name
 * this lab never claimed -- unless it is an empty claim file, what a
 * controller killed between claiming and recording leaves. */
static const char *owned_entry_name(const json_t *e)
{
	/* lab.json of ikelab before 0.10: plain names, all claimed. */
	return json_is_string(e) ? json_string_value(e) : jget_str(e, "name");
}

static bool owned_name(const json_t *owned, const char *name)
{
	size_t i;
	json_t *e;

	json_array_foreach (owned, i, e)
		if (owned_entry_name(e) && !strcmp(owned_entry_name(e), name))
			return true;
	return false;
}

static int remove_namespaces(struct lab_state *st)
{
	json_t *owned = json_object_get(st->doc, "netns"), *e;
	const char *name;
	size_t i;
	int r = 0, gone;

	json_array_foreach (owned, i, e) {
		name = owned_entry_name(e);
		gone = name ? netns_delete_owned(name, (unsigned long long)jget_num_or(e, "ino", 0))
			    : 1;
		if (gone < 0)
			r = -1;
		else if (gone == 0)
			fprintf(stderr,
				"ikelab: network namespace %s is not the one lab '%s' made any "
				"more: left alone\n",
				name, st->name);
	}
	json_array_foreach (json_object_get(st->doc, "netns_planned"), i, e) {
		name = json_string_value(e);
		if (name && !owned_name(owned, name) && netns_is_placeholder(name) &&
		    netns_delete(name) < 0)
			r = -1;
	}
	return r;
}

int lab_teardown(struct lab_state *st, bool keep_dir)
{
	int r = 0;

	if (stop_recorded(json_object_get(st->doc, "nodes")) < 0)
		r = -1;
	if (remove_namespaces(st) < 0)
		r = -1;
	if (keep_dir) {
		/* Inside user-mode Linux the run directory is shared with the
		 * outer controller's files: remove only what up made here. */
		const char *name;
		json_t *node;
		char *path;

		json_object_foreach (json_object_get(st->doc, "nodes"), name, node) {
			const char *dir = jget_str(node, "dir");

			if (dir && rm_rf(dir) < 0)
				r = -1;
		}
		path = xasprintf("%s/psk", st->dir);
		unlink(path);
		free(path);
		path = pki_dir(st->dir);
		if (path_exists(path) && rm_rf(path) < 0)
			r = -1;
		free(path);
		path = xasprintf("%s/lab.json", st->dir);
		unlink(path);
		free(path);
	} else if (rm_rf(st->dir) < 0) {
		r = -1;
	}
	return r;
}

int lab_down_host(const char *name)
{
	struct lab_state st;
	int r;

	if (state_open(&st, name, 10000) < 0) {
		state_close(&st);
		return -1;
	}
	r = lab_teardown(&st, state_inside_uml());
	state_close(&st);
	return r;
}

/* The namespace's own protocol counters (UDP receive errors, say): what
 * the kernel dropped is part of the story. */
static void copy_net_counters(const char *netns, const char *to)
{
	static const char *const files[] = { "snmp", "netstat", "dev" };
	struct netns_switch sw;
	int fd = netns ? netns_open(netns) : -1;

	if (fd < 0 || netns_enter(&sw, fd) < 0) {
		if (fd >= 0)
			close(fd);
		err_clear();
		return;
	}
	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		char *src = xasprintf("/proc/thread-self/net/%s", files[i]), *text;
		char *dst = xasprintf("%s/net-%s.txt", to, files[i]);
		size_t len;

		if (read_file(src, &text, &len) == 0) {
			write_file(dst, text, len, 0644);
			free(text);
		}
		free(src);
		free(dst);
	}
	netns_leave(&sw);
	close(fd);
	err_clear();
}

/* Best effort: a missing source is not an error. Run directories get
 * attached to bug reports: the copy carries no PSK (secret.h). Under
 * user-mode Linux the guest writes the peers' directories: a link planted
 * there (charon.log -> /etc/shadow) is not followed into the evidence. */
#define EVIDENCE_MAX (256u << 20)

static int copy_if_there(const char *src, const char *dst, const char *psk)
{
	char *text, *clean;
	size_t len;
	int r = 0;

	if (read_file_untrusted(src, EVIDENCE_MAX, &text, &len) == 0) {
		clean = secret_redact(text, len, psk, &len);
		r = write_file(dst, clean, len, 0644);
		free(clean);
		free(text);
	}
	err_clear();
	return r;
}

int lab_copy_evidence(const char *name, const char *dest)
{
	static const char *const files[] = {
		"run/charon.log", "run/strongswan.conf", "swanctl/swanctl.conf",
		"charon.out",     "charon.exit",
	};
	struct lab_state st;
	struct err_saved saved;
	const char *peer;
	json_t *node;
	char *psk;
	int r = 0;

	/* Called after a run, also a failed one: keep its message. */
	err_save(&saved);
	if (state_peek(&st, name) < 0) {
		state_close(&st);
		err_restore(&saved);
		return -1;
	}
	psk = secret_lab_psk(st.dir);
	json_object_foreach (json_object_get(st.doc, "nodes"), peer, node) {
		const char *dir = jget_str(node, "dir");
		char *to = xasprintf("%s/%s", dest, peer);

		if (!dir || mkdir_p(to, 0755) < 0) {
			free(to);
			continue;
		}
		copy_net_counters(jget_str(node, "netns"), to);
		for (size_t i = 0; i < ARRAY_LEN(files); i++) {
			char *src = xasprintf("%s/%s", dir, files[i]);
			char *dst = xasprintf("%s/%s", to,
					      strrchr(files[i], '/') ? strrchr(files[i], '/') + 1
								     : files[i]);

			if (copy_if_there(src, dst, psk) < 0)
				r = -1;
			free(src);
			free(dst);
		}
		free(to);
	}
	/* Modules the kernel loaded on demand (user-mode Linux: warm.h). */
	{
		char *src = xasprintf("%s/%s", st.dir, WARM_LOG_NAME);
		char *dst = xasprintf("%s/%s", dest, WARM_LOG_NAME);

		if (copy_if_there(src, dst, psk) < 0)
			r = -1;
		free(src);
		free(dst);
	}
	free(psk);
	state_close(&st);
	err_restore(&saved);
	return r;
}

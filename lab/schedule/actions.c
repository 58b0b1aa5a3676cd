/*
 * actions.c - carrying out each kind of scheduled action (see
 * run-internal.h).
 */
#include "schedule/run-internal.h"
#include "base/json.h"
#include "base/err.h"
#include "backend/lab.h"
#include "kernel/ikemsg.h"
#include "kernel/nat.h"
#include "kernel/netem.h"
#include "kernel/netns.h"
#include "record/recorder.h"
#include "config/scenario.h"
#include "backend/state.h"
#include "backend/uml/warm.h"
#include "base/util.h"
#include "charon/sas.h"
#include "charon/vici.h"
#include "config/profile.h"
#include "kernel/wire.h"
#include "kernel/xfrm.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int peer_index(const struct runner *R, const char *name)
{
	for (int i = 0; i < 2; i++)
		if (!strcmp(R->peer[i], name))
			return i;
	return -1;
}

/* ---- actions -------------------------------------------------------------- */

/* Without child:, the first CHILD_SA of the connection ike: names, or of
 * the profile's first connection. */
static const char *child_name(const struct runner *R, int i, const struct sc_entry *e)
{
	const struct profile *p = R->plan.profile[i];
	struct profile_child ch;
	struct profile_ike c;
	unsigned k = 0;

	if (e->child)
		return e->child;
	for (unsigned n = 0; e->ike && n < profile_conn_count(p); n++) {
		profile_conn(p, n, &c);
		if (!strcmp(c.name, e->ike))
			k = n;
	}
	profile_conn(p, k, &c);
	profile_child(p, &c, 0, &ch);
	return ch.name;
}

/* Without ike:, the connection of the named child, or the first. */
static const char *ike_name(const struct runner *R, int i, const struct sc_entry *e)
{
	const struct profile *p = R->plan.profile[i];
	int k = e->child ? profile_conn_of_child(p, e->child) : 0;
	struct profile_ike c;

	if (e->ike)
		return e->ike;
	profile_conn(p, k < 0 ? 0 : (unsigned)k, &c);
	return c.name;
}

static int vici_action(struct runner *R, int i, const struct sc_step *st)
{
	const struct sc_entry *e = st->entry;
	struct vici_msg *m = vici_msg_new();
	const char *cmd = sc_action_name(st->kind);
	int r;

	if (R->pending[i])
		run_finish_pending(R);
	switch (st->kind) {
	case SC_INITIATE:
		vici_kv(m, "child", "%s", child_name(R, i, e));
		vici_kv(m, "ike", "%s", ike_name(R, i, e));
		vici_kv(m, "timeout", "-1"); /* return at once: the race is on the wire */
		break;
	case SC_TERMINATE:
	case SC_REKEY:
		if (e->child)
			vici_kv(m, "child", "%s", e->child);
		else
			vici_kv(m, "ike", "%s", ike_name(R, i, e));
		if (st->kind == SC_TERMINATE)
			vici_kv(m, "timeout", "-1");
		if (st->kind == SC_REKEY && e->reauth && *e->reauth)
			vici_kv(m, "reauth", "yes");
		break;
	default: /* install, uninstall */
		vici_kv(m, "child", "%s", child_name(R, i, e));
		vici_kv(m, "ike", "%s", ike_name(R, i, e));
		break;
	}
	r = vici_cmd_start(R->vici[i], cmd, m, VICI_MS);
	vici_msg_free(m);
	if (r == 0)
		R->pending[i] = true;
	return r;
}

/* The newest INSTALLED CHILD_SA of that name in the peer's last sample:
 * its SPI and destination for the chosen direction. */
static int find_sa(struct runner *R, int i, const struct sc_entry *e, char *dst, size_t len,
		   uint32_t *spi)
{
	const json_t *list = rec_last_sas(R->rec, R->peer[i]);
	const char *want = child_name(R, i, e);
	bool out = e->sa && !strcmp(e->sa, "out");
	unsigned long best = 0;
	size_t k, c;
	json_t *ike, *child;

	json_array_foreach (list, k, ike) {
		json_array_foreach (json_object_get(ike, "child-sas"), c, child) {
			const char *st = jget_str(child, "state");
			const char *name = jget_str(child, "name");
			const char *id = jget_str(child, "uniqueid");
			const char *s = jget_str(child, out ? "spi-out" : "spi-in");
			const char *host = jget_str(ike, out ? "remote-host" : "local-host");

			if (!st || strcmp(st, "INSTALLED") || !name || strcmp(name, want) || !s ||
			    !host || !id || strtoul(id, NULL, 10) < best)
				continue;
			best = strtoul(id, NULL, 10);
			*spi = (uint32_t)strtoul(s, NULL, 16);
			snprintf(dst, len, "%s", host);
		}
	}
	if (!best)
		return err_set("%s has no INSTALLED CHILD_SA '%s' to act on", R->peer[i], want);
	return 0;
}

static int kernel_action(struct runner *R, int i, const struct sc_step *st, json_t *args)
{
	char *ns = xasprintf("%s-%s", R->o->lab, R->peer[i]), dst[64];
	uint32_t spi = 0;
	int fd = netns_open(ns), r;

	free(ns);
	if (fd < 0)
		return -1;
	r = find_sa(R, i, st->entry, dst, sizeof(dst), &spi);
	if (r == 0) {
		char h[16];

		snprintf(h, sizeof(h), "%08x", spi);
		json_object_set_new(args, "spi", json_string(h));
		json_object_set_new(args, "dst", json_string(dst));
		r = st->kind == SC_EXPIRE
			    ? xfrm_expire(fd, dst, spi, st->entry->hard && *st->entry->hard)
			    : xfrm_delete_sa(fd, dst, spi);
	}
	close(fd);
	return r;
}

static int netem_action(struct runner *R, const struct sc_entry *e)
{
	char *ns = xasprintf("%s-%s", R->o->lab, e->node);
	const char *dev = e->dev ? e->dev : "eth0";
	int fd = netns_open(ns), r;

	free(ns);
	if (fd < 0)
		return -1;
	if (e->clear && *e->clear)
		r = netem_clear(fd, dev);
	else
		r = netem_set(fd, dev, e->delay_ms ? *e->delay_ms : 0,
			      e->jitter_ms ? *e->jitter_ms : 0,
			      e->loss_pct ? strtod(e->loss_pct, NULL) : 0);
	close(fd);
	return r;
}

static int link_action(struct runner *R, const struct sc_entry *e)
{
	char *ns = xasprintf("%s-%s", R->o->lab, e->node);
	int fd = netns_open(ns), r;

	free(ns);
	if (fd < 0)
		return -1;
	r = lab_link_set(R->s->topo, fd, e->node, e->dev ? e->dev : "eth0",
			 !strcmp(e->state, "up"));
	close(fd);
	return r;
}

static int flush_action(struct runner *R, const struct sc_entry *e)
{
	static const char *const ctnetlink[] = { "nf_conntrack_netlink", NULL };
	char *ns;
	int fd, r;

	/* A router without NAT has no ctnetlink yet: ours to load, not the
	 * kernel's to ask for (warm.h). */
	if (state_inside_uml() && warm_load(ctnetlink) < 0)
		return -1;
	ns = xasprintf("%s-%s", R->o->lab, e->node);
	fd = netns_open(ns);
	free(ns);
	if (fd < 0)
		return -1;
	r = nat_flush(fd, e->node);
	close(fd);
	return r;
}

static int signal_of(const char *name)
{
	static const struct {
		const char *n;
		int s;
	} sigs[] = {
		{ "KILL", SIGKILL }, { "TERM", SIGTERM }, { "SEGV", SIGSEGV },
		{ "ABRT", SIGABRT }, { "STOP", SIGSTOP }, { "CONT", SIGCONT },
	};

	for (size_t i = 0; name && i < ARRAY_LEN(sigs); i++)
		if (!strcmp(name, sigs[i].n))
			return sigs[i].s;
	return SIGKILL;
}

static int charon_of(struct runner *R, int i, struct proc_id *id)
{
	struct lab_state st;
	int r;

	if (state_peek(&st, R->o->lab) < 0) {
		state_close(&st);
		return -1;
	}
	r = state_proc_from_json(
		json_object_get(json_object_get(json_object_get(st.doc, "nodes"), R->peer[i]),
				"charon"),
		id);
	state_close(&st);
	return r < 0 ? err_set("no charon recorded for %s", R->peer[i]) : 0;
}

static int kill_action(struct runner *R, int i, const struct sc_entry *e)
{
	int sig = signal_of(e->signal);
	struct proc_id id;

	if (charon_of(R, i, &id) < 0)
		return -1;
	if (sig == SIGSTOP || sig == SIGCONT)
		rec_pause(R->rec, R->peer[i], sig == SIGSTOP);
	else
		rec_expect_exit(R->rec, R->peer[i]);
	return proc_kill(&id, sig);
}

static int restart_action(struct runner *R, int i)
{
	struct proc_id id;

	/* A charon still running is stopped first, as a restart would. */
	if (charon_of(R, i, &id) == 0 && proc_alive(&id)) {
		rec_expect_exit(R->rec, R->peer[i]);
		proc_stop(&id, 3000);
		rec_poll(R->rec, 0);
	}
	err_clear();
	if (lab_restart_peer(R->o->lab, &R->plan, R->peer[i]) < 0 ||
	    rec_reattach(R->rec, R->peer[i]) < 0)
		return -1;
	return run_open_vici(R, i);
}

static int traffic_action(struct runner *R, int i, const struct sc_entry *e)
{
	const char *op = e->op ? e->op : "start";

	if (!strcmp(op, "burst"))
		return rec_burst(R->rec, R->peer[i], e->packets ? *e->packets : 1);
	if (!strcmp(op, "stop")) {
		if (R->traffic_on)
			rec_stop_traffic(R->rec);
		R->traffic_on = false;
		return 0;
	}
	if (R->traffic_on)
		return 0;
	R->traffic_on = true;
	return rec_start_traffic(R->rec, e->pps ? (int)*e->pps : 1000);
}

static int release_action(struct runner *R, const struct sc_entry *e)
{
	for (int i = 0; i < R->n_wire; i++)
		if (wire_release(R->wire[i], e->name) < 0)
			return -1;
	return 0;
}

/* The peer's IKE address as the sender reaches it: the other peer sends
 * where its charon would (through a NAT, the router's outside address),
 * a router to the peer itself. */
static const char *inject_dst(struct runner *R, const struct sc_entry *e, int i)
{
	const struct topology *t = R->s->topo;
	const struct topo_node *to = topo_node_find(t, R->peer[i]);
	const struct topo_node *from = topo_node_find(t, e->node);

	return from->role == NODE_PEER ? topo_seen_addr(t, to) : topo_ike_addr(t, to);
}

/* The last message the capture rule took, as the entry rewrites it. */
static int replayed(struct runner *R, const struct sc_entry *e, uint8_t **buf, size_t *len)
{
	for (int k = 0; k < R->n_wire; k++) {
		const uint8_t *msg;
		size_t n;
		int r = wire_captured(R->wire[k], e->replay, &msg, &n);

		if (r < 0)
			continue;
		if (r == 0)
			return err_set("fault rule %s has captured no whole message yet",
				       e->replay);
		*buf = sc_replay_msg(e, msg, n, len);
		return 0;
	}
	return err_set("no fault wire has a capture rule named %s", e->replay);
}

/* COUNT messages from the node's namespace, each drawn from the run's
 * seed and the step's place, so one seed sends the same bytes. */
static int inject_action(struct runner *R, int i, const struct sc_step *st, json_t *args)
{
	const struct sc_entry *e = st->entry;
	uint64_t rand = R->seed ^ ((uint64_t)st->index << 32 | 0x696e6aU);
	unsigned count = e->count ? *e->count : 1;
	uint16_t port = e->port ? (uint16_t)*e->port : 500, sport = 0;
	char *ns = xasprintf("%s-%s", R->o->lab, e->node);
	const char *dst = inject_dst(R, e, i);
	json_t *spis = json_array();
	int fd = netns_open(ns), r = fd < 0 ? -1 : 0;

	for (unsigned k = 0; r == 0 && e->replay && k < count; k++) {
		uint8_t *buf = NULL;
		size_t len = 0;

		if ((r = replayed(R, e, &buf, &len)) == 0) {
			r = ikemsg_send(fd, ns, dst, port, buf, len, &sport);
			free(buf);
		}
	}
	for (unsigned k = 0; r == 0 && !e->replay && k < count; k++) {
		struct ikemsg m;
		uint8_t *body, *buf;
		size_t len;
		char spi[20];

		r = sc_inject_msg(e, &rand, &m, &body);
		if (r == 0 && (r = ikemsg_build(&m, &buf, &len)) == 0) {
			r = ikemsg_send(fd, ns, dst, port, buf, len, &sport);
			free(buf);
		}
		free(body);
		snprintf(spi, sizeof(spi), "%016llx", (unsigned long long)m.spi_i);
		json_array_append_new(spis, json_string(spi));
	}
	json_object_set_new(args, "dst", json_string(dst ? dst : "?"));
	json_object_set_new(args, "sport", json_integer(sport));
	json_object_set_new(args, "sent_spi_i", spis);
	if (fd >= 0)
		close(fd);
	free(ns);
	return r;
}

/* The peer's profile becomes the old one with the entry's set: over it,
 * and charon loads it as swanctl --load-conns would. Later actions and a
 * restart use the new profile. */
static int reload_action(struct runner *R, int i, const struct sc_entry *e)
{
	struct profile *old = R->plan.profile[i];
	int r;

	if (R->pending[i])
		run_finish_pending(R);
	R->plan.profile[i] = scenario_reloaded(old, e);
	r = lab_reload_peer(R->o->lab, &R->plan, R->peer[i], old);
	profile_free(old);
	return r;
}

/* The arguments as nested JSON: "a.b.c" puts c in section b of a. */
static json_t *vici_args_tree(const struct sc_entry *e)
{
	json_t *root = json_object();

	for (unsigned k = 0; k < e->args_count; k++) {
		const struct sc_vici_kv *a = &e->args[k];
		char *copy = xstrdup(a->key), *save, *name = strtok_r(copy, ".", &save), *next;
		json_t *sec = root, *v;

		for (; (next = strtok_r(NULL, ".", &save)); name = next) {
			if (!json_is_object(json_object_get(sec, name)))
				json_object_set_new(sec, name, json_object());
			sec = json_object_get(sec, name);
		}
		if (a->value) {
			v = json_string(a->value);
		} else {
			v = json_array();
			for (unsigned j = 0; j < a->values_count; j++)
				json_array_append_new(v, json_string(a->values[j]));
		}
		json_object_set_new(sec, name, v);
		free(copy);
	}
	return root;
}

static void vici_args_add(struct vici_msg *m, json_t *sec)
{
	const char *key;
	json_t *v;

	json_object_foreach (sec, key, v) {
		if (json_is_string(v)) {
			vici_kv(m, key, "%s", json_string_value(v));
		} else if (json_is_array(v)) {
			size_t j;
			json_t *item;

			vici_list_begin(m, key);
			json_array_foreach (v, j, item)
				vici_list_item(m, "%s", json_string_value(item));
			vici_list_end(m);
		} else {
			vici_section_begin(m, key);
			vici_args_add(m, v);
			vici_section_end(m);
		}
	}
}

/* Streamed commands and the events that carry their answer. */
static const char *stream_event(const char *cmd)
{
	static const char *const streams[][2] = {
		{ "list-sas", "list-sa" },
		{ "list-policies", "list-policy" },
		{ "list-conns", "list-conn" },
		{ "list-certs", "list-cert" },
		{ "list-authorities", "list-authority" },
	};

	for (size_t k = 0; k < ARRAY_LEN(streams); k++)
		if (!strcmp(cmd, streams[k][0]))
			return streams[k][1];
	return NULL;
}

static int collect_event(void *ctx, const char *name, const struct vici_node *msg)
{
	(void)name;
	json_array_append_new(ctx, sas_json(msg));
	return 0;
}

/* Any command, its answer (and a streamed command's events) into the
 * schedule's event; a command charon does not know, or one that says
 * success = no, is the step's error. */
static int vici_cmd_action(struct runner *R, int i, const struct sc_entry *e, json_t *args)
{
	struct vici_msg *m = vici_msg_new();
	json_t *tree = vici_args_tree(e), *streamed = json_array();
	const char *ev = stream_event(e->command);
	struct vici_node *resp = NULL;
	int r;

	if (R->pending[i])
		run_finish_pending(R);
	vici_args_add(m, tree);
	json_decref(tree);
	r = ev ? vici_cmd_stream(R->vici[i], e->command, ev, m, collect_event, streamed, &resp,
				 VICI_MS)
	       : vici_cmd(R->vici[i], e->command, m, &resp, VICI_MS);
	vici_msg_free(m);
	if (resp)
		json_object_set_new(args, "answer", sas_json(resp));
	if (ev)
		json_object_set_new(args, "streamed", streamed);
	else
		json_decref(streamed);
	if (r == 0 && vici_str(resp, "success") && strcmp(vici_str(resp, "success"), "yes"))
		r = err_set("%s: %s", e->command, vici_str(resp, "errmsg") ?: "failed");
	vici_node_free(resp);
	return r;
}

void run_step(struct runner *R, const struct sc_step *st)
{
	double planned = (double)st->at_us / 1e6;
	int i = peer_index(R, st->peer), r;
	json_t *args = json_object();

	int64_t late_us;

	if (!run_wait_until(R, st->at_us)) {
		json_decref(args);
		return;
	}
	late_us = (mono_ns() - rec_t0(R->rec)) / 1000 - (int64_t)st->at_us;
	switch (st->kind) {
	case SC_INITIATE:
	case SC_TERMINATE:
	case SC_REKEY:
	case SC_INSTALL:
	case SC_UNINSTALL:
		r = vici_action(R, i, st);
		break;
	case SC_TRAFFIC:
		r = traffic_action(R, i < 0 ? 0 : i, st->entry);
		break;
	case SC_EXPIRE:
	case SC_DELETE_SA:
		r = kernel_action(R, i, st, args);
		break;
	case SC_NETEM:
		r = netem_action(R, st->entry);
		break;
	case SC_RELEASE:
		r = release_action(R, st->entry);
		break;
	case SC_KILL:
		r = kill_action(R, i, st->entry);
		break;
	case SC_RESTART:
		r = restart_action(R, i);
		break;
	case SC_CONNTRACK_FLUSH:
		r = flush_action(R, st->entry);
		break;
	case SC_INJECT:
		r = inject_action(R, i, st, args);
		break;
	case SC_LINK:
		r = link_action(R, st->entry);
		break;
	case SC_RELOAD:
		r = reload_action(R, i, st->entry);
		break;
	case SC_VICI:
		r = vici_cmd_action(R, i, st->entry, args);
		break;
	default:
		r = err_set("unknown action");
	}
	json_object_set_new(args, "planned", json_real(planned));
	json_object_set_new(args, "late_us", json_integer(late_us));
	json_object_set_new(args, "step", json_integer(st->index));
	if (r < 0) {
		json_object_set_new(args, "error", json_string(err_msg()));
		err_clear();
	}
	if (R->n_later == (int)ARRAY_LEN(R->later))
		run_flush_later(R);
	snprintf(R->later[R->n_later].peer, sizeof(R->later[0].peer), "%s",
		 i < 0 ? "" : R->peer[i]);
	R->later[R->n_later].kind = sc_action_name(st->kind);
	R->later[R->n_later++].args = args;
}

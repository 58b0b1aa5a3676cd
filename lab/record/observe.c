/*
 * observe.c - what the recorder learns about each peer: list-sas samples
 * and the kernel's counts, VICI events, kernel notifications (see
 * recorder-internal.h).
 */
#include "record/recorder-internal.h"
#include "base/json.h"
#include "base/err.h"
#include "charon/peer.h"
#include "charon/sas.h"
#include "charon/vici.h"
#include "kernel/xfrm.h"
#include "kernel/xfrmmon.h"

#include <netlink/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- samples --------------------------------------------------------------- */

static void series_add(struct rec_peer *p, double t)
{
	p->ts = xrealloc(p->ts, (size_t)(p->n_series + 1) * sizeof(double));
	p->ike_series = xrealloc(p->ike_series, (size_t)(p->n_series + 1) * sizeof(double));
	p->child_series = xrealloc(p->child_series, (size_t)(p->n_series + 1) * sizeof(double));
	p->pair_series = xrealloc(p->pair_series, (size_t)(p->n_series + 1) * sizeof(int));
	p->ts_series = xrealloc(p->ts_series, (size_t)(p->n_series + 1) * sizeof(int));
	p->reqid_series = xrealloc(p->reqid_series, (size_t)(p->n_series + 1) * sizeof(int));
	p->reqid_series[p->n_series] = p->last.max_ts_per_reqid;
	p->sa_gap_series = xrealloc(p->sa_gap_series, (size_t)(p->n_series + 1) * sizeof(int));
	p->policy_gap_series =
		xrealloc(p->policy_gap_series, (size_t)(p->n_series + 1) * sizeof(int));
	p->sa_gap_series[p->n_series] = p->gaps.missing_sas;
	p->policy_gap_series[p->n_series] = p->gaps.missing_policies;
	p->ts[p->n_series] = t;
	/* Growth counts what is up: an SA being deleted is on its way out. */
	p->ike_series[p->n_series] = p->last.ike_established;
	p->child_series[p->n_series] = p->last.child_installed;
	p->pair_series[p->n_series] = p->last.max_established_per_pair;
	p->ts_series[p->n_series++] = p->last.max_installed_per_ts;
}

static void remember_ids(json_t *seen, const uint32_t *ids, int n)
{
	for (int i = 0; i < n; i++) {
		size_t k;
		json_t *v;
		bool have = false;

		json_array_foreach (seen, k, v)
			if (json_integer_value(v) == ids[i])
				have = true;
		if (!have)
			json_array_append_new(seen, json_integer(ids[i]));
	}
}

struct mismatch_ctx {
	struct recorder *r;
	struct rec_peer *p;
};

static void on_mismatch(void *ctx, const struct ledger_mismatch *m)
{
	struct mismatch_ctx *c = ctx;
	json_t *j = json_pack("{s:s, s:s, s:i, s:s}", "what", ledger_what_name(m->what), "sa",
			      m->child ? "child" : "ike", "id", (int)m->id, "explain", m->explain);

	json_array_append_new(c->r->mismatches, json_pack("{s:s, s:f, s:O}", "peer", c->p->name,
							  "t", rec_now(c->r), "detail", j));
	rec_emit(c->r, c->p->name, "ledger", "mismatch", j);
}

void rec_note_duplicate(struct recorder *r, struct rec_peer *p, const char *kind,
			const struct episode *e)
{
	if (!e)
		return;
	json_array_append_new(r->duplicates,
			      json_pack("{s:s, s:s, s:s, s:f, s:f, s:f, s:i}", "peer", p->name,
					"kind", kind, "key", e->key, "since", e->since, "start",
					e->start, "end", e->end, "max", e->max));
	rec_emit(r, p->name, "sample", "duplicate",
		 json_pack("{s:s, s:s, s:f, s:f, s:f, s:i}", "sa", kind, "key", e->key, "since",
			   e->since, "start", e->start, "end", e->end, "max", e->max));
}

static void write_timeline(struct recorder *r, struct rec_peer *p, double t)
{
	const struct sa_sample *s = &p->last;

	fprintf(r->timeline, "%.3f,%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d\n", t,
		p->name, s->ike, s->ike_established, s->ike_connecting, s->ike_rekeying,
		s->ike_deleting, s->child, s->child_installed, s->child_rekeying, s->child_rekeyed,
		s->child_deleting, s->max_installed_per_ts, p->kernel_sas, p->kernel_policies,
		p->acquires, p->expires_soft, p->expires_hard, p->busy);
}

/* Names as the profile allows them (charon echoes ours): nothing that
 * would break a CSV field. */
static bool kid_name_ok(const char *s)
{
	return *s &&
	       !s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")];
}

/* One children.csv row per CHILD_SA name the peer has had: its INSTALLED
 * count now, 0 when it is gone. */
static void write_children(struct recorder *r, struct rec_peer *p, double t)
{
	const struct sa_sample *s = &p->last;

	for (int k = 0; k < s->n_kids; k++) {
		int j;

		for (j = 0; j < p->n_kid_names && strcmp(p->kid_names[j], s->kids[k].name); j++)
			;
		if (j == p->n_kid_names && j < SAMPLE_KIDS && kid_name_ok(s->kids[k].name))
			snprintf(p->kid_names[p->n_kid_names++], SAMPLE_KID_NAME, "%s",
				 s->kids[k].name);
	}
	for (int j = 0; j < p->n_kid_names; j++) {
		int n = 0;

		for (int k = 0; k < s->n_kids; k++)
			if (!strcmp(s->kids[k].name, p->kid_names[j]))
				n = s->kids[k].installed;
		fprintf(r->children, "%.3f,%s,%s,%d\n", t, p->name, p->kid_names[j], n);
	}
}

/* A charon that is gone has no SAs: its stretches of duplicates end now,
 * and whatever a new one shows later begins anew. */
static void close_duplicates(struct recorder *r, struct rec_peer *p)
{
	double t = rec_now(r);

	rec_note_duplicate(r, p, "ike", dup_finish(&p->dup_ike, t, r->o.grace));
	rec_note_duplicate(r, p, "child", dup_finish(&p->dup_child, t, r->o.grace));
	rec_note_duplicate(r, p, "reqid", dup_finish(&p->dup_reqid, t, r->o.grace));
	dup_forget(&p->dup_ike);
	dup_forget(&p->dup_child);
	dup_forget(&p->dup_reqid);
}

static void charon_gone(struct recorder *r, struct rec_peer *p)
{
	char *how = NULL;
	bool crash = !p->expect_exit;

	if (p->dead)
		return;
	p->dead = true;
	close_duplicates(r, p);
	/* Its keeper writes how it ended as soon as it reaps it. */
	for (int i = 0; i < 100 && !(how = peer_exit_reason(p->dir)); i++)
		sleep_ms(10);
	rec_emit(r, p->name, "lab", "charon-exit",
		 json_pack("{s:i, s:s, s:b}", "pid", (int)p->charon.pid, "how",
			   how ? how : "exited (how is unknown)", "scheduled", !crash));
	if (crash)
		r->crashes++;
	if (crash && r->o.crash_is_lab_error && !r->failed) {
		char *tail = peer_log_tail(p->dir, 6);

		r->failed = true;
		r->failure = xasprintf("charon of %s (pid %d) %s at t=%.1f s\n%s", p->name,
				       (int)p->charon.pid, how ? how : "exited", rec_now(r), tail);
		free(tail);
	}
	free(how);
}

/*
 * list-sas with noblock skips an IKE_SA that another thread holds at that
 * moment, so one sample can miss an SA that is there. An IKE_SA the ledger
 * knows as up and that was listed less than CARRY_S ago is carried over
 * (and counted in the `busy` column) instead of vanishing for a sample or
 * two. On a machine whose host takes 10-13 % of the CPU, a sample takes
 * up to 0.5 s and a rekey holds its IKE_SA for longer than a second, so
 * the bound is 3 s: an SA that is gone has said so (the ledger's down
 * event) long before that.
 */
#define CARRY_S 3.0

static void carry_busy(struct rec_peer *p, json_t *list, double t)
{
	json_t *listed = json_object(), *v, *ike;
	const char *id;
	void *tmp;
	size_t i;

	p->busy = 0;
	json_array_foreach (list, i, ike) {
		const char *uid = jget_str(ike, "uniqueid");

		if (!uid)
			continue;
		json_object_set_new(listed, uid, json_true());
		json_object_set_new(p->seen, uid, json_pack("{s:f, s:O}", "t", t, "sa", ike));
	}
	json_object_foreach_safe (p->seen, tmp, id, v) {
		double last = json_real_value(json_object_get(v, "t"));

		if (json_object_get(listed, id))
			continue;
		if (t - last < CARRY_S && ledger_is_up(&p->ledger, false, (uint32_t)atol(id))) {
			json_array_append(list, json_object_get(v, "sa"));
			p->busy++;
		} else {
			json_object_del(p->seen, id);
		}
	}
	json_decref(listed);
}

/* The first half of a sample: every charon gets its list-sas request
 * before the first answer is read, so they answer side by side. A
 * request that cannot be sent fails the answer the same way. */
static void sample_ask(struct recorder *r, struct rec_peer *p)
{
	p->asked = false;
	if (p->dead || p->paused)
		return;
	if (!proc_alive(&p->charon)) {
		charon_gone(r, p);
		return;
	}
	p->asked = true;
	if (sas_list_start(p->cmd, VICI_MS) < 0)
		p->ask_err = xstrdup(err_msg());
}

/* The kernel's gaps, and a "kernel gaps" event whenever they change. */
static void note_gaps(struct recorder *r, struct rec_peer *p, const json_t *list,
		      const struct xfrm_dump *d)
{
	struct kernel_gaps g;

	kernel_gaps(list, d, &g);
	if (g.missing_sas != p->gaps.missing_sas || g.missing_policies != p->gaps.missing_policies)
		rec_emit(r, p->name, "kernel", "gaps",
			 json_pack("{s:i, s:s, s:i, s:s}", "missing_sas", g.missing_sas, "sa",
				   g.sa_key, "missing_policies", g.missing_policies, "policy",
				   g.policy_key));
	p->gaps = g;
}

/*
 * A charon the schedule sent TERM (or SEGV, ABRT) closes its VICI socket
 * long before it exits: it tears down its SAs and policies first, which
 * under user-mode Linux takes seconds. That is not a hang: such a charon
 * has EXIT_WAIT_S from the signal to exit before its silence ends the run
 * as one.
 */
#define EXIT_WAIT_S 15.0

static bool still_exiting(struct recorder *r, struct rec_peer *p, double t)
{
	if (!p->expect_exit || t - p->expect_exit_t > EXIT_WAIT_S)
		return false;
	if (p->silent_since < 0) {
		p->silent_since = t;
		rec_emit(r, p->name, "lab", "charon-exiting",
			 json_pack("{s:i, s:f}", "pid", (int)p->charon.pid, "signalled_at",
				   p->expect_exit_t));
	}
	return true;
}

static void sample_peer(struct recorder *r, struct rec_peer *p, double t)
{
	struct mismatch_ctx mc = { r, p };
	struct sa_counts before = { p->last.ike, p->last.ike_established, p->last.child,
				    p->last.child_installed };
	struct xfrm_dump d;
	json_t *list;

	if (!p->asked)
		return;
	p->asked = false;
	list = p->ask_err ? NULL : sas_list_finish(p->cmd, VICI_MS);
	if (p->ask_err) {
		err_set("%s", p->ask_err);
		free(p->ask_err);
		p->ask_err = NULL;
	}
	if (!list) {
		/* Either charon just died, or it hangs: both end the run --
		 * unless the schedule signalled it and it is still exiting. */
		if (!proc_alive(&p->charon)) {
			charon_gone(r, p);
		} else if (still_exiting(r, p, t)) {
			err_clear();
		} else if (!r->failed) {
			char *tail = peer_log_tail(p->dir, 6);

			/* Alive but silent: hung (or stopped) -- a lab failure
			 * found within one VICI timeout. */
			r->failed = true;
			r->failure =
				p->expect_exit
					? xasprintf("charon of %s (pid %d), signalled by the "
						    "schedule at t=%.1f s, neither exited nor "
						    "answered list-sas in %.0f s: %s\n%s",
						    p->name, (int)p->charon.pid, p->expect_exit_t,
						    EXIT_WAIT_S, err_msg(), tail)
					: xasprintf("charon of %s (pid %d) is alive but did not "
						    "answer list-sas: %s\n%s",
						    p->name, (int)p->charon.pid, err_msg(), tail);
			free(tail);
		}
		return;
	}
	/* The kernel against what charon listed just now (not against the
	 * IKE_SAs carried over from earlier samples). */
	if (xfrm_dump_sock(p->xfrm, &d) == 0) {
		p->kernel_sas = (int)d.n_sas;
		p->kernel_policies = (int)d.n_policies;
		note_gaps(r, p, list, &d);
		xfrm_dump_free(&d);
	}
	err_clear();
	carry_busy(p, list, t);
	sample_free(&p->last);
	sample_from_sas(list, t, &p->last);
	json_decref(p->last_list);
	p->last_list = list;
	write_timeline(r, p, t);
	write_children(r, p, t);
	series_add(p, t);
	remember_ids(p->ike_ids, p->last.ike_ids, p->last.n_ike_ids);
	remember_ids(p->child_ids, p->last.child_ids, p->last.n_child_ids);
	if (p->last.ike > p->max_ike)
		p->max_ike = p->last.ike;
	if (p->last.ike_established > p->max_ike_est)
		p->max_ike_est = p->last.ike_established;
	if (p->last.child_installed > p->max_child_inst)
		p->max_child_inst = p->last.child_installed;
	if (p->last.max_installed_per_ts > p->max_child_per_ts)
		p->max_child_per_ts = p->last.max_installed_per_ts;
	if (p->last.rekeying)
		p->last_rekey_t = t;
	rec_note_duplicate(r, p, "ike",
			   dup_update(&p->dup_ike, t, p->last.max_established_per_pair,
				      p->last.pair_key, p->last.live_pairs, p->last.n_live_pairs,
				      r->o.grace));
	rec_note_duplicate(r, p, "child",
			   dup_update(&p->dup_child, t, p->last.max_installed_per_ts,
				      p->last.ts_key, p->last.live_ts, p->last.n_live_ts,
				      r->o.grace));
	rec_note_duplicate(r, p, "reqid",
			   dup_update(&p->dup_reqid, t, p->last.max_ts_per_reqid, p->last.reqid_key,
				      NULL, 0, r->o.grace));
	ledger_check(&p->ledger, &p->last, on_mismatch, &mc);
	rec_sample_stats(r, p, t);
	if (before.ike != p->last.ike || before.ike_established != p->last.ike_established ||
	    before.child != p->last.child || before.child_installed != p->last.child_installed)
		rec_emit(r, p->name, "sample", "counts",
			 json_pack("{s:i, s:i, s:i, s:i}", "ike", p->last.ike, "ike_established",
				   p->last.ike_established, "child", p->last.child,
				   "child_installed", p->last.child_installed));
}

void rec_sample_all(struct recorder *r)
{
	double t = rec_now(r);

	if (r->samples && t - r->last_sample_t > r->max_gap)
		r->max_gap = t - r->last_sample_t;
	r->last_sample_t = t;
	r->samples++;
	for (int i = 0; i < r->n; i++)
		sample_ask(r, &r->p[i]);
	for (int i = 0; i < r->n; i++)
		sample_peer(r, &r->p[i], t);
	/* Once per sample: a write costs a host system call under UML. */
	fflush(r->timeline);
	fflush(r->children);
	if (r->traffic)
		fflush(r->traffic);
	/* Tells a late sample caused by a slow charon or kernel from one
	 * caused by the machine not running us. */
	t = rec_now(r) - t;
	if (t > r->slowest_sample)
		r->slowest_sample = t;
}

/* ---- VICI events ------------------------------------------------------------- */

static const struct vici_node *first_section(const struct vici_node *msg)
{
	for (const struct vici_node *n = msg->children; n; n = n->next)
		if (n->type == VICI_NODE_SECTION)
			return n;
	return NULL;
}

static uint32_t node_id(const struct vici_node *sec)
{
	const char *v = vici_str(sec, "uniqueid");

	return v ? (uint32_t)strtoul(v, NULL, 10) : 0;
}

static json_t *child_json(const struct vici_node *c)
{
	json_t *j = sas_json(c);
	json_t *out = json_pack(
		"{s:s, s:i, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "name",
		vici_str(c, "name") ?: c->name, "id", (int)node_id(c), "reqid",
		json_object_get(j, "reqid"), "state", json_object_get(j, "state"), "local_ts",
		json_object_get(j, "local-ts"), "remote_ts", json_object_get(j, "remote-ts"),
		"spi_in", json_object_get(j, "spi-in"), "spi_out", json_object_get(j, "spi-out"));

	json_decref(j);
	return out;
}

static void on_updown(struct recorder *r, struct rec_peer *p, const char *name,
		      const struct vici_node *msg)
{
	const struct vici_node *ike = first_section(msg);
	bool up = vici_str(msg, "up") && !strcmp(vici_str(msg, "up"), "yes");
	uint32_t ike_id = ike ? node_id(ike) : 0;

	if (!ike)
		return;
	if (!strcmp(name, "ike-updown")) {
		rec_emit(r, p->name, "vici", name,
			 json_pack("{s:b, s:{s:s, s:i, s:s?, s:s?, s:s?, s:b}}", "up", up, "ike",
				   "name", ike->name, "id", (int)ike_id, "state",
				   vici_str(ike, "state"), "local", vici_str(ike, "local-host"),
				   "remote", vici_str(ike, "remote-host"), "initiator",
				   vici_str(ike, "initiator") &&
					   !strcmp(vici_str(ike, "initiator"), "yes")));
		if (up) {
			ledger_up(&p->ledger, false, ike_id, 0);
			/* A second IKE_SA coming up is a reauthentication, or
			 * a duplicate: either way, a window for acquires. */
			p->last_rekey_t = rec_now(r);
		} else {
			ledger_ike_down(&p->ledger, ike_id);
		}
		return;
	}
	/* child-updown: one IKE_SA section with one child */
	for (const struct vici_node *c =
		     vici_child(ike, "child-sas") ? vici_child(ike, "child-sas")->children : NULL;
	     c; c = c->next) {
		if (c->type != VICI_NODE_SECTION)
			continue;
		rec_emit(r, p->name, "vici", name,
			 json_pack("{s:b, s:i, s:o}", "up", up, "ike_id", (int)ike_id, "child",
				   child_json(c)));
		if (up)
			ledger_up(&p->ledger, true, node_id(c), ike_id);
		else
			ledger_down(&p->ledger, true, node_id(c));
	}
}

static void on_ike_rekey(struct recorder *r, struct rec_peer *p, const struct vici_node *msg)
{
	const struct vici_node *ike = first_section(msg);
	const struct vici_node *o = ike ? vici_child(ike, "old") : NULL;
	const struct vici_node *n = ike ? vici_child(ike, "new") : NULL;

	if (!o || !n)
		return;
	p->ike_rekeys++;
	p->last_rekey_t = rec_now(r);
	rec_emit(r, p->name, "vici", "ike-rekey",
		 json_pack("{s:s, s:i, s:i}", "name", ike->name, "old_id", (int)node_id(o),
			   "new_id", (int)node_id(n)));
	ledger_ike_rekey(&p->ledger, node_id(o), node_id(n));
}

static void on_child_rekey(struct recorder *r, struct rec_peer *p, const struct vici_node *msg)
{
	struct mismatch_ctx mc = { r, p };
	const struct vici_node *ike = first_section(msg);
	const struct vici_node *cs = ike ? vici_child(ike, "child-sas") : NULL;

	for (const struct vici_node *c = cs ? cs->children : NULL; c; c = c->next) {
		const struct vici_node *o = vici_child(c, "old"), *n = vici_child(c, "new");

		if (!o || !n)
			continue;
		p->child_rekeys++;
		p->last_rekey_t = rec_now(r);
		rec_emit(r, p->name, "vici", "child-rekey",
			 json_pack("{s:i, s:s, s:i, s:i, s:s?, s:s?}", "ike_id", (int)node_id(ike),
				   "name", vici_str(o, "name") ?: c->name, "old_id",
				   (int)node_id(o), "new_id", (int)node_id(n), "old_spi_in",
				   vici_str(o, "spi-in"), "new_spi_in", vici_str(n, "spi-in")));
		ledger_child_rekey(&p->ledger, node_id(o), node_id(n), node_id(ike), rec_now(r),
				   on_mismatch, &mc);
	}
}

void rec_on_vici(struct recorder *r, struct rec_peer *p)
{
	struct vici_node *msg;
	char *name;
	int n;

	while ((n = vici_next_event(p->ev, &name, &msg, 0)) > 0) {
		if (!strcmp(name, "ike-updown") || !strcmp(name, "child-updown")) {
			on_updown(r, p, name, msg);
		} else if (!strcmp(name, "ike-rekey")) {
			on_ike_rekey(r, p, msg);
		} else if (!strcmp(name, "child-rekey")) {
			on_child_rekey(r, p, msg);
		} else {
			const struct vici_node *ike = first_section(msg);

			rec_emit(r, p->name, "vici", name,
				 json_pack("{s:i, s:s?, s:s?}", "ike_id",
					   ike ? (int)node_id(ike) : 0, "local",
					   ike ? vici_str(ike, "local-host") : NULL, "remote",
					   ike ? vici_str(ike, "remote-host") : NULL));
		}
		free(name);
		vici_node_free(msg);
	}
	/* The daemon closed the connection: it is going or gone. */
	if (n < 0) {
		err_clear();
		sleep_ms(50);
		if (!proc_alive(&p->charon))
			charon_gone(r, p);
	}
}

/* ---- kernel notifications ---------------------------------------------------- */

void rec_on_note(void *ctx, const struct xfrm_note *n)
{
	struct note_ctx *c = ctx;
	struct rec_peer *p = c->p;
	double t = rec_now(c->r);
	char spi[16];

	if (n->kind == XFRM_NOTE_ACQUIRE) {
		/* In a rekey when the last sample showed one, or a rekey or
		 * reauth event came within the last two seconds. */
		bool in_rekey =
			p->last.rekeying || (p->last_rekey_t > 0 && t - p->last_rekey_t < 2.0);

		p->acquires++;
		if (in_rekey)
			p->acquires_in_rekey++;
		rec_emit(c->r, p->name, "kernel", "acquire",
			 json_pack("{s:s, s:s, s:b}", "src", n->src, "dst", n->dst, "during_rekey",
				   in_rekey));
		return;
	}
	if (n->hard)
		p->expires_hard++;
	else
		p->expires_soft++;
	snprintf(spi, sizeof(spi), "%08x", n->spi);
	rec_emit(c->r, p->name, "kernel", "expire",
		 json_pack("{s:b, s:s, s:s, s:s}", "hard", n->hard, "spi", spi, "src", n->src,
			   "dst", n->dst));
}

#include "schedule/run.h"
#include "base/err.h"
#include "backend/lab.h"
#include "kernel/netem.h"
#include "kernel/netns.h"
#include "record/recorder.h"
#include "config/scenario.h"
#include "backend/state.h"
#include "base/util.h"
#include "judge/verdict.h"
#include "charon/vici.h"
#include "kernel/wire.h"
#include "kernel/xfrm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VICI_MS 5000
#define SPIN_US 3000            /* the last stretch before an action: sleep exactly */
#define CRASH_TAIL_S 2.0        /* after a crash, record this much more, then stop */
#define MAX_WIRES 4

/* SIGINT, SIGTERM or SIGHUP: finish the current seed cleanly, run no more. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	interrupted = sig;
}

struct runner {
	const struct run_opts *o;
	struct scenario *s;
	struct lab_plan plan;
	struct sc_plan sched;
	struct recorder *rec;
	uint64_t seed;
	char *dir;
	char peer[2][32];
	struct vici_conn *vici[2];
	bool pending[2];        /* a command sent, its response not read */
	struct wire *wire[MAX_WIRES];
	int n_wire;
	bool traffic_on, steady_started;
	double crash_at;
	/* Schedule events are written once no other step is microseconds
	 * away: writing one costs more than a tight skew. */
	struct {
		char peer[32];
		const char *kind;
		json_t *args;
	} later[16];
	int n_later;
};

static int peer_index(const struct runner *R, const char *name)
{
	for (int i = 0; i < 2; i++)
		if (!strcmp(R->peer[i], name))
			return i;
	return -1;
}

/* ---- building and tearing down ---------------------------------------- */

static int make_plan(struct runner *R)
{
	struct lab_plan *p = &R->plan;

	memset(p, 0, sizeof(*p));
	p->topo = R->s->topo;
	p->borrowed_topo = true;
	for (unsigned i = 0; i < 2; i++) {
		snprintf(R->peer[i], sizeof(R->peer[i]), "%s", topo_peer(p->topo, i)->name);
		p->profile[i] = scenario_profile(R->s, R->peer[i]);
		if (!p->profile[i])
			return -1;
	}
	return lab_plan_check_charon(p, R->o->charon);
}

static int open_vici(struct runner *R, int i)
{
	char *dir = lab_dir(R->o->lab), *path = xasprintf("%s/%s/run/charon.vici", dir, R->peer[i]);

	vici_close(R->vici[i]);
	R->vici[i] = vici_connect(path, VICI_MS);
	R->pending[i] = false;
	free(path);
	free(dir);
	return R->vici[i] ? 0 : err_wrap("peer %s", R->peer[i]);
}

static void on_wire(const struct wire_event *ev, void *ctx)
{
	struct runner *R = ctx;
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &ev->ike.src, src, sizeof(src));
	inet_ntop(AF_INET, &ev->ike.dst, dst, sizeof(dst));
	rec_emit(R->rec, NULL, "wire", ev->released ? "released" : wire_action_name(ev->action),
		 json_pack("{s:s, s:s?, s:b, s:i, s:s, s:s, s:i, s:f}", "rule", ev->rule,
		 "exchange", ike_exchange_name(ev->ike.exchange), "response", ev->ike.response,
		 "message_id", (int)ev->ike.message_id, "src", src, "dst", dst, "nth", (int)ev->nth,
		 "kept_s", (double)ev->kept_ns / 1e9));
}

static void wire_readable(void *ctx)
{
	struct wire *w = ctx;

	if (wire_handle(w) < 0)
		err_clear();
}

static const char *peer_ike_addr(const struct runner *R, const char *name)
{
	const struct topo_node *n = topo_node_find(R->s->topo, name);

	return n ? topo_ike_addr(R->s->topo, n) : NULL;
}

static int rule_of(const struct runner *R, const struct sc_fault *f, struct wire_rule *w)
{
	memset(w, 0, sizeof(*w));
	w->name = f->name;
	w->exchange = f->exchange ? ike_exchange_from_name(f->exchange) : WIRE_ANY;
	w->response = f->response ? *f->response : WIRE_ANY;
	w->message_id = f->message_id ? (int64_t)*f->message_id : WIRE_ANY;
	w->nth = f->nth ? *f->nth : 0;
	w->action = (enum wire_action)wire_action_from_name(f->action);
	w->delay_ms = f->delay_ms ? *f->delay_ms : 0;
	w->hold = f->until;
	if (f->from && inet_pton(AF_INET, peer_ike_addr(R, f->from), &w->from) != 1)
		return err_set("fault %s: no IPv4 address for %s", f->name, f->from);
	return 0;
}

/* One wire per router that has rules; queue numbers from 1. */
static int open_wires(struct runner *R)
{
	const struct scenario *s = R->s;

	for (unsigned i = 0; i < s->topo->nodes_count; i++) {
		const struct topo_node *node = &s->topo->nodes[i];
		struct wire_rule rules[32];
		unsigned n = 0;
		char *ns;
		int fd;

		if (node->role != NODE_ROUTER)
			continue;
		for (unsigned k = 0; k < s->faults_count; k++) {
			if (strcmp(s->faults[k].router, node->name))
				continue;
			if (n == ARRAY_LEN(rules))
				return err_set("router %s: more than %zu fault rules", node->name,
					       ARRAY_LEN(rules));
			if (rule_of(R, &s->faults[k], &rules[n++]) < 0)
				return -1;
		}
		if (!n || R->n_wire == MAX_WIRES)
			continue;
		ns = xasprintf("%s-%s", R->o->lab, node->name);
		fd = netns_open(ns);
		free(ns);
		if (fd < 0)
			return -1;
		R->wire[R->n_wire] = wire_open(fd, node->name, (uint16_t)(R->n_wire + 1), rules, n,
					       on_wire, R);
		close(fd);
		if (!R->wire[R->n_wire])
			return -1;
		R->n_wire++;
	}
	return 0;
}

static void close_all(struct runner *R)
{
	for (int i = 0; i < R->n_wire; i++)
		wire_close(R->wire[i]);
	R->n_wire = 0;
	for (int i = 0; i < 2; i++) {
		vici_close(R->vici[i]);
		R->vici[i] = NULL;
	}
}

/* ---- waiting ------------------------------------------------------------ */

static void wires_tick(struct runner *R)
{
	for (int i = 0; i < R->n_wire; i++)
		if (wire_next_due(R->wire[i]) >= 0 && wire_next_due(R->wire[i]) <= mono_ns())
			wire_tick(R->wire[i], mono_ns());
}

/* ms until the next delayed message is due, capped at cap. */
static int wires_due_ms(struct runner *R, int cap)
{
	int ms = cap;

	for (int i = 0; i < R->n_wire; i++) {
		int64_t due = wire_next_due(R->wire[i]);

		if (due >= 0) {
			int64_t left = (due - mono_ns()) / 1000000;

			if (left < ms)
				ms = left < 0 ? 0 : (int)left;
		}
	}
	return ms;
}

static void finish_pending(struct runner *R)
{
	for (int i = 0; i < 2; i++) {
		struct vici_node *resp = NULL;

		if (!R->pending[i])
			continue;
		R->pending[i] = false;
		if (vici_cmd_finish(R->vici[i], &resp, VICI_MS) < 0 ||
		    vici_check_success(resp, "command") < 0) {
			rec_emit(R->rec, R->peer[i], "schedule", "failed", json_pack("{s:s}",
				 "error", err_msg()));
			err_clear();
		}
		vici_node_free(resp);
	}
}

static void flush_later(struct runner *R)
{
	for (int i = 0; i < R->n_later; i++)
		rec_emit(R->rec, R->later[i].peer[0] ? R->later[i].peer : NULL, "schedule",
			 R->later[i].kind, R->later[i].args);
	R->n_later = 0;
}

/* Until at_us after the start: the recorder and the wire run meanwhile; the
 * last few ms are slept precisely, so two steps microseconds apart stay so. */
static void wait_until(struct runner *R, uint64_t at_us)
{
	int64_t target = rec_t0(R->rec) + (int64_t)at_us * 1000;

	for (;;) {
		int64_t left_us = (target - mono_ns()) / 1000;
		struct timespec ts;

		wires_tick(R);
		if (left_us <= 0 || interrupted)
			return;
		if (left_us > SPIN_US) {
			flush_later(R);
			if (R->pending[0] || R->pending[1])
				finish_pending(R);
			rec_poll(R->rec, wires_due_ms(R, (int)((left_us - SPIN_US) / 1000) + 1));
			if (rec_crashes(R->rec) && !R->crash_at)
				R->crash_at = rec_now(R->rec);
			continue;
		}
		ts.tv_sec = target / 1000000000;
		ts.tv_nsec = target % 1000000000;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		return;
	}
}

/* ---- actions -------------------------------------------------------------- */

static const char *child_name(const struct runner *R, int i, const struct sc_entry *e)
{
	const struct profile *p = R->plan.profile[i];

	if (e->child)
		return e->child;
	return p->child && p->child->name ? p->child->name : "net";
}

static const char *ike_name(const struct runner *R, int i, const struct sc_entry *e)
{
	const struct profile *p = R->plan.profile[i];

	if (e->ike)
		return e->ike;
	return p->ike && p->ike->name ? p->ike->name : "lab";
}

static int vici_action(struct runner *R, int i, const struct sc_step *st)
{
	const struct sc_entry *e = st->entry;
	struct vici_msg *m = vici_msg_new();
	const char *cmd = sc_action_name(st->kind);
	int r;

	if (R->pending[i])
		finish_pending(R);
	switch (st->kind) {
	case SC_INITIATE:
		vici_kv(m, "child", "%s", child_name(R, i, e));
		vici_kv(m, "ike", "%s", ike_name(R, i, e));
		vici_kv(m, "timeout", "-1");  /* return at once: the race is on the wire */
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
	default:        /* install, uninstall */
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

	json_array_foreach(list, k, ike) {
		json_array_foreach(json_object_get(ike, "child-sas"), c, child) {
			const char *st = json_string_value(json_object_get(child, "state"));
			const char *name = json_string_value(json_object_get(child, "name"));
			const char *id = json_string_value(json_object_get(child, "uniqueid"));
			const char *s = json_string_value(json_object_get(child, out ? "spi-out" : "spi-in"));
			const char *host = json_string_value(json_object_get(ike, out ? "remote-host" :
									    "local-host"));

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
		r = st->kind == SC_EXPIRE ?
		    xfrm_expire(fd, dst, spi, st->entry->hard && *st->entry->hard) :
		    xfrm_delete_sa(fd, dst, spi);
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
		r = netem_set(fd, dev, e->delay_ms ? *e->delay_ms : 0, e->jitter_ms ? *e->jitter_ms : 0,
			      e->loss_pct ? strtod(e->loss_pct, NULL) : 0);
	close(fd);
	return r;
}

static int signal_of(const char *name)
{
	static const struct { const char *n; int s; } sigs[] = {
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

	if (lab_peek(&st, R->o->lab) < 0) {
		lab_close(&st);
		return -1;
	}
	r = proc_id_from_json(json_object_get(json_object_get(json_object_get(st.doc, "nodes"),
			      R->peer[i]), "charon"), id);
	lab_close(&st);
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
	return open_vici(R, i);
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

static void run_step(struct runner *R, const struct sc_step *st)
{
	double planned = (double)st->at_us / 1e6;
	int i = peer_index(R, st->peer), r;
	json_t *args = json_object();

	int64_t late_us;

	wait_until(R, st->at_us);
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
		flush_later(R);
	snprintf(R->later[R->n_later].peer, sizeof(R->later[0].peer), "%s", i < 0 ? "" : R->peer[i]);
	R->later[R->n_later].kind = sc_action_name(st->kind);
	R->later[R->n_later++].args = args;
}

/* ---- one seed ---------------------------------------------------------------- */

static int write_schedule(struct runner *R)
{
	char *json = sc_plan_json(R->s, &R->sched), *path = xasprintf("%s/schedule.json", R->dir);
	int r = write_file(path, json, strlen(json), 0644);

	free(json);
	free(path);
	return r;
}

/* The scenario's `traffic:` starts at its time, before any step due later. */
static void start_steady_traffic(struct runner *R, uint64_t before_us)
{
	const struct sc_traffic *t = R->s->traffic;
	uint64_t at = t && t->start ? (uint64_t)*t->start * 1000 : 0;

	if (!t || R->steady_started || at > before_us)
		return;
	R->steady_started = true;
	wait_until(R, at);
	R->traffic_on = true;
	if (rec_start_traffic(R->rec, (int)t->pps) < 0) {
		rec_emit(R->rec, NULL, "schedule", "failed", json_pack("{s:s}", "error", err_msg()));
		err_clear();
	}
}

/*
 * Steps microseconds apart: a first action that wakes a charon (an acquire,
 * a VICI request) would hand it the CPU -- user-mode Linux has one -- for
 * milliseconds before the second action runs. Real-time priority for the
 * length of such a group keeps the two actions together.
 */
static void tight(bool on)
{
	struct sched_param sp = { .sched_priority = on ? 50 : 0 };

	sched_setscheduler(0, on ? SCHED_FIFO : SCHED_OTHER, &sp);
}

static int record_and_act(struct runner *R)
{
	/* A charon that dies unbidden, or hangs, ends the run as a lab error
	 * (its no_crash expectation is recorded as violated too). */
	struct rec_opts ro = { .lab = R->o->lab, .out = R->dir, .duration = R->s->duration_ms / 1e3,
			       .rate = R->s->rate_hz, .grace = R->s->grace_s, .live = R->o->live,
			       .crash_is_lab_error = true };
	double end = R->s->duration_ms / 1e3;

	R->rec = rec_open(&ro);
	if (!R->rec)
		return -1;
	for (int i = 0; i < R->n_wire; i++)
		rec_watch(R->rec, wire_fd(R->wire[i]), wire_readable, R->wire[i]);
	/* Sockets for bursts made now: making one takes milliseconds. */
	for (int i = 0; i < 2; i++)
		if (rec_burst(R->rec, R->peer[i], 0) < 0)
			return -1;
	rec_emit(R->rec, NULL, "lab", "scenario", json_pack("{s:s, s:I, s:s?}", "name", R->s->name,
		 "seed", (json_int_t)R->seed, "cites", R->s->cites));
	for (unsigned k = 0; k < R->sched.n && !rec_failed(R->rec) && !interrupted; k++) {
		if (R->crash_at && rec_now(R->rec) > R->crash_at + CRASH_TAIL_S)
			break;
		start_steady_traffic(R, R->sched.steps[k].at_us);
		if (k + 1 < R->sched.n &&
		    R->sched.steps[k + 1].at_us - R->sched.steps[k].at_us < SPIN_US)
			tight(true);
		run_step(R, &R->sched.steps[k]);
		if (k + 1 == R->sched.n ||
		    R->sched.steps[k + 1].at_us - R->sched.steps[k].at_us >= SPIN_US)
			tight(false);
	}
	start_steady_traffic(R, UINT64_MAX);
	flush_later(R);
	/* The rest of the run: let what was set off play out. */
	while (rec_now(R->rec) < end && !rec_failed(R->rec) && !interrupted) {
		if (rec_crashes(R->rec) && !R->crash_at)
			R->crash_at = rec_now(R->rec);
		if (R->crash_at && rec_now(R->rec) > R->crash_at + CRASH_TAIL_S)
			break;
		finish_pending(R);
		wires_tick(R);
		rec_poll(R->rec, wires_due_ms(R, 100));
	}
	finish_pending(R);
	return rec_finish(R->rec, interrupted != 0) < 0 ? -1 : 0;
}

/* Add the scenario's judgement to the run's summary.json. */
static void amend_summary(struct runner *R, json_t *v)
{
	char *path = xasprintf("%s/summary.json", R->dir), *text;
	json_t *s = json_load_file(path, 0, NULL);
	char *file = abs_path(R->s->path);

	if (!file)
		err_clear();
	if (s) {
		json_object_set_new(s, "scenario", json_string(R->s->name));
		json_object_set_new(s, "scenario_file", json_string(file ? file : R->s->path));
		json_object_set_new(s, "seed", json_integer((json_int_t)R->seed));
		json_object_set_new(s, "expect", json_string(R->s->reproduces ? "reproduces" : "clean"));
		json_object_set(s, "result", json_object_get(v, "result"));
		json_object_set(s, "expectations", json_object_get(v, "expectations"));
		text = json_dumps(s, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
		write_file(path, text, strlen(text), 0644);
		free(text);
		json_decref(s);
	}
	free(file);
	free(path);
}

static json_t *judge(struct runner *R, bool quiet_report)
{
	json_t *v = verdict_evaluate(R->dir, R->s);
	char *report, *path;

	if (!v)
		return NULL;
	amend_summary(R, v);
	report = verdict_report(v, R->s, R->seed);
	path = xasprintf("%s/report.txt", R->dir);
	write_file(path, report, strlen(report), 0644);
	if (!quiet_report)
		fputs(report, stdout);
	free(report);
	free(path);
	return v;
}

static json_t *run_seed(struct runner *R, bool quiet_report)
{
	int64_t t0 = mono_ns();
	json_t *v = NULL;
	int r;

	R->crash_at = 0;
	R->traffic_on = R->steady_started = false;
	if (mkdir_p(R->dir, 0755) < 0)
		return NULL;
	scenario_plan(R->s, R->seed, &R->sched);
	r = write_schedule(R);
	if (r == 0)
		r = lab_up_plan(R->o->lab, &R->plan, true);
	if (r < 0) {
		sc_plan_free(&R->sched);
		return NULL;
	}
	r = open_vici(R, 0);
	if (r == 0)
		r = open_vici(R, 1);
	if (r == 0)
		r = open_wires(R);
	if (r == 0)
		r = record_and_act(R);
	if (r < 0) {
		char saved[ERR_MSG_MAX];

		snprintf(saved, sizeof(saved), "%s", err_msg());
		rec_free(R->rec);
		R->rec = NULL;
		close_all(R);
		lab_copy_evidence(R->o->lab, R->dir);
		lab_down_host(R->o->lab);
		sc_plan_free(&R->sched);
		err_set("%s", saved);
		return NULL;
	}
	rec_free(R->rec);
	R->rec = NULL;
	close_all(R);
	lab_copy_evidence(R->o->lab, R->dir);
	if (lab_down_host(R->o->lab) < 0)
		err_clear();
	sc_plan_free(&R->sched);
	v = judge(R, quiet_report);
	if (v)
		json_object_set_new(v, "wall_s", json_real((double)(mono_ns() - t0) / 1e9));
	return v;
}

/* ---- all seeds -------------------------------------------------------------------- */

static const char *first_violation(const json_t *v, char *buf, size_t len)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(v, "expectations"), i, e)
		if (!json_is_true(json_object_get(e, "held"))) {
			snprintf(buf, len, "%s: %g > %g at t=%.1f s",
				 json_string_value(json_object_get(e, "name")),
				 json_real_value(json_object_get(e, "actual")),
				 json_real_value(json_object_get(e, "limit")),
				 json_real_value(json_object_get(e, "at")));
			return buf;
		}
	return "every expectation held";
}

static int write_result(const struct run_opts *o, const struct scenario *s, json_t *seeds,
			int matched, int n)
{
	char *path = xasprintf("%s/result.json", o->out), *text;
	json_t *j = json_pack("{s:s, s:s, s:s, s:O, s:i, s:i, s:f}", "scenario", s->name,
			      "file", s->path, "expect", s->reproduces ? "reproduces" : "clean",
			      "seeds", seeds, "as_expected", matched, "runs", n,
			      "rate", n ? (double)matched / n : 0.0);
	int r;

	text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	r = write_file(path, text, strlen(text), 0644);
	free(text);
	free(path);
	json_decref(j);
	return r;
}

int run_here(const struct run_opts *o)
{
	struct runner R = { .o = o };
	json_t *seeds = json_array();
	int matched = 0, worst = 0, n = 0;
	struct sigaction sa = { .sa_handler = on_interrupt };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	R.s = scenario_load(o->scenario);
	if (!R.s || make_plan(&R) < 0) {
		if (R.s) {
			lab_plan_free(&R.plan);
			scenario_free(R.s);
		}
		json_decref(seeds);
		return -1;
	}
	for (unsigned k = 0; k < o->seeds && !interrupted; k++) {
		enum verdict_result res;
		char why[256];
		json_t *v;
		int code;

		R.seed = (o->seed ? o->seed : (R.s->seed ? *R.s->seed : 1)) + k;
		R.dir = xasprintf("%s/seed-%llu", o->out, (unsigned long long)R.seed);
		v = run_seed(&R, o->seeds > 1);
		if (!v) {
			printf("seed %llu: lab error: %s\n", (unsigned long long)R.seed, err_msg());
			json_array_append_new(seeds, json_pack("{s:I, s:s, s:s, s:s}", "seed",
				(json_int_t)R.seed, "result", "lab-error", "error", err_msg(), "dir", R.dir));
			worst = 2;
			err_clear();
		} else {
			res = verdict_result_of(v);
			code = verdict_exit(res);
			matched += code == 0;
			if (code > worst)
				worst = code;
			if (o->seeds > 1)
				printf("seed %llu: %-14s %s (%.0f s) %s\n", (unsigned long long)R.seed,
				       verdict_name(res), first_violation(v, why, sizeof(why)),
				       json_real_value(json_object_get(v, "wall_s")), R.dir);
			json_array_append_new(seeds, json_pack("{s:I, s:s, s:s, s:O, s:f}", "seed",
				(json_int_t)R.seed, "result", verdict_name(res), "dir", R.dir,
				"expectations", json_object_get(v, "expectations"),
				"wall_s", json_real_value(json_object_get(v, "wall_s"))));
			json_decref(v);
		}
		n++;
		free(R.dir);
		fflush(stdout);
	}
	printf("%s: %s in %d of %d seed%s (%s)\n", R.s->name, R.s->reproduces ?
	       "reproduced" : "passed", matched, n, n == 1 ? "" : "s", o->out);
	write_result(o, R.s, seeds, matched, n);
	json_decref(seeds);
	lab_plan_free(&R.plan);
	scenario_free(R.s);
	if (interrupted) {
		printf("interrupted by signal %d: stopped after %d seed%s\n", (int)interrupted, n,
		       n == 1 ? "" : "s");
		return 128 + interrupted;
	}
	return worst;
}

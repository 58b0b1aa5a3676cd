/*
 * run.c - `ikelab run` (see run.h): building the lab and tearing it down,
 * waiting for each step's time, one seed, all seeds; the actions are in
 * actions.c (see run-internal.h).
 */
#include "schedule/run-internal.h"
#include "base/json.h"
#include "base/err.h"
#include "backend/lab.h"
#include "backend/state.h"
#include "backend/uml/residue.h"
#include "kernel/netns.h"
#include "record/recorder.h"
#include "config/scenario.h"
#include "base/util.h"
#include "judge/verdict.h"
#include "charon/vici.h"
#include "kernel/wire.h"

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

#define SPIN_US 3000       /* the last stretch before an action: sleep exactly */
#define CRASH_TAIL_S 2.0   /* after a crash, record this much more, then stop */
#define SETTLE_EVERY_S 0.2 /* how often an early verdict is looked for */

/* SIGINT, SIGTERM or SIGHUP: finish the current seed cleanly, run no more. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	interrupted = sig;
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

int run_open_vici(struct runner *R, int i)
{
	char *dir = state_dir(R->o->lab),
	     *path = xasprintf("%s/%s/run/charon.vici", dir, R->peer[i]);

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
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	/* A wire closed after the recording (a failed seed) lets go of what
	 * it kept with nothing left to tell. */
	if (!R->rec)
		return;
	wire_addr_str(&ev->ike.src, src, sizeof(src));
	wire_addr_str(&ev->ike.dst, dst, sizeof(dst));
	rec_emit(R->rec, NULL, "wire", ev->released ? "released" : wire_action_name(ev->action),
		 json_pack("{s:s, s:s?, s:b, s:i, s:s, s:s, s:i, s:f}", "rule", ev->rule,
			   "exchange", ike_exchange_name(ev->ike.exchange), "response",
			   ev->ike.response, "message_id", (int)ev->ike.message_id, "src", src,
			   "dst", dst, "nth", (int)ev->nth, "kept_s", (double)ev->kept_ns / 1e9));
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
	if (f->from && wire_addr_parse(peer_ike_addr(R, f->from), &w->from) < 0)
		return err_set("fault %s: no IKE address for %s", f->name, f->from);
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
		R->wire[R->n_wire] = wire_open(fd, node->name, (uint16_t)(R->n_wire + 1),
					       topo_uses_ipv6(R->s->topo), rules, n, on_wire, R);
		close(fd);
		if (!R->wire[R->n_wire])
			return -1;
		R->n_wire++;
	}
	return 0;
}

static void close_wires(struct runner *R)
{
	for (int i = 0; i < R->n_wire; i++) {
		if (R->rec)
			rec_unwatch(R->rec, wire_fd(R->wire[i]));
		if (wire_close(R->wire[i]) < 0)
			err_clear();
	}
	R->n_wire = 0;
}

static void close_all(struct runner *R)
{
	close_wires(R);
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

void run_finish_pending(struct runner *R)
{
	for (int i = 0; i < 2; i++) {
		struct vici_node *resp = NULL;

		if (!R->pending[i])
			continue;
		R->pending[i] = false;
		if (vici_cmd_finish(R->vici[i], &resp, VICI_MS) < 0 ||
		    vici_check_success(resp, "command") < 0) {
			rec_emit(R->rec, R->peer[i], "schedule", "failed",
				 json_pack("{s:s}", "error", err_msg()));
			err_clear();
		}
		vici_node_free(resp);
	}
}

void run_flush_later(struct runner *R)
{
	for (int i = 0; i < R->n_later; i++)
		rec_emit(R->rec, R->later[i].peer[0] ? R->later[i].peer : NULL, "schedule",
			 R->later[i].kind, R->later[i].args);
	R->n_later = 0;
}

/* Why the run stops early, for summary.json and an event. */
static void note_settled(struct runner *R, const json_t *e)
{
	const char *name = jget_str_or(e, "name", "?");
	char *why = xasprintf("%s violated: %s (limit %g); nothing later can undo it", name,
			      jget_str_or(e, "detail", "?"),
			      json_number_value(json_object_get(e, "limit")));

	rec_emit(R->rec, NULL, "lab", "verdict-settled",
		 json_pack("{s:s, s:s}", "expectation", name, "why", why));
	rec_ended_early(R->rec,
			json_pack("{s:f, s:f, s:s, s:s}", "at", rec_now(R->rec), "planned_s",
				  R->s->duration_ms / 1e3, "expectation", name, "why", why));
	free(why);
}

/*
 * Has the verdict been settled before the end? Once an expectation that
 * cannot come back is violated, the rest of the run changes nothing, and
 * trials an hour are what finds rare races: the run stops. Asked after a
 * new sampling round (what it looks at changes with them), at most every
 * SETTLE_EVERY_S: the sustained maxima are computed over the whole series,
 * which in an hour's recording is long.
 * --full-duration and full_duration: true keep a whole recording.
 */
static bool settled(struct runner *R)
{
	json_t *so_far, *e;

	if (R->settled)
		return true;
	if (R->o->full_duration || (R->s->full_duration && *R->s->full_duration) ||
	    rec_samples(R->rec) == R->checked || rec_now(R->rec) < R->checked_at + SETTLE_EVERY_S)
		return false;
	R->checked = rec_samples(R->rec);
	R->checked_at = rec_now(R->rec);
	so_far = rec_so_far(R->rec);
	e = verdict_decided(so_far, R->s);
	json_decref(so_far);
	if (e) {
		R->settled = true;
		note_settled(R, e);
		json_decref(e);
	}
	return R->settled;
}

/* Until at_us after the start: the recorder and the wire run meanwhile; the
 * last few ms are slept precisely, so two steps microseconds apart stay so. */
bool run_wait_until(struct runner *R, uint64_t at_us)
{
	int64_t target = rec_t0(R->rec) + (int64_t)at_us * 1000;

	for (;;) {
		int64_t left_us = (target - mono_ns()) / 1000;
		struct timespec ts;

		wires_tick(R);
		if (interrupted)
			return false;
		if (left_us <= 0)
			return true;
		/* Not in the last stretch: it belongs to the step's timing. */
		if (left_us > SPIN_US) {
			if (settled(R))
				return false;
			run_flush_later(R);
			if (R->pending[0] || R->pending[1])
				run_finish_pending(R);
			rec_poll(R->rec, wires_due_ms(R, (int)((left_us - SPIN_US) / 1000) + 1));
			if (rec_crashes(R->rec) && !R->crash_at)
				R->crash_at = rec_now(R->rec);
			continue;
		}
		ts.tv_sec = target / 1000000000;
		ts.tv_nsec = target % 1000000000;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		return !interrupted;
	}
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

/* The scenario as this run loaded it, into the run directory: what
 * `ikelab shrink` runs again without --trust (a run directory is often
 * someone else's, and the file it came from is not the user's choice).
 * Its files are named by absolute path, so it loads from there. */
static int write_scenario_copy(struct runner *R)
{
	char *path = xasprintf("%s/scenario.yaml", R->dir), *comment;
	int r;

	comment = xasprintf("The scenario of this run, as `ikelab run` loaded it from\n%s",
			    R->s->path);
	r = scenario_save(R->s, path, comment);
	free(comment);
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
	if (!run_wait_until(R, at))
		return;
	R->traffic_on = true;
	if (rec_start_traffic(R->rec, (int)t->pps) < 0) {
		rec_emit(R->rec, NULL, "schedule", "failed",
			 json_pack("{s:s}", "error", err_msg()));
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
	struct rec_opts ro = { .lab = R->o->lab,
			       .out = R->dir,
			       .duration = R->s->duration_ms / 1e3,
			       .rate = R->s->rate_hz,
			       .grace = R->s->grace_s,
			       .live = R->o->live,
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
	rec_emit(R->rec, NULL, "lab", "scenario",
		 json_pack("{s:s, s:I, s:s?}", "name", R->s->name, "seed", (json_int_t)R->seed,
			   "cites", R->s->cites));
	for (unsigned k = 0; k < R->sched.n && !rec_failed(R->rec) && !interrupted && !R->settled;
	     k++) {
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
	tight(false); /* the loop may have stopped inside a tight group */
	start_steady_traffic(R, UINT64_MAX);
	run_flush_later(R);
	/* The rest of the run: let what was set off play out. */
	while (rec_now(R->rec) < end && !rec_failed(R->rec) && !interrupted && !settled(R)) {
		if (rec_crashes(R->rec) && !R->crash_at)
			R->crash_at = rec_now(R->rec);
		if (R->crash_at && rec_now(R->rec) > R->crash_at + CRASH_TAIL_S)
			break;
		run_finish_pending(R);
		wires_tick(R);
		rec_poll(R->rec, wires_due_ms(R, 100));
	}
	run_finish_pending(R);
	/* Messages a wire still keeps (a run stopped early, or interrupted,
	 * before a delay ran out) go on now, recorded as released. */
	close_wires(R);
	return rec_finish(R->rec, interrupted != 0) < 0 ? -1 : 0;
}

/* The command line's --set values, as given. */
static json_t *sets_json(const struct run_opts *o)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < o->n_sets; i++)
		json_array_append_new(a, json_string(o->sets[i]));
	return a;
}

/* Add the scenario's judgement to the run's summary.json. */
static void amend_summary(struct runner *R, json_t *v)
{
	char *path = xasprintf("%s/summary.json", R->dir);
	json_t *s = json_load_file(path, 0, NULL);
	char *file = abs_path(R->s->path);

	if (!file)
		err_clear();
	if (s) {
		json_object_set_new(s, "scenario", json_string(R->s->name));
		json_object_set_new(s, "scenario_file", json_string(file ? file : R->s->path));
		json_object_set_new(s, "seed", json_integer((json_int_t)R->seed));
		json_object_set_new(s, "set", sets_json(R->o));
		json_object_set_new(s, "expect",
				    json_string(R->s->reproduces ? "reproduces" : "clean"));
		json_object_set(s, "result", json_object_get(v, "result"));
		json_object_set(s, "expectations", json_object_get(v, "expectations"));
		if (R->kernel_runs_before >= 0)
			json_object_set_new(s, "kernel",
					    json_pack("{s:i, s:b, s:s?}", "runs_before",
						      R->kernel_runs_before, "checked",
						      R->kernel_checked, "residue_after",
						      R->residue));
		if (json_write(path, s) < 0)
			err_clear();
		json_decref(s);
	}
	free(file);
	free(path);
}

/* The report's first line, then which charon ran: its version and, for a
 * build of ikelab's, its commit (allocated). */
static char *with_charon(char *report, const char *dir)
{
	char *path = xasprintf("%s/summary.json", dir), *out;
	json_t *s = json_load_file(path, 0, NULL);
	const char *commit = jget_str(s, "charon_commit");
	size_t first = strcspn(report, "\n") + (report[strcspn(report, "\n")] == '\n');

	out = xasprintf("%.*s  charon %s%s%.12s%s (%s)\n%s", (int)first, report,
			jget_str_or(s, "charon_version", "of unknown version"),
			commit ? ", commit " : "", commit ? commit : "",
			commit ? ", built by ikelab" : "", jget_str_or(s, "charon_binary", "?"),
			report + first);
	json_decref(s);
	free(path);
	free(report);
	return out;
}

static json_t *judge(struct runner *R, bool quiet_report)
{
	json_t *v = verdict_evaluate(R->dir, R->s);
	char *report, *path;

	if (!v)
		return NULL;
	amend_summary(R, v);
	report = with_charon(verdict_report(v, R->s, R->seed), R->dir);
	path = xasprintf("%s/report.txt", R->dir);
	write_file(path, report, strlen(report), 0644);
	if (!quiet_report)
		fputs(report, stdout);
	free(report);
	free(path);
	return v;
}

/* Inside a user-mode Linux kernel that may have run labs before: refuse
 * to build on what an earlier run left (residue.h), and count this run. */
static int kernel_clean(struct runner *R)
{
	char *labdir, *left;

	R->kernel_runs_before = -1;
	free(R->residue);
	R->residue = NULL;
	if (!state_inside_uml())
		return 0;
	labdir = state_dir(R->o->lab);
	left = residue_now(labdir);
	free(labdir);
	R->kernel_runs_before = (int)residue_runs_before();
	R->kernel_checked = residue_checked();
	residue_count_run();
	if (!R->kernel_checked)
		fprintf(stderr,
			"ikelab: warning: this user-mode Linux kernel has no record of its "
			"state at boot: whether an earlier run left something is not checked\n");
	if (!left)
		return 0;
	R->kernel_refused = true;
	err_set("the user-mode Linux kernel, reused after %d run%s, still holds what an earlier "
		"run left: %s; nothing of this run was built",
		R->kernel_runs_before, R->kernel_runs_before == 1 ? "" : "s", left);
	free(left);
	return -1;
}

/* After the lab is down: what it left in a reused kernel, for summary.json
 * and a warning (the next run there refuses to start on it). */
static void kernel_after(struct runner *R)
{
	char *labdir;

	if (R->kernel_runs_before < 0)
		return;
	labdir = state_dir(R->o->lab);
	R->residue = residue_now(labdir);
	free(labdir);
	if (R->residue)
		fprintf(stderr, "ikelab: warning: the lab's down left in the kernel: %s\n",
			R->residue);
}

static json_t *run_seed(struct runner *R, bool quiet_report)
{
	int64_t t0 = mono_ns();
	json_t *v = NULL;
	int r;

	if (kernel_clean(R) < 0)
		return NULL;

	R->crash_at = 0;
	R->traffic_on = R->steady_started = R->settled = false;
	R->checked = 0;
	R->checked_at = -SETTLE_EVERY_S;
	if (mkdir_p(R->dir, 0755) < 0)
		return NULL;
	scenario_plan(R->s, R->seed, &R->sched);
	r = write_schedule(R);
	if (r == 0)
		r = write_scenario_copy(R);
	if (r == 0)
		r = lab_up_plan(R->o->lab, &R->plan, true);
	if (r < 0) {
		sc_plan_free(&R->sched);
		return NULL;
	}
	r = run_open_vici(R, 0);
	if (r == 0)
		r = run_open_vici(R, 1);
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
		kernel_after(R);
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
	kernel_after(R);
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

	json_array_foreach (json_object_get(v, "expectations"), i, e)
		if (!json_is_true(json_object_get(e, "held"))) {
			snprintf(buf, len, "%s: %g > %g at t=%.1f s", jget_str(e, "name"),
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
	char *path = xasprintf("%s/result.json", o->out);
	json_t *j =
		json_pack("{s:s, s:s, s:s, s:O, s:i, s:i, s:f}", "scenario", s->name, "file",
			  s->path, "expect", s->reproduces ? "reproduces" : "clean", "seeds", seeds,
			  "as_expected", matched, "runs", n, "rate", n ? (double)matched / n : 0.0);
	int r = json_write(path, j);

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
	R.s = scenario_load_set(o->scenario, o->sets, o->n_sets);
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
			json_array_append_new(seeds,
					      json_pack("{s:I, s:s, s:s, s:s}", "seed",
							(json_int_t)R.seed, "result", "lab-error",
							"error", err_msg(), "dir", R.dir));
			worst = 2;
			err_clear();
		} else {
			res = verdict_result_of(v);
			code = verdict_exit(res);
			matched += code == 0;
			if (code > worst)
				worst = code;
			if (o->seeds > 1)
				printf("seed %llu: %-14s %s (%.0f s) %s\n",
				       (unsigned long long)R.seed, verdict_name(res),
				       first_violation(v, why, sizeof(why)),
				       json_real_value(json_object_get(v, "wall_s")), R.dir);
			json_array_append_new(
				seeds,
				json_pack("{s:I, s:s, s:s, s:O, s:f}", "seed", (json_int_t)R.seed,
					  "result", verdict_name(res), "dir", R.dir, "expectations",
					  json_object_get(v, "expectations"), "wall_s",
					  json_real_value(json_object_get(v, "wall_s"))));
			json_decref(v);
		}
		n++;
		free(R.dir);
		fflush(stdout);
		/* The next run would refuse this kernel: it is the lab's failure,
		 * exit 2, which also takes a slot's kernel down (uml.h). */
		if (R.kernel_refused)
			break;
		if (R.residue) {
			printf("the lab's down left in the kernel: %s; the remaining seeds need a "
			       "fresh kernel: stopping\n",
			       R.residue);
			worst = 2;
			break;
		}
	}
	printf("%s: %s in %d of %d seed%s (%s)\n", R.s->name,
	       R.s->reproduces ? "reproduced" : "passed", matched, n, n == 1 ? "" : "s", o->out);
	write_result(o, R.s, seeds, matched, n);
	json_decref(seeds);
	lab_plan_free(&R.plan);
	free(R.residue);
	scenario_free(R.s);
	if (interrupted) {
		printf("interrupted by signal %d: stopped after %d seed%s\n", (int)interrupted, n,
		       n == 1 ? "" : "s");
		return 128 + interrupted;
	}
	return worst;
}

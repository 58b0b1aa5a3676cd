/*
 * finish.c - after the trials (explore-internal.h): each new group's first
 * run plotted, shrunk by `ikelab shrink --reproduces`, and its shrunk
 * scenario run on every version, the shrinks and the runs each a child
 * process, J at a time, every one with a deadline.
 */
#include "explore/explore-internal.h"
#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "base/spawn.h"
#include "base/util.h"
#include "config/scenario.h"
#include "config/trust.h"
#include "judge/plot.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHRINK_SLACK_S 600  /* past its budget: the last candidate's run and the write */
#define VERSION_RUN_S 300   /* a shrunk scenario's run, beyond its duration, at most */
#define STOP_GRACE_MS 20000 /* a child past its deadline: TERM, then this, then KILL */

/* ---- the pool ------------------------------------------------------------------ */

/* A signal after the trials: nothing more starts, what runs is stopped,
 * and explore writes its reports of what was done. */
static volatile sig_atomic_t finish_stop;

static void on_stop(int sig)
{
	finish_stop = sig;
}

struct task {
	struct argv a;
	char *log;
	double limit_s;
	struct group *g;
	uint64_t seed; /* the trial shrunk, or whose seed the version runs take */
	int version;   /* -1: a shrink */
	pid_t pid;
	int64_t start;
	int status; /* exit status; -1 it could not run or died, -2 it was not
	               started, -3 it was stopped (deadline or signal) */
	bool stopping;
	int64_t stop_at;
};

static void task_start(struct task *t)
{
	/* A session of its own: TERM reaches the shrink and the run it waits
	 * for (a run takes its lab down on TERM), and a ^C at the terminal
	 * reaches only us. */
	struct spawn_opts o = { .io = { SPAWN_NULL, SPAWN_FD, SPAWN_TO_OUT }, .new_session = true };
	struct spawn_proc p;

	t->status = -1;
	o.fd[1] = file_create(t->log, 0644, FILE_REPLACE);
	if (o.fd[1] < 0 || spawn_start(&p, t->a.v, &o) < 0) {
		fprintf(stderr, "ikelab: %s\n", err_msg());
		err_clear();
		if (o.fd[1] >= 0)
			close(o.fd[1]);
		return;
	}
	close(o.fd[1]);
	t->pid = p.pid;
	t->start = mono_ns();
	p.reaped = true; /* the pool's to reap */
	spawn_proc_free(&p);
}

/* A child past its deadline, or all of them once we are stopped: TERM to
 * its process group (each run in it takes its lab down), KILL once that
 * has not ended it. */
static void task_watch(struct task *t)
{
	double age = (double)(mono_ns() - t->start) / 1e9;

	if ((age > t->limit_s || finish_stop) && !t->stopping) {
		kill(-t->pid, SIGTERM);
		t->stopping = true;
		t->stop_at = mono_ns();
	} else if (t->stopping && (double)(mono_ns() - t->stop_at) / 1e6 > STOP_GRACE_MS) {
		kill(-t->pid, SIGKILL);
	}
}

static bool task_reap(struct task *t)
{
	int status;
	pid_t r = waitpid(t->pid, &status, WNOHANG);

	if (r == 0 || (r < 0 && errno == EINTR))
		return false;
	t->status = t->stopping ? -3 : r == t->pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	t->pid = 0;
	return true;
}

/* Every task run, J at a time; DONE called as each ends. None starts
 * after LAST_S seconds (0: no such limit): those end at once, with status
 * -2. */
static void pool_run(struct task *t, unsigned n, unsigned jobs, double last_s,
		     void (*done)(struct explorer *X, struct task *t), struct explorer *X)
{
	int64_t t0 = mono_ns();
	unsigned next = 0, running = 0;

	while (next < n || running) {
		while (running < jobs && next < n) {
			if (finish_stop ||
			    (last_s > 0 && (double)(mono_ns() - t0) / 1e9 > last_s)) {
				t[next].status = -2;
				done(X, &t[next++]);
				continue;
			}
			task_start(&t[next]);
			if (t[next].pid)
				running++;
			else
				done(X, &t[next]);
			next++;
		}
		for (unsigned i = 0; i < next; i++) {
			if (!t[i].pid)
				continue;
			task_watch(&t[i]);
			if (task_reap(&t[i])) {
				running--;
				done(X, &t[i]);
			}
		}
		if (running)
			sleep_ms(200);
	}
}

static void tasks_free(struct task *t, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		argv_free(&t[i].a);
		free(t[i].log);
	}
	free(t);
}

/* ---- shrinking ------------------------------------------------------------------ */

static unsigned entries_of(const char *file)
{
	struct scenario *s = scenario_load(file);
	unsigned n = s ? s->schedule_count : 0;

	if (!s)
		err_clear();
	scenario_free(s);
	return n;
}

static void shrink_args(struct explorer *X, struct task *t, const char *run)
{
	const struct explore_opts *o = X->o;

	argv_addv(&t->a, (char *const[]){ (char *)self_exe(), "shrink", (char *)run, NULL });
	argv_add(&t->a, "--seeds");
	argv_addf(&t->a, "%u", o->seeds);
	argv_add(&t->a, "--budget");
	argv_addf(&t->a, "%.0f", o->shrink_s);
	argv_add(&t->a, "--reproduces");
	argv_add(&t->a, "--out");
	argv_addf(&t->a, "%s/shrunk/%s/%s.yaml", o->out, t->g->id, t->g->id);
	/* The trial's file as explore drew it, not the run's copy or the file
	 * its summary.json names: the guest wrote both of those, and --trust
	 * is the user's consent to explore's own files only. */
	argv_add(&t->a, "--signature");
	argv_add(&t->a, t->g->id);
	argv_add(&t->a, "--scenario");
	argv_addf(&t->a, "%s/scenarios/trial-%" PRIu64 ".yaml", o->out, t->seed);
	if (o->n_charons && o->charons[0])
		argv_addv(&t->a, (char *const[]){ "--charon", o->charons[0], NULL });
	if (trust_granted(TRUST_FILES))
		argv_add(&t->a, TRUST_OPTION);
}

static void shrink_done(struct explorer *X, struct task *t)
{
	char *rel = xasprintf("shrunk/%s/%s.yaml", t->g->id, t->g->id);
	char *log = xasprintf("shrunk/%s/shrink.log", t->g->id);
	char *file = xasprintf("%s/%s", X->o->out, rel);
	const char *status = t->status == 0    ? "reproduces"
			     : t->status == 1  ? "not-shrinkable"
			     : t->status == 2  ? "lab-error"
			     : t->status == -2 ? "skipped"
			     : t->status == -3 ? (finish_stop ? "interrupted" : "timed-out")
					       : "failed";
	bool wrote = path_exists(file);
	char *trial = xasprintf("%s/scenarios/trial-%" PRIu64 ".yaml", X->o->out, t->seed);

	json_object_set_new(t->g->j, "shrunk", wrote ? json_string(rel) : json_null());
	json_object_set_new(t->g->j, "shrunk_seed", json_integer((json_int_t)t->seed));
	json_object_set_new(t->g->j, "shrink",
			    json_pack("{s:s, s:i, s:i, s:f, s:s}", "status", status,
				      "entries_before", (int)entries_of(trial), "entries_after",
				      wrote ? (int)entries_of(file) : -1, "wall_s",
				      t->start ? (double)(mono_ns() - t->start) / 1e9 : 0.0, "log",
				      log));
	printf("explore: shrink of %s: %s%s%s\n", t->g->id, status, wrote ? ", " : "",
	       wrote ? file : "");
	fflush(stdout);
	free(trial);
	free(file);
	free(log);
	free(rel);
}

/* The trial a group is shrunk from: its first that did not end as a lab
 * error (shrink takes no such run: it says nothing of the scenario), else
 * its first. An entry of X->trials. */
static const json_t *shrink_trial(const struct explorer *X, const struct group *g)
{
	const json_t *t, *first = NULL, *id;
	size_t i, k;

	json_array_foreach (X->trials, i, t)
		json_array_foreach (json_object_get(t, "groups"), k, id) {
			if (strcmp(json_string_value(id) ? json_string_value(id) : "", g->id))
				continue;
			if (strcmp(jget_str_or(t, "result", "lab-error"), "lab-error"))
				return t;
			if (!first)
				first = t;
		}
	return first;
}

/* The order of shrinking: each invariant's most frequent group first
 * (so that a race of every kind found is shrunk before a second variant
 * of one), then each invariant's second, ...; within a round the most
 * frequent, then the earlier first seed. */
struct shrink_rank {
	struct group *g;
	unsigned round;
};

static int by_rank(const void *a, const void *b)
{
	const struct shrink_rank *x = a, *y = b;

	if (x->round != y->round)
		return x->round < y->round ? -1 : 1;
	if (x->g->count != y->g->count)
		return x->g->count > y->g->count ? -1 : 1;
	return x->g->first_seed < y->g->first_seed ? -1 : x->g->first_seed > y->g->first_seed;
}

/* R[i].round: how many groups of G[i]'s invariant come before it (more
 * frequent, or as frequent and seen first). */
static void rank_groups(struct groups *G, struct shrink_rank *r)
{
	for (unsigned i = 0; i < G->n; i++) {
		const char *inv = jget_str_or(G->g[i].j, "invariant", "");

		r[i] = (struct shrink_rank){ &G->g[i], 0 };
		for (unsigned k = 0; k < G->n; k++) {
			const struct group *o = &G->g[k];

			if (k != i && !strcmp(jget_str_or(o->j, "invariant", ""), inv) &&
			    (o->count > G->g[i].count ||
			     (o->count == G->g[i].count && o->first_seed < G->g[i].first_seed)))
				r[i].round++;
		}
	}
	qsort(r, G->n, sizeof(*r), by_rank);
}

/* The new groups' shrinks, J at a time, in rank_groups' order. */
static void shrink_all(struct explorer *X)
{
	const struct explore_opts *o = X->o;
	struct task *t = xcalloc(X->G.n ? X->G.n : 1, sizeof(*t));
	struct shrink_rank *order = xcalloc(X->G.n ? X->G.n : 1, sizeof(*order));
	unsigned n = 0;
	char *dir = xasprintf("%s/shrunk", o->out);

	if (mkdir_p(dir, 0755) < 0) {
		fprintf(stderr, "ikelab: %s\n", err_msg());
		err_clear();
	}
	rank_groups(&X->G, order);
	for (unsigned i = 0; i < X->G.n; i++) {
		struct group *g = order[i].g;
		const json_t *trial = shrink_trial(X, g);
		char *run = xasprintf("%s/%s", o->out, jget_str_or(trial, "run", "")), *gdir;

		if (g->known) {
			free(run);
			continue;
		}
		t[n].g = g;
		t[n].seed = (uint64_t)json_integer_value(json_object_get(trial, "seed"));
		t[n].version = -1;
		t[n].limit_s = o->shrink_s + SHRINK_SLACK_S;
		/* A folder each: shrink keeps its candidates beside its result. */
		gdir = xasprintf("%s/%s", dir, g->id);
		if (mkdir_p(gdir, 0755) < 0) {
			fprintf(stderr, "ikelab: %s\n", err_msg());
			err_clear();
		}
		t[n].log = xasprintf("%s/shrink.log", gdir);
		free(gdir);
		shrink_args(X, &t[n++], run);
		free(run);
	}
	if (n)
		printf("explore: shrinking %u new group%s, %u at a time, %.0f s each\n", n,
		       n == 1 ? "" : "s", o->jobs, o->shrink_s);
	pool_run(t, n, o->jobs, o->shrink_total_s, shrink_done, X);
	tasks_free(t, n);
	free(order);
	free(dir);
}

/* ---- versions ---------------------------------------------------------------------- */

static const char *label_of(const struct explore_opts *o, int v)
{
	return o->n_charons ? o->labels[v] : "default";
}

/* How many of the runs below DIR reproduced (summary.json of each
 * seed-N, read beneath DIR), and how many ended at all. */
static void count_reproduced(const char *dir, unsigned seeds, uint64_t seed0, int *yes, int *of)
{
	*yes = *of = 0;
	for (unsigned k = 0; k < seeds; k++) {
		char *rel = xasprintf("seed-%" PRIu64 "/summary.json", seed0 + k);
		json_t *s = json_load_beneath(dir, rel, JSON_RUN_MAX);
		const char *r = jget_str(s, "result");

		if (r && strcmp(r, "lab-error")) {
			(*of)++;
			*yes += !strcmp(r, "reproduced");
		}
		err_clear();
		json_decref(s);
		free(rel);
	}
}

static void version_done(struct explorer *X, struct task *t)
{
	const struct explore_opts *o = X->o;
	char *dir = xasprintf("%s/versions/%s/v%d", o->out, t->g->id, t->version + 1);
	json_t *runs = json_object_get(t->g->j, "version_runs");
	int yes, of;

	count_reproduced(dir, o->seeds + 1, t->seed, &yes, &of);
	json_array_append_new(runs,
			      json_pack("{s:s, s:i, s:i, s:i}", "version", label_of(o, t->version),
					"index", t->version, "reproduced", yes, "of", of));
	if (of)
		printf("explore: %s on %s: reproduced in %d of %d runs\n", t->g->id,
		       label_of(o, t->version), yes, of);
	else
		printf("explore: %s on %s: no run ended (interrupted, or lab errors)\n", t->g->id,
		       label_of(o, t->version));
	fflush(stdout);
	free(dir);
}

static void version_args(struct explorer *X, struct task *t, const char *file)
{
	const struct explore_opts *o = X->o;

	argv_addv(&t->a, (char *const[]){ (char *)self_exe(), "run", (char *)file, NULL });
	argv_add(&t->a, "--seeds");
	argv_addf(&t->a, "%u", o->seeds + 1);
	argv_add(&t->a, "--seed");
	argv_addf(&t->a, "%" PRIu64, t->seed);
	argv_add(&t->a, "--out");
	argv_addf(&t->a, "%s/versions/%s/v%d", o->out, t->g->id, t->version + 1);
	if (o->n_charons && o->charons[t->version])
		argv_addv(&t->a, (char *const[]){ "--charon", o->charons[t->version], NULL });
	if (trust_granted(TRUST_FILES))
		argv_add(&t->a, TRUST_OPTION);
}

/* The first version after one that showed the group that does not. */
static void fixed_in(const struct explore_opts *o, struct group *g)
{
	json_t *runs = json_object_get(g->j, "version_runs"), *r;
	bool shown = false;
	size_t i;

	json_object_set_new(g->j, "fixed_in", json_null());
	for (int v = 0; v < o->n_charons; v++)
		json_array_foreach (runs, i, r) {
			if (jget_num_or(r, "index", -1) != v)
				continue;
			if (jget_num_or(r, "reproduced", 0) > 0)
				shown = true;
			else if (shown && jget_num_or(r, "of", 0) > 0) {
				json_object_set_new(g->j, "fixed_in", json_string(label_of(o, v)));
				return;
			}
		}
}

/* Every shrunk scenario on every version, the explored one first. */
static void versions_all(struct explorer *X)
{
	const struct explore_opts *o = X->o;
	int nv = o->n_charons ? o->n_charons : 1;
	struct task *t = xcalloc((size_t)(X->G.n * (unsigned)nv) + 1, sizeof(*t));
	unsigned n = 0;
	char *dir;

	for (unsigned i = 0; i < X->G.n; i++) {
		struct group *g = &X->G.g[i];
		const char *rel = jget_str(g->j, "shrunk");
		char *file = rel ? xasprintf("%s/%s", o->out, rel) : NULL;

		json_object_set_new(g->j, "version_runs", json_array());
		for (int v = 0; file && v < nv; v++) {
			t[n].g = g;
			t[n].seed =
				(uint64_t)json_integer_value(json_object_get(g->j, "shrunk_seed"));
			t[n].version = v;
			t[n].limit_s = (double)(o->seeds + 1) * VERSION_RUN_S;
			t[n].log = xasprintf("%s/versions/%s-v%d.log", o->out, g->id, v + 1);
			version_args(X, &t[n++], file);
		}
		free(file);
	}
	dir = xasprintf("%s/versions", o->out);
	if (n && mkdir_p(dir, 0755) < 0) {
		fprintf(stderr, "ikelab: %s\n", err_msg());
		err_clear();
	}
	free(dir);
	pool_run(t, n, o->jobs, 0, version_done, X);
	for (unsigned i = 0; i < X->G.n; i++)
		fixed_in(o, &X->G.g[i]);
	tasks_free(t, n);
}

/* ---- plots --------------------------------------------------------------------- */

static void plot_groups(struct explorer *X)
{
	for (unsigned i = 0; i < X->G.n; i++) {
		char *dir = xasprintf("%s/%s", X->o->out, jget_str_or(X->G.g[i].j, "run", ""));

		if (plot_run(dir) < 0) {
			fprintf(stderr, "ikelab: plot of %s: %s\n", X->G.g[i].id, err_msg());
			err_clear();
		}
		free(dir);
	}
}

int explore_finish(struct explorer *X)
{
	struct sigaction sa = { .sa_handler = on_stop }, old[3];
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	plot_groups(X);
	if (X->o->shrink_s > 0) {
		shrink_all(X);
		versions_all(X);
	}
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	return finish_stop ? 128 + finish_stop : 0;
}

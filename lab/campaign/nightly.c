#include "campaign/nightly.h"
#include "base/json.h"
#include "base/err.h"
#include "backend/lab.h"
#include "charon/peer.h"
#include "judge/plot.h"
#include "judge/report.h"
#include "config/scenario.h"
#include "config/trust.h"
#include "base/spawn.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OVERHEAD_S 8.0  /* a run's boot, up and down beyond its duration */
#define JOB_SLACK_S 300 /* a run that takes this much past its estimate is killed */

struct sc {
	char *file, *name, *description, *cites;
	bool reproduces;
	double duration_s;
	uint64_t seed0;
	unsigned next_seed; /* seeds handed out so far */
	json_t *runs;       /* per-seed results */
	int reruns;
	double wall_sum;
	int wall_n;
};

struct job {
	struct sc *sc;
	uint64_t seed;
	pid_t pid;
	int64_t start;
	char *tmp;
	char lab[32];
	int stopping; /* 0, then SIGINT sent, then SIGKILL sent */
};

struct night {
	const struct nightly_opts *o;
	struct sc *sc;
	int n_sc;
	char *charon;
	unsigned jobs;
	struct job *running;
	int n_running;
	struct job *queue;
	int n_queue, q_head;
	int done, total;
	int64_t t0;
	int lab_seq;
};

/* ---- finding things ------------------------------------------------------- */

char *charon_resolve(const char *path)
{
	static const char *const inside[] = {
		"src/charon/charon",    "libexec/ipsec/charon",
		"lib/ipsec/charon",     "usr/libexec/ipsec/charon",
		"usr/lib/ipsec/charon", "sbin/charon",
		"bin/charon",
	};
	struct stat st;

	if (stat(path, &st) < 0) {
		err_sys("--charon %s", path);
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (access(path, X_OK) < 0) {
			err_sys("--charon %s", path);
			return NULL;
		}
		return abs_path(path);
	}
	for (size_t i = 0; i < ARRAY_LEN(inside); i++) {
		char *c = xasprintf("%s/%s", path, inside[i]);

		if (access(c, X_OK) == 0) {
			char *a = abs_path(c);

			free(c);
			return a;
		}
		free(c);
	}
	err_set("--charon %s: no charon in it (looked for src/charon/charon of a build tree, "
		"and libexec/ipsec/charon or lib/ipsec/charon of an install prefix)",
		path);
	return NULL;
}

static int add_scenario(struct night *N, const char *path)
{
	char *file = lab_find_file(path);
	struct scenario *s = scenario_load(file);
	struct sc *c;

	if (!s) {
		free(file);
		return -1;
	}
	N->sc = xrealloc(N->sc, (size_t)(N->n_sc + 1) * sizeof(*N->sc));
	c = &N->sc[N->n_sc++];
	memset(c, 0, sizeof(*c));
	c->file = abs_path(file);
	c->name = xstrdup(s->name);
	c->description = xstrdup(s->description ? s->description : "");
	c->cites = xstrdup(s->cites ? s->cites : "");
	c->reproduces = s->reproduces;
	c->duration_s = s->duration_ms / 1e3;
	c->seed0 = s->seed ? *s->seed : 1;
	c->runs = json_array();
	scenario_free(s);
	free(file);
	return c->file ? 0 : -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every scenarios/ *.yaml, in name order. */
static int all_scenarios(struct night *N)
{
	char *dir = lab_find_file("scenarios");
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	int r = 0;

	if (!d) {
		err_sys("open %s", dir);
		free(dir);
		return -1;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len > 5 && !strcmp(e->d_name + len - 5, ".yaml")) {
			names = xrealloc(names, (n + 1) * sizeof(char *));
			names[n++] = xasprintf("%s/%s", dir, e->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (r == 0 && add_scenario(N, names[i]) < 0)
			r = -1;
		free(names[i]);
	}
	free(names);
	free(dir);
	if (r == 0 && !N->n_sc)
		r = err_set("no scenarios in %s", dir);
	return r;
}

/* ---- jobs ------------------------------------------------------------------- */

static void enqueue(struct night *N, struct sc *c, unsigned seeds)
{
	N->queue = xrealloc(N->queue, (size_t)(N->n_queue + (int)seeds) * sizeof(*N->queue));
	for (unsigned k = 0; k < seeds; k++) {
		struct job *j = &N->queue[N->n_queue++];

		memset(j, 0, sizeof(*j));
		j->sc = c;
		j->seed = c->seed0 + c->next_seed++;
	}
	N->total += (int)seeds;
}

static char *sc_dir(const struct night *N, const struct sc *c)
{
	return xasprintf("%s/%s", N->o->out, c->name);
}

static void finish_job(struct night *N, struct job *j, int status);

/* Start `ikelab run` for one seed: 0 when it runs (run_queue reaps it,
 * with waitpid(-1)), 1 when it could not start -- then the seed is done,
 * as a run that failed before it recorded anything, and its log says why. */
static int start_job(struct night *N, struct job *j)
{
	char *dir = sc_dir(N, j->sc), *log, seed[24], name[32];
	struct spawn_opts o = { .io = { SPAWN_INHERIT, SPAWN_FD, SPAWN_TO_OUT } };
	struct spawn_proc proc;
	struct argv a = { 0 };
	int r;

	j->tmp = xasprintf("%s/.seed-%llu", dir, (unsigned long long)j->seed);
	log = xasprintf("%s/seed-%llu.log", dir, (unsigned long long)j->seed);
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)j->seed);
	/* Lab names are unique to this night, so nights can overlap too. */
	snprintf(name, sizeof(name), "n%d-%d", (int)getpid(), ++N->lab_seq);
	snprintf(j->lab, sizeof(j->lab), "%s", name);
	if (mkdir_p(j->tmp, 0755) < 0) {
		free(dir);
		free(log);
		return -1;
	}
	o.fd[1] = file_create(log, 0644, FILE_REPLACE);
	if (o.fd[1] < 0) {
		err_clear();
		o.io[1] = o.io[2] = SPAWN_INHERIT;
	}
	argv_addv(&a, (char *const[]){ (char *)self_exe(), "run", j->sc->file, "--seed", seed,
				       "--seeds", "1", "--out", j->tmp, "--name", name, NULL });
	if (N->charon)
		argv_addv(&a, (char *const[]){ "--charon", N->charon, NULL });
	/* The user's consent goes with each run (config/trust.h). */
	if (trust_granted(TRUST_FILES))
		argv_add(&a, TRUST_OPTION);
	j->start = mono_ns();
	r = spawn_start(&proc, a.v, &o);
	if (r == 0) {
		j->pid = proc.pid;
		proc.reaped = true; /* run_queue's to reap */
		spawn_proc_free(&proc);
	} else if (o.fd[1] >= 0) {
		dprintf(o.fd[1], "ikelab: %s\n", err_msg());
	}
	if (o.fd[1] >= 0)
		close(o.fd[1]);
	argv_free(&a);
	free(dir);
	free(log);
	if (r < 0) {
		finish_job(N, j, W_EXITCODE(127, 0));
		return 1;
	}
	return 0;
}

static double max_over_peers(const json_t *summary, const char *key)
{
	const char *name;
	json_t *p;
	double m = 0;

	json_object_foreach (json_object_get(summary, "peers"), name, p)
		if (json_number_value(json_object_get(p, key)) > m)
			m = json_number_value(json_object_get(p, key));
	return m;
}

/* What one run left behind, reduced to what the reports need. */
static json_t *seed_result(const struct night *N, const struct job *j, const char *dir, double wall,
			   int status)
{
	char *path = xasprintf("%s/summary.json", dir), *rel;
	json_t *s = json_load_file(path, 0, NULL), *violated = json_array(), *e, *dup;
	const char *res;
	double lost = 0, first_dup = -1;
	size_t i;
	const char *k;
	json_t *t;

	free(path);
	rel = xasprintf("%s/seed-%llu", j->sc->name, (unsigned long long)j->seed);
	res = s ? jget_str(s, "result") : NULL;
	json_array_foreach (json_object_get(s, "expectations"), i, e)
		if (!json_is_true(json_object_get(e, "held")))
			json_array_append_new(violated,
					      json_pack("{s:O, s:O, s:O, s:O?, s:O}", "name",
							json_object_get(e, "name"), "actual",
							json_object_get(e, "actual"), "limit",
							json_object_get(e, "limit"), "at",
							json_object_get(e, "at"), "detail",
							json_object_get(e, "detail")));
	json_object_foreach (json_object_get(s, "traffic"), k, t)
		lost += json_number_value(json_object_get(t, "lost"));
	json_array_foreach (json_object_get(s, "duplicates"), i, dup)
		if (first_dup < 0 || json_number_value(json_object_get(dup, "start")) < first_dup)
			first_dup = json_number_value(json_object_get(dup, "start"));
	e = json_pack("{s:I, s:s, s:s, s:f, s:o, s:f, s:f, s:f}", "seed", (json_int_t)j->seed,
		      "result", res ? res : "lab-error", "dir", rel, "wall_s", wall, "violated",
		      violated, "max_ike", max_over_peers(s, "max_ike_established"),
		      "max_child_per_ts", max_over_peers(s, "max_child_installed_per_ts"), "lost",
		      lost);
	json_object_set_new(e, "first_duplicate_s",
			    first_dup < 0 ? json_null() : json_real(first_dup));
	if (!res)
		json_object_set_new(e, "lab_error",
				    json_string(s && json_object_get(s, "lab_error")
							? jget_str(s, "lab_error")
						: status ? "the run failed before it recorded "
							   "anything (see its .log)"
							 : "no summary"));
	else
		json_object_set(e, "lab_error", json_object_get(s, "lab_error"));
	json_object_set(e, "charon_version", json_object_get(s, "charon_version"));
	json_object_set(e, "charon_plugins", json_object_get(s, "charon_plugins"));
	json_object_set(e, "charon_commit", json_object_get(s, "charon_commit"));
	json_object_set(e, "charon_build", json_object_get(s, "charon_build"));
	free(rel);
	json_decref(s);
	(void)N;
	return e;
}

static bool as_expected(const char *result)
{
	return result && (!strcmp(result, "pass") || !strcmp(result, "reproduced"));
}

static void progress(struct night *N, const struct job *j, const json_t *res, double wall)
{
	double elapsed = (double)(mono_ns() - N->t0) / 1e9, left = 0;
	int width = 30, filled = N->total ? N->done * width / N->total : width;

	/* What is left, at what the scenarios cost so far. */
	for (int q = N->q_head; q < N->n_queue; q++) {
		struct sc *c = N->queue[q].sc;

		left += c->wall_n ? c->wall_sum / c->wall_n : c->duration_s + OVERHEAD_S;
	}
	left /= N->jobs;
	if (N->o->live)
		printf("\r\033[K");
	printf("[%3d/%d] %-28s seed %-4llu %-14s %5.1f s\n", N->done, N->total, j->sc->name,
	       (unsigned long long)j->seed, jget_str(res, "result"), wall);
	if (N->o->live) {
		printf("[");
		for (int i = 0; i < width; i++)
			putchar(i < filled ? '#' : '.');
		printf("] %d/%d runs, %.0f s so far, about %.0f s left", N->done, N->total, elapsed,
		       left);
	}
	fflush(stdout);
}

static void finish_job(struct night *N, struct job *j, int status)
{
	double wall = (double)(mono_ns() - j->start) / 1e9;
	char *dir = sc_dir(N, j->sc);
	char *inner = xasprintf("%s/seed-%llu", j->tmp, (unsigned long long)j->seed);
	char *final = xasprintf("%s/seed-%llu", dir, (unsigned long long)j->seed);
	json_t *res;

	rm_rf(final);
	if (rename(inner, final) < 0)
		mkdir_p(final, 0755);
	rm_rf(j->tmp);
	err_clear();
	/* A plot for every run: the index links them. */
	if (plot_run(final) < 0)
		err_clear();
	res = seed_result(N, j, final, wall, status);
	json_array_append(j->sc->runs, res);
	j->sc->wall_sum += wall;
	j->sc->wall_n++;
	N->done++;
	progress(N, j, res, wall);
	json_decref(res);
	free(j->tmp);
	j->tmp = NULL;
	free(inner);
	free(final);
	free(dir);
}

/*
 * A run far past what its scenario should take is stuck: interrupt it (its
 * lab is then taken down by the run itself), then kill it and take the lab
 * down from here.
 */
static void watchdog(struct night *N)
{
	for (int i = 0; i < N->n_running; i++) {
		struct job *j = &N->running[i];
		double limit = j->sc->duration_s + OVERHEAD_S + JOB_SLACK_S;
		double age = (double)(mono_ns() - j->start) / 1e9;

		if (age > limit && j->stopping == 0) {
			kill(j->pid, SIGINT);
			j->stopping = 1;
		} else if (age > limit + 60 && j->stopping == 1) {
			char *argv[] = { (char *)self_exe(), "down", "--name", j->lab, NULL };
			struct spawn_opts o = { .io = { SPAWN_INHERIT, SPAWN_NULL, SPAWN_NULL } };
			struct spawn_proc proc;

			kill(j->pid, SIGKILL);
			j->stopping = 2;
			if (spawn_start(&proc, argv, &o) == 0) {
				proc.reaped = true; /* run_queue's to reap */
				spawn_proc_free(&proc);
			} else {
				err_clear();
			}
		}
	}
}

/* Run everything queued, J at a time. */
static int run_queue(struct night *N)
{
	while (N->q_head < N->n_queue || N->n_running) {
		int status;
		pid_t pid;

		while (N->n_running < (int)N->jobs && N->q_head < N->n_queue) {
			struct job *j = &N->running[N->n_running];
			int r;

			*j = N->queue[N->q_head++];
			r = start_job(N, j);
			if (r < 0)
				return -1;
			if (r == 0)
				N->n_running++;
		}
		if (!N->n_running)
			continue; /* every run left could not start */
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == 0) {
			watchdog(N);
			sleep_ms(200);
			continue;
		}
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			return err_sys("waitpid");
		}
		for (int i = 0; i < N->n_running; i++) {
			if (N->running[i].pid != pid)
				continue;
			finish_job(N, &N->running[i], status);
			N->running[i] = N->running[--N->n_running];
			break;
		}
	}
	return 0;
}

/* ---- judging the night -------------------------------------------------------- */

static const char *status_of(const struct sc *c)
{
	size_t i, good = 0, n = json_array_size(c->runs);
	json_t *r;

	json_array_foreach (c->runs, i, r)
		good += as_expected(jget_str(r, "result"));
	return good == n ? "pass" : good == 0 ? "fail" : "flaky";
}

static const char *baseline_status(const json_t *base, const char *name)
{
	size_t i;
	json_t *s;

	json_array_foreach (json_object_get(base, "scenarios"), i, s)
		if (!strcmp(jget_str(s, "name") ?: "", name))
			return jget_str(s, "status");
	return NULL;
}

static const char *change_of(const char *before, const char *now)
{
	if (!before)
		return "new";
	if (!strcmp(now, "flaky"))
		return "flaky";
	if (!strcmp(now, "pass"))
		return strcmp(before, "pass") ? "fixed" : "still-passing";
	return strcmp(before, "pass") ? "still-failing" : "new-failure";
}

/* A status that flipped against the baseline earns more seeds before it is
 * called a regression, a fix, or flaky. */
static int rerun_flips(struct night *N, const json_t *base)
{
	int queued = 0;

	for (int i = 0; i < N->n_sc; i++) {
		struct sc *c = &N->sc[i];
		const char *before = baseline_status(base, c->name), *now = status_of(c);

		if (!before || !strcmp(before, now) || !strcmp(now, "flaky"))
			continue;
		c->reruns = (int)N->o->seeds * 2;
		enqueue(N, c, (unsigned)c->reruns);
		queued++;
	}
	if (!queued)
		return 0;
	printf("%s%d scenario%s changed against the baseline: running more seeds\n",
	       N->o->live ? "\r\033[K" : "", queued, queued == 1 ? "" : "s");
	return run_queue(N);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median and worst of one number over the runs. */
static void stats(const json_t *runs, const char *key, double *median, double *worst)
{
	size_t n = json_array_size(runs), k = 0, i;
	double *v = xcalloc(n + 1, sizeof(double));
	json_t *r;

	json_array_foreach (runs, i, r)
		if (!json_is_null(json_object_get(r, key)) && json_object_get(r, key))
			v[k++] = json_number_value(json_object_get(r, key));
	qsort(v, k, sizeof(double), cmp_double);
	*median = k ? (k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2) : 0;
	*worst = k ? v[k - 1] : 0;
	free(v);
}

static json_t *first_duplicate(const json_t *runs)
{
	size_t n = json_array_size(runs), k = 0, i;
	double *v = xcalloc(n + 1, sizeof(double));
	json_t *r, *out;

	json_array_foreach (runs, i, r)
		if (json_is_number(json_object_get(r, "first_duplicate_s")))
			v[k++] = json_number_value(json_object_get(r, "first_duplicate_s"));
	qsort(v, k, sizeof(double), cmp_double);
	out = k ? json_pack("{s:f, s:f, s:f}", "median",
			    k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2, "min", v[0], "max",
			    v[k - 1])
		: json_null();
	free(v);
	return out;
}

/* The run that went worst: most IKE_SAs, then CHILD_SAs, then loss. */
static const json_t *worst_run(const json_t *runs)
{
	const json_t *best = NULL;
	size_t i;
	json_t *r;

	json_array_foreach (runs, i, r) {
		static const char *const keys[] = { "max_ike", "max_child_per_ts", "lost" };

		if (!best) {
			best = r;
			continue;
		}
		for (size_t k = 0; k < ARRAY_LEN(keys); k++) {
			double a = json_number_value(json_object_get(r, keys[k])),
			       b = json_number_value(json_object_get(best, keys[k]));

			if (a != b) {
				if (a > b)
					best = r;
				break;
			}
		}
	}
	return best;
}

static int cmp_seed(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "seed"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "seed"));

	return (x > y) - (x < y);
}

/* The runs in seed order, whatever order the jobs finished in. */
static json_t *runs_by_seed(const json_t *runs)
{
	size_t n = json_array_size(runs), i;
	json_t **v = xcalloc(n + 1, sizeof(json_t *)), *out = json_array(), *r;

	json_array_foreach (runs, i, r)
		v[i] = r;
	qsort(v, n, sizeof(json_t *), cmp_seed);
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

static json_t *scenario_json(const struct night *N, const struct sc *c, const json_t *base)
{
	const char *status = status_of(c);
	const json_t *worst = worst_run(c->runs);
	double mi, wi, mc, wc, ml, wl;
	size_t i, good = 0;
	json_t *r, *j;
	char *plot = NULL;

	json_array_foreach (c->runs, i, r)
		good += as_expected(jget_str(r, "result"));
	stats(c->runs, "max_ike", &mi, &wi);
	stats(c->runs, "max_child_per_ts", &mc, &wc);
	stats(c->runs, "lost", &ml, &wl);
	if (worst) {
		char *png = xasprintf("%s/%s/timeline.png", N->o->out, jget_str(worst, "dir"));

		if (path_exists(png))
			plot = xasprintf("%s/timeline.png", jget_str(worst, "dir"));
		free(png);
	}
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:f, s:s, s:s, s:i}", "name", c->name,
		      "file", c->file, "expect", c->reproduces ? "reproduces" : "clean",
		      "description", c->description, "cites", c->cites, "runs",
		      (int)json_array_size(c->runs), "as_expected", (int)good, "rate",
		      json_array_size(c->runs) ? (double)good / (double)json_array_size(c->runs)
					       : 0.0,
		      "status", status, "change",
		      change_of(base ? baseline_status(base, c->name) : NULL, status), "reruns",
		      c->reruns);
	json_object_set_new(
		j, "median",
		json_pack("{s:f, s:f, s:f}", "max_ike", mi, "max_child_per_ts", mc, "lost", ml));
	json_object_set_new(
		j, "worst",
		json_pack("{s:f, s:f, s:f}", "max_ike", wi, "max_child_per_ts", wc, "lost", wl));
	json_object_set_new(j, "time_to_first_duplicate_s", first_duplicate(c->runs));
	json_object_set(j, "worst_seed", worst ? json_object_get(worst, "seed") : json_null());
	json_object_set_new(j, "plot", plot ? json_string(plot) : json_null());
	json_object_set_new(j, "seeds", runs_by_seed(c->runs));
	free(plot);
	return j;
}

static void iso_now(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* charon's version and plugins, as the runs recorded them. */
static json_t *charon_json(const struct night *N)
{
	const json_t *v = NULL, *pl = NULL, *cm = NULL, *bd = NULL;

	for (int i = 0; i < N->n_sc && !v; i++) {
		size_t k;
		json_t *r;

		json_array_foreach (N->sc[i].runs, k, r)
			if (json_is_string(json_object_get(r, "charon_version"))) {
				v = json_object_get(r, "charon_version");
				pl = json_object_get(r, "charon_plugins");
				cm = json_object_get(r, "charon_commit");
				bd = json_object_get(r, "charon_build");
				break;
			}
	}
	return json_pack("{s:s, s:O?, s:O?, s:O?, s:O?}", "path",
			 N->charon ? N->charon : PROFILE_DEFAULT_CHARON, "version", v, "plugins",
			 pl, "commit", cm, "build", bd);
}

static json_t *night_json(const struct night *N, const json_t *base, const char *started)
{
	json_t *list = json_array(), *s;
	char host[256] = "", finished[32];
	int met = 0, runs = 0;

	gethostname(host, sizeof(host) - 1);
	iso_now(finished, sizeof(finished));
	for (int i = 0; i < N->n_sc; i++) {
		json_t *one = scenario_json(N, &N->sc[i], base);

		met += !strcmp(jget_str(one, "status"), "pass");
		runs += (int)json_array_size(N->sc[i].runs);
		json_array_append_new(list, one);
	}
	s = json_pack("{s:s, s:s, s:s, s:i, s:i, s:o, s:s?, s:o}", "started", started, "finished",
		      finished, "hostname", host, "jobs", (int)N->jobs, "seeds", (int)N->o->seeds,
		      "charon", charon_json(N), "baseline", N->o->baseline, "scenarios", list);
	json_object_set_new(s, "totals",
			    json_pack("{s:i, s:i, s:i, s:f}", "scenarios", N->n_sc, "met", met,
				      "runs", runs, "wall_s", (double)(mono_ns() - N->t0) / 1e9));
	return s;
}

static int write_json(const char *dir, const char *name, const json_t *j)
{
	char *path = xasprintf("%s/%s", dir, name), *text;
	int r;

	text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	r = write_file(path, text, strlen(text), 0644);
	free(text);
	free(path);
	return r;
}

static void night_free(struct night *N)
{
	for (int i = 0; i < N->n_sc; i++) {
		struct sc *c = &N->sc[i];

		free(c->file);
		free(c->name);
		free(c->description);
		free(c->cites);
		json_decref(c->runs);
	}
	free(N->sc);
	free(N->queue);
	free(N->running);
	free(N->charon);
}

int nightly_main(const struct nightly_opts *o)
{
	struct night N = { .o = o };
	json_t *base = NULL, *sum = NULL;
	char started[32];
	int rc = -1, met, total;

	iso_now(started, sizeof(started));
	N.t0 = mono_ns();
	N.jobs = o->jobs ? o->jobs : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	if (N.jobs < 1)
		N.jobs = 1;
	N.running = xcalloc(N.jobs, sizeof(struct job));
	if (o->charon && !(N.charon = charon_resolve(o->charon)))
		goto out;
	if (o->baseline) {
		json_error_t e;

		base = json_load_file(o->baseline, 0, &e);
		if (!base) {
			err_set("--baseline %s:%d: %s", o->baseline, e.line, e.text);
			goto out;
		}
	}
	if (o->n_scenarios) {
		for (int i = 0; i < o->n_scenarios; i++)
			if (add_scenario(&N, o->scenarios[i]) < 0)
				goto out;
	} else if (all_scenarios(&N) < 0) {
		goto out;
	}
	for (int i = 0; i < N.n_sc; i++) {
		char *dir = sc_dir(&N, &N.sc[i]);
		int r = mkdir_p(dir, 0755);

		free(dir);
		if (r < 0)
			goto out;
		enqueue(&N, &N.sc[i], o->seeds);
	}
	printf("nightly: %d scenario%s x %u seed%s, %u at a time, into %s\n", N.n_sc,
	       N.n_sc == 1 ? "" : "s", o->seeds, o->seeds == 1 ? "" : "s", N.jobs, o->out);
	if (run_queue(&N) < 0 || (base && rerun_flips(&N, base) < 0))
		goto out;
	if (o->live)
		printf("\r\033[K");
	sum = night_json(&N, base, started);
	if (write_json(o->out, "summary.json", sum) < 0 || report_junit(sum, o->out) < 0 ||
	    report_html(sum, o->out) < 0)
		goto out;
	met = (int)json_integer_value(json_object_get(json_object_get(sum, "totals"), "met"));
	total = N.n_sc;
	printf("nightly: %d of %d scenario%s met their expectation in every run (%.0f s)\n"
	       "  %s/index.html\n  %s/junit.xml\n  %s/summary.json\n",
	       met, total, total == 1 ? "" : "s", (double)(mono_ns() - N.t0) / 1e9, o->out, o->out,
	       o->out);
	rc = met == total ? 0 : 1;
out:
	json_decref(sum);
	json_decref(base);
	night_free(&N);
	return rc;
}

/*
 * nightly.c - the night's runs (nightly.h): the scenarios and versions
 * read, the jobs queued and run J at a time (each an `ikelab run`, under
 * user-mode Linux in its slot's reused kernel), watched, reaped and
 * judged, the seeds a budget or a source (explore) hands out, and the
 * reports. It is over 800 lines because the queue, the watchdog, the
 * budget and the source all work on the one job table kept here.
 */
#include "campaign/nightly.h"
#include "base/json.h"
#include "base/err.h"
#include "backend/doctor.h"
#include "backend/lab.h"
#include "backend/state.h"
#include "backend/uml/uml.h"
#include "charon/peer.h"
#include "judge/plot.h"
#include "judge/report.h"
#include "config/scenario.h"
#include "config/trust.h"
#include "base/spawn.h"
#include "base/util.h"
#include "campaign/nightly-internal.h"

#include <ctype.h>
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

#define JOB_SLACK_S 300        /* a run that takes this much past its estimate is killed */
#define POLL_MS 50             /* how often finished runs are looked for */
#define BUDGET_ERRORS 3        /* lab errors in a row that end a scenario's seeds */
#define BUDGET_SEEDS_MAX 10000 /* seeds a scenario gets under a budget, at most */

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

static int add_scenario(struct night *N, const char *path, int ver)
{
	const char *set = N->vers[ver].set;
	char *file = lab_find_file(path);
	/* A sweep's value may be the duration, the seed or the expectation:
	 * its deadline and its verdicts are those of the scenario as it runs. */
	struct scenario *s = scenario_load_set(file, &set, set ? 1 : 0);
	struct sc *c;

	if (!s) {
		free(file);
		return -1;
	}
	/* A source's night holds room for all its scenarios from the start:
	 * queued and running jobs point into N->sc. */
	if (!N->o->source)
		N->sc = xrealloc(N->sc, (size_t)(N->n_sc + 1) * sizeof(*N->sc));
	c = &N->sc[N->n_sc];
	memset(c, 0, sizeof(*c));
	c->unit = N->n_sc++;
	c->file = abs_path(file);
	c->ver = ver;
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

/* Every scenarios/ *.yaml, in name order (allocated, NULL-terminated). */
static char **all_scenarios(void)
{
	char *dir = lab_find_file("scenarios");
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;

	if (!d) {
		err_sys("open %s", dir);
		free(dir);
		return NULL;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len > 5 && !strcmp(e->d_name + len - 5, ".yaml")) {
			names = xrealloc(names, (n + 1) * sizeof(char *));
			names[n++] = xasprintf("%s/%s", dir, e->d_name);
		}
	}
	closedir(d);
	if (!n)
		err_set("no scenarios in %s", dir);
	free(dir);
	if (!n)
		return NULL;
	qsort(names, n, sizeof(char *), cmp_str);
	names = xrealloc(names, (n + 1) * sizeof(char *));
	names[n] = NULL;
	return names;
}

/* The scenarios given, or all; each on every version, a scenario's
 * versions next to each other. */
static int add_scenarios(struct night *N)
{
	char **all = N->o->n_scenarios ? NULL : all_scenarios();
	char **files = all ? all : N->o->scenarios;
	int n = all ? 0 : N->o->n_scenarios, r = 0;

	if (!N->o->n_scenarios && !all)
		return -1;
	while (all && all[n])
		n++;
	for (int i = 0; i < n && r == 0; i++)
		for (int v = 0; v < N->n_vers && r == 0; v++)
			r = add_scenario(N, files[i], v);
	for (int i = 0; all && all[i]; i++)
		free(all[i]);
	free(all);
	return r;
}

void night_add_versions(struct night *N)
{
	const struct nightly_opts *o = N->o;

	N->n_vers = o->n_charons ? o->n_charons : 1;
	N->vers = xcalloc((size_t)N->n_vers, sizeof(*N->vers));
	for (int i = 0; i < o->n_charons; i++) {
		struct ver *v = &N->vers[i];
		char *safe = xstrdup(o->labels[i]);

		for (char *p = safe; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr(".-_", *p))
				*p = '_';
		v->label = xstrdup(o->labels[i]);
		v->path = o->charons[i] ? xstrdup(o->charons[i]) : NULL;
		v->set = o->sets && o->sets[i] ? xstrdup(o->sets[i]) : NULL;
		if (o->n_charons > 1)
			v->dir = xasprintf("v%d-%.40s", i + 1, safe + strspn(safe, "_."));
		free(safe);
	}
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
	char *rel = nj_sc_rel(N, c), *dir = xasprintf("%s/%s", N->o->out, rel);

	free(rel);
	return dir;
}

static void finish_job(struct night *N, struct job *j, int status);

/* A slot whose kernel is free, taken; NULL when kernels are not reused. */
static struct slot *free_slot(struct night *N)
{
	for (unsigned i = 0; N->slots && i < N->jobs; i++)
		if (!N->slots[i].busy) {
			N->slots[i].busy = N->slots[i].used = true;
			return &N->slots[i];
		}
	return NULL;
}

/* Under user-mode Linux, unless --fresh: a kernel per slot, each sharing
 * a directory of its own below --out, booted by the slot's first run. */
static int make_slots(struct night *N)
{
	if (N->o->fresh || strcmp(doctor_pick_backend(), "uml"))
		return 0;
	N->slots = xcalloc(N->jobs, sizeof(*N->slots));
	for (unsigned i = 0; i < N->jobs; i++) {
		snprintf(N->slots[i].lab, sizeof(N->slots[i].lab), "n%d-k%u", (int)getpid(), i + 1);
		N->slots[i].rw = xasprintf("%s/.kernel-%u", N->o->out, i + 1);
		if (mkdir_p(N->slots[i].rw, 0755) < 0)
			return -1;
	}
	return 0;
}

/* The slots' kernels down, their directories gone. */
static void release_slots(struct night *N)
{
	for (unsigned i = 0; N->slots && i < N->jobs; i++) {
		char *dir = state_dir(N->slots[i].lab);

		/* Not there: a lab error of its last run took it down. */
		if (N->slots[i].used && uml_is_lab(dir) && uml_down(N->slots[i].lab) < 0)
			fprintf(stderr, "ikelab: %s\n", err_msg());
		free(dir);
		err_clear();
		if (N->slots[i].rw)
			rm_rf(N->slots[i].rw);
		free(N->slots[i].rw);
	}
	free(N->slots);
	N->slots = NULL;
}

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

	j->slot = free_slot(N);
	log = xasprintf("%s/seed-%llu.log", dir, (unsigned long long)j->seed);
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)j->seed);
	/* Lab names are unique to this night, so nights can overlap too. */
	snprintf(name, sizeof(name), "n%d-%d", (int)getpid(), ++N->lab_seq);
	if (j->slot)
		snprintf(name, sizeof(name), "%s", j->slot->lab);
	snprintf(j->lab, sizeof(j->lab), "%s", name);
	j->tmp = j->slot ? xasprintf("%s/t%d", j->slot->rw, N->lab_seq)
			 : xasprintf("%s/.seed-%llu", dir, (unsigned long long)j->seed);
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
	argv_add(&a, self_exe());
	if (j->slot)
		argv_addv(&a, (char *const[]){ "uml-pool", j->slot->lab, j->slot->rw, "--", NULL });
	argv_addv(&a, (char *const[]){ "run", j->sc->file, "--seed", seed, "--seeds", "1", "--out",
				       j->tmp, "--name", name, NULL });
	if (j->slot)
		argv_addv(&a, (char *const[]){ "--kernel", "host", NULL });
	if (N->vers[j->sc->ver].path)
		argv_addv(&a, (char *const[]){ "--charon", N->vers[j->sc->ver].path, NULL });
	if (N->vers[j->sc->ver].set)
		argv_addv(&a, (char *const[]){ "--set", N->vers[j->sc->ver].set, NULL });
	/* The user's consent goes with each run (config/trust.h). */
	if (trust_granted(TRUST_FILES))
		argv_add(&a, TRUST_OPTION);
	if (N->o->full_duration)
		argv_add(&a, "--full-duration");
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

/* What a run of C is expected to take: what its runs took so far, or its
 * duration and the overhead. */
static double expected_s(const struct sc *c)
{
	double mean = c->wall_n ? c->wall_sum / c->wall_n : c->duration_s + NIGHT_OVERHEAD_S;

	return mean > 1.0 ? mean : 1.0;
}

static void progress(struct night *N, const struct job *j, const json_t *res, double wall)
{
	double elapsed = (double)(mono_ns() - N->t0) / 1e9, left = 0;
	int width = 30, filled = N->total ? N->done * width / N->total : width;

	/* What is left, at what the scenarios cost so far. */
	for (int q = N->q_head; q < N->n_queue; q++) {
		struct sc *c = N->queue[q].sc;

		left += expected_s(c);
	}
	left /= N->jobs;
	if (N->o->budget_s > 0)
		left = N->o->budget_s - elapsed > 0 ? N->o->budget_s - elapsed : 0;
	if (N->o->live)
		printf("\r\033[K");
	printf("[%3d/%d] %-28s seed %-4llu %-14s %5.1f s", N->done, N->total, j->sc->name,
	       (unsigned long long)j->seed, jget_str(res, "result"), wall);
	if (N->n_vers > 1)
		printf("  on %s", N->vers[j->sc->ver].label);
	printf("\n");
	if (N->o->live) {
		printf("[");
		for (int i = 0; i < width; i++)
			putchar(i < filled ? '#' : '.');
		printf("] %d/%d runs, %.0f s so far, about %.0f s left", N->done, N->total, elapsed,
		       left);
	}
	fflush(stdout);
}

/* What a run left where its directory should be, for the lab error. */
static const char *not_dir_kind(mode_t m)
{
	return S_ISLNK(m)    ? "a symbolic link"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISREG(m)  ? "a file"
			     : "not a directory";
}

static char *refuse_seed_dir(const char *inner, mode_t m)
{
	return xasprintf("the run left %s as %s, not a directory: refused, not followed (under "
			 "user-mode Linux the guest writes there)",
			 inner, not_dir_kind(m));
}

/* Checked before the move, so that nothing but a directory is moved out
 * of the guest's reach, and after it, since the guest may swap the name
 * in between; once moved, FINAL is where the guest cannot reach (its
 * --out was .seed-N), so what was checked there stays so. */
char *night_take_seed_dir(const char *inner, const char *final)
{
	struct stat st = { 0 };
	char *why = NULL;

	rm_rf(final);
	if (lstat(inner, &st) == 0 && !S_ISDIR(st.st_mode))
		why = refuse_seed_dir(inner, st.st_mode);
	else if (rename(inner, final) < 0)
		mkdir_p(final, 0755);
	else if (lstat(final, &st) < 0 || !S_ISDIR(st.st_mode))
		why = refuse_seed_dir(inner, st.st_mode);
	if (why) {
		rm_rf(final);
		mkdir_p(final, 0755);
	}
	err_clear();
	return why;
}

static void finish_job(struct night *N, struct job *j, int status)
{
	double wall = (double)(mono_ns() - j->start) / 1e9;
	char *dir = sc_dir(N, j->sc);
	char *inner = xasprintf("%s/seed-%llu", j->tmp, (unsigned long long)j->seed);
	char *final = xasprintf("%s/seed-%llu", dir, (unsigned long long)j->seed);
	char *sc = nj_sc_rel(N, j->sc), *rel, *refused;
	json_t *res;

	refused = night_take_seed_dir(inner, final);
	rm_rf(j->tmp);
	err_clear();
	/* A plot for every run (the index links them), drawn while the next
	 * runs go on (draw_plots); a source draws those it wants. */
	if (!refused && !N->o->source) {
		N->to_plot = xrealloc(N->to_plot, (size_t)(N->n_to_plot + 1) * sizeof(char *));
		N->to_plot[N->n_to_plot++] = xstrdup(final);
	}
	rel = xasprintf("%s/seed-%llu", sc, (unsigned long long)j->seed);
	res = nj_seed_result(N->o->out, rel, j->seed, wall, status, refused);
	json_array_append(j->sc->runs, res);
	if (!strcmp(jget_str_or(res, "result", "lab-error"), "lab-error"))
		j->sc->errors_in_row++;
	else
		j->sc->errors_in_row = 0;
	j->sc->wall_sum += wall;
	j->sc->wall_n++;
	N->wall_sum += wall;
	N->wall_n++;
	N->done++;
	if (N->o->source)
		N->o->source->done(N->o->source->ctx, res, rel);
	else
		progress(N, j, res, wall);
	json_decref(res);
	free(j->tmp);
	j->tmp = NULL;
	if (j->slot)
		j->slot->busy = false;
	free(inner);
	free(final);
	free(rel);
	free(sc);
	free(refused);
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
		double limit = j->sc->duration_s + NIGHT_OVERHEAD_S + JOB_SLACK_S;
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
			/* A slot's kernel goes down before the slot is free again:
			 * its next run must not meet it half-halted. */
			if (j->slot) {
				if (uml_down(j->lab) < 0)
					err_clear();
				continue;
			}
			if (spawn_start(&proc, argv, &o) == 0) {
				proc.reaped = true; /* run_queue's to reap */
				spawn_proc_free(&proc);
			} else {
				err_clear();
			}
		}
	}
}

/* Under --budget: one more seed for the scenario with the fewest so far,
 * when its run is expected to end within the budget (or when it has had
 * none). false once nothing more fits: the night ends with what runs. */
static bool budget_refill(struct night *N)
{
	double elapsed = (double)(mono_ns() - N->t0) / 1e9;
	struct sc *pick = NULL;

	/* A scenario whose last runs were all lab errors gets no more. */
	for (int i = 0; i < N->n_sc; i++)
		if (N->sc[i].errors_in_row < BUDGET_ERRORS &&
		    N->sc[i].next_seed < BUDGET_SEEDS_MAX &&
		    (!pick || N->sc[i].next_seed < pick->next_seed))
			pick = &N->sc[i];
	if (!pick || (pick->next_seed > 0 && elapsed + expected_s(pick) > N->o->budget_s))
		return false;
	enqueue(N, pick, 1);
	return true;
}

/* With a source: its next scenario, one run, while there is room for it
 * and (under a budget) a run as long as the runs so far ends within it.
 * false once nothing more comes. */
static bool source_refill(struct night *N)
{
	const struct nightly_source *src = N->o->source;
	double elapsed = (double)(mono_ns() - N->t0) / 1e9;
	double mean = N->wall_n ? N->wall_sum / N->wall_n : 0;
	char *file, *dir;
	bool ok;
	int r;

	if ((unsigned)N->n_sc >= src->max ||
	    (N->o->budget_s > 0 && elapsed + mean > N->o->budget_s))
		return false;
	file = src->next(src->ctx);
	if (!file)
		return false;
	/* A file that does not load, or no folder for its run, ends what the
	 * source gives, not the runs under way: the night ends with them. */
	r = add_scenario(N, file, 0);
	dir = r == 0 ? sc_dir(N, &N->sc[N->n_sc - 1]) : NULL;
	ok = r == 0 && mkdir_p(dir, 0755) == 0;
	if (ok) {
		enqueue(N, &N->sc[N->n_sc - 1], 1);
	} else {
		fprintf(stderr, "%sikelab: %s: %s\n", N->o->live ? "\r\033[K" : "", file,
			err_msg());
		err_clear();
	}
	free(dir);
	free(file);
	return ok;
}

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

/* Interrupted: nothing more starts, the running runs are interrupted (each
 * takes its lab down), and the night ends with what ran. Once: false
 * after the first call. */
static bool stopped(struct night *N)
{
	static bool done;

	if (done)
		return true;
	done = true;
	fprintf(stderr, "%snightly: interrupted by signal %d: stopping %d run%s\n",
		N->o->live ? "\r\033[K" : "", (int)stop_signal, N->n_running,
		N->n_running == 1 ? "" : "s");
	N->n_queue = N->q_head;
	for (int i = 0; i < N->n_running; i++)
		if (N->running[i].stopping == 0) {
			kill(N->running[i].pid, SIGINT);
			N->running[i].stopping = 1;
		}
	return false;
}

/* Draw the plots of finished runs: one when ALL is false (the time a
 * poll would have slept), else all of them. */
static void draw_plots(struct night *N, bool all)
{
	while (N->n_to_plot) {
		char *dir = N->to_plot[--N->n_to_plot];

		if (plot_run(dir) < 0)
			err_clear();
		free(dir);
		if (!all)
			break;
	}
}

/* Run everything queued, J at a time (under --budget, while seeds fit). */
static int run_queue(struct night *N)
{
	bool more = N->o->budget_s > 0 || N->o->source;

	while (N->q_head < N->n_queue || N->n_running || more) {
		int status;
		pid_t pid;

		if (stop_signal && !stopped(N))
			more = false;

		while (more && N->n_running + (N->n_queue - N->q_head) < (int)N->jobs)
			more = N->o->source ? source_refill(N) : budget_refill(N);
		if (N->q_head == N->n_queue && !N->n_running)
			break;

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
			if (N->n_to_plot)
				draw_plots(N, false);
			else
				sleep_ms(POLL_MS);
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

/* A status that flipped against the baseline earns more seeds before it is
 * called a regression, a fix, or flaky. */
static int rerun_flips(struct night *N, const json_t *base)
{
	int queued = 0;

	for (int i = 0; i < N->n_sc; i++) {
		struct sc *c = &N->sc[i];
		const char *before = nj_baseline_status(N, base, c), *now = nj_status_of(c);

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

int night_baseline(const struct nightly_opts *o, json_t **base)
{
	json_error_t e;

	*base = NULL;
	if (!o->baseline)
		return 0;
	*base = json_load_file(o->baseline, 0, &e);
	if (!*base)
		return err_set("--baseline %s:%d: %s", o->baseline, e.line, e.text);
	return 0;
}

void night_sc_free(struct sc *c)
{
	free(c->file);
	free(c->name);
	free(c->description);
	free(c->cites);
	json_decref(c->runs);
}

void night_free(struct night *N)
{
	for (int i = 0; i < N->n_sc; i++)
		night_sc_free(&N->sc[i]);
	free(N->sc);
	for (int i = 0; i < N->n_to_plot; i++)
		free(N->to_plot[i]);
	free(N->to_plot);
	free(N->queue);
	free(N->running);
	for (int i = 0; i < N->n_vers; i++) {
		free(N->vers[i].label);
		free(N->vers[i].path);
		free(N->vers[i].dir);
		free(N->vers[i].set);
	}
	free(N->vers);
}

/* What the night is about to do, in one line. */
static void announce(const struct night *N)
{
	const struct nightly_opts *o = N->o;
	int scenarios = N->n_sc / N->n_vers;

	printf("nightly: ");
	if (o->shards)
		printf("shard %u of %u, %d of %d units: ", o->shard, o->shards, N->n_sc, N->units);
	if (o->shards)
		scenarios = N->n_sc;
	printf("%d %s%s x ", scenarios, o->shards ? "unit" : "scenario", scenarios == 1 ? "" : "s");
	if (o->budget_s > 0)
		printf("as many seeds as fit in %.0f s", o->budget_s);
	else
		printf("%u seed%s", o->seeds, o->seeds == 1 ? "" : "s");
	if (!o->shards)
		printf(" x %d %s%s", N->n_vers, o->sets ? "value" : "version",
		       N->n_vers == 1 ? "" : "s");
	printf(", %u at a time, into %s\n", N->jobs, o->out);
}

int night_report(struct night *N, const json_t *base, const char *started)
{
	const struct nightly_opts *o = N->o;
	json_t *sum = nj_night(N, base, started);
	int met, rc = -1;

	if (nj_write(o->out, "summary.json", sum) < 0 || report_junit(sum, o->out) < 0 ||
	    report_html(sum, o->out) < 0)
		goto out;
	met = (int)json_integer_value(json_object_get(json_object_get(sum, "totals"), "met"));
	printf("nightly: %d of %d scenario%s met their expectation in every run (%.0f s)\n"
	       "  %s/index.html\n  %s/junit.xml\n  %s/summary.json\n",
	       met, N->n_sc, N->n_sc == 1 ? "" : "s", (double)(mono_ns() - N->t0) / 1e9, o->out,
	       o->out, o->out);
	rc = met == N->n_sc ? 0 : 1;
out:
	json_decref(sum);
	return rc;
}

/* A night of a source's scenarios (struct nightly_source): none up front,
 * no baseline or shards of its own (the source deals its seeds), and of
 * the reports only summary.json. */
static int source_night(struct night *N, const char *started)
{
	json_t *sum;
	int r;

	N->sc = xcalloc(N->o->source->max ? N->o->source->max : 1, sizeof(*N->sc));
	if (make_slots(N) < 0 || run_queue(N) < 0)
		return -1;
	release_slots(N);
	sum = nj_night(N, NULL, started);
	r = nj_write(N->o->out, "summary.json", sum);
	json_decref(sum);
	if (r < 0)
		return -1;
	return stop_signal ? 128 + stop_signal : 0;
}

int nightly_main(const struct nightly_opts *o)
{
	struct night N = { .o = o };
	json_t *base = NULL;
	char started[32];
	int rc = -1;

	nj_iso_now(started, sizeof(started));
	N.t0 = mono_ns();
	N.jobs = o->jobs ? o->jobs : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	if (N.jobs < 1)
		N.jobs = 1;
	N.running = xcalloc(N.jobs, sizeof(struct job));
	night_add_versions(&N);
	/* So that the slots' kernels go down and the report is written. */
	sigaction(SIGINT, &(struct sigaction){ .sa_handler = on_stop }, NULL);
	sigaction(SIGTERM, &(struct sigaction){ .sa_handler = on_stop }, NULL);
	sigaction(SIGHUP, &(struct sigaction){ .sa_handler = on_stop }, NULL);
	if (o->source) {
		rc = source_night(&N, started);
		goto out;
	}
	if (night_baseline(o, &base) < 0)
		goto out;
	if (add_scenarios(&N) < 0 || make_slots(&N) < 0)
		goto out;
	N.units = N.n_sc;
	if (o->shards)
		night_shard(&N);
	for (int i = 0; i < N.n_sc; i++) {
		char *dir = sc_dir(&N, &N.sc[i]);
		int r = mkdir_p(dir, 0755);

		free(dir);
		if (r < 0)
			goto out;
		if (o->budget_s <= 0)
			enqueue(&N, &N.sc[i], o->seeds);
	}
	announce(&N);
	/* Under a budget the seeds are spread already; more would overrun it. */
	if (run_queue(&N) < 0 ||
	    (base && o->budget_s <= 0 && !stop_signal && rerun_flips(&N, base) < 0))
		goto out;
	draw_plots(&N, true);
	if (o->live)
		printf("\r\033[K");
	release_slots(&N);
	rc = night_report(&N, base, started);
	if (stop_signal)
		rc = 128 + stop_signal;
out:
	release_slots(&N);
	json_decref(base);
	night_free(&N);
	return rc;
}

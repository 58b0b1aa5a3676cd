/*
 * shrink_run.c - `ikelab shrink` on a lab (see shrink.h): reads the run to
 * shrink, judges each candidate shrink_search() proposes by running it with
 * `ikelab run` (a deadline per run) until the search ends or --budget runs
 * out, and writes the result file with what was taken away as its
 * comment (with --reproduces as a reproduction of what was violated).
 */
#include "campaign/shrink.h"
#include "base/json.h"
#include "campaign/shrink-internal.h"
#include "base/err.h"
#include "backend/state.h"
#include "base/spawn.h"
#include "base/util.h"
#include "config/trust.h"
#include "explore/sig.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT_EXTRA_S 120 /* a run's budget beyond its duration */
#define STOP_GRACE_MS 20000 /* a timed-out run's time to clean up */

/* ---- judging candidates by running them ---------------------------------- */

struct shrinker {
	struct scenario *s;
	char *run_dir; /* absolute */
	char *file;    /* the scenario file shrunk: the run's copy, or with
	                      --trust the file the run came from */
	char *origin;  /* the file the run came from, as summary.json says */
	uint64_t seed;
	unsigned seeds;        /* further seeds per candidate */
	const char *charon;    /* the candidates' --charon, or NULL (borrowed) */
	const char *given;     /* --scenario, or NULL (borrowed) */
	const char *signature; /* --signature: a finding's group id, or NULL (borrowed) */
	char *result;          /* fail | reproduced */
	json_t *violated;      /* names of the expectations the run violated */
	char *work;            /* where candidates and their runs go */
	unsigned n_cands, runs, lab_errors;
	bool reproduces;     /* --reproduces */
	double budget_s;     /* --budget; 0: none */
	int64_t deadline_ns; /* mono_ns() after which no candidate starts */
	bool budget_ended;   /* the deadline stopped the search */
};

enum outcome {
	SAME,
	OTHER,
	LAB_ERROR
};

static json_t *violated_of(const json_t *summary)
{
	json_t *names = json_array(), *e;
	size_t i;

	json_array_foreach (json_object_get(summary, "expectations"), i, e)
		if (!json_is_true(json_object_get(e, "held")))
			json_array_append(names, json_object_get(e, "name"));
	return names;
}

static bool has_name(const json_t *names, const char *name)
{
	size_t i;
	json_t *n;

	json_array_foreach (names, i, n)
		if (json_string_value(n) && !strcmp(json_string_value(n), name))
			return true;
	return false;
}

/* The first of WANT's names GOT lacks, or NULL. */
static const char *missing(const json_t *want, const json_t *got)
{
	size_t i;
	json_t *n;

	json_array_foreach (want, i, n)
		if (!has_name(got, json_string_value(n)))
			return json_string_value(n);
	return NULL;
}

static char *names_text(const json_t *names)
{
	struct strbuf sb = { 0 };
	size_t i;
	json_t *n;

	json_array_foreach (names, i, n)
		sb_addf(&sb, "%s%s", i ? ", " : "", json_string_value(n));
	if (!sb.buf)
		sb_addf(&sb, "none");
	return sb.buf;
}

/* With --signature: whether the run of SEED below DIR shows a finding of
 * that group (explore/sig.h), whatever else it shows. */
static enum outcome judge_signature(const struct shrinker *K, const char *dir, uint64_t seed,
				    struct strbuf *why)
{
	char *run = xasprintf("%s/seed-%" PRIu64, dir, seed);
	struct finding *f;
	unsigned n = 0;
	bool same = false;

	if (sig_of_run(run, &f, &n) < 0)
		err_clear();
	for (unsigned i = 0; i < n; i++)
		same |= !strcmp(f[i].id, K->signature);
	sb_addf(why, "seed %" PRIu64 " %s %s", seed, same ? "shows" : "lacks", K->signature);
	findings_free(f, n);
	free(run);
	return same ? SAME : OTHER;
}

/* With --signature: the expectations of that group's finding in the run
 * (the one named, and those violated at the same moment), which the
 * result keeps; -1 when the run shows no such finding. */
static int signature_keys(struct shrinker *K, const char *run_dir)
{
	struct finding *f;
	unsigned n = 0;
	int rc = -1;

	if (sig_of_run(run_dir, &f, &n) < 0)
		return -1;
	for (unsigned i = 0; i < n && rc < 0; i++) {
		if (strcmp(f[i].id, K->signature))
			continue;
		json_decref(K->violated);
		K->violated = json_array();
		json_array_append_new(K->violated, json_string(f[i].expectation));
		json_array_extend(K->violated, f[i].also);
		rc = 0;
	}
	findings_free(f, n);
	if (rc < 0)
		err_set("%s shows no finding of group %s", run_dir, K->signature);
	return rc;
}

/* The candidate's run of SEED in DIR (its --out): DIR/seed-SEED/summary.json,
 * read beneath DIR since under user-mode Linux the guest wrote it (a link
 * or a FIFO there is a lab error, not a host file read or a hang). */
static enum outcome judge_run(const struct shrinker *K, const char *dir, uint64_t seed,
			      struct strbuf *why)
{
	char *rel = xasprintf("seed-%" PRIu64 "/summary.json", seed);
	json_t *sum = json_load_beneath(dir, rel, JSON_RUN_MAX), *got;
	const char *res = jget_str(sum, "result");
	const char *lack;
	enum outcome o;

	free(rel);
	if (K->signature && res && strcmp(res, "lab-error")) {
		json_decref(sum);
		return judge_signature(K, dir, seed, why);
	}
	if (!res || !strcmp(res, "lab-error")) {
		sb_addf(why, "seed %" PRIu64 " lab-error", seed);
		if (!sum && errno != ENOENT && errno != EBADMSG)
			sb_addf(why, " (%s)", err_msg());
		err_clear();
		json_decref(sum);
		return LAB_ERROR;
	}
	got = violated_of(sum);
	lack = missing(K->violated, got);
	o = !strcmp(res, K->result) && !lack ? SAME : OTHER;
	sb_addf(why, "seed %" PRIu64 " %s", seed, res);
	if (!strcmp(res, K->result) && lack)
		sb_addf(why, " without %s", lack);
	json_decref(got);
	json_decref(sum);
	return o;
}

/* TERM lets `ikelab run` take its lab down; KILL if it does not end. */
static void stop_child(pid_t pid)
{
	int64_t deadline = mono_ns() + (int64_t)STOP_GRACE_MS * 1000000;

	kill(pid, SIGTERM);
	while (waitpid(pid, NULL, WNOHANG) == 0) {
		if (mono_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return;
		}
		sleep_ms(200);
	}
}

/* Run ARGV with its output appended to LOG: its exit status, or -1 with
 * err_msg() when it could not start or outlived TIMEOUT_S. Its own wait
 * rather than spawn_wait's: at the deadline it gets TERM first. */
static int run_child(char *const argv[], const char *log, unsigned timeout_s)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_s * 1000000000;
	struct spawn_opts o = { .io = { SPAWN_NULL, SPAWN_FD, SPAWN_TO_OUT } };
	struct spawn_proc proc;
	int status, rc;
	pid_t r;

	o.fd[1] = file_create(log, 0644, FILE_APPEND);
	if (o.fd[1] < 0)
		return -1;
	fflush(stdout);
	rc = spawn_start(&proc, argv, &o);
	close(o.fd[1]);
	if (rc < 0)
		return -1;
	while ((r = waitpid(proc.pid, &status, WNOHANG)) == 0 || (r < 0 && errno == EINTR)) {
		if (mono_ns() > deadline) {
			stop_child(proc.pid);
			proc.reaped = true;
			spawn_proc_free(&proc);
			return err_set("timed out after %u s", timeout_s);
		}
		sleep_ms(200);
	}
	proc.reaped = r == proc.pid;
	spawn_proc_free(&proc);
	if (r < 0)
		return err_sys("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* What a stopped run may have left behind. */
static void down_lab(const char *lab, const char *log)
{
	char *argv[] = { (char *)self_exe(), "down", "--name", (char *)lab, NULL };

	if (run_child(argv, log, 60) < 0)
		err_clear();
}

/* One seed: the candidate file carries the run's seed, further ones are
 * given with --seed (which refuses 0, a seed a file may have). The user's
 * consent (--trust) goes with each run. */
static enum outcome run_seed(struct shrinker *K, const char *file, const char *dir,
			     uint32_t duration_ms, unsigned k, struct strbuf *why)
{
	uint64_t seed = K->seed + k;
	char seed_s[24], lab[LAB_NAME_MAX + 1], *log;
	char *argv[16] = { (char *)self_exe(), "run",    (char *)file, "--seeds", "1", "--out",
			   (char *)dir,        "--name", lab };
	int n = 9;
	enum outcome o;

	snprintf(seed_s, sizeof(seed_s), "%" PRIu64, seed);
	snprintf(lab, sizeof(lab), "shrink%d-%u", (int)getpid(), K->runs++);
	if (k) {
		argv[n++] = "--seed";
		argv[n++] = seed_s;
	}
	if (trust_granted(TRUST_FILES))
		argv[n++] = TRUST_OPTION;
	if (K->charon) {
		argv[n++] = "--charon";
		argv[n++] = (char *)K->charon;
	}
	/* A finding of explore's may come late in a run: every run to its end. */
	if (K->signature)
		argv[n++] = "--full-duration";
	argv[n] = NULL;
	log = xasprintf("%s/run-%s.log", dir, seed_s);
	if (run_child(argv, log, duration_ms / 1000 + TIMEOUT_EXTRA_S) < 0) {
		sb_addf(why, "seed %s: %s", seed_s, err_msg());
		err_clear();
		down_lab(lab, log);
		o = LAB_ERROR;
	} else {
		o = judge_run(K, dir, seed, why);
	}
	K->lab_errors += o == LAB_ERROR;
	free(log);
	return o;
}

/* The acceptance rule: the run's own seed fails the same way, and so
 * does one of the further seeds (tried in order, up to the first that
 * does). */
static bool fails_same(struct shrinker *K, const char *file, const char *dir, uint32_t duration_ms,
		       struct strbuf *why)
{
	for (unsigned k = 0; k <= K->seeds; k++) {
		enum outcome o;

		if (k)
			sb_addf(why, ", ");
		o = run_seed(K, file, dir, duration_ms, k, why);
		if (!k && o != SAME)
			return false;
		if (k && o == SAME)
			return true;
	}
	return false;
}

/* Write the candidate and check that it loads: one that does not is
 * not worth a run. */
static bool write_cand(const struct shrinker *K, const struct shrink_cand *c, const char *file,
		       const char *what, struct strbuf *why)
{
	struct scenario *v = shrink_view(K->s, c, K->seed), *back = NULL;
	char *comment = xasprintf("ikelab shrink candidate: %s", what);

	if (scenario_save(v, file, comment) == 0)
		back = scenario_load(file);
	shrink_view_free(v);
	free(comment);
	if (!back) {
		sb_addf(why, "does not load: %s", err_msg());
		err_clear();
		return false;
	}
	scenario_free(back);
	return true;
}

static bool try_cand(void *ctx, const struct shrink_cand *c, const char *what)
{
	struct shrinker *K = ctx;
	unsigned id = K->n_cands++;
	char *file = xasprintf("%s/%03u.yaml", K->work, id);
	char *dir = xasprintf("%s/%03u", K->work, id);
	struct strbuf why = { 0 };
	int64_t t0 = mono_ns();
	bool ok = write_cand(K, c, file, what, &why);

	if (ok && mkdir_p(dir, 0755) < 0) {
		sb_addf(&why, "%s", err_msg());
		err_clear();
		ok = false;
	}
	ok = ok && fails_same(K, file, dir, c->duration_ms, &why);
	printf("#%-3u %s: %s (%s; %.0f s)\n", id, what, ok ? "accepted" : "rejected", why.buf,
	       (double)(mono_ns() - t0) / 1e9);
	sb_free(&why);
	free(file);
	free(dir);
	return ok;
}

/* The search's stop function: the budget is spent. */
static bool out_of_time(void *ctx)
{
	struct shrinker *K = ctx;

	if (!K->deadline_ns || mono_ns() < K->deadline_ns)
		return false;
	if (!K->budget_ended)
		printf("the budget of %.0f s is spent: no further candidates; writing the "
		       "smallest so far\n",
		       K->budget_s);
	K->budget_ended = true;
	return true;
}

/* ---- the run to shrink --------------------------------------------------- */

/* The file the run came from: summary.json says; runs from before it did
 * have it in the seeds' result.json one folder up (RUN_DIR is absolute
 * and without links, abs_path), read beneath that folder like the rest of
 * the run. NULL when neither. */
static char *origin_file(const char *run_dir, const json_t *sum)
{
	const char *f = jget_str(sum, "scenario_file");
	char *up, *path;
	json_t *res;

	if (f)
		return xstrdup(f);
	up = xstrdup(run_dir);
	res = json_load_beneath(dirname(up), "result.json", JSON_RUN_MAX);
	err_clear();
	free(up);
	f = jget_str(res, "file");
	path = f ? xstrdup(f) : NULL;
	json_decref(res);
	return path;
}

/*
 * The scenario to shrink. A run directory is someone else's as often as
 * not (attached to a bug report, written inside a user-mode Linux guest),
 * and what it names is not the user's choice: without --trust only the
 * copy it keeps (scenario.yaml, a regular file in it) is run, loaded and
 * checked like any scenario file (config/trust.h); with --trust the file
 * the run came from, as it is now.
 */
static char *scenario_file(const struct shrinker *K)
{
	char *copy;
	struct stat st;
	int r;

	if (K->given)
		return xstrdup(K->given);
	if (trust_granted(TRUST_FILES)) {
		if (!K->origin)
			err_set("%s/summary.json does not say which scenario file the "
				"run came from (no scenario_file)",
				K->run_dir);
		return K->origin ? xstrdup(K->origin) : NULL;
	}
	copy = xasprintf("%s/scenario.yaml", K->run_dir);
	r = lstat(copy, &st);
	if (r == 0 && S_ISREG(st.st_mode))
		return copy;
	if (r < 0 && errno != ENOENT)
		err_sys("%s", copy);
	else
		err_set("%s keeps no copy of its scenario (a regular file scenario.yaml; runs "
			"of earlier ikelab versions kept none), and running the file summary.json "
			"names (%s) needs the user's consent; " TRUST_HINT,
			K->run_dir, K->origin ? K->origin : "none");
	free(copy);
	return NULL;
}

/* 1 with a message on stderr when the result leaves nothing to keep. */
static int shrinkable(const char *run_dir, const char *result)
{
	const char *why = NULL;

	if (!strcmp(result, "fail") || !strcmp(result, "reproduced"))
		return 0;
	if (!strcmp(result, "pass"))
		why = "the run passed";
	else if (!strcmp(result, "not-reproduced"))
		why = "the run did not reproduce its bug";
	else if (!strcmp(result, "lab-error"))
		why = "the run ended in a lab error, which says nothing about "
		      "the scenario";
	if (!why)
		return err_set("%s/summary.json: unknown result '%s'", run_dir, result);
	fprintf(stderr,
		"ikelab: %s: %s: there is no failure to keep (shrink "
		"takes a run whose result was fail or reproduced)\n",
		run_dir, why);
	return 1;
}

/* A file edited since the run makes another plan for the same seed. */
static void check_unchanged(const struct shrinker *K)
{
	char *path = xasprintf("%s/schedule.json", K->run_dir), *then, *now;
	struct sc_plan plan;

	scenario_plan(K->s, K->seed, &plan);
	now = sc_plan_json(K->s, &plan);
	if (read_file_beneath(K->run_dir, "schedule.json", JSON_RUN_MAX, &then, NULL) < 0) {
		err_clear();
		then = NULL;
	}
	if (!then || strcmp(then, now))
		printf("warning: %s plans seed %" PRIu64 " differently from "
		       "%s: it changed since the run; shrinking it as it is now\n",
		       K->file, K->seed, path);
	free(then);
	free(now);
	free(path);
	sc_plan_free(&plan);
}

static int load_scenario(struct shrinker *K, const char *run_dir, const json_t *sum,
			 const char *name)
{
	K->origin = origin_file(run_dir, sum);
	K->file = scenario_file(K);
	K->s = K->file ? scenario_load(K->file) : NULL;
	if (!K->s)
		return -1;
	if (strcmp(K->s->name, name))
		return err_set("%s is scenario '%s' now, the run was of '%s'", K->file, K->s->name,
			       name);
	return 0;
}

/* Read the run: -1 on errors, 1 when it is not shrinkable, else 0 with
 * K filled in. A run directory may hold what a guest planted (a user-mode
 * Linux run writes it through hostfs), so its files are read beneath it
 * (json_load_beneath, read_file_beneath): no link followed, no FIFO
 * waited for. */
static int open_run(struct shrinker *K, const char *run_dir)
{
	json_t *sum = json_load_beneath(run_dir, "summary.json", JSON_RUN_MAX), *seed;
	const char *result, *name;
	int rc;

	if (!sum)
		return err_wrap("%s is not one seed's run directory "
				"(RUN/seed-N)",
				run_dir);
	result = jget_str(sum, "result");
	name = jget_str(sum, "scenario");
	seed = json_object_get(sum, "seed");
	if (!result || !name || !json_is_integer(seed))
		rc = err_set("%s/summary.json has no scenario result: not a "
			     "run of ikelab run",
			     run_dir);
	else if ((rc = shrinkable(run_dir, result)) == 0)
		rc = load_scenario(K, run_dir, sum, name);
	if (rc == 0) {
		K->result = xstrdup(result);
		K->seed = (uint64_t)json_integer_value(seed);
		K->violated = violated_of(sum);
		if (K->signature)
			rc = signature_keys(K, run_dir);
	}
	json_decref(sum);
	return rc;
}

static void shrinker_free(struct shrinker *K)
{
	scenario_free(K->s);
	free(K->file);
	free(K->origin);
	free(K->result);
	json_decref(K->violated);
	free(K->work);
	free(K->run_dir);
}

/* The folder beside OUT, emptied: what an earlier shrink left there would
 * mix with this one's runs. A folder of that name that is not an earlier
 * shrink's (it starts with 000.yaml) is left alone. */
static char *work_dir(const char *out)
{
	char buf[PATH_MAX], *dir, *first;
	struct stat st;
	bool foreign;

	snprintf(buf, sizeof(buf), "%s", out);
	dir = xasprintf("%s/shrink", dirname(buf));
	first = xasprintf("%s/000.yaml", dir);
	/* An earlier shrink's folder is ours to remove only when it is ours:
	 * in a shared folder (/tmp) another user's, 000.yaml and all, stays. */
	foreign = lstat(dir, &st) == 0 &&
		  (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || !path_exists(first));
	free(first);
	if (foreign)
		err_set("%s exists and is not an earlier shrink's of yours: move it, or "
			"give --out a file in another folder",
			dir);
	if (foreign || rm_rf(dir) < 0 || mkdir_p(dir, 0755) < 0) {
		free(dir);
		return NULL;
	}
	{
		char *abs = abs_path(dir);

		free(dir);
		return abs;
	}
}

/* ---- the result ---------------------------------------------------------- */

static char *traffic_text(const struct scenario *s, uint32_t pps)
{
	if (!pps)
		return xstrdup("none");
	return xasprintf("%" PRIu32 " pps from %" PRIu32 " ms", pps,
			 s->traffic->start ? *s->traffic->start : 0);
}

static void removed_list(const struct scenario *s, const struct shrink_cand *c, enum part p,
			 const char *title, struct strbuf *sb)
{
	unsigned n, dropped = 0;
	const bool *mask = shrink_part_mask(c, p, &n);

	sb_addf(sb, "%s:", title);
	for (unsigned i = 0; i < n; i++) {
		if (mask[i])
			continue;
		sb_addf(sb, "\n  ");
		shrink_item_name(s, p, i, sb);
		dropped++;
	}
	sb_addf(sb, "%s\n", dropped ? "" : " none");
}

/* The acceptance rule in words. */
static char *rule_text(const struct shrinker *K)
{
	if (K->seeds == 1)
		return xasprintf("with seed %" PRIu64 " and with seed %" PRIu64, K->seed,
				 K->seed + 1);
	return xasprintf("with seed %" PRIu64 " and with at least one of "
			 "seeds %" PRIu64 "..%" PRIu64,
			 K->seed, K->seed + 1, K->seed + K->seeds);
}

/* Where the file came from and what was taken away, as its comment. */
static char *result_comment(const struct shrinker *K, const struct shrink_cand *c, double wall_s)
{
	char *names = names_text(K->violated), *dur = shrink_ms_text(c->duration_ms);
	char *t0 = traffic_text(K->s, K->s->traffic ? K->s->traffic->pps : 0);
	char *t1 = traffic_text(K->s, c->pps), *rule = rule_text(K);
	struct strbuf sb = { 0 };

	sb_addf(&sb, "Shrunk by ikelab shrink from %s\n", K->origin ? K->origin : K->file);
	if (K->origin && strcmp(K->origin, K->file))
		sb_addf(&sb, "(its copy in the run directory, %s)\n", K->file);
	sb_addf(&sb, "(run %s, seed %" PRIu64 ": %s; violated: %s).\n", K->run_dir, K->seed,
		K->result, names);
	sb_addf(&sb,
		"Each removal was kept only when the candidate still "
		"failed that way\n%s.\n",
		rule);
	removed_list(K->s, c, PART_SCHEDULE,
		     "Removed schedule entries (index in the original, action)", &sb);
	removed_list(K->s, c, PART_FAULTS, "Removed fault rules", &sb);
	removed_list(K->s, c, PART_SET, "Removed settings", &sb);
	sb_addf(&sb, "Duration: %s -> %s\n", K->s->duration, dur);
	sb_addf(&sb, "Traffic: %s -> %s\n", t0, t1);
	sb_addf(&sb, "Search: %u candidates, %u runs (%u lab errors), %.0f s.", K->n_cands, K->runs,
		K->lab_errors, wall_s);
	if (K->budget_ended)
		sb_addf(&sb,
			"\nThe --budget of %.0f s ended the search: this is the smallest "
			"candidate found by then, not necessarily the smallest there is.",
			K->budget_s);
	if (K->reproduces)
		sb_addf(&sb,
			"\nA reproduction (--reproduces): expect: reproduces, and only the "
			"expectations\nthe run violated (%s) are kept, all others removed;\n"
			"`ikelab run` on this file reports 'reproduced' when the bug shows.",
			names);
	free(names);
	free(dur);
	free(t0);
	free(t1);
	free(rule);
	return sb.buf;
}

static unsigned count_kept(const bool *b, unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++)
		k += b[i];
	return k;
}

static bool unchanged(const struct scenario *s, const struct shrink_cand *c)
{
	return count_kept(c->entry, c->n_entries) == c->n_entries &&
	       count_kept(c->fault, c->n_faults) == c->n_faults &&
	       count_kept(c->leaf, c->n_leaves) == c->n_leaves &&
	       c->duration_ms == s->duration_ms && c->pps == (s->traffic ? s->traffic->pps : 0);
}

static void print_result(const struct shrinker *K, const struct shrink_cand *c, const char *out,
			 double wall_s)
{
	char *dur = shrink_ms_text(c->duration_ms);
	char *t0 = traffic_text(K->s, K->s->traffic ? K->s->traffic->pps : 0);
	char *t1 = traffic_text(K->s, c->pps);

	printf("shrunk %s: schedule %u -> %u entries, faults %u -> %u, "
	       "settings %u -> %u, duration %s -> %s, traffic %s -> %s\n",
	       K->s->name, c->n_entries, count_kept(c->entry, c->n_entries), c->n_faults,
	       count_kept(c->fault, c->n_faults), c->n_leaves, count_kept(c->leaf, c->n_leaves),
	       K->s->duration, dur, t0, t1);
	printf("%u candidates, %u runs (%u lab errors), %.0f s%s; %s%s%s\n", K->n_cands, K->runs,
	       K->lab_errors, wall_s, K->budget_ended ? ", ended by the budget" : "",
	       !unchanged(K->s, c) ? ""
	       : K->budget_ended   ? "nothing removed before the budget ran out; "
				   : "nothing could be removed; ",
	       K->reproduces ? "a reproduction of what was violated: " : "", out);
	free(dur);
	free(t0);
	free(t1);
}

static int write_result(const struct shrinker *K, const struct shrink_cand *c, const char *out,
			double wall_s)
{
	struct scenario *v = shrink_view(K->s, c, K->seed);
	char *comment = result_comment(K, c, wall_s);
	size_t n = json_array_size(K->violated);
	const char **names = xcalloc(n ? n : 1, sizeof(*names));
	int rc;

	for (size_t i = 0; i < n; i++)
		names[i] = json_string_value(json_array_get(K->violated, i)) ?: "";
	if (K->reproduces)
		shrink_view_reproduces(v, names, (unsigned)n);
	rc = scenario_save(v, out, comment);
	free(names);

	if (rc == 0)
		print_result(K, c, out, wall_s);
	shrink_view_free(v);
	free(comment);
	return rc;
}

static int search_and_write(struct shrinker *K, const char *out)
{
	int64_t t0 = mono_ns();
	struct shrink_cand best;
	char *names = names_text(K->violated), *rule = rule_text(K);
	int rc;

	printf("shrink %s (%s), seed %" PRIu64 ": %s, violated: %s\n"
	       "a candidate is accepted when it fails that way %s; runs in %s\n",
	       K->s->name, K->file, K->seed, K->result, names, rule, K->work);
	free(names);
	free(rule);
	shrink_cand_init(&best, K->s);
	if (!try_cand(K, &best, "the original, as shrink writes it")) {
		shrink_cand_free(&best);
		if (K->lab_errors) {
			fprintf(stderr, "ikelab: the original ended in lab "
					"errors: nothing to judge candidates by\n");
			return 2;
		}
		fprintf(stderr,
			"ikelab: %s: not shrinkable: the original did "
			"not fail the same way again\n",
			K->run_dir);
		return 1;
	}
	if (K->budget_s > 0)
		K->deadline_ns = t0 + (int64_t)(K->budget_s * 1e9);
	shrink_search_until(K->s, &best, try_cand, out_of_time, K);
	rc = write_result(K, &best, out, (double)(mono_ns() - t0) / 1e9);
	shrink_cand_free(&best);
	if (rc < 0)
		return -1;
	return K->lab_errors ? 2 : 0;
}

int shrink_main(const char *run_dir, const struct shrink_opts *o)
{
	struct shrinker K = { .run_dir = abs_path(run_dir),
			      .seeds = o->seeds,
			      .charon = o->charon,
			      .given = o->scenario,
			      .signature = o->signature,
			      .reproduces = o->reproduces,
			      .budget_s = o->budget_s };
	const char *out = o->out;
	char *out_file;
	int rc;

	if (!K.run_dir)
		return err_wrap("run directory");
	out_file = out ? xstrdup(out) : xasprintf("%s/shrunk.yaml", K.run_dir);
	rc = open_run(&K, K.run_dir);
	if (rc == 0) {
		check_unchanged(&K);
		K.work = work_dir(out_file);
		rc = K.work ? search_and_write(&K, out_file) : -1;
	}
	shrinker_free(&K);
	free(out_file);
	return rc;
}

/*
 * bisect_step.c - judging one commit: its charon built (cached), the
 * scenario run on it seed by seed with `ikelab run`, the verdict by the
 * rule of bisect.h, and the commit's entry in the ledger
 * (bisect-internal.h).
 */
#include "campaign/bisect-internal.h"
#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "base/spawn.h"
#include "charon/build.h"
#include "config/trust.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BS_OVERHEAD_S 60  /* a run's boot, up and down beyond its duration */
#define BS_SLACK_S 300    /* then it is stuck: interrupted, then killed */
#define BS_INT_GRACE_S 60 /* an interrupted run takes its lab down meanwhile */

volatile sig_atomic_t bs_interrupted;

const char *bs_verdict_name(enum bs_verdict v)
{
	return v == BS_GOOD ? "good" : v == BS_BAD ? "bad" : "skip";
}

json_t *bs_step_of(const struct bisect *B, const char *commit)
{
	size_t i;
	json_t *s;

	json_array_foreach (json_object_get(B->ledger, "steps"), i, s)
		if (!strcmp(jget_str_or(s, "commit", ""), commit))
			return s;
	return NULL;
}

int bs_save(const struct bisect *B)
{
	char *path = xasprintf("%s/bisect.json", B->o->out);
	int r = json_write(path, B->ledger);

	free(path);
	return r;
}

/* The bug shows in a run: what the scenario calls its bug happened. */
static bool bug_shows(const struct bisect *B, const char *result)
{
	return !strcmp(result, B->reproduces ? "reproduced" : "fail");
}

static bool is_verdict(const char *result)
{
	return !strcmp(result, "pass") || !strcmp(result, "fail") ||
	       !strcmp(result, "reproduced") || !strcmp(result, "not-reproduced");
}

/* Wait for a run, forwarding an interruption to it; past the deadline it
 * is interrupted, and killed when it does not end. Its wait status. */
static int wait_run(struct spawn_proc *p, double limit_s)
{
	int64_t t0 = mono_ns();
	bool told = false;
	int status;

	for (;;) {
		double age = (double)(mono_ns() - t0) / 1e9;
		pid_t r = waitpid(p->pid, &status, WNOHANG);

		if (r == p->pid || (r < 0 && errno != EINTR)) {
			p->reaped = true;
			return r == p->pid ? status : W_EXITCODE(2, 0);
		}
		if (!told && (bs_interrupted || age > limit_s)) {
			kill(p->pid, SIGINT); /* our child, not yet reaped */
			told = true;
			t0 = mono_ns();
			limit_s = BS_INT_GRACE_S;
		} else if (told && age > limit_s) {
			kill(p->pid, SIGKILL);
		}
		sleep_ms(100);
	}
}

/* Under user-mode Linux the guest wrote DIR (the run's --out): its
 * summary.json is read beneath it, so that a link or a FIFO planted there
 * is a lab error, not a host file read or a hang. */
char *bs_seed_verdict(const char *dir, uint64_t seed)
{
	char *sum = xasprintf("seed-%llu/summary.json", (unsigned long long)seed), *res;
	json_t *j = json_load_beneath(dir, sum, JSON_RUN_MAX);

	if (!j && errno != ENOENT)
		trace("bisect: %s", err_msg());
	err_clear();
	res = xstrdup(j && is_verdict(jget_str_or(j, "result", "")) ? jget_str(j, "result")
								    : "lab-error");
	json_decref(j);
	free(sum);
	return res;
}

/* One seed: `ikelab run` into dir/seed-S, its log beside. The run's
 * verdict ("lab-error" when it left none). */
static char *run_seed(struct bisect *B, const char *dir, const char *charon, uint64_t seed)
{
	char *log = xasprintf("%s/seed-%llu.log", dir, (unsigned long long)seed);
	char *sub = xasprintf("%s/seed-%llu", dir, (unsigned long long)seed), s[24], name[32];
	struct spawn_opts o = { .io = { SPAWN_NULL, SPAWN_FD, SPAWN_TO_OUT } };
	struct spawn_proc p;
	struct argv a = { 0 };

	snprintf(s, sizeof(s), "%llu", (unsigned long long)seed);
	snprintf(name, sizeof(name), "b%d-%d", (int)getpid(), ++B->lab_seq);
	argv_addv(&a, (char *const[]){ (char *)self_exe(), "run", B->scenario, "--seed", s,
				       "--seeds", "1", "--out", (char *)dir, "--name", name,
				       "--charon", (char *)charon, NULL });
	if (B->o->kernel)
		argv_addv(&a, (char *const[]){ "--kernel", (char *)B->o->kernel, NULL });
	if (trust_granted(TRUST_FILES))
		argv_add(&a, TRUST_OPTION);
	rm_rf(sub); /* an interrupted attempt's */
	err_clear();
	o.fd[1] = file_create(log, 0644, FILE_REPLACE);
	if (o.fd[1] < 0 || spawn_start(&p, a.v, &o) < 0) {
		trace("bisect: %s", err_msg());
		err_clear();
	} else {
		wait_run(&p, B->duration_s + BS_OVERHEAD_S + BS_SLACK_S);
		spawn_proc_free(&p);
	}
	if (o.fd[1] >= 0)
		close(o.fd[1]);
	argv_free(&a);
	free(log);
	free(sub);
	return bs_seed_verdict(dir, seed);
}

/* Runs until the rule decides: seeds in order, stopping at the first that
 * shows the bug unless all; lab errors use the spare runs. */
static enum bs_verdict run_seeds(struct bisect *B, json_t *step, const char *dir,
				 const char *charon, bool all)
{
	unsigned n = B->o->seeds, bug = 0, valid = 0, errors = 0;
	json_t *runs = json_array();

	for (uint64_t k = 0; valid < n && errors <= BS_SPARE_RUNS && !bs_interrupted; k++) {
		uint64_t seed = B->seed0 + k;
		char *res = run_seed(B, dir, charon, seed);

		json_array_append_new(
			runs, json_pack("{s:I, s:s}", "seed", (json_int_t)seed, "result", res));
		printf("    seed %-4llu %s\n", (unsigned long long)seed, res);
		if (!is_verdict(res))
			errors++;
		else if (valid++, bug_shows(B, res))
			bug++;
		free(res);
		if (bug && !all)
			break;
	}
	json_object_set_new(step, "runs", runs);
	json_object_set_new(step, "bug_runs", json_integer(bug));
	json_object_set_new(step, "valid_runs", json_integer(valid));
	json_object_set_new(step, "lab_errors", json_integer(errors));
	return bug ? BS_BAD : valid >= n ? BS_GOOD : BS_SKIP;
}

/* The commit's charon; a commit that does not build is skipped (1). */
static int build(const struct bisect *B, const char *commit, json_t *step, char **charon)
{
	struct charon_build_opts o = { .source = B->o->source };
	struct charon_build b;
	int r = charon_build(commit, &o, &b);

	*charon = NULL;
	if (r == 0) {
		*charon = xstrdup(b.charon);
		json_object_set_new(step, "charon",
				    json_pack("{s:s, s:s?, s:b, s:f}", "path", b.charon, "version",
					      b.version, "cached", b.cached, "build_s", b.seconds));
	} else if (b.failed_step) {
		json_object_set_new(step, "note", json_string(err_msg()));
		printf("    does not build (%s): skipped\n", b.failed_step);
		err_clear();
		r = 1;
	}
	charon_build_free(&b);
	return r;
}

static json_t *new_step(const struct bisect *B, const char *commit, const char *role)
{
	char *subject = bs_subject(B, commit);
	json_t *s =
		json_pack("{s:s, s:s, s:s}", "commit", commit, "subject", subject, "role", role);

	free(subject);
	return s;
}

/* Drop a commit's earlier entry (judged with fewer runs than now). */
static void forget(struct bisect *B, const char *commit)
{
	json_t *steps = json_object_get(B->ledger, "steps");

	for (size_t i = 0; i < json_array_size(steps); i++)
		if (!strcmp(jget_str_or(json_array_get(steps, i), "commit", ""), commit))
			json_array_remove(steps, i--);
}

/* A verdict the ledger holds, said again. */
static int replay(const json_t *s, const char *role)
{
	const char *v = jget_str_or(s, "verdict", "");
	int r = !strcmp(v, "good") ? BS_GOOD : !strcmp(v, "bad") ? BS_BAD : BS_SKIP;

	printf("  %-8s %.12s %s: %s (judged before)\n", role, jget_str_or(s, "commit", ""),
	       jget_str_or(s, "subject", ""), v);
	return r;
}

int bs_judge(struct bisect *B, const char *commit, const char *role, bool all)
{
	json_t *known = bs_step_of(B, commit), *step;
	char *dir, *charon = NULL;
	int r;

	if (known && jget_str(known, "verdict") &&
	    (!all || json_is_true(json_object_get(known, "all"))))
		return replay(known, role);
	step = new_step(B, commit, role);
	printf("  %-8s %.12s %s\n", role, commit, jget_str(step, "subject"));
	fflush(stdout);
	dir = xasprintf("%s/steps/%.12s", B->o->out, commit);
	r = mkdir_p(dir, 0755);
	if (r == 0)
		r = build(B, commit, step, &charon);
	if (r == 0)
		r = run_seeds(B, step, dir, charon, all);
	else if (r == 1)
		r = BS_SKIP;
	if (r >= 0 && bs_interrupted)
		r = err_set("interrupted while judging %.12s", commit);
	if (r >= 0) {
		json_object_set_new(step, "verdict", json_string(bs_verdict_name(r)));
		json_object_set_new(step, "all", json_boolean(all));
		forget(B, commit);
		json_array_append(json_object_get(B->ledger, "steps"), step);
		if (bs_save(B) < 0)
			r = -1;
	}
	json_decref(step);
	free(charon);
	free(dir);
	return r;
}

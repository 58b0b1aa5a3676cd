/*
 * bisect.c - `ikelab bisect`: the ends checked, `git bisect` driven with
 * the verdicts of bisect_step.c, the answer and how far to trust it
 * (bisect.h).
 */
#include "campaign/bisect-internal.h"
#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "charon/build.h"
#include "config/scenario.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the numbers ------------------------------------------------------------------ */

double bisect_luck(double p, unsigned n)
{
	return pow(1.0 - p, (double)n);
}

double bisect_wilson_low(unsigned k, unsigned n)
{
	double lo, hi;

	wilson_interval(k, n, &lo, &hi);
	return lo;
}

/* ---- setting up ------------------------------------------------------------------------ */

static void on_signal(int sig)
{
	bs_interrupted = sig;
}

static void signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int load_scenario(struct bisect *B)
{
	struct scenario *s = scenario_load(B->o->scenario);

	if (!s)
		return -1;
	B->scenario = abs_path(B->o->scenario);
	B->name = xstrdup(s->name);
	B->reproduces = s->reproduces;
	B->duration_s = s->duration_ms / 1e3;
	B->seed0 = s->seed ? *s->seed : 1;
	scenario_free(s);
	return B->scenario ? 0 : err_sys("%s", B->o->scenario);
}

/* The history, the bisect's clone of it, and the two ends as commits. */
static int open_history(struct bisect *B)
{
	struct charon_build_opts o = { .source = B->o->source };

	if (charon_source_git(&o, &B->source_git, &B->source) < 0)
		return -1;
	B->git = xasprintf("%s/repo.git", B->o->out);
	if (bs_clone(B) < 0)
		return -1;
	B->good = bs_resolve(B, "--good", B->o->good);
	B->bad = B->good ? bs_resolve(B, "--bad", B->o->bad) : NULL;
	return B->bad ? 0 : -1;
}

/* The older end must be an ancestor of the newer. */
static int check_order(const struct bisect *B)
{
	const char *old = B->o->fixed ? B->bad : B->good, *new = B->o->fixed ? B->good : B->bad;
	int r = bs_is_ancestor(B, old, new);

	if (r < 0)
		return -1;
	if (r == 1)
		return 0;
	if (B->o->fixed)
		return err_set("--bad %s is not an ancestor of --good %s: looking for a fix, the "
			       "bad end is the older one (without --fixed: the commit that "
			       "introduced the bug)",
			       B->o->bad, B->o->good);
	return err_set("--good %s is not an ancestor of --bad %s: looking for the commit that "
		       "introduced the bug, the good end is the older one (--fixed: the commit "
		       "that fixed it)",
		       B->o->good, B->o->bad);
}

/* What was asked: a resumed bisect must ask the same. */
static json_t *asked(const struct bisect *B)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:i, s:s}", "scenario", B->scenario,
			 "good", B->good, "bad", B->bad, "good_ref", B->o->good, "bad_ref",
			 B->o->bad, "fixed", B->o->fixed, "seeds", (int)B->o->seeds, "source",
			 B->source);
}

static bool same_ask(const json_t *a, const json_t *b)
{
	static const char *const keys[] = { "scenario", "good", "bad", "fixed", "seeds" };

	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		if (!json_equal(json_object_get(a, keys[i]), json_object_get(b, keys[i])))
			return false;
	return true;
}

static const char *const RULE =
	"bad when the bug shows in at least 1 of N runs (its runs stop there), good only "
	"when it shows in none of N; a commit that does not build, or whose labs fail more "
	"than twice, is skipped";

static int open_ledger(struct bisect *B)
{
	char *path = xasprintf("%s/bisect.json", B->o->out);
	json_t *want = asked(B), *had = NULL;
	int r = 0;

	if (path_exists(path)) {
		json_error_t e;

		had = json_load_file(path, 0, &e);
		if (!had || !same_ask(json_object_get(had, "asked"), want))
			r = err_set("%s holds another bisect (%s): use another --out", path,
				    had ? "other arguments" : e.text);
		else
			printf("bisect: going on from %s (%zu commits judged)\n", path,
			       json_array_size(json_object_get(had, "steps")));
	}
	if (r == 0) {
		B->ledger =
			had ? json_incref(had)
			    : json_pack("{s:O, s:s, s:[]}", "asked", want, "rule", RULE, "steps");
		json_object_del(B->ledger, "result");
		r = bs_save(B);
	}
	json_decref(had);
	json_decref(want);
	free(path);
	return r;
}

/* ---- the ends ------------------------------------------------------------------------ */

/* Both ends with all N runs; 1 when they do not behave as claimed. */
static int check_ends(struct bisect *B)
{
	int v = bs_judge(B, B->bad, "bad end", true);

	if (v < 0)
		return -1;
	if (v != BS_BAD) {
		printf("bisect: the bad end %s (%.12s) %s: nothing to look for\n", B->o->bad,
		       B->bad,
		       v == BS_SKIP ? "could not be judged (see bisect.json)"
				    : "did not show the bug in any run");
		return 1;
	}
	v = bs_judge(B, B->good, "good end", true);
	if (v < 0)
		return -1;
	if (v != BS_GOOD) {
		printf("bisect: the good end %s (%.12s) %s\n", B->o->good, B->good,
		       v == BS_SKIP ? "could not be judged (see bisect.json)"
				    : "showed the bug too: it is no good end");
		return 1;
	}
	return 0;
}

/* ---- git bisect ----------------------------------------------------------------------- */

/* git's words for the two kinds of commit: old and new. */
static const char *term(const struct bisect *B, enum bs_verdict v)
{
	if (v == BS_SKIP)
		return "skip";
	if (B->o->fixed)
		return v == BS_BAD ? "broken" : "fixed";
	return v == BS_BAD ? "bad" : "good";
}

/* What git said: done (the first new commit, or the candidates when only
 * skipped ones are left), or the next commit to judge. */
struct said {
	char *first;      /* "X is the first bad commit" */
	json_t *could_be; /* "The first bad commit could be any of:" */
	char *progress;   /* "Bisecting: N revisions left ..." */
};

static bool is_commit_line(const char *l)
{
	return strspn(l, "0123456789abcdef") == 40;
}

/* The 40 digits a commit line starts with. */
static char *commit_dup(const char *l, size_t n)
{
	char *c = xmalloc(n + 1);

	memcpy(c, l, n);
	c[n] = '\0';
	return c;
}

static void read_said(const char *text, struct said *s)
{
	char *copy = xstrdup(text ? text : ""), *save = NULL;
	bool list = false;

	memset(s, 0, sizeof(*s));
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (is_commit_line(l) && strstr(l, " is the first ") && !s->first)
			s->first = commit_dup(l, 40);
		else if (strstr(l, "could be any of:"))
			list = true, s->could_be = json_array();
		else if (list && is_commit_line(l))
			json_array_append_new(s->could_be, json_stringn(l, 40));
		else if (!strncmp(l, "Bisecting:", 10) && !s->progress)
			s->progress = xstrdup(l + 11);
	}
	free(copy);
}

static void said_free(struct said *s)
{
	free(s->first);
	free(s->progress);
	json_decref(s->could_be);
}

/* git bisect ARGS, its words read into s. */
static int bisect_cmd(const struct bisect *B, char *const args[], struct said *s)
{
	struct strbuf out = { 0 };
	struct argv a = { 0 };
	int r;

	argv_add(&a, "bisect");
	argv_addv(&a, args);
	r = bs_git(B, &out, a.v);
	if (r > 1 || (r == 1 && !strstr(out.buf ? out.buf : "", "could be any of")))
		r = err_set("git bisect %s exited with %d: %s", args[0], r, out.buf ? out.buf : "");
	else if (r >= 0)
		r = 0;
	read_said(out.buf, s);
	sb_free(&out);
	argv_free(&a);
	return r;
}

static int start(const struct bisect *B, struct said *s)
{
	const char *old = B->o->fixed ? B->bad : B->good, *new = B->o->fixed ? B->good : B->bad;
	struct argv a = { 0 };
	int r;

	if (bs_git(B, NULL, (char *const[]){ "bisect", "reset", "--quiet", NULL }) < 0)
		err_clear();
	argv_addv(&a, (char *const[]){ "start", "--no-checkout", NULL });
	if (B->o->fixed)
		argv_addv(&a, (char *const[]){ "--term-old=broken", "--term-new=fixed", NULL });
	argv_addv(&a, (char *const[]){ (char *)new, (char *)old, NULL });
	r = bisect_cmd(B, a.v, s);
	argv_free(&a);
	return r;
}

static char *next_commit(const struct bisect *B)
{
	struct strbuf out = { 0 };
	char *c = NULL;

	if (bs_git(B, &out, (char *const[]){ "rev-parse", "--verify", "BISECT_HEAD", NULL }) == 0 &&
	    out.buf && is_commit_line(out.buf))
		c = commit_dup(out.buf, 40);
	else
		err_set("git bisect named no commit to test next in %s", B->git);
	sb_free(&out);
	return c;
}

/* Judge what git picks until it names the commit. */
static int walk(struct bisect *B, struct said *s)
{
	long limit =
		bs_count(B, B->o->fixed ? B->bad : B->good, B->o->fixed ? B->good : B->bad) + 8;

	if (start(B, s) < 0)
		return -1;
	for (long i = 0; !s->first && !s->could_be; i++) {
		char *c = next_commit(B);
		int v;

		if (!c || i > limit) {
			free(c);
			return c ? err_set("git bisect did not end after %ld steps", i) : -1;
		}
		if (s->progress)
			printf("bisect: %s\n", s->progress);
		v = bs_judge(B, c, "step", false);
		said_free(s);
		if (v >= 0)
			v = bisect_cmd(B, (char *const[]){ (char *)term(B, v), c, NULL }, s);
		free(c);
		if (v < 0)
			return -1;
	}
	return 0;
}

/* ---- the answer ------------------------------------------------------------------------- */

/* Runs with no bug among the commits judged on the way (the ends aside). */
static unsigned clean_steps(const struct bisect *B)
{
	unsigned g = 0;
	size_t i;
	json_t *s;

	json_array_foreach (json_object_get(B->ledger, "steps"), i, s)
		g += !strcmp(jget_str_or(s, "role", ""), "step") &&
		     !strcmp(jget_str_or(s, "verdict", ""), "good");
	return g;
}

/* How far a good verdict can be trusted, from the rate at the bad end. */
static json_t *luck(const struct bisect *B)
{
	const json_t *end = bs_step_of(B, B->bad);
	unsigned k = (unsigned)jget_num_or(end, "bug_runs", 0);
	unsigned n = (unsigned)jget_num_or(end, "valid_runs", 0), g = clean_steps(B);
	unsigned N = B->o->seeds;
	double p = n ? (double)k / n : 0, low = bisect_wilson_low(k, n);
	double one = bisect_luck(p, N), one_low = bisect_luck(low, N);

	return json_pack("{s:i, s:i, s:f, s:f, s:i, s:f, s:f, s:f, s:f}", "bad_end_bug_runs", k,
			 "bad_end_runs", n, "rate", p, "rate_wilson_low", low, "good_steps", g,
			 "per_good_verdict", one, "per_good_verdict_at_low", one_low,
			 "any_good_verdict", 1 - pow(1 - one, g), "any_good_verdict_at_low",
			 1 - pow(1 - one_low, g));
}

static json_t *answer(const struct bisect *B, const struct said *s)
{
	json_t *r = json_pack("{s:s, s:o}", "looking_for", B->o->fixed ? "fix" : "regression",
			      "luck", luck(B));

	if (s->first) {
		char *subject = bs_subject(B, s->first);

		json_object_set_new(r, "commit", json_string(s->first));
		json_object_set_new(r, "subject", json_string(subject));
		free(subject);
	} else {
		json_object_set(r, "could_be", s->could_be);
	}
	return r;
}

static void report_luck(struct strbuf *sb, const json_t *l, unsigned N)
{
	sb_addf(sb,
		"the bad end showed the bug in %d of %d runs (rate %.2f, 95%% lower bound %.2f);\n"
		"a good verdict of %u runs is luck with probability %.2g (%.2g at the lower "
		"bound),\nany of the %d good steps: %.2g (%.2g)\n",
		(int)jget_num_or(l, "bad_end_bug_runs", 0), (int)jget_num_or(l, "bad_end_runs", 0),
		jget_num_or(l, "rate", 0), jget_num_or(l, "rate_wilson_low", 0), N,
		jget_num_or(l, "per_good_verdict", 0), jget_num_or(l, "per_good_verdict_at_low", 0),
		(int)jget_num_or(l, "good_steps", 0), jget_num_or(l, "any_good_verdict", 0),
		jget_num_or(l, "any_good_verdict_at_low", 0));
}

static int write_report(const struct bisect *B, const json_t *a)
{
	char *path = xasprintf("%s/report.txt", B->o->out);
	struct strbuf sb = { 0 };
	size_t i;
	json_t *c;
	int r;

	sb_addf(&sb, "bisect of %s (%s), good %s, bad %s, %u runs a commit\n", B->name, B->scenario,
		B->o->good, B->o->bad, B->o->seeds);
	if (jget_str(a, "commit"))
		sb_addf(&sb, "first %s commit: %s %s\n", B->o->fixed ? "fixed" : "bad",
			jget_str(a, "commit"), jget_str_or(a, "subject", ""));
	else {
		sb_addf(&sb,
			"only commits that were skipped are left; the first %s commit is one of:\n",
			B->o->fixed ? "fixed" : "bad");
		json_array_foreach (json_object_get(a, "could_be"), i, c)
			sb_addf(&sb, "  %s\n", json_string_value(c));
	}
	report_luck(&sb, json_object_get(a, "luck"), B->o->seeds);
	fputs(sb.buf, stdout);
	r = write_file(path, sb.buf, sb.len, 0644);
	sb_free(&sb);
	free(path);
	return r;
}

static void bisect_free(struct bisect *B)
{
	free(B->scenario);
	free(B->name);
	free(B->source);
	free(B->source_git);
	free(B->git);
	free(B->good);
	free(B->bad);
	json_decref(B->ledger);
}

static int conclude(struct bisect *B, const struct said *s)
{
	json_t *a = answer(B, s);
	int r;

	json_object_set(B->ledger, "result", a);
	r = bs_save(B) < 0 || write_report(B, a) < 0 ? -1 : 0;
	json_decref(a);
	if (r == 0 && rm_rf(B->git) < 0)
		err_clear(); /* only refs: the next run makes it again */
	return r;
}

int bisect_main(const struct bisect_opts *o)
{
	struct bisect B = { .o = o };
	struct said s = { 0 };
	int r;

	bs_interrupted = 0;
	signals();
	charon_git_env_clean();
	r = load_scenario(&B);
	if (r == 0)
		r = open_history(&B);
	if (r == 0)
		r = check_order(&B);
	if (r == 0)
		r = open_ledger(&B);
	if (r == 0) {
		printf("bisect: %s, %ld commits from %s to %s, %u runs a commit, into %s\n", B.name,
		       bs_count(&B, o->fixed ? B.bad : B.good, o->fixed ? B.good : B.bad),
		       o->fixed ? o->bad : o->good, o->fixed ? o->good : o->bad, o->seeds, o->out);
		r = check_ends(&B);
	}
	if (r == 0)
		r = walk(&B, &s);
	if (r == 0)
		r = conclude(&B, &s);
	if (r < 0 || (r != 0 && bs_interrupted))
		printf("bisect: stopped; the same command with --out %s goes on from here\n",
		       o->out);
	said_free(&s);
	bisect_free(&B);
	return r < 0 && bs_interrupted ? 1 : r;
}

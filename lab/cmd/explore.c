/*
 * explore.c - `ikelab explore`: generated schedules, invariants, findings
 * grouped and shrunk (explore/explore.h); `explore merge` of its shards;
 * `explore sig` of any run directory.
 */
#include "cmd/cmd.h"
#include "backend/lab.h"
#include "base/err.h"
#include "base/util.h"
#include "campaign/nightly.h"
#include "config/profile.h"
#include "explore/explore.h"
#include "explore/sig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_TRIALS 10
#define DEFAULT_SHRINK_S 600 /* a group's shrink under --trials */
#define SHRINK_MIN_S 120     /* under --budget: a quarter of it, within these */
#define SHRINK_MAX_S 1800

/* A duration option as seconds (90m, 2h, 3600), or -1; ZERO: 0 allowed. */
static double seconds_arg(const char *opt, const char *v, bool zero)
{
	uint32_t s;

	if (duration_parse(v, &s) < 0 || (!zero && s == 0)) {
		err_clear();
		err_set("%s %s: expected a duration such as 3600, 90m or 2h", opt, v);
		return -1;
	}
	return s;
}

/* One item of --invariants: a name's bit, or 0 with err_msg(). */
static unsigned invariant_bit(const char *name, size_t len)
{
	for (unsigned b = 1; b; b <<= 1) {
		const char *n = gen_invariant_name(b);

		if (n && strlen(n) == len && !strncmp(n, name, len))
			return b;
	}
	err_set("--invariants: no invariant '%.*s' (known: dup-ike, dup-child, kernel-sas, "
		"policies, crash, liveness, reqids, growth, acquire-rekey, rekey-loss, ledger)",
		(int)len, name);
	return 0;
}

/* --invariants LIST: "a,b" exactly those; "+a,-b" the default with a
 * added and b taken away. */
static int invariants_arg(const char *list, unsigned *bits)
{
	const char *p = list;
	bool exact = list[0] != '+' && list[0] != '-';

	*bits = exact ? 0 : GEN_INV_DEFAULT;
	while (*p) {
		char sign = *p == '+' || *p == '-' ? *p++ : '+';
		size_t len = strcspn(p, ",");
		unsigned b = invariant_bit(p, len);

		if (!b)
			return -1;
		*bits = sign == '-' ? *bits & ~b : *bits | b;
		p += len + (p[len] == ',');
	}
	if (!*bits)
		return err_set("--invariants %s: no invariant left to check", list);
	return 0;
}

static int profiles_arg(const struct cli *c, struct explore_opts *o, char **found)
{
	int n = c->n_profiles ? c->n_profiles : 1;

	if (n > GEN_MAX_PROFILES)
		return err_set("--profile given %d times (at most %d)", n, GEN_MAX_PROFILES);
	for (int i = 0; i < n; i++) {
		found[i] = lab_find_file(c->n_profiles ? c->profiles[i] : "peers/auto-route.yaml");
		o->gen.profiles[o->gen.n_profiles++] = found[i];
	}
	return 0;
}

static int counts_arg(const struct cli *c, struct explore_opts *o)
{
	long trials = c->trials ? number("--trials", c->trials, 0, 1000000) : DEFAULT_TRIALS;
	long seeds = number("--seeds", c->seeds, 2, 100);
	long jobs = c->jobs ? number("--jobs", c->jobs, 0, 64) : 0;

	if (c->trials && c->budget)
		return err_set(
			"--budget and --trials: one says how many trials, the other how long");
	if (trials < 0 || seeds < 0 || jobs < 0)
		return -1;
	o->trials = c->budget ? 0 : (unsigned)trials;
	o->seeds = (unsigned)seeds;
	o->jobs = jobs ? (unsigned)jobs : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	if (c->budget && (o->budget_s = seconds_arg("--budget", c->budget, false)) < 0)
		return -1;
	o->shrink_s = o->budget_s > 0 ? o->budget_s / 4 : DEFAULT_SHRINK_S;
	o->shrink_s = o->shrink_s < SHRINK_MIN_S   ? SHRINK_MIN_S
		      : o->shrink_s > SHRINK_MAX_S ? SHRINK_MAX_S
						   : o->shrink_s;
	if (c->shrink_budget &&
	    (o->shrink_s = seconds_arg("--shrink-budget", c->shrink_budget, true)) < 0)
		return -1;
	/* Under a budget, shrinking takes half as long again at most. */
	if (o->budget_s > 0)
		o->shrink_total_s = o->budget_s / 2 > o->shrink_s ? o->budget_s / 2 : o->shrink_s;
	return 0;
}

static int seed_arg(const struct cli *c, struct explore_opts *o)
{
	char *end;

	o->seed = 1;
	if (!c->seed)
		return 0;
	o->seed = strtoull(c->seed, &end, 10);
	if (*end || !o->seed || o->seed > INT64_MAX / 2)
		return err_set("--seed must be a whole number from 1, not '%s'", c->seed);
	return 0;
}

static int opts_of(const struct cli *c, struct explore_opts *o, char **found)
{
	gen_opts_default(&o->gen);
	o->live = isatty(1);
	o->fresh = c->fresh;
	o->known = c->known;
	if (c->topology)
		o->gen.topology = found[GEN_MAX_PROFILES] = lab_find_file(c->topology);
	if (profiles_arg(c, o, found) < 0 || counts_arg(c, o) < 0 || seed_arg(c, o) < 0)
		return -1;
	if (c->invariants && invariants_arg(c->invariants, &o->gen.invariants) < 0)
		return -1;
	if (c->shard && nightly_shard_arg(c->shard, &o->shard, &o->shards) < 0)
		return -1;
	return 0;
}

/* Every --charon built or found, in order; the first is explored. */
static int charons_arg(const struct cli *c, struct explore_opts *o)
{
	o->labels = (char **)c->charons;
	return charon_values(c, &o->charons, &o->n_charons);
}

static int merge_cmd(const struct cli *c)
{
	char *out;
	int rc;

	if (c->npos < 2)
		return usage_fail(c);
	if (c->trials || c->budget || c->n_charons || c->n_profiles || c->shard) {
		err_set("explore merge takes --out and --known only: the shards ran the rest");
		return fail();
	}
	out = run_dir(c->out, "explore");
	rc = out ? explore_merge(out, c->pos + 1, c->npos - 1, c->known) : -1;
	free(out);
	return rc < 0 ? fail() : rc;
}

/* One run directory's findings as explore groups them: a line "ID
 * SIGNATURE" each (what a --known list takes), its moment below it. */
static int sig_one(const char *dir)
{
	struct finding *f;
	unsigned n = 0;

	if (sig_of_run(dir, &f, &n) < 0)
		return -1;
	printf("%s: %u finding%s\n", dir, n, n == 1 ? "" : "s");
	for (unsigned i = 0; i < n; i++)
		printf("%s  %s\n          at %.1f s%s%s: %s\n", f[i].id, f[i].signature, f[i].at,
		       f[i].peer ? " on " : "", f[i].peer ? f[i].peer : "", f[i].detail);
	findings_free(f, n);
	return 0;
}

static int sig_cmd(const struct cli *c)
{
	int rc = 0;

	if (c->npos < 2)
		return usage_fail(c);
	if (c->trials || c->budget || c->n_charons || c->n_profiles || c->shard || c->known ||
	    c->out || c->jobs || c->seed || c->seeds || c->topology || c->invariants ||
	    c->shrink_budget || c->trust || c->fresh) {
		err_set("explore sig takes run directories only, no options");
		return fail();
	}
	for (int i = 1; i < c->npos; i++)
		if (sig_one(c->pos[i]) < 0)
			rc = fail();
	return rc;
}

int cmd_explore(const struct cli *c)
{
	struct explore_opts o = { 0 };
	char *found[GEN_MAX_PROFILES + 1] = { 0 }, *out = NULL;
	int rc = -1;

	if (c->npos && !strcmp(c->pos[0], "merge"))
		return merge_cmd(c);
	if (c->npos && !strcmp(c->pos[0], "sig"))
		return sig_cmd(c);
	if (c->npos)
		return usage_fail(c);
	/* Everything checked, and the versions built, before the directory. */
	if (opts_of(c, &o, found) == 0 && charons_arg(c, &o) == 0 &&
	    (out = run_dir(c->out, "explore"))) {
		o.out = out;
		rc = explore_main(&o);
	}
	for (int i = 0; i < o.n_charons; i++)
		free(o.charons[i]);
	free(o.charons);
	for (int i = 0; i <= GEN_MAX_PROFILES; i++)
		free(found[i]);
	free(out);
	return rc < 0 ? fail() : rc;
}

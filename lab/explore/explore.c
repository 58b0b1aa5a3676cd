/*
 * explore.c - `ikelab explore` (explore.h): the trials drawn one by one
 * and run as a nightly's source, each run's finding grouped as it ends.
 */
#include "explore/explore-internal.h"
#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "base/util.h"
#include "campaign/nightly.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIN_TRIAL_S 5.0 /* a trial takes at least this: bounds a budget's trials */
#define TRIAL_GROUPS 16 /* groups one trial counts in, at most */

/* The next trial of this shard as a scenario file in OUT/scenarios/, or
 * NULL when the trials asked for have all been drawn. */
static char *next_trial(void *ctx)
{
	struct explorer *X = ctx;
	const struct explore_opts *o = X->o;
	unsigned i = X->next;
	uint64_t seed;
	char *text, *path;

	while (o->shards && i % o->shards != o->shard - 1)
		i++;
	if (o->trials && i >= o->trials)
		return NULL;
	X->next = i + 1;
	seed = o->seed + i;
	text = gen_draw(X->gen, seed, NULL);
	path = xasprintf("%s/scenarios/trial-%" PRIu64 ".yaml", o->out, seed);
	if (write_file(path, text, strlen(text), 0644) < 0) {
		fprintf(stderr, "ikelab: %s\n", err_msg());
		err_clear();
		free(path);
		path = NULL;
	}
	free(text);
	return path;
}

static void elapsed_text(int64_t t0, char *buf, size_t len)
{
	long s = (long)((mono_ns() - t0) / 1000000000);

	snprintf(buf, len, "%ldh%02ldm%02lds", s / 3600, s / 60 % 60, s % 60);
}

static void progress(const struct explorer *X, uint64_t seed, const char *result, struct group **g,
		     const bool *first, unsigned n)
{
	char when[32];

	elapsed_text(X->t0, when, sizeof(when));
	printf("[%4u %s] seed %-6" PRIu64 " %-10s", X->run, when, seed, result);
	for (unsigned i = 0; i < n; i++)
		printf("%s %s %s%s%s", i ? "\n                                       " : "",
		       g[i]->id, first[i] && !g[i]->known ? "NEW " : "",
		       g[i]->known ? "known " : "", jget_str_or(g[i]->j, "signature", ""));
	printf("  (%u group%s, %u new)\n", X->G.n, X->G.n == 1 ? "" : "s", groups_new(&X->G));
	fflush(stdout);
}

/* The findings of one ended trial, each group counted once for it: the
 * groups' indices in X->G into IDX (at most MAX, in time; indices, since
 * a new group moves the others), their number. */
static unsigned judge_trial(struct explorer *X, const char *run, uint64_t seed, unsigned *idx,
			    bool *first, unsigned max)
{
	char *dir = xasprintf("%s/%s", X->o->out, run);
	struct finding *f;
	unsigned n_f = 0, n = 0;

	if (sig_of_run(dir, &f, &n_f) < 0)
		err_clear();
	for (unsigned i = 0; i < n_f && n < max; i++) {
		unsigned before = X->G.n, k;

		for (k = 0; k < n && strcmp(X->G.g[idx[k]].id, f[i].id); k++)
			;
		if (k < n)
			continue; /* this trial is counted in that group already */
		idx[n] = (unsigned)(groups_add(&X->G, &f[i], seed,
					       (double)(mono_ns() - X->t0) / 1e9, run) -
				    X->G.g);
		first[n++] = X->G.n > before;
	}
	findings_free(f, n_f);
	free(dir);
	return n;
}

static void trial_done(void *ctx, const json_t *res, const char *rel)
{
	struct explorer *X = ctx;
	const char *result = jget_str_or(res, "result", "lab-error");
	uint64_t seed = (uint64_t)json_integer_value(json_object_get(res, "seed"));
	char *run = xasprintf("trials/%s", rel);
	struct group *g[TRIAL_GROUPS];
	bool first[TRIAL_GROUPS], clean = !strcmp(result, "pass");
	unsigned idx[TRIAL_GROUPS];
	unsigned n = clean ? 0 : judge_trial(X, run, seed, idx, first, TRIAL_GROUPS);
	json_t *ids = json_array();

	for (unsigned i = 0; i < n; i++) {
		g[i] = &X->G.g[idx[i]];
		json_array_append_new(ids, json_string(g[i]->id));
	}
	if (!X->charon_version && jget_str(res, "charon_version"))
		X->charon_version = xstrdup(jget_str(res, "charon_version"));
	X->run++;
	X->clean += clean;
	X->failed += n > 0;
	X->errors += !clean && !n;
	json_array_append_new(X->trials,
			      json_pack("{s:I, s:s, s:o, s:f, s:s}", "seed", (json_int_t)seed,
					"result", result, "groups", ids, "wall_s",
					jget_num_or(res, "wall_s", 0), "run", run));
	progress(X, seed, result, g, first, n);
	free(run);
}

static int prepare(struct explorer *X)
{
	const struct explore_opts *o = X->o;
	char *dir = xasprintf("%s/scenarios", o->out);
	int r = mkdir_p(dir, 0755);

	free(dir);
	if (r < 0)
		return -1;
	if (o->known && groups_load_known(&X->G, o->known) < 0)
		return -1;
	X->gen = gen_new(&o->gen);
	return X->gen ? 0 : -1;
}

static void announce(const struct explorer *X)
{
	const struct explore_opts *o = X->o;

	printf("explore: ");
	if (o->shards)
		printf("shard %u of %u, ", o->shard, o->shards);
	if (o->trials)
		printf("%u trials", o->trials);
	else
		printf("trials while they fit in %.0f s", o->budget_s);
	printf(" from seed %" PRIu64 " on %s, %u at a time, %u profile%s; into %s\n", o->seed,
	       o->n_charons ? o->labels[0] : "the default charon", o->jobs, o->gen.n_profiles,
	       o->gen.n_profiles == 1 ? "" : "s", o->out);
	if (X->G.n_known)
		printf("explore: %u known group%s in %s\n", X->G.n_known,
		       X->G.n_known == 1 ? "" : "s", o->known);
	fflush(stdout);
}

/* The trials, run as the nightly runs scenarios: 0, 128+N after signal
 * N, or -1. */
static int run_trials(struct explorer *X)
{
	const struct explore_opts *o = X->o;
	struct nightly_source src = { .next = next_trial, .done = trial_done, .ctx = X };
	struct nightly_opts n = { .jobs = o->jobs,
				  .charons = o->charons,
				  .labels = o->labels,
				  .n_charons = o->n_charons ? 1 : 0,
				  .budget_s = o->budget_s,
				  .fresh = o->fresh,
				  /* Every trial to its end: a race early in it does not
				   * hide one later in it. */
				  .full_duration = true,
				  .source = &src };
	char *out = xasprintf("%s/trials", o->out);
	int rc;

	src.max = o->trials ? o->trials : (unsigned)(o->budget_s / MIN_TRIAL_S) + 64;
	n.out = out;
	rc = mkdir_p(out, 0755) < 0 ? -1 : nightly_main(&n);
	free(out);
	return rc;
}

int explore_main(const struct explore_opts *o)
{
	struct explorer X = { .o = o, .trials = json_array(), .t0 = mono_ns() };
	json_t *f = NULL;
	int rc = -1;

	strftime(X.started, sizeof(X.started), "%Y-%m-%dT%H:%M:%SZ",
		 gmtime(&(time_t){ time(NULL) }));
	if (prepare(&X) < 0)
		goto out;
	announce(&X);
	rc = run_trials(&X);
	if (rc < 0)
		goto out;
	if (rc == 0)
		rc = explore_finish(&X);
	f = findings_of(&X);
	if (findings_write(f, o->out) < 0) {
		rc = -1;
		goto out;
	}
	rc = rc ? rc : findings_summary(f, o->out);
out:
	json_decref(f);
	json_decref(X.trials);
	groups_free(&X.G);
	gen_free(X.gen);
	free(X.charon_version);
	return rc;
}

/*
 * nightly_shard.c - a night split over machines: which shard this is
 * (--shard, or the CI engine's variables), and which units it runs
 * (nightly.h says how they are dealt out).
 */
#include "campaign/nightly-internal.h"
#include "base/err.h"
#include "base/util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS_MAX 1000

/* A whole number in [min, max] from S (all of it), or -1. */
static long whole(const char *s, long min, long max)
{
	char *end;
	long v;

	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 6)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno || *end || v < min || v > max ? -1 : v;
}

/* The index of this job from the CI engine, counted from 1, or -1: with
 * a count given, a Kubernetes Indexed Job's (from 0) before GitLab's. */
static long index_from_env(bool k8s_too, const char **var)
{
	const char *k8s = k8s_too ? getenv("JOB_COMPLETION_INDEX") : NULL;
	long i;

	*var = "JOB_COMPLETION_INDEX";
	if (k8s)
		return (i = whole(k8s, 0, SHARDS_MAX - 1)) < 0 ? -1 : i + 1;
	*var = "CI_NODE_INDEX";
	return whole(getenv("CI_NODE_INDEX"), 1, SHARDS_MAX);
}

static int shard_from_env(const char *arg, const char *count, unsigned *shard, unsigned *shards)
{
	const char *var, *total = count ? count : getenv("CI_NODE_TOTAL");
	long n = whole(total, 1, SHARDS_MAX), i;

	if (!count && !total)
		return err_set("--shard %s: CI_NODE_TOTAL is not set (GitLab's parallel sets it; "
			       "elsewhere say --shard auto/N or I/N)",
			       arg);
	if (n < 0)
		return err_set("--shard %s: the count must be a whole number from 1 to %d%s", arg,
			       SHARDS_MAX, count ? "" : " (CI_NODE_TOTAL)");
	i = index_from_env(count != NULL, &var);
	if (i < 0 && !getenv(var))
		return err_set(count ? "--shard %s: neither JOB_COMPLETION_INDEX (a Kubernetes "
				       "Indexed Job) nor CI_NODE_INDEX (GitLab) is set"
				     : "--shard %s: CI_NODE_INDEX is not set",
			       arg);
	if (i < 0 || i > n)
		return err_set("--shard %s: %s is not a shard of %ld", arg, var, n);
	*shard = (unsigned)i;
	*shards = (unsigned)n;
	return 0;
}

int nightly_shard_arg(const char *arg, unsigned *shard, unsigned *shards)
{
	const char *slash = strchr(arg, '/');
	char *first = xstrdup(arg);
	long i, n;
	int r;

	if (slash)
		first[slash - arg] = '\0';
	if (!strcmp(first, "auto")) {
		r = shard_from_env(arg, slash ? slash + 1 : NULL, shard, shards);
		free(first);
		return r;
	}
	i = whole(first, 1, SHARDS_MAX);
	n = slash ? whole(slash + 1, 1, SHARDS_MAX) : -1;
	free(first);
	if (i < 0 || n < 0 || i > n)
		return err_set("--shard %s: expected I/N with 1 <= I <= N <= %d, auto or auto/N",
			       arg, SHARDS_MAX);
	*shard = (unsigned)i;
	*shards = (unsigned)n;
	return 0;
}

/* What a unit is expected to cost, from its files alone, so that every
 * shard deals the same. */
static double unit_cost(const struct night *N, const struct sc *c)
{
	return (c->duration_s + NIGHT_OVERHEAD_S) * (N->o->seeds ? N->o->seeds : 1);
}

static int by_cost(const void *a, const void *b, void *night)
{
	const struct night *N = night;
	int x = *(const int *)a, y = *(const int *)b;
	double cx = unit_cost(N, &N->sc[x]), cy = unit_cost(N, &N->sc[y]);

	return cx > cy ? -1 : cx < cy ? 1 : x - y;
}

/* The shard (from 0) of every unit: longest first, each to the shard with
 * the least expected time so far (the lowest on a tie). */
static int *deal(const struct night *N)
{
	unsigned shards = N->o->shards;
	int *order = xcalloc((size_t)N->n_sc, sizeof(int));
	int *to = xcalloc((size_t)N->n_sc, sizeof(int));
	double *load = xcalloc(shards, sizeof(double));

	for (int i = 0; i < N->n_sc; i++)
		order[i] = i;
	qsort_r(order, (size_t)N->n_sc, sizeof(int), by_cost, (void *)N);
	for (int k = 0; k < N->n_sc; k++) {
		unsigned best = 0;

		for (unsigned s = 1; s < shards; s++)
			if (load[s] < load[best])
				best = s;
		to[order[k]] = (int)best;
		load[best] += unit_cost(N, &N->sc[order[k]]);
	}
	free(order);
	free(load);
	return to;
}

/* FNV-1a, 64 bits, over S and a separator. */
static uint64_t fnv(uint64_t h, const char *s)
{
	for (const char *p = s ? s : "\x01"; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;
}

static void night_id(struct night *N)
{
	const struct nightly_opts *o = N->o;
	uint64_t h = 0xcbf29ce484222325ull;
	char num[64];

	for (int i = 0; i < N->n_sc; i++) {
		const struct ver *v = &N->vers[N->sc[i].ver];

		h = fnv(fnv(h, N->sc[i].name), N->sc[i].file);
		h = fnv(fnv(fnv(h, v->label), v->path), v->set);
	}
	snprintf(num, sizeof(num), "%u %.3f %u", o->seeds, o->budget_s, o->shards);
	h = fnv(h, num);
	snprintf(N->id, sizeof(N->id), "%016llx", (unsigned long long)h);
}

void night_shard(struct night *N)
{
	int *to, kept = 0;

	night_id(N);
	to = deal(N);
	for (int i = 0; i < N->n_sc; i++) {
		if (to[i] == (int)N->o->shard - 1)
			N->sc[kept++] = N->sc[i];
		else
			night_sc_free(&N->sc[i]);
	}
	N->n_sc = kept;
	free(to);
}

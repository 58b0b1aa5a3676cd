/*
 * nightly_merge.c - `ikelab nightly merge DIR...`: the shards of one night
 * (nightly.h) put back together. Each shard's summary.json lists its units
 * with their place in the whole matrix ("unit") and its runs; the merge
 * checks that the shards are all of one night (the same count, every index
 * once, the same versions, every unit once), rebuilds the night from them
 * and judges it with the code an unsplit night is judged with, so its
 * summary.json, junit.xml and index.html are the ones that night would
 * have written, up to timings. Every run directory is copied beside them.
 *
 * Shard directories come from CI artifacts: their documents are read with
 * json_load_beneath, names in them must be names (no path), a run's
 * directory must be where its scenario's runs go, and the copy follows no
 * link (tree_copy_beneath).
 */
#include "campaign/nightly-internal.h"
#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "base/util.h"
#include "config/scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct merge {
	struct night N;
	struct nightly_opts o; /* the night as its shards ran it */
	json_t **docs;         /* each shard's summary.json */
	const char **from;     /* the shard directory of each unit */
	int n_docs;
	char started[32];
	double wall_s; /* the longest shard's */
};

static int load_shards(struct merge *m, char *const *dirs, int n)
{
	m->docs = xcalloc((size_t)n, sizeof(json_t *));
	for (int i = 0; i < n; i++) {
		json_t *d = json_load_beneath(dirs[i], "summary.json", JSON_RUN_MAX);

		if (!d)
			return -1;
		m->docs[m->n_docs++] = d;
		if (!json_is_object(json_object_get(d, "shard")))
			return err_set("%s/summary.json: not a shard's (the night ran without "
				       "--shard)",
				       dirs[i]);
	}
	return 0;
}

static json_int_t shard_int(const json_t *doc, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(doc, "shard"), key));
}

/* One night's shards: the same fingerprint and count everywhere, and
 * every index from 1 to the count once. */
static int check_shards(const struct merge *m, char *const *dirs, int *units)
{
	const char *night = jget_str_or(json_object_get(m->docs[0], "shard"), "night", "");
	json_int_t count = shard_int(m->docs[0], "count"), n = shard_int(m->docs[0], "units");
	char *seen = xcalloc((size_t)m->n_docs + 1, 1);
	int r = 0;

	if (n < 1 || n > 100000)
		r = err_set("%s/summary.json: %lld units", dirs[0], (long long)n);
	else if (count != m->n_docs)
		r = err_set("%s/summary.json is shard %lld of %lld, and %d shard%s given", dirs[0],
			    (long long)shard_int(m->docs[0], "index"), (long long)count, m->n_docs,
			    m->n_docs == 1 ? " is" : "s are");
	for (int i = 0; i < m->n_docs && r == 0; i++) {
		const char *id = jget_str(json_object_get(m->docs[i], "shard"), "night");
		json_int_t idx = shard_int(m->docs[i], "index");

		if (shard_int(m->docs[i], "count") != count ||
		    shard_int(m->docs[i], "units") != n || !id || strcmp(id, night))
			r = err_set("%s/summary.json: a shard of another night than %s (its "
				    "scenarios, versions, seeds or shard count differ)",
				    dirs[i], dirs[0]);
		else if (idx < 1 || idx > count || seen[idx])
			r = err_set("%s/summary.json: shard %lld %s", dirs[i], (long long)idx,
				    idx < 1 || idx > count ? "out of range" : "given twice");
		else
			seen[idx] = 1;
	}
	*units = (int)n;
	free(seen);
	return r;
}

/* The versions as --charon and --set gave them (the night's fingerprint,
 * the same in every shard, covers them): one without a label is the
 * default charon. */
static int versions(struct merge *m, const char *dir)
{
	const json_t *list = json_object_get(json_object_get(m->docs[0], "shard"), "versions");
	size_t i, n = json_array_size(list);
	json_t *v;

	if (n < 1 || n > 64)
		return err_set("%s/summary.json: %zu charon versions", dir, n);
	if (n == 1 && !jget_str(json_array_get(list, 0), "label"))
		return 0;
	m->o.charons = xcalloc(n, sizeof(char *));
	m->o.labels = xcalloc(n, sizeof(char *));
	m->o.sets = xcalloc(n, sizeof(char *));
	json_array_foreach (list, i, v) {
		if (!jget_str(v, "label"))
			return err_set("%s/summary.json: version %zu has no label", dir, i + 1);
		m->o.labels[i] = xstrdup(jget_str(v, "label"));
		m->o.charons[i] = jget_str(v, "path") ? xstrdup(jget_str(v, "path")) : NULL;
		m->o.sets[i] = jget_str(v, "set") ? xstrdup(jget_str(v, "set")) : NULL;
		m->o.n_charons = (int)i + 1;
	}
	return 0;
}

/* Each run of a unit must lie where the unit's runs go. */
static int check_runs(const struct night *N, const struct sc *c, const char *dir)
{
	char *rel = nj_sc_rel(N, c);
	size_t i, len = strlen(rel);
	json_t *r;
	int bad = 0;

	json_array_foreach (c->runs, i, r) {
		const char *d = jget_str_or(r, "dir", "");
		char *want = xasprintf("%s/seed-%lld", rel,
				       (long long)json_integer_value(json_object_get(r, "seed")));

		bad = bad || strncmp(d, rel, len) || strcmp(d, want);
		free(want);
	}
	free(rel);
	if (bad)
		return err_set("%s/summary.json: scenario %s has a run outside %s", dir, c->name,
			       c->name);
	return 0;
}

/* Unit K of the whole night from shard DIR's entry S. */
static int take_unit(struct merge *m, const json_t *s, const char *dir, int units)
{
	struct night *N = &m->N;
	json_int_t k = json_integer_value(json_object_get(s, "unit"));
	const char *name = jget_str(s, "name");
	struct sc *c;

	if (!json_is_integer(json_object_get(s, "unit")) || k < 0 || k >= units)
		return err_set("%s/summary.json: a scenario without its place in the night", dir);
	c = &N->sc[k];
	if (c->name)
		return err_set("%s/summary.json: unit %lld is in two shards (%s and %s)", dir,
			       (long long)k, m->from[k], dir);
	if (!name || !name_valid(name, SCENARIO_NAME_MAX) ||
	    !json_is_array(json_object_get(s, "seeds")))
		return err_set("%s/summary.json: unit %lld has no valid name or runs", dir,
			       (long long)k);
	c->name = xstrdup(name);
	c->unit = (int)k;
	c->ver = (int)(k % N->n_vers);
	c->file = xstrdup(jget_str_or(s, "file", ""));
	c->description = xstrdup(jget_str_or(s, "description", ""));
	c->cites = xstrdup(jget_str_or(s, "cites", ""));
	c->reproduces = !strcmp(jget_str_or(s, "expect", ""), "reproduces");
	c->reruns = (int)json_integer_value(json_object_get(s, "reruns"));
	c->runs = json_deep_copy(json_object_get(s, "seeds"));
	m->from[k] = dir;
	if (N->n_vers > 1 && strcmp(jget_str_or(s, "charon", ""), N->vers[c->ver].label))
		return err_set("%s/summary.json: unit %lld ran on %s, not on %s", dir, (long long)k,
			       jget_str_or(s, "charon", "?"), N->vers[c->ver].label);
	return check_runs(N, c, dir);
}

static int take_units(struct merge *m, char *const *dirs, int units)
{
	struct night *N = &m->N;

	N->sc = xcalloc((size_t)units, sizeof(struct sc));
	N->n_sc = N->units = units;
	m->from = xcalloc((size_t)units, sizeof(char *));
	for (int i = 0; i < m->n_docs; i++) {
		size_t k;
		json_t *s;

		json_array_foreach (json_object_get(m->docs[i], "scenarios"), k, s)
			if (take_unit(m, s, dirs[i], units) < 0)
				return -1;
	}
	for (int k = 0; k < units; k++)
		if (!N->sc[k].name)
			return err_set("unit %d of %d is in none of the shards", k, units);
	if (units % N->n_vers)
		return err_set("%d units do not fill %d versions", units, N->n_vers);
	/* A row of the matrix is one scenario on each version. */
	for (int k = 0; k < units; k++)
		if (strcmp(N->sc[k].name, N->sc[k - k % N->n_vers].name))
			return err_set("unit %d is %s, but its row is %s's", k, N->sc[k].name,
				       N->sc[k - k % N->n_vers].name);
	return 0;
}

/* Each unit's runs beside the merged reports. */
static int copy_runs(struct merge *m)
{
	unsigned skipped = 0;

	for (int k = 0; k < m->N.n_sc; k++) {
		char *rel = nj_sc_rel(&m->N, &m->N.sc[k]);
		int r = tree_copy_beneath(m->from[k], rel, m->o.out, &skipped);

		free(rel);
		if (r < 0)
			return -1;
	}
	if (skipped)
		printf("nightly merge: left out %u entr%s of the shards' runs that were neither "
		       "directories nor regular files\n",
		       skipped, skipped == 1 ? "y" : "ies");
	return 0;
}

/* A number of a shard's document within [0, max], else 0: they are
 * counts and times, and the documents come from elsewhere. */
static double bounded(const json_t *doc, const char *key, double max)
{
	double v = jget_num_or(doc, key, 0);

	return v >= 0 && v <= max ? v : 0;
}

/* When the night started, how many labs ran at a time, how long it took:
 * the earliest shard's start, all shards' labs, the longest shard. */
static void timings(struct merge *m)
{
	snprintf(m->started, sizeof(m->started), "%s", jget_str_or(m->docs[0], "started", ""));
	for (int i = 0; i < m->n_docs; i++) {
		const char *s = jget_str_or(m->docs[i], "started", "");
		double w = bounded(json_object_get(m->docs[i], "totals"), "wall_s", 1e7);

		if (strcmp(s, m->started) < 0)
			snprintf(m->started, sizeof(m->started), "%s", s);
		m->wall_s = w > m->wall_s ? w : m->wall_s;
		m->N.jobs += (unsigned)bounded(m->docs[i], "jobs", 64);
	}
	m->N.t0 = mono_ns() - (int64_t)(m->wall_s * 1e9);
}

static void merge_free(struct merge *m)
{
	night_free(&m->N);
	for (int i = 0; i < m->n_docs; i++)
		json_decref(m->docs[i]);
	free(m->docs);
	free(m->from);
	for (int i = 0; i < m->o.n_charons; i++) {
		free(m->o.charons[i]);
		free(m->o.labels[i]);
		free(m->o.sets[i]);
	}
	free(m->o.charons);
	free(m->o.labels);
	free(m->o.sets);
}

int nightly_merge(const struct nightly_opts *o, char *const *dirs, int n_dirs)
{
	struct merge m = { .o = *o };
	json_t *base = NULL;
	int rc = -1, units;

	m.o.charons = m.o.labels = m.o.sets = NULL;
	m.o.n_charons = 0;
	m.N.o = &m.o;
	if (n_dirs < 1) {
		err_set("nightly merge: no shard directories given");
		return -1;
	}
	if (load_shards(&m, dirs, n_dirs) < 0 || check_shards(&m, dirs, &units) < 0 ||
	    versions(&m, dirs[0]) < 0)
		goto out;
	m.o.seeds = (unsigned)bounded(m.docs[0], "seeds", 1000);
	m.o.budget_s = bounded(m.docs[0], "budget_s", 1e7);
	night_add_versions(&m.N);
	if (take_units(&m, dirs, units) < 0)
		goto out;
	if (night_baseline(o, &base) < 0)
		goto out;
	printf("nightly merge: %d shard%s, %d units, into %s\n", n_dirs, n_dirs == 1 ? "" : "s",
	       units, o->out);
	if (copy_runs(&m) < 0)
		goto out;
	timings(&m);
	rc = night_report(&m.N, base, m.started);
out:
	json_decref(base);
	merge_free(&m);
	return rc;
}

/*
 * nightly_json.c - judging the night: each scenario's status and numbers
 * over its runs, what changed against a baseline, and summary.json
 * (nightly-internal.h).
 */
#include "campaign/nightly-internal.h"
#include "base/json.h"
#include "base/err.h"
#include "base/file.h"
#include "charon/peer.h"
#include "base/util.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

bool nj_as_expected(const char *result)
{
	return result && (!strcmp(result, "pass") || !strcmp(result, "reproduced"));
}

const char *nj_status_of(const struct sc *c)
{
	size_t i, good = 0, n = json_array_size(c->runs);
	json_t *r;

	json_array_foreach (c->runs, i, r)
		good += nj_as_expected(jget_str(r, "result"));
	return good == n ? "pass" : good == 0 ? "fail" : "flaky";
}

char *nj_sc_rel(const struct night *N, const struct sc *c)
{
	const char *dir = N->vers[c->ver].dir;

	return dir ? xasprintf("%s/%s", dir, c->name) : xstrdup(c->name);
}

/* In a matrix, a scenario of the baseline is the same one when it ran on
 * the same --charon; a night of one version compares by name alone. */
const char *nj_baseline_status(const struct night *N, const json_t *base, const struct sc *c)
{
	const char *label = N->n_vers > 1 ? N->vers[c->ver].label : NULL;
	size_t i;
	json_t *s;

	json_array_foreach (json_object_get(base, "scenarios"), i, s)
		if (!strcmp(jget_str_or(s, "name", ""), c->name) &&
		    (!label || !strcmp(jget_str_or(s, "charon", ""), label)))
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

/* Why a run has no result: what refused its files, what its summary.json
 * says, or how it ended. */
static const char *no_result_why(const json_t *s, const char *refused, int status)
{
	if (refused)
		return refused;
	if (s && json_object_get(s, "lab_error"))
		return jget_str(s, "lab_error");
	return status ? "the run failed before it recorded anything (see its .log)" : "no summary";
}

/* summary.json below --out, as the guest may have left it: a link on the
 * way, a FIFO or a huge file is refused with *why (allocated) set; one
 * that is missing or does not parse is no summary, as always. */
static json_t *load_summary(const char *out, const char *rel, char **why)
{
	char *name = xasprintf("%s/summary.json", rel);
	json_t *s = json_load_beneath(out, name, JSON_RUN_MAX);

	if (!s && errno != ENOENT && errno != EBADMSG)
		*why = xstrdup(err_msg());
	err_clear();
	free(name);
	return s;
}

json_t *nj_seed_result(const char *out, const char *rel, uint64_t seed, double wall, int status,
		       const char *refused)
{
	char *why = NULL;
	json_t *s = refused ? NULL : load_summary(out, rel, &why), *violated = json_array(), *e,
	       *dup;
	const char *res;
	double lost = 0, first_dup = -1;
	size_t i;
	const char *k;
	json_t *t;

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
	/* where the first duplicates began: an episode's since (its start in
	 * recordings from before since was written) */
	json_array_foreach (json_object_get(s, "duplicates"), i, dup) {
		double at = jget_num_or(dup, "since", jget_num_or(dup, "start", -1));

		if (at >= 0 && (first_dup < 0 || at < first_dup))
			first_dup = at;
	}
	e = json_pack("{s:I, s:s, s:s, s:f, s:o, s:f, s:f, s:f}", "seed", (json_int_t)seed,
		      "result", res ? res : "lab-error", "dir", rel, "wall_s", wall, "violated",
		      violated, "max_ike", max_over_peers(s, "max_ike_established"),
		      "max_child_per_ts", max_over_peers(s, "max_child_installed_per_ts"), "lost",
		      lost);
	json_object_set_new(e, "first_duplicate_s",
			    first_dup < 0 ? json_null() : json_real(first_dup));
	if (!res)
		json_object_set_new(e, "lab_error",
				    json_string(no_result_why(s, refused ? refused : why, status)));
	else
		json_object_set(e, "lab_error", json_object_get(s, "lab_error"));
	json_object_set(e, "charon_version", json_object_get(s, "charon_version"));
	json_object_set(e, "charon_plugins", json_object_get(s, "charon_plugins"));
	json_object_set(e, "charon_commit", json_object_get(s, "charon_commit"));
	json_object_set(e, "charon_build", json_object_get(s, "charon_build"));
	json_decref(s);
	free(why);
	return e;
}

static const json_t *recorded_run(const struct night *N, int ver);

/* The 95 % Wilson interval of GOOD runs as expected out of N: [low, high]. */
static json_t *rate_ci95(size_t good, size_t n)
{
	double lo, hi;

	wilson_interval((unsigned)good, (unsigned)n, &lo, &hi);
	return json_pack("[f, f]", lo, hi);
}

static json_t *scenario_json(const struct night *N, const struct sc *c, const json_t *base)
{
	const char *status = nj_status_of(c);
	const json_t *worst = worst_run(c->runs);
	double mi, wi, mc, wc, ml, wl;
	size_t i, good = 0;
	json_t *r, *j;
	char *plot = NULL;

	json_array_foreach (c->runs, i, r)
		good += nj_as_expected(jget_str(r, "result"));
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
		      change_of(base ? nj_baseline_status(N, base, c) : NULL, status), "reruns",
		      c->reruns);
	json_object_set_new(
		j, "median",
		json_pack("{s:f, s:f, s:f}", "max_ike", mi, "max_child_per_ts", mc, "lost", ml));
	json_object_set_new(
		j, "worst",
		json_pack("{s:f, s:f, s:f}", "max_ike", wi, "max_child_per_ts", wc, "lost", wl));
	json_object_set_new(j, "rate_ci95", rate_ci95(good, json_array_size(c->runs)));
	json_object_set_new(j, "time_to_first_duplicate_s", first_duplicate(c->runs));
	json_object_set(j, "worst_seed", worst ? json_object_get(worst, "seed") : json_null());
	json_object_set_new(j, "plot", plot ? json_string(plot) : json_null());
	json_object_set_new(j, "seeds", runs_by_seed(c->runs));
	if (N->o->shards)
		json_object_set_new(j, "unit", json_integer(c->unit));
	if (N->n_vers > 1) {
		const json_t *rec = recorded_run(N, c->ver);

		json_object_set_new(j, "charon", json_string(N->vers[c->ver].label));
		json_object_set(j, "charon_version",
				rec ? json_object_get(rec, "charon_version") : json_null());
	}
	free(plot);
	return j;
}

void nj_iso_now(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The first run on a version that recorded which charon it ran, or NULL. */
static const json_t *recorded_run(const struct night *N, int ver)
{
	for (int i = 0; i < N->n_sc; i++) {
		size_t k;
		json_t *r;

		if (N->sc[i].ver != ver)
			continue;
		json_array_foreach (N->sc[i].runs, k, r)
			if (json_is_string(json_object_get(r, "charon_version")))
				return r;
	}
	return NULL;
}

/* A version's charon: its path, version and plugins as the runs recorded
 * them, and in a matrix the --charon it came from. */
static json_t *charon_json(const struct night *N, int ver)
{
	const json_t *r = recorded_run(N, ver);
	const struct ver *v = &N->vers[ver];
	json_t *j = json_pack(
		"{s:s, s:O?, s:O?, s:O?, s:O?}", "path", v->path ? v->path : PROFILE_DEFAULT_CHARON,
		"version", json_object_get(r, "charon_version"), "plugins",
		json_object_get(r, "charon_plugins"), "commit", json_object_get(r, "charon_commit"),
		"build", json_object_get(r, "charon_build"));

	if (N->n_vers > 1)
		json_object_set_new(j, "label", json_string(v->label));
	if (v->set)
		json_object_set_new(j, "set", json_string(v->set));
	return j;
}

/* ---- the matrix ------------------------------------------------------------------ */

/* What a version is called in "fixed in B": its version, else its label;
 * a sweep's value by its label ("skew_us=400"). */
static const char *ver_name(const struct night *N, int ver)
{
	const json_t *r = recorded_run(N, ver);

	return r && !N->vers[ver].set ? jget_str(r, "charon_version") : N->vers[ver].label;
}

/* Runs where the scenario's bug showed: a reproduction reproducing, a
 * clean scenario failing; lab errors are no verdict. */
static void count_bug(const struct sc *c, int *bug, int *valid, int *errors)
{
	size_t i;
	json_t *r;

	*bug = *valid = *errors = 0;
	json_array_foreach (c->runs, i, r) {
		const char *res = jget_str_or(r, "result", "lab-error");

		if (!strcmp(res, "lab-error")) {
			(*errors)++;
			continue;
		}
		(*valid)++;
		*bug += !strcmp(res, c->reproduces ? "reproduced" : "fail");
	}
}

static json_t *cell(const struct night *N, const struct sc *c, const json_t *sc_json)
{
	int bug, valid, errors;

	count_bug(c, &bug, &valid, &errors);
	return json_pack("{s:s, s:s?, s:s, s:i, s:i, s:i, s:O}", "charon", N->vers[c->ver].label,
			 "version", recorded_run(N, c->ver) ? ver_name(N, c->ver) : NULL, "status",
			 nj_status_of(c), "runs", valid + errors, "bug_runs", bug, "lab_errors",
			 errors, "plot", json_object_get(sc_json, "plot"));
}

/* From version a to b: fixed, regressed, same, or unknown. */
static json_t *change(const struct night *N, const struct sc *a, const struct sc *b)
{
	int ba, va, ea, bb, vb, eb;
	const char *what;
	char *text;
	json_t *j;

	count_bug(a, &ba, &va, &ea);
	count_bug(b, &bb, &vb, &eb);

	bool known = va && vb, fixed = known && ba && !bb, regressed = known && !ba && bb;

	what = !known ? "unknown" : fixed ? "fixed" : regressed ? "regressed" : "same";
	/* Along a sweep, the bug goes or comes with a value, not a fix. */
	if (N->vers[b->ver].set && (fixed || regressed))
		text = xasprintf("%s at %s", fixed ? "gone" : "shows", ver_name(N, b->ver));
	else if (fixed || regressed)
		text = xasprintf("%s in %s", what, ver_name(N, b->ver));
	else
		text = xstrdup(what);
	j = json_pack("{s:s, s:s, s:s, s:s}", "from", N->vers[a->ver].label, "to",
		      N->vers[b->ver].label, "change", what, "text", text);
	free(text);
	return j;
}

/* The changes that are not "same", joined; "same" when there are none. */
static char *verdict_of(const json_t *changes)
{
	struct strbuf sb = { 0 };
	size_t i;
	json_t *c;

	json_array_foreach (changes, i, c)
		if (strcmp(jget_str_or(c, "change", ""), "same"))
			sb_addf(&sb, "%s%s", sb.len ? ", " : "", jget_str_or(c, "text", ""));
	if (!sb.len)
		sb_addf(&sb, "same");
	return sb.buf;
}

/* One row per scenario; add_scenarios put its versions next to each other. */
static json_t *matrix(const struct night *N, const json_t *scenarios)
{
	json_t *rows = json_array();

	for (int i = 0; i + N->n_vers <= N->n_sc; i += N->n_vers) {
		json_t *cells = json_array(), *changes = json_array(), *row;
		char *verdict;

		for (int v = 0; v < N->n_vers; v++) {
			json_array_append_new(
				cells,
				cell(N, &N->sc[i + v], json_array_get(scenarios, (size_t)(i + v))));
			if (v)
				json_array_append_new(changes,
						      change(N, &N->sc[i + v - 1], &N->sc[i + v]));
		}
		verdict = verdict_of(changes);
		row = json_pack("{s:s, s:s, s:o, s:o, s:s}", "name", N->sc[i].name, "expect",
				N->sc[i].reproduces ? "reproduces" : "clean", "cells", cells,
				"changes", changes, "verdict", verdict);
		free(verdict);
		json_array_append_new(rows, row);
	}
	return rows;
}

static json_t *versions_json(const struct night *N)
{
	json_t *a = json_array();

	for (int v = 0; v < N->n_vers; v++)
		json_array_append_new(a, charon_json(N, v));
	return a;
}

/* What `nightly merge` needs to put the shards together: which shard of
 * which night, and the versions as --charon and --set gave them. */
static json_t *shard_json(const struct night *N)
{
	json_t *vers = json_array();

	for (int v = 0; v < N->n_vers; v++)
		json_array_append_new(vers,
				      json_pack("{s:s?, s:s?, s:s?}", "label", N->vers[v].label,
						"path", N->vers[v].path, "set", N->vers[v].set));
	return json_pack("{s:i, s:i, s:i, s:s, s:o}", "index", (int)N->o->shard, "count",
			 (int)N->o->shards, "units", N->units, "night", N->id, "versions", vers);
}

json_t *nj_night(const struct night *N, const json_t *base, const char *started)
{
	json_t *list = json_array(), *s;
	char host[256] = "", finished[32];
	int met = 0, runs = 0;

	gethostname(host, sizeof(host) - 1);
	nj_iso_now(finished, sizeof(finished));
	for (int i = 0; i < N->n_sc; i++) {
		json_t *one = scenario_json(N, &N->sc[i], base);

		met += !strcmp(jget_str(one, "status"), "pass");
		runs += (int)json_array_size(N->sc[i].runs);
		json_array_append_new(list, one);
	}
	s = json_pack("{s:s, s:s, s:s, s:i, s:i, s:o, s:s?, s:o}", "started", started, "finished",
		      finished, "hostname", host, "jobs", (int)N->jobs, "seeds", (int)N->o->seeds,
		      "charon", charon_json(N, 0), "baseline", N->o->baseline, "scenarios", list);
	if (N->n_vers > 1)
		json_object_set_new(s, "versions", versions_json(N));
	/* A shard holds parts of rows; the merged night has the matrix. */
	if (N->n_vers > 1 && !N->o->shards)
		json_object_set_new(s, "matrix", matrix(N, list));
	if (N->o->budget_s > 0)
		json_object_set_new(s, "budget_s", json_real(N->o->budget_s));
	if (N->o->shards)
		json_object_set_new(s, "shard", shard_json(N));
	json_object_set_new(s, "totals",
			    json_pack("{s:i, s:i, s:i, s:f}", "scenarios", N->n_sc, "met", met,
				      "runs", runs, "wall_s", (double)(mono_ns() - N->t0) / 1e9));
	return s;
}

int nj_write(const char *dir, const char *name, const json_t *j)
{
	char *path = xasprintf("%s/%s", dir, name);
	int r = json_write(path, j);

	free(path);
	return r;
}

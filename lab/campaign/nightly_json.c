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

const char *nj_baseline_status(const json_t *base, const char *name)
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
		      change_of(base ? nj_baseline_status(base, c->name) : NULL, status), "reruns",
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

void nj_iso_now(char *buf, size_t len)
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
		      "charon", charon_json(N), "baseline", N->o->baseline, "scenarios", list);
	json_object_set_new(s, "totals",
			    json_pack("{s:i, s:i, s:i, s:f}", "scenarios", N->n_sc, "met", met,
				      "runs", runs, "wall_s", (double)(mono_ns() - N->t0) / 1e9));
	return s;
}

int nj_write(const char *dir, const char *name, const json_t *j)
{
	char *path = xasprintf("%s/%s", dir, name), *text;
	int r;

	text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	r = write_file(path, text, strlen(text), 0644);
	free(text);
	free(path);
	return r;
}

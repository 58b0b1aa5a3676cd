/*
 * findings.c - an exploration's reports (explore-internal.h): findings.json
 * from the groups and trials, index.html and junit.xml from it
 * (explore/report.h); and `explore merge`, which rebuilds one exploration
 * from its shards' findings.json, copying each group's run and shrunk
 * scenario beside it.
 */
#include "explore/explore-internal.h"
#include "explore/report.h"
#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "base/util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FINDINGS_MAX ((size_t)256 << 20) /* a shard's findings.json, at most */

static void iso_now(char *buf, size_t len)
{
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", gmtime(&(time_t){ time(NULL) }));
}

static json_t *names_json(char *const *v, int n)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i] ? v[i] : "default"));
	return a;
}

static json_t *invariants_json(unsigned bits)
{
	json_t *a = json_array();

	for (unsigned b = 1; b; b <<= 1)
		if ((bits & b) && gen_invariant_name(b))
			json_array_append_new(a, json_string(gen_invariant_name(b)));
	return a;
}

static json_t *generator_json(const struct explore_opts *o)
{
	json_t *profiles = json_array();

	for (unsigned i = 0; i < o->gen.n_profiles; i++)
		json_array_append_new(profiles, json_string(o->gen.profiles[i]));
	return json_pack("{s:i, s:o, s:s, s:o}", "version", GEN_VERSION, "profiles", profiles,
			 "topology",
			 o->gen.topology ? o->gen.topology : "topologies/two-peer-router.yaml",
			 "invariants", invariants_json(o->gen.invariants));
}

static json_t *totals(unsigned run, unsigned clean, unsigned failed, unsigned errors, double wall_s)
{
	return json_pack("{s:i, s:i, s:i, s:i, s:f}", "run", (int)run, "clean", (int)clean,
			 "failed", (int)failed, "lab_errors", (int)errors, "per_hour",
			 wall_s > 0 ? run * 3600.0 / wall_s : 0.0);
}

json_t *findings_of(const struct explorer *X)
{
	const struct explore_opts *o = X->o;
	double wall = (double)(mono_ns() - X->t0) / 1e9;
	char ended[32], shard[32];
	json_t *f;

	iso_now(ended, sizeof(ended));
	snprintf(shard, sizeof(shard), "%u/%u", o->shard, o->shards);
	f = json_pack("{s:i, s:s, s:s, s:f, s:I, s:s?, s:O?, s:o}", "ikelab_explore", 1, "started",
		      X->started, "ended", ended, "wall_s", wall, "seed", (json_int_t)o->seed,
		      "shard", o->shards ? shard : NULL, "known_file",
		      o->known ? json_string(o->known) : NULL, "generator", generator_json(o));
	json_object_set_new(f, "charon",
			    json_pack("{s:s, s:s?}", "label",
				      o->n_charons ? o->labels[0] : "default", "version",
				      X->charon_version));
	json_object_set_new(f, "versions", names_json(o->labels, o->n_charons));
	json_object_set_new(f, "trials", totals(X->run, X->clean, X->failed, X->errors, wall));
	json_object_set_new(f, "groups", groups_json(&X->G, X->run));
	json_object_set(f, "trials_list", X->trials);
	return f;
}

int findings_write(const json_t *f, const char *out)
{
	char *path = xasprintf("%s/findings.json", out);
	int r = json_write(path, f);

	free(path);
	if (r < 0 || explore_report_html(f, out) < 0 || explore_report_junit(f, out) < 0)
		return -1;
	return 0;
}

int findings_summary(const json_t *f, const char *out)
{
	const json_t *t = json_object_get(f, "trials"), *g;
	unsigned fresh = 0, n = 0;
	size_t i;

	json_array_foreach (json_object_get(f, "groups"), i, g) {
		n++;
		fresh += !json_is_true(json_object_get(g, "known"));
	}
	printf("explore: %.0f trials (%.0f clean, %.0f with a finding, %.0f lab errors) in %.0f s, "
	       "%.1f an hour; %u group%s, %u new\n"
	       "  %s/index.html\n  %s/junit.xml\n  %s/findings.json\n",
	       jget_num_or(t, "run", 0), jget_num_or(t, "clean", 0), jget_num_or(t, "failed", 0),
	       jget_num_or(t, "lab_errors", 0), jget_num_or(f, "wall_s", 0),
	       jget_num_or(t, "per_hour", 0), n, n == 1 ? "" : "s", fresh, out, out, out);
	return fresh ? 1 : 0;
}

/* ---- merge ------------------------------------------------------------------------ */

static int mkdir_parent(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int r = 0;

	if (slash) {
		*slash = 0;
		r = mkdir_p(dir, 0755);
	}
	free(dir);
	return r;
}

/* REL (a group's run directory or shrunk file, relative to its shard's
 * DIR) copied to OUT/REL, once. */
static void copy_beside(const char *dir, const char *rel, const char *out, bool is_dir)
{
	char *dst = rel ? xasprintf("%s/%s", out, rel) : NULL;
	char *text = NULL;
	size_t len = 0;

	if (!rel || strstr(rel, "..") || rel[0] == '/' || path_exists(dst)) {
		free(dst);
		return;
	}
	if (is_dir ? tree_copy_beneath(dir, rel, out, NULL) < 0
		   : read_file_beneath(dir, rel, (size_t)1 << 20, &text, &len) < 0 ||
			     mkdir_parent(dst) < 0 || write_file(dst, text, len, 0644) < 0) {
		fprintf(stderr, "ikelab: %s\n", err_msg());
		err_clear();
	}
	free(text);
	free(dst);
}

/* The files of group M as its shard DIR names them, when they have the
 * shape explore gives them (trials/..., shrunk/ID/ID.yaml), copied below
 * OUT; a name of another shape is dropped from the group. */
static void take_files(struct group *m, const char *dir, const char *out)
{
	const char *run = jget_str(m->j, "run"), *shrunk = jget_str(m->j, "shrunk");
	char *want = xasprintf("shrunk/%s/%s.yaml", m->id, m->id);

	if (run && !strncmp(run, "trials/", 7))
		copy_beside(dir, run, out, true);
	else
		json_object_set_new(m->j, "run", json_null());
	if (shrunk && !strcmp(shrunk, want))
		copy_beside(dir, shrunk, out, false);
	else
		json_object_set_new(m->j, "shrunk", json_null());
	free(want);
}

struct merged {
	struct groups G;
	json_t *trials;
	unsigned run, clean, failed, errors;
	double wall;
	json_t *first; /* the first shard's findings (for what they share) */
};

static int merge_one(struct merged *M, const char *dir, const char *out)
{
	json_t *f = json_load_beneath(dir, "findings.json", FINDINGS_MAX), *g, *t;
	const json_t *tot;
	size_t i;

	if (!f)
		return err_wrap("explore merge %s", dir);
	tot = json_object_get(f, "trials");
	M->run += (unsigned)jget_num_or(tot, "run", 0);
	M->clean += (unsigned)jget_num_or(tot, "clean", 0);
	M->failed += (unsigned)jget_num_or(tot, "failed", 0);
	M->errors += (unsigned)jget_num_or(tot, "lab_errors", 0);
	if (jget_num_or(f, "wall_s", 0) > M->wall)
		M->wall = jget_num_or(f, "wall_s", 0);
	json_array_foreach (json_object_get(f, "groups"), i, g) {
		struct group *m = groups_merge(&M->G, g);

		if (m &&
		    m->first_seed == (uint64_t)json_integer_value(json_object_get(g, "first_seed")))
			take_files(m, dir, out);
	}
	json_array_foreach (json_object_get(f, "trials_list"), i, t)
		json_array_append(M->trials, t);
	if (!M->first)
		M->first = json_incref(f);
	json_decref(f);
	return 0;
}

int explore_merge(const char *out, char *const *dirs, int n_dirs, const char *known)
{
	struct merged M = { .trials = json_array() };
	json_t *f = NULL;
	int rc = known ? groups_load_known(&M.G, known) : 0;

	for (int i = 0; i < n_dirs && rc == 0; i++)
		rc = merge_one(&M, dirs[i], out);
	if (rc == 0) {
		f = json_deep_copy(M.first);
		json_object_set_new(f, "shard", json_null());
		if (known)
			json_object_set_new(f, "known_file", json_string(known));
		json_object_set_new(f, "wall_s", json_real(M.wall));
		json_object_set_new(f, "trials",
				    totals(M.run, M.clean, M.failed, M.errors, M.wall));
		json_object_set_new(f, "groups", groups_json(&M.G, M.run));
		json_object_set(f, "trials_list", M.trials);
		rc = findings_write(f, out) < 0 ? -1 : findings_summary(f, out);
	}
	json_decref(f);
	json_decref(M.first);
	json_decref(M.trials);
	groups_free(&M.G);
	return rc;
}

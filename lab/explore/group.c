/*
 * group.c - findings grouped by signature, and the known list (group.h).
 */
#include "explore/group.h"
#include "base/err.h"
#include "base/json.h"
#include "base/util.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KNOWN_MAX ((size_t)4 << 20) /* a known list, at most */

static bool is_id(const char *s)
{
	size_t n = 0;

	while (isxdigit((unsigned char)s[n]))
		n++;
	return n == 8 && (!s[n] || isspace((unsigned char)s[n]));
}

static void add_known(struct groups *G, const char *what, size_t len)
{
	G->known = xrealloc(G->known, (G->n_known + 1) * sizeof(char *));
	G->known[G->n_known++] = strndup(what, len);
}

/* A findings.json: every group of it known. */
static int known_from_json(struct groups *G, const json_t *j)
{
	json_t *g;
	size_t i;

	json_array_foreach (json_object_get(j, "groups"), i, g)
		if (jget_str(g, "id") && is_id(jget_str(g, "id")))
			add_known(G, jget_str(g, "id"), 8);
	return 0;
}

/* One line of a text list: an id, maybe followed by a note, or a whole
 * signature ("a | b | c | d"). */
static int known_line(struct groups *G, const char *file, int no, char *line)
{
	char *hash = strchr(line, '#'), *end;

	if (hash)
		*hash = 0;
	while (isspace((unsigned char)*line))
		line++;
	end = line + strlen(line);
	while (end > line && isspace((unsigned char)end[-1]))
		*--end = 0;
	if (!*line)
		return 0;
	if (is_id(line)) {
		add_known(G, line, 8);
		return 0;
	}
	if (strstr(line, " | ")) {
		add_known(G, line, strlen(line));
		return 0;
	}
	return err_set("%s:%d: neither a group id (8 hex digits) nor a signature (parts joined "
		       "by ' | ')",
		       file, no);
}

int groups_load_known(struct groups *G, const char *file)
{
	char *text, *line, *p;
	json_t *j;
	int no = 0, rc = 0;

	if (read_file_untrusted(file, KNOWN_MAX, &text, NULL) < 0)
		return err_wrap("--known");
	j = text[0] == '{' ? json_loads(text, 0, NULL) : NULL;
	if (j)
		rc = known_from_json(G, j);
	/* Lines counted as strtok_r would not: an empty one is one too. */
	for (p = text; !j && rc == 0 && p; p = line ? line : NULL) {
		line = strchr(p, '\n');
		if (line)
			*line++ = 0;
		rc = known_line(G, file, ++no, p);
	}
	json_decref(j);
	free(text);
	return rc;
}

static bool known(const struct groups *G, const char *id, const char *signature)
{
	for (unsigned i = 0; i < G->n_known; i++)
		if (!strcasecmp(G->known[i], id) || (signature && !strcmp(G->known[i], signature)))
			return true;
	return false;
}

static struct group *find(struct groups *G, const char *id)
{
	for (unsigned i = 0; i < G->n; i++)
		if (!strcmp(G->g[i].id, id))
			return &G->g[i];
	return NULL;
}

static struct group *make(struct groups *G, const char *id, const char *signature)
{
	struct group *g;

	G->g = xrealloc(G->g, (G->n + 1) * sizeof(*G->g));
	g = &G->g[G->n++];
	memset(g, 0, sizeof(*g));
	snprintf(g->id, sizeof(g->id), "%s", id);
	g->known = known(G, id, signature);
	return g;
}

static json_t *markers_json(const struct finding *f)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < f->n_markers; i++)
		json_array_append_new(a, json_string(f->markers[i]));
	return a;
}

/* "A,B" as ["A", "B"]; "-" as []. */
static json_t *exchanges_json(const char *list)
{
	json_t *a = json_array();

	for (const char *p = list; p && *p && strcmp(p, "-");) {
		size_t n = strcspn(p, ",");

		json_array_append_new(a, json_stringn(p, n));
		p += n + (p[n] == ',');
	}
	return a;
}

static json_t *first_json(const struct finding *f, uint64_t seed, double after_s, const char *run)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s?, s:s, s:f, s:I, s:f, s:s, s:O}", "id",
			 f->id, "signature", f->signature, "invariant", f->invariant, "expectation",
			 f->expectation, "phase", f->phase, "markers", markers_json(f), "peer",
			 f->peer, "detail", f->detail, "at", f->at, "first_seed", (json_int_t)seed,
			 "first_after_s", after_s, "run", run, "also", f->also);
}

struct group *groups_add(struct groups *G, const struct finding *f, uint64_t seed, double after_s,
			 const char *run)
{
	struct group *g = find(G, f->id);

	if (!g) {
		g = make(G, f->id, f->signature);
		g->first_seed = seed;
		g->j = first_json(f, seed, after_s, run);
		json_object_set_new(g->j, "exchanges", exchanges_json(f->exchanges));
		json_object_set_new(g->j, "exchange", json_string(f->exchange));
		json_object_set_new(g->j, "seeds", json_array());
	}
	g->count++;
	if (json_array_size(json_object_get(g->j, "seeds")) < GROUP_SEEDS)
		json_array_append_new(json_object_get(g->j, "seeds"),
				      json_integer((json_int_t)seed));
	return g;
}

static void merge_seeds(struct group *g, const json_t *seeds)
{
	json_t *mine = json_object_get(g->j, "seeds"), *s;
	size_t i;

	json_array_foreach (seeds, i, s)
		if (json_is_integer(s) && json_array_size(mine) < GROUP_SEEDS)
			json_array_append(mine, s);
}

struct group *groups_merge(struct groups *G, const json_t *j)
{
	const char *id = jget_str(j, "id");
	json_int_t c = json_integer_value(json_object_get(j, "count"));
	json_int_t s = json_integer_value(json_object_get(j, "first_seed"));
	/* A shard's numbers as whole numbers in range, whatever it wrote. */
	unsigned count = c < 0 ? 0 : c > 100000000 ? 100000000 : (unsigned)c;
	uint64_t seed = s < 0 ? 0 : (uint64_t)s;
	bool listed = G->n_known > 0;
	struct group *g;

	if (!id || !is_id(id) || strlen(id) != 8)
		return NULL;
	g = find(G, id);
	if (!g) {
		g = make(G, id, jget_str(j, "signature"));
		/* A known list given: it alone says what is known. */
		g->known |= !listed && json_is_true(json_object_get(j, "known"));
		g->j = json_deep_copy(j);
		g->first_seed = seed;
		g->count = count;
		return g;
	}
	g->count += count;
	g->known |= !listed && json_is_true(json_object_get(j, "known"));
	if (seed < g->first_seed) {
		json_t *old = g->j;

		g->j = json_deep_copy(j);
		g->first_seed = seed;
		json_object_set(g->j, "seeds", json_object_get(old, "seeds"));
		json_decref(old);
	}
	if (g->j != j)
		merge_seeds(g, json_object_get(j, "seeds"));
	return g;
}

json_t *groups_json(const struct groups *G, unsigned trials)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < G->n; i++) {
		json_t *e = json_copy(G->g[i].j);

		json_object_set_new(e, "known", json_boolean(G->g[i].known));
		json_object_set_new(e, "count", json_integer(G->g[i].count));
		json_object_set_new(e, "first_seed", json_integer((json_int_t)G->g[i].first_seed));
		json_object_set_new(e, "rate",
				    json_real(trials ? (double)G->g[i].count / trials : 0));
		json_array_append_new(a, e);
	}
	return a;
}

unsigned groups_new(const struct groups *G)
{
	unsigned n = 0;

	for (unsigned i = 0; i < G->n; i++)
		n += !G->g[i].known;
	return n;
}

void groups_free(struct groups *G)
{
	for (unsigned i = 0; i < G->n; i++)
		json_decref(G->g[i].j);
	free(G->g);
	for (unsigned i = 0; i < G->n_known; i++)
		free(G->known[i]);
	free(G->known);
	memset(G, 0, sizeof(*G));
}

/*
 * report.c - findings.json read the same way for index.html and
 * junit.xml (see report.h, report-internal.h).
 */
#include "explore/report.h"
#include "explore/report-internal.h"
#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A path longer than this is no path explore wrote. */
#define REL_MAX 1024

/* Paths */

static bool component_ok(const char *c, size_t len)
{
	return !(len == 2 && c[0] == '.' && c[1] == '.');
}

bool exrep_rel_ok(const char *rel)
{
	const char *c, *slash = rel ? strchr(rel, '/') : NULL, *colon;

	if (!rel || !rel[0] || rel[0] == '/' || strlen(rel) > REL_MAX)
		return false;
	colon = strchr(rel, ':');
	if (colon && (!slash || colon < slash))
		return false;
	for (const unsigned char *p = (const unsigned char *)rel; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			return false;
	for (c = rel;; c = slash + 1) {
		slash = strchr(c, '/');
		if (!component_ok(c, slash ? (size_t)(slash - c) : strlen(c)))
			return false;
		if (!slash)
			return true;
	}
}

bool exrep_file_ok(const char *out_dir, const char *rel)
{
	char *text = NULL;
	int r;

	if (!exrep_rel_ok(rel))
		return false;
	/* At most 0 bytes: a regular file below out_dir is read as empty or
	 * refused as too big, without reading it; anything else fails. */
	r = read_file_beneath(out_dir, rel, 0, &text, NULL);
	r = r == 0 || errno == EFBIG;
	free(text);
	if (r) {
		err_clear();
		return true;
	}
	err_clear();
	return false;
}

char *exrep_join(const char *dir, const char *name)
{
	return exrep_rel_ok(dir) ? xasprintf("%s/%s", dir, name) : NULL;
}

char *exrep_read(const char *out_dir, const char *rel, size_t max, const char **why)
{
	char *text = NULL;

	*why = NULL;
	if (!exrep_rel_ok(rel)) {
		*why = "not a path below the output directory";
		return NULL;
	}
	if (read_file_beneath(out_dir, rel, max, &text, NULL) == 0)
		return text;
	*why = errno == ENOENT  ? "missing"
	       : errno == EFBIG ? "too long to show here"
	       : errno == ELOOP ? "a symbolic link, not followed"
	       : errno == EXDEV ? "outside the output directory"
				: "not a regular file that can be read";
	err_clear();
	return NULL;
}

/* Numbers */

bool exrep_int(const json_t *obj, const char *key, long long *out)
{
	const json_t *v = json_object_get(obj, key);
	double d;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	if (!json_is_real(v))
		return false;
	d = json_real_value(v);
	if (!(fabs(d) < 9e15) || d != floor(d))
		return false;
	*out = (long long)d;
	return true;
}

long long exrep_int_or(const json_t *obj, const char *key, long long dflt)
{
	long long v;

	return exrep_int(obj, key, &v) ? v : dflt;
}

long long exrep_count(const json_t *obj, const char *key)
{
	long long v = exrep_int_or(obj, key, 0);

	return v > 0 ? v : 0;
}

bool exrep_known(const json_t *group)
{
	return json_is_true(json_object_get(group, "known"));
}

bool exrep_id_ok(const char *id)
{
	if (!id || strlen(id) != 8)
		return false;
	for (size_t i = 0; i < 8; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

long long exrep_trials_run(const json_t *findings)
{
	return exrep_count(json_object_get(findings, "trials"), "run");
}

/* Groups */

/* New groups first, then by count, most first; stable by index. */
static int group_cmp(const json_t *a, size_t ia, const json_t *b, size_t ib)
{
	long long ca = exrep_count(a, "count"), cb = exrep_count(b, "count");

	if (exrep_known(a) != exrep_known(b))
		return exrep_known(a) ? 1 : -1;
	if (ca != cb)
		return ca > cb ? -1 : 1;
	return ia < ib ? -1 : ia > ib;
}

const json_t **exrep_groups(const json_t *findings, size_t *n)
{
	const json_t *arr = json_object_get(findings, "groups");
	const json_t **g;
	size_t *idx, i, j, m = 0;

	*n = 0;
	if (!json_array_size(arr))
		return NULL;
	g = xcalloc(json_array_size(arr), sizeof(*g));
	idx = xcalloc(json_array_size(arr), sizeof(*idx));
	for (i = 0; i < json_array_size(arr); i++) {
		const json_t *x = json_array_get(arr, i);

		if (!json_is_object(x))
			continue;
		/* Insertion sort: a night has tens of groups, not thousands. */
		for (j = m; j > 0 && group_cmp(x, i, g[j - 1], idx[j - 1]) < 0; j--) {
			g[j] = g[j - 1];
			idx[j] = idx[j - 1];
		}
		g[j] = x;
		idx[j] = i;
		m++;
	}
	free(idx);
	*n = m;
	return g;
}

void exrep_add_share(struct strbuf *sb, const json_t *findings, const json_t *group)
{
	long long run = exrep_trials_run(findings), count = exrep_count(group, "count");
	double rate;

	sb_addf(sb, "%lld of %lld trial%s", count, run, run == 1 ? "" : "s");
	if (run > 0)
		sb_addf(sb, " (%.0f%%)", 100.0 * (double)count / (double)run);
	else if (jget_num(group, "rate", &rate) && rate >= 0 && rate <= 1)
		sb_addf(sb, " (%.0f%%)", 100.0 * rate);
}

/*
 * known.c - the settings and plugins of one strongSwan version (known.h).
 */
#include "charon/known.h"
#include "base/err.h"
#include "base/json.h"
#include "charon/build.h"

#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- .opt files ------------------------------------------------------------ */

/* One line that starts a setting: "KEY = DEFAULT", "KEY", "KEY {}". */
static void opt_line(const char *line, size_t len, struct strbuf *out)
{
	size_t k = 0;
	const char *eq;

	while (k < len && !isspace((unsigned char)line[k]))
		k++;
	if (!k || line[0] == '#')
		return;
	eq = memchr(line, '=', len);
	if (eq && eq > line + k) {
		const char *v = eq + 1, *end = line + len;

		while (v < end && isspace((unsigned char)*v))
			v++;
		while (end > v && isspace((unsigned char)end[-1]))
			end--;
		if (end > v) {
			sb_addf(out, "%.*s = %.*s\n", (int)k, line, (int)(end - v), v);
			return;
		}
	}
	sb_addf(out, "%.*s\n", (int)k, line);
}

void known_opt_parse(const char *text, struct strbuf *out)
{
	while (text && *text) {
		size_t len = strcspn(text, "\n");

		if (len && !isspace((unsigned char)text[0]))
			opt_line(text, len, out);
		text += len + (text[len] == '\n');
	}
}

static int collect_file(const char *path, struct strbuf *out)
{
	char *text;

	if (read_file(path, &text, NULL) < 0)
		return -1;
	known_opt_parse(text, out);
	free(text);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int collect_dir(const char *dir, struct strbuf *out)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, by_name), r = 0;

	if (n < 0)
		return err_sys("scandir %s", dir);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(list[i]->d_name);

		if (r == 0 && len > 4 && !strcmp(list[i]->d_name + len - 4, ".opt")) {
			char *path = xasprintf("%s/%s", dir, list[i]->d_name);

			r = collect_file(path, out);
			free(path);
		}
		free(list[i]);
	}
	free(list);
	return r;
}

int known_collect(const char *tree, const char *path)
{
	static const char *const dirs[] = { "conf/options", "conf/plugins" };
	struct strbuf out = { 0 };
	char *p;
	int r = 0;

	for (size_t i = 0; i < ARRAY_LEN(dirs) && r == 0; i++) {
		p = xasprintf("%s/%s", tree, dirs[i]);
		r = collect_dir(p, &out);
		free(p);
	}
	p = xasprintf("%s/src/swanctl/swanctl.opt", tree);
	if (r == 0)
		r = collect_file(p, &out);
	free(p);
	if (r == 0)
		r = write_file(path, out.buf ? out.buf : "", out.len, 0644);
	sb_free(&out);
	return r < 0 ? err_wrap("the settings of %s", tree) : 0;
}

/* ---- options.txt ------------------------------------------------------------- */

static int by_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keys sorted, defaults following them. */
static void sort_pairs(struct charon_known *k)
{
	char **pairs = xcalloc(k->n * 2 + 1, sizeof(char *));

	for (size_t i = 0; i < k->n; i++) {
		pairs[2 * i] = k->keys[i];
		pairs[2 * i + 1] = k->defaults[i];
	}
	qsort(pairs, k->n, 2 * sizeof(char *), by_key);
	for (size_t i = 0; i < k->n; i++) {
		k->keys[i] = pairs[2 * i];
		k->defaults[i] = pairs[2 * i + 1];
	}
	free(pairs);
}

void known_parse_list(const char *text, struct charon_known *k)
{
	size_t cap = 0;

	while (text && *text) {
		size_t len = strcspn(text, "\n");
		char *line = xasprintf("%.*s", (int)len, text), *eq = strstr(line, " = ");

		text += len + (text[len] == '\n');
		if (!line[0]) {
			free(line);
			continue;
		}
		if (k->n == cap) {
			cap = cap ? 2 * cap : 256;
			k->keys = xrealloc(k->keys, cap * sizeof(char *));
			k->defaults = xrealloc(k->defaults, cap * sizeof(char *));
		}
		k->defaults[k->n] = eq ? xstrdup(eq + 3) : NULL;
		if (eq)
			*eq = '\0';
		k->keys[k->n++] = line;
	}
	if (k->n)
		sort_pairs(k);
}

static void load_plugins(struct charon_known *k, const json_t *list)
{
	size_t i;
	json_t *v;

	k->plugins = xcalloc(json_array_size(list) + 1, sizeof(char *));
	json_array_foreach (list, i, v)
		if (json_is_string(v))
			k->plugins[k->n_plugins++] = xstrdup(json_string_value(v));
}

int known_load(const char *charon, struct charon_known *k)
{
	json_t *rec = charon_build_record(charon);
	char *path, *text;
	int r;

	memset(k, 0, sizeof(*k));
	if (!rec)
		return 0;
	k->version = jget_str(rec, "version") ? xstrdup(jget_str(rec, "version")) : NULL;
	k->commit = jget_str(rec, "commit") ? xstrdup(jget_str(rec, "commit")) : NULL;
	load_plugins(k, json_object_get(rec, "plugins"));
	path = xasprintf("%s/options.txt", jget_str(rec, "dir"));
	r = read_file(path, &text, NULL);
	if (r == 0) {
		known_parse_list(text, k);
		free(text);
	}
	free(path);
	json_decref(rec);
	return r < 0 ? -1 : 1;
}

void known_free(struct charon_known *k)
{
	for (size_t i = 0; i < k->n; i++) {
		free(k->keys[i]);
		free(k->defaults[i]);
	}
	for (size_t i = 0; i < k->n_plugins; i++)
		free(k->plugins[i]);
	free(k->keys);
	free(k->defaults);
	free(k->plugins);
	free(k->version);
	free(k->commit);
	memset(k, 0, sizeof(*k));
}

/* ---- questions ------------------------------------------------------------------- */

bool known_any(const struct charon_known *k)
{
	return k && k->n;
}

static char **find(const struct charon_known *k, const char *key)
{
	return bsearch(&key, k->keys, k->n, sizeof(char *), by_key);
}

bool known_has(const struct charon_known *k, const char *key)
{
	return !known_any(k) || find(k, key);
}

const char *known_default(const struct charon_known *k, const char *key)
{
	char **at = known_any(k) ? find(k, key) : NULL;

	return at ? k->defaults[at - k->keys] : NULL;
}

bool known_plugin(const struct charon_known *k, const char *name)
{
	if (!k || !k->n_plugins)
		return true;
	for (size_t i = 0; i < k->n_plugins; i++)
		if (!strcmp(k->plugins[i], name))
			return true;
	return false;
}

/* ---- saying so once ------------------------------------------------------------------ */

void known_warn(const char *fmt, ...)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char **said;
	static size_t n;
	char *msg;
	va_list ap;
	bool seen = false;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n && !seen; i++)
		seen = !strcmp(said[i], msg);
	if (!seen) {
		fprintf(stderr, "ikelab: warning: %s\n", msg);
		said = xrealloc(said, (n + 1) * sizeof(char *));
		said[n++] = msg;
	} else {
		free(msg);
	}
	pthread_mutex_unlock(&lock);
}

/*
 * build.c - charon built from a commit, or found in the cache (build.h):
 * the cache directory and its lock, the plan (commit, configure arguments,
 * diff, key), a cache hit or a build, and the record the entry keeps.
 */
#include "charon/build-internal.h"
#include "base/err.h"
#include "base/json.h"
#include "base/util.h"
#include "charon/peer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the cache directory ----------------------------------------------------- */

char *charon_cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *base, *dir;

	if (xdg && xdg[0] == '/')
		base = xasprintf("%s/ikelab", xdg);
	else if (home && home[0] == '/')
		base = xasprintf("%s/.cache/ikelab", home);
	else {
		err_set("no cache directory for charon builds: neither XDG_CACHE_HOME nor HOME is "
			"an absolute path");
		return NULL;
	}
	dir = xasprintf("%s/charon", base);
	/* Ours alone, as mkdir_p checks every folder it accepts: nobody else
	 * may plant a build that charon then runs as root. */
	if (mkdir_p(dir, 0700) < 0) {
		free(base);
		free(dir);
		return NULL;
	}
	free(base);
	return dir;
}

/* ---- one build at a time ---------------------------------------------------------- */

static int lock_cache(struct cb *c)
{
	char *path = xasprintf("%s/lock", c->cache);
	int64_t t0 = mono_ns();
	bool said = false;

	c->lockfd = file_create(path, 0600, FILE_APPEND); /* only to flock */
	if (c->lockfd < 0) {
		err_sys("open %s", path);
		free(path);
		return -1;
	}
	while (flock(c->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK || cb_interrupted ||
		    mono_ns() - t0 > (int64_t)CB_LOCK_S * 1000000000) {
			err_set("%s: another charon build held it for %d s%s", path, CB_LOCK_S,
				cb_interrupted ? " (interrupted)" : "");
			free(path);
			return -1;
		}
		if (!said)
			cb_say(c, "  waiting for another charon build to finish (%s)", path);
		said = true;
		sleep_ms(250);
	}
	free(path);
	return 0;
}

static int cb_open(struct cb *c, const struct charon_build_opts *o)
{
	memset(c, 0, sizeof(*c));
	c->o = o;
	c->lockfd = -1;
	c->steps = json_object();
	charon_git_env_clean();
	if (!(c->cache = charon_cache_dir()))
		return -1;
	c->logdir = xasprintf("%s/logs", c->cache);
	c->repo = xasprintf("%s/repo.git", c->cache);
	c->work = xasprintf("%s/work", c->cache);
	c->build = xasprintf("%s/build", c->cache);
	if (mkdir_p(c->logdir, 0700) < 0)
		return -1;
	return lock_cache(c);
}

static void cb_close(struct cb *c)
{
	if (c->lockfd >= 0)
		close(c->lockfd);
	free(c->cache);
	free(c->logdir);
	free(c->source);
	free(c->src_git);
	free(c->src_id);
	free(c->repo);
	free(c->work);
	free(c->build);
	free(c->commit);
	sb_free(&c->diff);
	argv_free(&c->args);
	free(c->key);
	free(c->entry);
	json_decref(c->steps);
}

/* ---- the record of an entry -------------------------------------------------------- */

static char *entry_path(const char *entry, const json_t *rec, const char *field)
{
	const char *rel = jget_str(rec, field);

	return rel ? xasprintf("%s/%s", entry, rel) : NULL;
}

/* The entry's build.json when it is complete (the binaries are there). */
static json_t *entry_record(const char *entry)
{
	char *path = xasprintf("%s/build.json", entry), *ch, *sw;
	json_t *rec = json_load_file(path, 0, NULL);
	bool ok;

	free(path);
	ch = entry_path(entry, rec, "charon");
	sw = entry_path(entry, rec, "swanctl");
	ok = rec && ch && sw && access(ch, X_OK) == 0 && access(sw, X_OK) == 0;
	free(ch);
	free(sw);
	if (!ok) {
		json_decref(rec);
		return NULL;
	}
	json_object_set_new(rec, "dir", json_string(entry));
	path = xasprintf("%s/sbin", entry);
	json_object_set_new(rec, "sbin", json_string(path));
	free(path);
	return rec;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void from_record(struct charon_build *b, const json_t *rec)
{
	const char *dir = jget_str(rec, "dir");

	b->charon = entry_path(dir, rec, "charon");
	b->swanctl = entry_path(dir, rec, "swanctl");
	b->sbin = dup_or_null(jget_str(rec, "sbin"));
	b->version = dup_or_null(jget_str(rec, "version"));
	b->commit = dup_or_null(jget_str(rec, "commit"));
	b->key = dup_or_null(jget_str(rec, "key"));
	b->dir = xstrdup(dir);
	b->source = dup_or_null(jget_str(rec, "source"));
	b->patched = json_is_true(json_object_get(rec, "patched"));
	b->seconds = jget_num_or(rec, "seconds", 0);
}

json_t *charon_build_record(const char *charon)
{
	char real[PATH_MAX], entry[PATH_MAX], *ch;
	json_t *rec;
	bool same;

	if (!charon || !realpath(charon, real))
		return NULL;
	/* ENTRY/libexec/ipsec/charon */
	snprintf(entry, sizeof(entry), "%s", real);
	for (int i = 0; i < 3; i++) {
		char *slash = strrchr(entry, '/');

		if (!slash || slash == entry)
			return NULL;
		*slash = '\0';
	}
	rec = entry_record(entry);
	ch = rec ? entry_path(entry, rec, "charon") : NULL;
	same = ch && !strcmp(ch, real);
	free(ch);
	if (!same) {
		json_decref(rec);
		return NULL;
	}
	return rec;
}

static void iso_now(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int write_record(struct cb *c, json_t *rec, const char *ref, double secs)
{
	char when[32], *path = xasprintf("%s/build.json", c->entry), *text, *v;
	char *charon = xasprintf("%s/libexec/ipsec/charon", c->entry);
	json_t *args = json_array();
	int r;

	for (size_t i = 0; i < c->args.n; i++)
		json_array_append_new(args, json_string(c->args.v[i]));
	v = charon_version(charon);
	iso_now(when, sizeof(when));
	json_object_set_new(rec, "ref", json_string(ref));
	json_object_set_new(rec, "commit", json_string(c->commit));
	json_object_set_new(rec, "version", v ? json_string(v) : json_null());
	json_object_set_new(rec, "key", json_string(c->key));
	json_object_set_new(rec, "source", json_string(c->source));
	json_object_set_new(rec, "patched", json_boolean(c->diff.len > 0));
	json_object_set_new(rec, "configure", args);
	json_object_set_new(rec, "charon", json_string("libexec/ipsec/charon"));
	json_object_set_new(rec, "swanctl", json_string("sbin/swanctl"));
	json_object_set_new(rec, "built", json_string(when));
	json_object_set_new(rec, "seconds", json_real(secs));
	json_object_set(rec, "steps", c->steps);
	text = json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS);
	r = write_file(path, text, strlen(text), 0644);
	free(text);
	free(v);
	free(path);
	free(charon);
	return r;
}

/* ---- planning and building ---------------------------------------------------------- */

static int plan(struct cb *c)
{
	char *ac;

	if (cb_diff(c) < 0)
		return -1;
	ac = cb_configure_ac(c);
	if (!ac)
		return err_wrap("configure.ac of %s", c->commit);
	charon_configure_args(ac, &c->args);
	free(ac);
	c->key = charon_build_key(c->commit, c->args.v, c->diff.buf, c->diff.len);
	c->entry = xasprintf("%s/builds/%s", c->cache, c->key);
	return 0;
}

static int build_entry(struct cb *c, const char *ref, struct charon_build *b)
{
	char *logs = xasprintf("%s/logs", c->entry), *log = xasprintf("%s/checkout.log", logs);
	json_t *rec = json_object(), *done = NULL;
	int64_t t0 = mono_ns();
	int r = rm_rf(c->entry) == 0 && mkdir_p(logs, 0700) == 0 ? 0 : -1;

	if (r == 0)
		r = cb_checkout(c, log);
	if (r == 0)
		r = cb_make(c, rec);
	if (r == 0)
		r = write_record(c, rec, ref, (double)(mono_ns() - t0) / 1e9);
	if (r == 0 && !(done = entry_record(c->entry)))
		r = err_set("%s: the build left no charon and swanctl", c->entry);
	if (r == 0)
		from_record(b, done);
	json_decref(rec);
	json_decref(done);
	free(logs);
	free(log);
	return r;
}

static void say_start(struct cb *c, const char *ref)
{
	cb_say(c, "charon build %s: commit %.12s of %s%s", ref, c->commit, c->source,
	       c->diff.len ? ", with its local changes" : "");
}

static int build_or_hit(struct cb *c, const char *ref, struct charon_build *b)
{
	json_t *rec;

	if (cb_source(c) < 0 || cb_resolve(c, ref) < 0 || plan(c) < 0)
		return -1;
	rec = entry_record(c->entry);
	if (rec) {
		from_record(b, rec);
		b->cached = true;
		cb_say(c, "charon %s (commit %.12s): cache hit, built %s in %.0f s: %s",
		       b->version ? b->version : ref, c->commit, jget_str_or(rec, "built", "?"),
		       b->seconds, c->entry);
		json_decref(rec);
		return 0;
	}
	say_start(c, ref);
	if (cb_tools() < 0 || build_entry(c, ref, b) < 0)
		return -1;
	cb_say(c, "charon %s (commit %.12s) built in %.1f s: %s", b->version ? b->version : "?",
	       c->commit, b->seconds, c->entry);
	return 0;
}

int charon_build(const char *ref, const struct charon_build_opts *o, struct charon_build *b)
{
	static const struct charon_build_opts none;
	struct cb c;
	int r;

	memset(b, 0, sizeof(*b));
	b->ref = xstrdup(ref);
	if (!strncmp(ref, "git:", 4))
		ref += 4;
	cb_signals(true);
	r = cb_open(&c, o ? o : &none);
	if (r == 0)
		r = build_or_hit(&c, ref, b);
	if (r < 0) {
		b->failed_step = c.failed;
		err_wrap("charon build %s", b->ref);
	}
	cb_close(&c);
	cb_signals(false);
	return r;
}

int charon_source_git(const struct charon_build_opts *o, char **git_dir, char **source)
{
	static const struct charon_build_opts none;
	struct cb c;
	int r;

	*git_dir = *source = NULL;
	r = cb_open(&c, o ? o : &none);
	if (r == 0)
		r = cb_source(&c);
	if (r == 0) {
		*git_dir = xstrdup(c.src_git);
		*source = xstrdup(c.source);
	}
	cb_close(&c);
	return r;
}

int charon_use(const char *value, const struct charon_build_opts *o, struct charon_build *b)
{
	struct charon_ref ref;
	json_t *rec;
	int r;

	memset(b, 0, sizeof(*b));
	if (charon_ref_parse(value, &ref) < 0)
		return -1;
	if (ref.kind != CHARON_REF_PATH) {
		r = charon_build(ref.rev, o, b);
		free(b->ref);
		b->ref = xstrdup(value);
		charon_ref_free(&ref);
		return r;
	}
	b->ref = xstrdup(value);
	rec = charon_build_record(value);
	if (rec) {
		from_record(b, rec);
		b->cached = true;
	}
	free(b->charon);
	b->charon = xstrdup(value);
	json_decref(rec);
	charon_ref_free(&ref);
	return 0;
}

void charon_build_free(struct charon_build *b)
{
	free(b->ref);
	free(b->charon);
	free(b->swanctl);
	free(b->sbin);
	free(b->version);
	free(b->commit);
	free(b->key);
	free(b->dir);
	free(b->source);
	memset(b, 0, sizeof(*b));
}

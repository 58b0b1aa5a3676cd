/*
 * build_src.c - where a charon build's source comes from (build.h): the
 * shared tar unpacked into the cache, a repository or a work tree; a REF
 * resolved there and fetched into the cache's own clone; the worktree
 * checked out at that commit, with a patched tree's diff applied.
 */
#include "charon/build-internal.h"
#include "base/err.h"
#include "base/util.h"

#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

void charon_git_env_clean(void)
{
	for (size_t i = 0; environ && environ[i];) {
		const char *eq = strchr(environ[i], '=');
		char name[256];

		if (strncmp(environ[i], "GIT_", 4) || !eq ||
		    (size_t)(eq - environ[i]) >= sizeof(name)) {
			i++;
			continue;
		}
		memcpy(name, environ[i], (size_t)(eq - environ[i]));
		name[eq - environ[i]] = '\0';
		unsetenv(name); /* environ[i] now holds the next variable */
	}
}

int cb_git(const char *dir, struct strbuf *out, int timeout_s, ...)
{
	struct spawn_opts o = { .search_path = true };
	struct strbuf err = { 0 };
	struct argv a = { 0 };
	const char *s;
	va_list ap;
	int r;

	argv_addv(&a, (char *const[]){ "git", "-C", (char *)dir, NULL });
	va_start(ap, timeout_s);
	while ((s = va_arg(ap, const char *)))
		argv_add(&a, s);
	va_end(ap);
	r = spawn_run(a.v, &o, timeout_s * 1000, out, &err);
	if (r < 0)
		err_wrap("git -C %s %s", dir, a.v[3]);
	argv_free(&a);
	sb_free(&err);
	return r;
}

/* Trailing newline off. */
static char *chomp(struct strbuf *sb)
{
	while (sb->len && isspace((unsigned char)sb->buf[sb->len - 1]))
		sb->buf[--sb->len] = '\0';
	return sb->buf ? sb->buf : "";
}

static char *hash_name(const char *s)
{
	return xasprintf("%016" PRIx64, charon_hash64(s, strlen(s), CHARON_HASH_INIT));
}

/* ---- finding the source ---------------------------------------------------- */

/* ../shared/strongswan/strongswan.git.tar of the ikelab tree, or of one
 * of its parents (a worktree of it lives one level deeper). */
static char *shared_tar(void)
{
	char dir[PATH_MAX], *cand;

	snprintf(dir, sizeof(dir), "%s", self_exe());
	for (int up = 0; up < 5 && strcmp(dir, "/"); up++) {
		char parent[PATH_MAX];

		snprintf(parent, sizeof(parent), "%s", dirname(dir));
		snprintf(dir, sizeof(dir), "%s", parent);
		cand = xasprintf("%s/%s", strcmp(dir, "/") ? dir : "", CHARON_SHARED_TAR);
		if (path_exists(cand))
			return cand;
		free(cand);
	}
	err_set("no strongSwan history: %s is in none of the folders above %s (--source, or "
		"set %s to a git repository, a work tree or such a tar)",
		CHARON_SHARED_TAR, self_exe(), CHARON_SOURCE_ENV);
	return NULL;
}

/* A folder holding a bare repository: the tar's only top entry. */
static char *repo_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *found = NULL;

	while (d && (e = readdir(d)) && !found) {
		char *head = xasprintf("%s/%s/HEAD", dir, e->d_name);

		if (e->d_name[0] != '.' && path_exists(head))
			found = xasprintf("%s/%s", dir, e->d_name);
		free(head);
	}
	if (d)
		closedir(d);
	if (!found)
		err_set("%s holds no git repository", dir);
	return found;
}

/* The tar unpacked once into cache/sources/HASH; again when it changed. */
static int unpack_tar(struct cb *c, const struct stat *st)
{
	char *id = hash_name(c->source), *dir = xasprintf("%s/sources/%s", c->cache, id);
	char *stamp = xasprintf("%s.stamp", dir), *want, *have = NULL, *tmp, *log;
	double secs;
	int r = 0;

	want = xasprintf("%s %lld %lld\n", c->source, (long long)st->st_size,
			 (long long)st->st_mtime);
	if (read_file(stamp, &have, NULL) < 0 || strcmp(have, want) || !path_exists(dir)) {
		err_clear();
		tmp = xasprintf("%s.tmp", dir);
		log = xasprintf("%s/unpack.log", c->logdir);
		unlink(log);
		r = rm_rf(tmp) == 0 && rm_rf(dir) == 0 && mkdir_p(tmp, 0700) == 0 ? 0 : -1;
		if (r == 0)
			r = cb_step(c, "unpack",
				    (char *const[]){ "tar", "--no-same-owner", "-xf", c->source,
						     "-C", tmp, NULL },
				    NULL, log, CB_TAR_S, &secs);
		if (r == 0 && rename(tmp, dir) < 0)
			r = err_sys("rename %s", tmp);
		if (r == 0)
			r = write_file(stamp, want, strlen(want), 0600);
		if (r == 0)
			cb_say(c, "  %-10s %6.1f s  %s", "unpack", secs, c->source);
		free(tmp);
		free(log);
	}
	if (r == 0 && !(c->src_git = repo_in(dir)))
		r = -1;
	free(id);
	free(dir);
	free(stamp);
	free(want);
	free(have);
	return r;
}

/* A folder: a bare repository, or a work tree (its top level). */
static int classify_dir(struct cb *c)
{
	struct strbuf out = { 0 };
	int r = cb_git(c->source, &out, 30, "rev-parse", "--is-bare-repository", NULL);

	if (r == 0 && !strcmp(chomp(&out), "true")) {
		c->src_git = xstrdup(c->source);
	} else if (r == 0) {
		out.len = 0;
		r = cb_git(c->source, &out, 30, "rev-parse", "--show-toplevel", NULL);
		if (r == 0) {
			c->src_git = xstrdup(chomp(&out));
			c->src_tree = true;
		}
	}
	sb_free(&out);
	return r;
}

int cb_source(struct cb *c)
{
	const char *given = c->o->source ? c->o->source : getenv(CHARON_SOURCE_ENV);
	struct stat st;

	c->source = given && given[0] ? abs_path(given) : shared_tar();
	if (!c->source)
		return given ? err_wrap("source %s", given) : -1;
	c->src_id = hash_name(c->source);
	if (stat(c->source, &st) < 0)
		return err_sys("source %s", c->source);
	if (S_ISREG(st.st_mode))
		return unpack_tar(c, &st) < 0 ? err_wrap("source %s", c->source) : 0;
	if (!S_ISDIR(st.st_mode))
		return err_set("source %s: neither a tar nor a folder", c->source);
	return classify_dir(c) < 0 ? err_wrap("source %s: not a git repository", c->source) : 0;
}

/* ---- the commit ---------------------------------------------------------------- */

static int repo_init(struct cb *c)
{
	struct spawn_opts o = { .search_path = true };
	char *const argv[] = { "git", "init", "--quiet", "--bare", c->repo, NULL };

	if (path_exists(c->repo))
		return 0;
	return spawn_run(argv, &o, CB_GIT_S * 1000, NULL, NULL) < 0
		       ? err_wrap("git init %s", c->repo)
		       : 0;
}

static bool have_commit(struct cb *c)
{
	char *obj = xasprintf("%s^{commit}", c->commit);
	int r = cb_git(c->repo, NULL, 30, "cat-file", "-e", obj, NULL);

	free(obj);
	err_clear();
	return r == 0;
}

/* Every ref of the source (and a work tree's HEAD) into refs/ikelab/ID/. */
static int fetch(struct cb *c)
{
	char *refs = xasprintf("+refs/*:refs/ikelab/%s/*", c->src_id);
	char *head = xasprintf("+HEAD:refs/ikelab/%s/HEAD", c->src_id);
	char *log = xasprintf("%s/fetch.log", c->logdir);
	struct argv a = { 0 };
	double secs;
	int r;

	unlink(log);
	argv_addv(&a, (char *const[]){ "git", "-C", c->repo, "fetch", "--quiet", "--no-tags",
				       "--update-shallow", "--force", c->src_git, refs, NULL });
	if (c->src_tree)
		argv_add(&a, head);
	r = cb_step(c, "fetch", a.v, NULL, log, CB_GIT_S, &secs);
	if (r == 0)
		cb_say(c, "  %-10s %6.1f s  into %s", "fetch", secs, c->repo);
	argv_free(&a);
	free(refs);
	free(head);
	free(log);
	return r;
}

int cb_resolve(struct cb *c, const char *ref)
{
	struct strbuf out = { 0 };
	char *spec = xasprintf("%s^{commit}", ref);
	int r = cb_git(c->src_git, &out, 30, "rev-parse", "--verify", "--quiet", "--end-of-options",
		       spec, NULL);

	free(spec);
	if (r < 0) {
		sb_free(&out);
		return err_set("'%s' is no tag, branch or commit of %s", ref, c->source);
	}
	c->commit = xstrdup(chomp(&out));
	sb_free(&out);
	if (repo_init(c) < 0)
		return -1;
	if (have_commit(c))
		return 0;
	if (fetch(c) < 0)
		return err_wrap("fetching %s", c->source);
	if (!have_commit(c))
		return err_set("commit %s of %s is on no branch or tag, so it cannot be fetched",
			       c->commit, c->source);
	return 0;
}

/* ---- what is built ---------------------------------------------------------------- */

static void untracked_note(struct cb *c)
{
	struct strbuf out = { 0 };
	size_t n = 0;

	if (cb_git(c->src_git, &out, 60, "ls-files", "--others", "--exclude-standard", NULL) < 0)
		err_clear();
	for (size_t i = 0; i < out.len; i++)
		n += out.buf[i] == '\n';
	if (n)
		cb_say(c,
		       "  note: %zu untracked file%s in %s %s not built (git add -N makes them "
		       "part of the diff)",
		       n, n == 1 ? "" : "s", c->src_git, n == 1 ? "is" : "are");
	sb_free(&out);
}

int cb_diff(struct cb *c)
{
	struct strbuf head = { 0 };
	int r;

	if (!c->src_tree)
		return 0;
	r = cb_git(c->src_git, &head, 30, "rev-parse", "--verify", "HEAD", NULL);
	if (r == 0 && strcmp(chomp(&head), c->commit)) {
		if (cb_git(c->src_git, NULL, 60, "diff", "--quiet", "HEAD", NULL) < 0) {
			err_clear();
			cb_say(c,
			       "  note: the local changes of %s are not built: %s is not its HEAD",
			       c->src_git, c->commit);
		}
	} else if (r == 0) {
		r = cb_git(c->src_git, &c->diff, 120, "diff", "--binary", "HEAD", NULL);
		untracked_note(c);
	}
	sb_free(&head);
	return r;
}

char *cb_configure_ac(struct cb *c)
{
	struct strbuf out = { 0 };
	char *spec, *text = NULL;

	if (c->diff.len) {
		char *path = xasprintf("%s/configure.ac", c->src_git);

		if (read_file(path, &text, NULL) < 0)
			text = NULL;
		free(path);
		return text;
	}
	spec = xasprintf("%s:configure.ac", c->commit);
	if (cb_git(c->repo, &out, 30, "show", spec, NULL) == 0)
		text = xstrdup(out.buf ? out.buf : "");
	free(spec);
	sb_free(&out);
	return text;
}

/* ---- the worktree ------------------------------------------------------------------ */

static int git_step(struct cb *c, const char *log, double *secs, char *const argv[])
{
	double s = 0;
	int r = cb_step(c, "checkout", argv, NULL, log, CB_GIT_S, &s);

	*secs += s;
	return r;
}

static int worktree_add(struct cb *c, const char *log, double *secs)
{
	char *gitfile = xasprintf("%s/.git", c->work);
	bool there = path_exists(gitfile);
	int r = 0;

	free(gitfile);
	if (there)
		return 0;
	if (rm_rf(c->work) < 0)
		return -1;
	r = git_step(c, log, secs,
		     (char *const[]){ "git", "-C", c->repo, "worktree", "prune", NULL });
	if (r == 0)
		r = git_step(c, log, secs,
			     (char *const[]){ "git", "-C", c->repo, "worktree", "add", "--detach",
					      "--force", c->work, c->commit, NULL });
	return r;
}

/* src/ * /plugin_constructors.c: generated into the source tree by a rule
 * that depends on the generator alone, not on the plugin list, which
 * another version has another of (6.0 adds counters with vici): made
 * afresh by make for every build. */
static void drop_constructors(const struct cb *c)
{
	char *src = xasprintf("%s/src", c->work);
	DIR *d = opendir(src);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *f = xasprintf("%s/%s/plugin_constructors.c", src, e->d_name);

		if (e->d_name[0] != '.')
			unlink(f);
		free(f);
	}
	if (d)
		closedir(d);
	free(src);
}

int cb_checkout(struct cb *c, const char *log)
{
	char *patch = xasprintf("%s/source.diff", c->entry);
	double secs = 0;
	int r = worktree_add(c, log, &secs);

	if (r == 0)
		r = git_step(c, log, &secs,
			     (char *const[]){ "git", "-C", c->work, "checkout", "--quiet",
					      "--force", "--detach", c->commit, NULL });
	/* Not -x: configure and the Makefile.in of autogen are ignored
	 * files, kept for the next incremental build. */
	if (r == 0)
		r = git_step(c, log, &secs,
			     (char *const[]){ "git", "-C", c->work, "clean", "-fdq", NULL });
	if (r == 0)
		drop_constructors(c);
	if (r == 0 && c->diff.len) {
		r = write_file(patch, c->diff.buf, c->diff.len, 0600);
		if (r == 0)
			r = git_step(c, log, &secs,
				     (char *const[]){ "git", "-C", c->work, "apply", "--binary",
						      "--whitespace=nowarn", patch, NULL });
	}
	free(patch);
	if (r == 0) {
		json_object_set_new(c->steps, "checkout", json_real(secs));
		cb_say(c, "  %-10s %6.1f s%s", "checkout", secs,
		       c->diff.len ? "  (with the diff)" : "");
	}
	return r;
}

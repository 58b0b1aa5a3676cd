/*
 * bisect_git.c - git in the bisect's own clone: every command an argv with a
 * deadline, refs checked before git sees them (bisect-internal.h).
 */
#include "campaign/bisect-internal.h"
#include "base/err.h"
#include "base/spawn.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define BS_GIT_MS 120000 /* a clone, a bisect step: git's own work is quick */

int bs_git(const struct bisect *B, struct strbuf *out, char *const args[])
{
	struct spawn_opts o = { .search_path = true,
				.io = { SPAWN_NULL, SPAWN_NULL, SPAWN_CAPTURE } };
	struct spawn_proc p;
	struct argv a = { 0 };
	int r;

	if (out)
		o.io[1] = SPAWN_CAPTURE;
	argv_addv(&a, (char *const[]){ "git", "-C", B->git, NULL });
	argv_addv(&a, args);
	r = spawn_start(&p, a.v, &o);
	if (r == 0) {
		r = spawn_wait(&p, BS_GIT_MS);
		if (r < 0 && !p.timed_out && WIFEXITED(p.status)) {
			err_clear();
			r = WEXITSTATUS(p.status);
		} else if (r < 0) {
			err_wrap("git %s", args[0]);
		}
		if (out && p.out.buf)
			sb_add(out, p.out.buf, p.out.len);
	}
	if (r > 0 && !out && p.err.len)
		trace("git %s: %s", args[0], p.err.buf);
	spawn_proc_free(&p);
	argv_free(&a);
	return r;
}

int bs_clone(struct bisect *B)
{
	struct spawn_opts o = { .search_path = true,
				.io = { SPAWN_NULL, SPAWN_NULL, SPAWN_CAPTURE } };
	char *const argv[] = { "git",         "clone",    "--quiet",
			       "--bare",      "--shared", "--no-hardlinks",
			       B->source_git, B->git,     NULL };

	if (rm_rf(B->git) < 0)
		return -1;
	if (spawn_run(argv, &o, BS_GIT_MS, NULL, NULL) < 0)
		return err_wrap("cloning %s into %s", B->source_git, B->git);
	return 0;
}

/* Text up to the first newline. */
static char *first_line(struct strbuf *sb)
{
	char *s = xstrdup(sb->buf ? sb->buf : "");

	s[strcspn(s, "\n")] = '\0';
	return s;
}

char *bs_resolve(const struct bisect *B, const char *opt, const char *ref)
{
	struct strbuf out = { 0 };
	char *spec, *commit = NULL;
	int r;

	if (!strncmp(ref, "git:", 4))
		ref += 4;
	if (!ref[0] || ref[0] == '-') {
		err_set("%s '%s': not a tag, branch or commit", opt, ref);
		return NULL;
	}
	spec = xasprintf("%s^{commit}", ref);
	r = bs_git(B, &out,
		   (char *const[]){ "rev-parse", "--verify", "--quiet", "--end-of-options", spec,
				    NULL });
	if (r == 0)
		commit = first_line(&out);
	else if (r > 0)
		err_set("%s %s: no tag, branch or commit of that name in %s", opt, ref, B->source);
	free(spec);
	sb_free(&out);
	return commit;
}

char *bs_subject(const struct bisect *B, const char *commit)
{
	struct strbuf out = { 0 };
	char *s;

	if (bs_git(B, &out,
		   (char *const[]){ "log", "-1", "--format=%s", (char *)commit, "--", NULL }) != 0)
		err_clear();
	s = first_line(&out);
	sb_free(&out);
	return s;
}

int bs_is_ancestor(const struct bisect *B, const char *old, const char *new)
{
	int r = bs_git(
		B, NULL,
		(char *const[]){ "merge-base", "--is-ancestor", (char *)old, (char *)new, NULL });

	if (r > 1)
		return err_set("git merge-base --is-ancestor %.12s %.12s exited with %d", old, new,
			       r);
	return r < 0 ? -1 : r == 0;
}

long bs_count(const struct bisect *B, const char *old, const char *new)
{
	struct strbuf out = { 0 };
	char *range = xasprintf("%s..%s", old, new);
	long n = -1;

	if (bs_git(B, &out, (char *const[]){ "rev-list", "--count", range, NULL }) == 0)
		n = strtol(out.buf ? out.buf : "", NULL, 10);
	else
		err_clear();
	free(range);
	sb_free(&out);
	return n;
}

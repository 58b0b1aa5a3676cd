/*
 * charon.c - strongSwan versions: `ikelab charon build REF`, `ikelab
 * bisect`, and what every --charon means (a path, a version, git:REV) for
 * up, run, nightly and version. The building is charon/build.c, the
 * bisecting campaign/bisect.c.
 */
#include "cmd/cmd.h"
#include "base/err.h"
#include "base/util.h"
#include "campaign/bisect.h"
#include "campaign/nightly.h"
#include "charon/build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A folder: the charon of the build tree or install prefix in it, as the
 * nightly has always found it (allocated); anything else as it is. */
static char *in_folder(const char *value)
{
	struct stat st;

	if (strchr(value, '/') && stat(value, &st) == 0 && S_ISDIR(st.st_mode))
		return charon_resolve(value);
	return xstrdup(value);
}

/* The charons of runs, sweeps, shrinks, nights and explorations are
 * checked before any lab starts: one that is not there would otherwise
 * make every run a lab error, one at a time. */
static int charon_path_ok(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return err_sys("--charon %s", path);
	if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
		return err_set("--charon %s: not an executable file", path);
	return 0;
}

int charon_arg(const struct cli *c, char **path)
{
	*path = NULL;
	return c->charon ? charon_value(c->charon, path) : 0;
}

int charon_arg_checked(const struct cli *c, char **path)
{
	if (charon_arg(c, path) < 0)
		return -1;
	return *path ? charon_path_ok(*path) : 0;
}

int charon_values(const struct cli *c, char ***paths, int *n)
{
	*paths = xcalloc((size_t)c->n_charons + 1, sizeof(char *));
	*n = 0;
	for (int i = 0; i < c->n_charons; i++) {
		if (charon_value(c->charons[i], &(*paths)[i]) < 0)
			return -1;
		*n = i + 1;
		if (charon_path_ok((*paths)[i]) < 0)
			return -1;
	}
	return 0;
}

int charon_value(const char *given, char **path)
{
	struct charon_build b;
	char *value;
	int r;

	*path = NULL;
	if (!(value = in_folder(given)))
		return -1;
	r = charon_use(value, NULL, &b);
	free(value);
	if (r == 0) {
		*path = b.charon;
		b.charon = NULL;
	}
	charon_build_free(&b);
	return r;
}

/* What was built, one "NAME VALUE" a line: for people and for scripts. */
static void print_build(const struct charon_build *b)
{
	printf("charon   %s\n", b->charon);
	printf("swanctl  %s\n", b->swanctl);
	printf("version  %s\n", b->version ? b->version : "unknown");
	printf("commit   %s%s\n", b->commit, b->patched ? " (with local changes)" : "");
	printf("key      %s\n", b->key);
	printf("source   %s\n", b->source);
	printf("cached   %s\n", b->cached ? "yes" : "no");
}

int cmd_charon(const struct cli *c)
{
	struct charon_build_opts o = { .source = c->source };
	struct charon_build b;
	int rc = 0;

	if (c->npos != 2 || strcmp(c->pos[0], "build"))
		return usage_fail(c);
	if (charon_build(c->pos[1], &o, &b) < 0)
		rc = fail();
	else
		print_build(&b);
	charon_build_free(&b);
	return rc;
}

int cmd_bisect(const struct cli *c)
{
	struct bisect_opts o = { .good = c->good,
				 .bad = c->bad,
				 .fixed = c->fixed,
				 .source = c->source,
				 .kernel = c->kernel };
	long seeds = number("--seeds", c->seeds, 5, 100);
	int rc;

	if (c->npos != 1 || !c->good || !c->bad)
		return usage_fail(c);
	if (seeds < 0 || (c->kernel && !pick_kernel(c)) || !(o.out = run_dir(c->out, "bisect")))
		return fail();
	o.scenario = c->pos[0];
	o.seeds = (unsigned)seeds;
	rc = bisect_main(&o);
	free((char *)o.out);
	return rc < 0 ? fail() : rc;
}

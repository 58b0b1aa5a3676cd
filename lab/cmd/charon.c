/*
 * charon.c - strongSwan versions: `ikelab charon build REF`, and what
 * every --charon means (a path, a version, git:REV) for up, run, nightly
 * and version. The building itself is charon/build.c.
 */
#include "cmd/cmd.h"
#include "base/err.h"
#include "base/util.h"
#include "campaign/nightly.h"
#include "charon/build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A folder: the charon of the build tree or install prefix in it, as the
 * nightly has always found it (allocated); anything else as it is. */
static char *in_folder(const char *value)
{
	struct stat st;

	if (strchr(value, '/') && stat(value, &st) == 0 && S_ISDIR(st.st_mode))
		return charon_resolve(value);
	return xstrdup(value);
}

int charon_arg(const struct cli *c, char **path)
{
	struct charon_build b;
	char *value;
	int r;

	*path = NULL;
	if (!c->charon)
		return 0;
	if (!(value = in_folder(c->charon)))
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

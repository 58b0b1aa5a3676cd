#include "base/home.h"
#include "base/err.h"
#include "base/util.h"

#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The folder of the running binary (static buffer), or NULL when
 * /proc/self/exe could not be read: then there is no home, rather than
 * one found from the working directory. */
static const char *exe_dir(void)
{
	static char dir[PATH_MAX];
	char buf[PATH_MAX];

	if (self_exe()[0] != '/')
		return NULL;
	snprintf(buf, sizeof(buf), "%s", self_exe());
	snprintf(dir, sizeof(dir), "%s", dirname(buf));
	return dir;
}

/* Whether the binary is PREFIX/bin/ikelab. */
static bool in_bin(void)
{
	const char *dir = exe_dir(), *slash = dir ? strrchr(dir, '/') : NULL;

	return slash && !strcmp(slash, "/bin");
}

/* DIR holds the mark and nobody but root and us can change what is in it
 * (file.h, dir_ours: a shared /tmp/share/ikelab is no home). */
static bool is_home(const char *dir)
{
	char *mark = xasprintf("%s/%s", dir, HOME_MARK);
	bool r = path_exists(mark) && dir_ours(dir) == 0;

	free(mark);
	return r;
}

/* PREFIX/share/ikelab when the binary is PREFIX/bin/ikelab (allocated),
 * or NULL. */
static char *installed_home(void)
{
	char *cand;

	if (!in_bin())
		return NULL;
	cand = xasprintf("%s/../" HOME_SHARE, exe_dir());
	if (is_home(cand))
		return cand;
	free(cand);
	return NULL;
}

/* The tree above BUILD/ikelab (one up), BUILD/asan/ikelab and
 * BUILD/tests/NAME (two up), or BUILD/asan/tests/NAME (three up). */
static char *build_home(void)
{
	char *dir;

	if (!exe_dir())
		return NULL;
	dir = xstrdup(exe_dir());
	for (int up = 0; up < 3; up++) {
		char *parent = xasprintf("%s/..", dir);

		free(dir);
		dir = parent;
		if (is_home(dir))
			return dir;
	}
	free(dir);
	return NULL;
}

char *home_data_dir(void)
{
	char *dir = installed_home(), *real;

	if (!dir)
		dir = build_home();
	if (!dir)
		return NULL;
	real = realpath(dir, NULL);
	free(dir);
	return real;
}

char *home_data(const char *rel)
{
	char *dir = home_data_dir(), *path;

	if (!dir)
		return NULL;
	path = xasprintf("%s/%s", dir, rel);
	free(dir);
	if (path_exists(path))
		return path;
	free(path);
	return NULL;
}

char *home_helper(const char *name)
{
	char *dir, *path;

	if (!exe_dir()) {
		err_set("cannot find %s: /proc/self/exe cannot be read", name);
		return NULL;
	}
	dir = in_bin() ? xasprintf("%s/../" HOME_LIBEXEC, exe_dir()) : xstrdup(exe_dir());
	if (dir_ours(dir) < 0) {
		err_wrap("%s is not run from there", name);
		free(dir);
		return NULL;
	}
	path = xasprintf("%s/%s", dir, name);
	free(dir);
	return path;
}

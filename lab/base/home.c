#include "base/home.h"
#include "base/util.h"

#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* The folder of the running binary (static buffer). */
static const char *exe_dir(void)
{
	static char dir[PATH_MAX];
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", self_exe());
	snprintf(dir, sizeof(dir), "%s", dirname(buf));
	return dir;
}

static bool is_home(const char *dir)
{
	char *mark = xasprintf("%s/%s", dir, HOME_MARK);
	bool r = path_exists(mark);

	free(mark);
	return r;
}

/* PREFIX/share/ikelab when the binary is PREFIX/bin/ikelab (allocated),
 * or NULL. */
static char *installed_home(void)
{
	char *cand = xasprintf("%s/../" HOME_SHARE, exe_dir());

	if (is_home(cand))
		return cand;
	free(cand);
	return NULL;
}

/* The tree above BUILD/ikelab, BUILD/asan/ikelab or BUILD/tests/NAME. */
static char *build_home(void)
{
	char *dir = xstrdup(exe_dir());

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
	char *installed = xasprintf("%s/../" HOME_LIBEXEC "/%s", exe_dir(), name);

	if (path_exists(installed))
		return installed;
	free(installed);
	return xasprintf("%s/%s", exe_dir(), name);
}

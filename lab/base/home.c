#include "base/home.h"
#include "base/err.h"
#include "base/util.h"

#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Whether a folder's owner is one we trust here: root, us, or the owner
 * of the binary we run, who could change the binary itself. */
static bool owner_ok(uid_t uid)
{
	struct stat exe;

	return uid == 0 || uid == geteuid() || (stat(self_exe(), &exe) == 0 && uid == exe.st_uid);
}

/* Nobody but root, us or the binary's owner can change what DIR holds:
 * DIR and each folder above it belong to one of them, DIR is writable by
 * none else, and no folder above it by others but with the sticky bit
 * (/tmp), where nobody can rename what is not theirs. */
static bool folder_safe(const char *dir)
{
	char *real = realpath(dir, NULL), *end;
	bool ok = real != NULL;

	for (end = real; ok && end;) {
		struct stat st;
		char keep;

		end = strchr(end + 1, '/');
		keep = end ? *end : '\0';
		if (end)
			*end = '\0';
		ok = stat(real[0] ? real : "/", &st) == 0 && S_ISDIR(st.st_mode) &&
		     owner_ok(st.st_uid) &&
		     (end ? !(st.st_mode & S_IWOTH) || (st.st_mode & S_ISVTX)
			  : !(st.st_mode & 022));
		if (end)
			*end = keep;
	}
	free(real);
	return ok;
}

/* DIR holds the mark and only those we trust can change what is in it. */
static bool is_home(const char *dir)
{
	char *mark = xasprintf("%s/%s", dir, HOME_MARK);
	bool r = path_exists(mark) && folder_safe(dir);

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
	if (!folder_safe(dir)) {
		err_set("%s: not run from %s, which others than root, us and the binary's "
			"owner can change",
			name, dir);
		free(dir);
		return NULL;
	}
	path = xasprintf("%s/%s", dir, name);
	free(dir);
	return path;
}

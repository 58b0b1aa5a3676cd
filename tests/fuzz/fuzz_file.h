/*
 * fuzz_file.h - shared by the harnesses whose target reads a file: the
 * input goes into a private folder under /tmp (or $FUZZ_TMPDIR), laid out
 * like the repository, so that the relative paths the shipped files use
 * (../topologies/x.yaml, base: auto-route.yaml) resolve to the shipped
 * files and the fuzzer can explore past the first file:
 *
 *	DIR/topologies -> ROOT/topologies
 *	DIR/peers      -> ROOT/peers
 *	DIR/scenarios/    the input (scenarios), written per run
 *	DIR/p/            the input (profiles), with a link to every shipped
 *	                  profile beside it
 *	DIR/t/            the input (topologies)
 *
 * ROOT is the repository, given at build time (-DFUZZ_ROOT=...).
 *
 * Inputs that name /proc, /dev, /sys or /run are skipped: the loaders
 * read whatever file a path names (that is their job), and a path such as
 * /proc/self/fd/0 or /dev/stdin blocks the fuzzer on a terminal or a pipe
 * without telling anything about the parsers.
 */
#ifndef IKELAB_FUZZ_FILE_H
#define IKELAB_FUZZ_FILE_H

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FUZZ_ROOT
#error "build with -DFUZZ_ROOT=\"/path/to/the/repository\""
#endif

static char fuzz_dir[512];

static void fuzz_die(const char *what)
{
	perror(what);
	abort();
}

static void fuzz_link(const char *target, const char *link)
{
	if (symlink(target, link) < 0)
		fuzz_die(link);
}

/* Remove DIR/SUB: a link or a file is unlinked (never followed: the links
 * point into the repository), a real folder emptied first. */
static void fuzz_rm(const char *sub)
{
	char path[512];
	struct stat st;
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir, sub);
	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	if ((d = opendir(path))) {
		while ((e = readdir(d))) {
			char f[1024];

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(f, sizeof(f), "%s/%s", path, e->d_name);
			unlink(f);
		}
		closedir(d);
	}
	rmdir(path);
}

static void fuzz_cleanup(void)
{
	fuzz_rm("scenarios");
	fuzz_rm("p");
	fuzz_rm("t");
	fuzz_rm("topologies");
	fuzz_rm("peers");
	rmdir(fuzz_dir);
}

/* The folder, once per process; stdin from /dev/null. */
static void fuzz_setup(void)
{
	char path[512];
	DIR *d;
	struct dirent *e;
	int fd;

	if (fuzz_dir[0])
		return;
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0)
		fuzz_die("/dev/null");
	close(fd);
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/ikelab-fuzz-XXXXXX",
		 getenv("FUZZ_TMPDIR") ? getenv("FUZZ_TMPDIR") : "/tmp");
	if (!mkdtemp(fuzz_dir))
		fuzz_die("mkdtemp");
	atexit(fuzz_cleanup);
	snprintf(path, sizeof(path), "%s/topologies", fuzz_dir);
	fuzz_link(FUZZ_ROOT "/topologies", path);
	snprintf(path, sizeof(path), "%s/peers", fuzz_dir);
	fuzz_link(FUZZ_ROOT "/peers", path);
	snprintf(path, sizeof(path), "%s/scenarios", fuzz_dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/t", fuzz_dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/p", fuzz_dir);
	mkdir(path, 0700);
	if (!(d = opendir(FUZZ_ROOT "/peers")))
		fuzz_die(FUZZ_ROOT "/peers");
	while ((e = readdir(d))) {
		char target[512], link[512];

		if (e->d_name[0] == '.')
			continue;
		snprintf(target, sizeof(target), FUZZ_ROOT "/peers/%s", e->d_name);
		snprintf(link, sizeof(link), "%s/p/%s", fuzz_dir, e->d_name);
		fuzz_link(target, link);
	}
	closedir(d);
}

static bool fuzz_has(const uint8_t *data, size_t size, const char *s)
{
	return memmem(data, size, s, strlen(s)) != NULL;
}

/* See above: paths that can block. */
static bool fuzz_path_unsafe(const uint8_t *data, size_t size)
{
	static const char *const bad[] = {
		"/proc", "proc/", "/dev", "dev/", "/sys", "sys/", "/run", "run/",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (fuzz_has(data, size, bad[i]))
			return true;
	return false;
}

/* Write the input to DIR/SUB/NAME; the path is returned in a static
 * buffer. */
static const char *fuzz_write(const char *sub, const char *name, const uint8_t *data, size_t size)
{
	static char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", fuzz_dir, sub, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fuzz_die(path);
	while (size > 0) {
		ssize_t n = write(fd, data, size);

		if (n <= 0)
			fuzz_die(path);
		data += n;
		size -= (size_t)n;
	}
	close(fd);
	return path;
}

#endif

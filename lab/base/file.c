/*
 * file.c - creating files and directories that no planted name can
 * redirect, and reading what someone else may have planted (see file.h).
 * The only .c file of lab/ that may open with O_CREAT, call mkdir or
 * symlink (tests/tree/check.sh); over 800 lines because of that: every
 * way of creating a file, copying trees included, is here, where the
 * test and a reviewer find them in one place.
 */
#include "base/file.h"
#include "base/err.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004
#endif

#define TMP_TRIES 16 /* temporary names tried before giving up */
#define MAX_LINKS 40 /* symbolic links followed on one path, as the kernel */

static uid_t extra_uid = (uid_t)-1;
static void (*random_fill)(unsigned char *buf, size_t len);
static bool no_openat2;

void file_trust_uid(uid_t uid)
{
	extra_uid = uid;
}

void file_test_random(void (*fill)(unsigned char *buf, size_t len))
{
	random_fill = fill;
}

void file_test_no_openat2(bool off)
{
	no_openat2 = off;
}

/* ---- whose ---------------------------------------------------------------- */

/* The user sudo ran us for: they can run anything as root already. Only
 * sudo sets SUDO_UID in root's environment. */
static uid_t sudo_uid(void)
{
	const char *s = getenv("SUDO_UID");
	unsigned long v;
	char *end;

	if (geteuid() != 0 || !s || !*s)
		return (uid_t)-1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v >= (unsigned long)(uid_t)-1)
		return (uid_t)-1;
	return (uid_t)v;
}

static bool uid_trusted(uid_t uid)
{
	return uid == 0 || uid == geteuid() || uid == extra_uid || uid == sudo_uid();
}

static const char *who_writes(mode_t m)
{
	return (m & 022) == 022 ? "group and others" : (m & 002) ? "others" : "its group";
}

/* Whether files may be created below the directory WHERE (stat ST) on the
 * way to PATH; LAST: it is PATH itself. 0, or -1 with the reason. */
static int dir_check(const char *path, const char *where, const struct stat *st, bool last)
{
	mode_t m = st->st_mode & 07777;

	if (last && !uid_trusted(st->st_uid))
		return err_set("refusing %s: it is owned by uid %u, not by uid %u; ikelab writes "
			       "only into directories of its own user",
			       path, (unsigned)st->st_uid, (unsigned)geteuid());
	if (!uid_trusted(st->st_uid))
		return err_set("refusing %s: %s on its way is owned by uid %u, who could "
			       "replace what is in it; ikelab writes only below directories of "
			       "root or uid %u",
			       path, where, (unsigned)st->st_uid, (unsigned)geteuid());
	if (last && (m & 022))
		return err_set("refusing %s: it is writable by %s (mode %04o), who could "
			       "replace what ikelab writes there; chmod go-w it or use another "
			       "directory",
			       path, who_writes(m), (unsigned)m);
	if ((m & 022) && !(m & S_ISVTX))
		return err_set("refusing %s: %s on its way is writable by %s (mode %04o) "
			       "without the sticky bit, so they could replace what is in it",
			       path, where, who_writes(m), (unsigned)m);
	return 0;
}

/* ---- walking a path --------------------------------------------------------- */

enum walk_how {
	WALK_MAKE,     /* create what is missing, check every directory */
	WALK_EXISTING, /* create nothing, check every directory */
	WALK_MOUNT,    /* create what is missing, check nothing but links */
};

struct walk {
	const char *path; /* the caller's, for messages */
	enum walk_how how;
	mode_t mode;       /* of the last directory, when made */
	int fd;            /* the directory reached (O_PATH) */
	char at[PATH_MAX]; /* its path, for messages */
	char *buf;         /* what is left to walk, from rest on */
	char *rest;
	int links; /* symbolic links followed */
};

/* The next name of w->rest, cut out in place; NULL at the end. */
static char *next_name(struct walk *w)
{
	char *s = w->rest, *e;

	while (*s == '/')
		s++;
	if (!*s)
		return NULL;
	e = strchrnul(s, '/');
	w->rest = *e ? e + 1 : e;
	*e = '\0';
	return s;
}

/* Only slashes and "." left: the name just taken is the last. */
static bool at_end(const char *rest)
{
	for (const char *s = rest; *s; s++)
		if (*s != '/' && !(*s == '.' && (s[1] == '/' || !s[1])))
			return false;
	return true;
}

static void at_add(struct walk *w, const char *name)
{
	size_t n = strlen(w->at);

	if (!strcmp(name, "..")) {
		char *slash = strrchr(w->at, '/');

		if (slash && slash != w->at)
			*slash = '\0';
		else
			snprintf(w->at, sizeof(w->at), "/");
		return;
	}
	snprintf(w->at + n, sizeof(w->at) - n, "%s%s", n > 1 ? "/" : "", name);
}

/* Back to "/", which is checked like any directory on the way. */
static int walk_root(struct walk *w)
{
	struct stat st;

	if (w->fd >= 0)
		close(w->fd);
	snprintf(w->at, sizeof(w->at), "/");
	w->fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->fd < 0 || fstat(w->fd, &st) < 0)
		return err_sys("open /");
	if (w->how != WALK_MOUNT && dir_check(w->path, "/", &st, at_end(w->rest)) < 0)
		return -1;
	return 0;
}

static int walk_start(struct walk *w, const char *path, mode_t mode, enum walk_how how)
{
	char cwd[PATH_MAX];

	*w = (struct walk){ .path = path, .how = how, .mode = mode, .fd = -1 };
	if (!path || !*path)
		return err_set("empty directory name");
	if (path[0] == '/') {
		w->buf = xstrdup(path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return err_sys("%s: current directory", path);
		w->buf = xasprintf("%s/%s", cwd, path);
	}
	w->rest = w->buf;
	return walk_root(w);
}

static void walk_free(struct walk *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	free(w->buf);
	w->buf = NULL;
}

/* A link in a directory that passed: go on from where it leads. */
static int walk_link(struct walk *w, const char *name)
{
	char target[PATH_MAX], *buf;
	ssize_t n;

	if (++w->links > MAX_LINKS)
		return err_set("%s: too many levels of symbolic links", w->path);
	n = readlinkat(w->fd, name, target, sizeof(target) - 1);
	if (n < 0)
		return err_sys("readlink %s/%s", w->at, name);
	target[n] = '\0';
	buf = xasprintf("%s/%s", target, w->rest);
	free(w->buf);
	w->buf = w->rest = buf;
	return target[0] == '/' ? walk_root(w) : 0;
}

/* Into the directory NAME, if it passes. */
static int walk_enter(struct walk *w, const char *name, bool last)
{
	int fd = openat(w->fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	at_add(w, name);
	if (fd < 0)
		return err_sys("open %s", w->at);
	if (fstat(fd, &st) < 0) {
		err_sys("stat %s", w->at);
		close(fd);
		return -1;
	}
	if (w->how != WALK_MOUNT && dir_check(w->path, w->at, &st, last) < 0) {
		close(fd);
		return -1;
	}
	close(w->fd);
	w->fd = fd;
	return 0;
}

/* One name of the path: made when missing, followed when a link, entered
 * when a directory. 1 when one was taken, 0 at the end, -1. */
static int walk_step(struct walk *w)
{
	char *name = next_name(w);
	struct stat st;
	bool last;

	if (!name)
		return 0;
	if (!strcmp(name, "."))
		return 1;
	last = at_end(w->rest);
	for (int tries = 0; fstatat(w->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0; tries++) {
		if (errno != ENOENT || w->how == WALK_EXISTING || tries == 3)
			return err_sys("%s%s%s", w->at, strlen(w->at) > 1 ? "/" : "", name);
		/* Never writable by others, whatever the umask. */
		if (mkdirat(w->fd, name, (last ? w->mode : 0755) & ~(mode_t)022) < 0 &&
		    errno != EEXIST)
			return err_sys("mkdir %s%s%s", w->at, strlen(w->at) > 1 ? "/" : "", name);
	}
	if (S_ISLNK(st.st_mode) && last)
		return err_set("refusing %s: it is a symbolic link", w->path);
	if (S_ISLNK(st.st_mode))
		return walk_link(w, name) < 0 ? -1 : 1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return err_sys("%s%s%s", w->at, strlen(w->at) > 1 ? "/" : "", name);
	}
	return walk_enter(w, name, last) < 0 ? -1 : 1;
}

/* The directory PATH, walked as HOW says: an O_PATH descriptor of it, or
 * -1 with the reason. */
static int walk_open(const char *path, mode_t mode, enum walk_how how)
{
	struct walk w;
	int r = walk_start(&w, path, mode, how), fd = -1;

	while (r == 0 && (r = walk_step(&w)) == 1)
		r = 0;
	if (r == 0) {
		fd = w.fd;
		w.fd = -1;
	}
	walk_free(&w);
	return fd;
}

static int walk(const char *path, mode_t mode, enum walk_how how)
{
	int fd = walk_open(path, mode, how);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int mkdir_p(const char *path, mode_t mode)
{
	return walk(path, mode, WALK_MAKE);
}

int dir_ours(const char *path)
{
	return walk(path, 0, WALK_EXISTING);
}

int dir_mountpoint(const char *path)
{
	return walk(path, 0755, WALK_MOUNT);
}

/* The new directory is made in the parent's descriptor that was checked,
 * not by name: nothing can swap the parent in between. */
int dir_create(const char *path, mode_t mode)
{
	char *parent = xstrdup(path), *slash, *name;
	size_t n = strlen(parent);
	int fd, r = 0;

	while (n > 1 && parent[n - 1] == '/')
		parent[--n] = '\0';
	slash = strrchr(parent, '/');
	name = xstrdup(slash ? slash + 1 : parent);
	if (slash)
		slash[slash == parent ? 1 : 0] = '\0';
	if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) {
		errno = EINVAL;
		r = err_sys("create directory %s", path);
	} else if ((fd = walk_open(slash ? parent : ".", 0, WALK_EXISTING)) < 0) {
		r = -1;
	} else {
		int e = mkdirat(fd, name, mode & ~(mode_t)022) < 0 ? errno : 0;

		close(fd);
		errno = e; /* EEXIST, say, for the caller */
		if (e)
			r = err_sys("create %s", path);
	}
	free(parent);
	free(name);
	return r;
}

/* ---- files ------------------------------------------------------------------ */

static int open_new(const char *path, mode_t mode, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | flags,
		      mode & 07777);

	/* The umask must not widen or narrow what the caller asked for. */
	if (fd >= 0 && fchmod(fd, mode & 07777) < 0) {
		int e = errno;

		close(fd);
		unlink(path);
		errno = e;
		return -1;
	}
	return fd;
}

/* Names need not be secret to be safe (O_EXCL), only hard to take first:
 * without getrandom the clock and a counter still move on. */
static void fill_random(unsigned char *buf, size_t len)
{
	static uint64_t counter;
	uint64_t x;

	if (random_fill) {
		random_fill(buf, len);
		return;
	}
	if (getrandom(buf, len, GRND_NONBLOCK) == (ssize_t)len ||
	    getrandom(buf, len, GRND_INSECURE) == (ssize_t)len)
		return;
	x = (uint64_t)mono_ns() ^ ((uint64_t)getpid() << 32) ^ ++counter * 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < len; i++, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
		buf[i] = (unsigned char)(x >> 56);
}

/* A new file beside PATH under a random name, which *tmp gets (allocated). */
static int open_tmp(const char *path, mode_t mode, char **tmp)
{
	for (int i = 0; i < TMP_TRIES; i++) {
		unsigned char r[8];
		char hex[2 * sizeof(r) + 1];
		int fd;

		fill_random(r, sizeof(r));
		for (size_t k = 0; k < sizeof(r); k++)
			snprintf(hex + 2 * k, 3, "%02x", r[k]);
		*tmp = xasprintf("%s.tmp.%s", path, hex);
		fd = open_new(*tmp, mode, 0);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST) {
			err_sys("create %s", *tmp);
			free(*tmp);
			*tmp = NULL;
			return -1;
		}
		free(*tmp);
	}
	*tmp = NULL;
	return err_set("create a temporary file beside %s: %d random names were taken", path,
		       TMP_TRIES);
}

int file_append_fd(const char *path, mode_t mode)
{
	for (int i = 0; i < 4; i++) {
		int fd = open(path,
			      O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		struct stat st;
		int e = 0;

		if (fd < 0 && errno == ENOENT) {
			fd = open_new(path, mode, O_APPEND);
			if (fd >= 0 || errno != EEXIST)
				return fd;
			continue;
		}
		if (fd < 0)
			return -1;
		if (fstat(fd, &st) < 0)
			e = errno;
		else if (!S_ISREG(st.st_mode))
			e = EINVAL;
		else if (st.st_nlink != 1)
			e = EMLINK;
		else if (st.st_uid != geteuid() && st.st_uid != extra_uid)
			e = EPERM;
		else if (fcntl(fd, F_SETFL, O_APPEND) < 0)
			e = errno;
		if (!e)
			return fd;
		close(fd);
		errno = e;
		return -1;
	}
	errno = EEXIST;
	return -1;
}

static int append_failed(const char *path)
{
	switch (errno) {
	case ELOOP:
		return err_set("refusing to append to %s: it is a symbolic link", path);
	case EMLINK:
		return err_set("refusing to append to %s: it has other hard links", path);
	case EPERM:
		return err_set("refusing to append to %s: it belongs to another user", path);
	case EINVAL:
		return err_set("refusing to append to %s: it is not a regular file", path);
	default:
		return err_sys("open %s", path);
	}
}

int file_create(const char *path, mode_t mode, enum file_how how)
{
	char *tmp;
	int fd;

	switch (how) {
	case FILE_NEW:
		fd = open_new(path, mode, 0);
		return fd < 0 ? err_sys("create %s", path) : fd;
	case FILE_APPEND:
		fd = file_append_fd(path, mode);
		return fd < 0 ? append_failed(path) : fd;
	case FILE_REPLACE:
		fd = open_tmp(path, mode, &tmp);
		if (fd < 0)
			return -1;
		if (rename(tmp, path) < 0) {
			err_sys("rename %s to %s", tmp, path);
			close(fd);
			unlink(tmp);
			fd = -1;
		}
		free(tmp);
		return fd;
	}
	return err_set("create %s: no such way to create a file (%d)", path, (int)how);
}

FILE *file_fopen(const char *path, mode_t mode, enum file_how how)
{
	int fd = file_create(path, mode, how);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, how == FILE_APPEND ? "a" : "w");
	if (!f) {
		err_sys("fdopen %s", path);
		close(fd);
	}
	return f;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp;
	int fd = open_tmp(path, mode, &tmp);

	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) < 0) {
		err_sys("write %s", tmp);
		close(fd);
		goto fail;
	}
	if (close(fd) < 0) {
		err_sys("write %s", tmp);
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		err_sys("rename %s to %s", tmp, path);
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	unlink(tmp);
	free(tmp);
	return -1;
}

int file_symlink(const char *target, const char *path)
{
	if (symlink(target, path) < 0)
		return err_sys("symlink %s", path);
	return 0;
}

/* ---- reading below a trusted directory ------------------------------------ */

/* How the last name is opened: never a link, never a wait for a FIFO's
 * writer, never a controlling terminal. */
#define BENEATH_OPEN (O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
#define BENEATH_DIR (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* REL absolute or with a ".." component: it could lead out of DIR. Both
 * ways of opening refuse it alike (openat2 would allow "a/../b"). */
static bool rel_leaves(const char *rel)
{
	if (rel[0] == '/')
		return true;
	for (const char *s = rel; *s; s += strspn(s, "/")) {
		size_t n = strcspn(s, "/");

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return true;
		s += n;
	}
	return false;
}

/* Whether FD is on the file system DEV (errno EXDEV when not). */
static bool on_dev(int fd, dev_t dev)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return false;
	errno = EXDEV;
	return st.st_dev == dev;
}

static bool is_link_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

/* Without openat2: one name at a time. Directories are opened with
 * O_DIRECTORY|O_NOFOLLOW (a link or a FIFO is ENOTDIR, neither is opened;
 * a link is then told as ELOOP, as openat2 does), the last name as openat2 would; each must be on DIR's file
 * system (a mount point is left as a different device). */
static int walk_beneath(int dirfd, const char *rel)
{
	char *copy = xstrdup(rel), *name = copy;
	struct stat top;
	int at = dirfd, fd = -1;

	if (fstat(dirfd, &top) < 0)
		goto out;
	errno = ENOENT; /* REL names nothing */
	while (*(name += strspn(name, "/"))) {
		char *end = strchrnul(name, '/');
		bool last = !end[strspn(end, "/")];
		int e;

		*end = '\0';
		fd = openat(at, name, last ? BENEATH_OPEN : BENEATH_DIR);
		if (fd < 0 && errno == ENOTDIR && is_link_at(at, name))
			errno = ELOOP; /* O_DIRECTORY says ENOTDIR first */
		if (fd >= 0 && !on_dev(fd, top.st_dev)) {
			e = errno;
			close(fd);
			fd = -1;
			errno = e;
		}
		e = errno;
		if (at != dirfd)
			close(at);
		errno = e;
		if (fd < 0 || last)
			break;
		at = fd;
		fd = -1;
		name = end + 1;
	}
out:
	free(copy);
	return fd;
}

/* REL opened below the directory DIRFD, as read_file_beneath says. */
static int open_beneath_at(int dirfd, const char *rel)
{
#ifdef SYS_openat2
	struct open_how how = {
		.flags = BENEATH_OPEN,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};

	if (!no_openat2) {
		long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));

		/* ENOSYS before Linux 5.6; EPERM or ENOSYS from a seccomp
		 * filter (the jail's, a container's): walk instead. */
		if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
			return (int)fd;
	}
#endif
	return walk_beneath(dirfd, rel);
}

static int open_beneath(const char *dir, const char *rel)
{
	int dirfd, fd, e;

	if (rel_leaves(rel)) {
		errno = EXDEV;
		return -1;
	}
	dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -1;
	fd = open_beneath_at(dirfd, rel);
	e = errno;
	close(dirfd);
	errno = e;
	return fd;
}

/* The message for a failed open_beneath, errno kept for the caller. */
static int beneath_failed(const char *dir, const char *rel)
{
	int e = errno;

	if (e == ELOOP)
		err_set("refusing %s/%s: a symbolic link is on its way, and ikelab follows none "
			"below %s",
			dir, rel, dir);
	else if (e == EXDEV)
		err_set("refusing %s/%s: it leads out of %s or across a mount point", dir, rel,
			dir);
	else
		err_sys("open %s/%s", dir, rel);
	errno = e;
	return -1;
}

static const char *kind_of(mode_t m)
{
	return S_ISDIR(m)    ? "a directory"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISSOCK(m) ? "a socket"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
			     : "of another kind";
}

/* Why FD cannot be read as a file of at most MAX bytes: an errno and the
 * message, or 0. */
static int not_readable(int fd, const char *dir, const char *rel, size_t max)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		err_sys("stat %s/%s", dir, rel);
		return errno;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set("refusing %s/%s: it is %s, not a regular file", dir, rel,
			kind_of(st.st_mode));
		return EINVAL;
	}
	if ((uintmax_t)st.st_size > max)
		return EFBIG;
	return 0;
}

/* FD's regular file, up to MAX bytes (counted again while reading: it may
 * grow meanwhile). FD is closed. */
static int read_capped(int fd, const char *dir, const char *rel, size_t max, struct strbuf *sb)
{
	char chunk[8192];
	int e = not_readable(fd, dir, rel, max);

	while (!e) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			err_sys("read %s/%s", dir, rel);
		}
		if (n <= 0)
			break;
		sb_add(sb, chunk, (size_t)n);
		if (sb->len > max)
			e = EFBIG;
	}
	if (e == EFBIG)
		err_set("refusing %s/%s: it holds more than the %zu bytes it may", dir, rel, max);
	close(fd);
	errno = e;
	return e ? -1 : 0;
}

int read_file_beneath(const char *dir, const char *rel, size_t max, char **out, size_t *lenp)
{
	struct strbuf sb = { 0 };
	int fd = open_beneath(dir, rel);

	if (fd < 0)
		return beneath_failed(dir, rel);
	if (read_capped(fd, dir, rel, max, &sb) < 0) {
		int e = errno;

		sb_free(&sb);
		errno = e;
		return -1;
	}
	if (!sb.buf)
		sb_add(&sb, "", 0);
	*out = sb.buf;
	if (lenp)
		*lenp = sb.len;
	return 0;
}

/* ---- copying a tree someone else may have made ---------------------------- */

#define COPY_DEPTH_MAX 16

static int copy_dir(int from, int to, const char *what, int depth, unsigned *skipped);

/* One regular file NAME of FROM into TO, exclusively; the source opened
 * without following a link and without waiting on a FIFO, and checked
 * again once open (the name may have been swapped after fstatat). */
static int copy_file(int from, int to, const char *name, const char *what, unsigned *skipped)
{
	int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), out = -1,
	    r = 0;
	struct stat st;
	char buf[65536];

	if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (in >= 0)
			close(in);
		++*skipped;
		return 0;
	}
	out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
		     st.st_mode & 0755);
	if (out < 0)
		r = err_sys("copy %s/%s", what, name);
	while (r == 0) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = err_sys("read %s/%s", what, name);
		if (n <= 0)
			break;
		for (ssize_t done = 0, w; r == 0 && done < n; done += w)
			if ((w = write(out, buf + done, (size_t)(n - done))) < 0 && errno != EINTR)
				r = err_sys("copy %s/%s", what, name);
			else if (w < 0)
				w = 0;
	}
	close(in);
	if (out >= 0 && close(out) < 0 && r == 0)
		r = err_sys("copy %s/%s", what, name);
	return r;
}

/* Directory NAME of FROM (on FROM's file system) as a new directory of TO. */
static int copy_subdir(int from, int to, const char *name, const char *what, int depth,
		       unsigned *skipped, dev_t dev)
{
	int in = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), out, r;
	char *sub = xasprintf("%s/%s", what, name);
	struct stat st;

	if (in < 0 || fstat(in, &st) < 0 || st.st_dev != dev || depth >= COPY_DEPTH_MAX) {
		if (in >= 0)
			close(in);
		free(sub);
		++*skipped;
		return 0;
	}
	if (mkdirat(to, name, 0755) < 0 ||
	    (out = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		r = err_sys("copy %s", sub);
	} else {
		r = copy_dir(in, out, sub, depth + 1, skipped);
		close(out);
	}
	close(in);
	free(sub);
	return r;
}

static int copy_dir(int from, int to, const char *what, int depth, unsigned *skipped)
{
	int dfd = dup(from), r = 0;
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct stat top;
	struct dirent *e;

	if (!d || fstat(from, &top) < 0) {
		if (dfd >= 0 && !d)
			close(dfd);
		if (d)
			closedir(d);
		return err_sys("read directory %s", what);
	}
	while (r == 0 && (e = readdir(d))) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(from, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			++*skipped;
		else if (S_ISDIR(st.st_mode))
			r = copy_subdir(from, to, e->d_name, what, depth, skipped, top.st_dev);
		else if (S_ISREG(st.st_mode))
			r = copy_file(from, to, e->d_name, what, skipped);
		else
			++*skipped;
	}
	closedir(d);
	return r;
}

int tree_copy_beneath(const char *src, const char *rel, const char *dst, unsigned *skipped)
{
	char *what = xasprintf("%s/%s", src, rel), *to = xasprintf("%s/%s", dst, rel);
	char *parent = xstrdup(to), *slash = strrchr(parent, '/');
	int in = open_beneath(src, rel), out = -1, r = -1;
	struct stat st;

	*slash = '\0';
	if (in < 0)
		beneath_failed(src, rel);
	else if (fstat(in, &st) < 0 || !S_ISDIR(st.st_mode))
		err_set("refusing %s: not a directory", what);
	else if (mkdir_p(parent, 0755) == 0 && dir_create(to, 0755) == 0 &&
		 (out = open(to, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0)
		r = copy_dir(in, out, what, 0, skipped);
	else if (out < 0 && !err_msg()[0])
		err_sys("open %s", to);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	free(what);
	free(to);
	free(parent);
	return r;
}

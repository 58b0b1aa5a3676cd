#include "kernel/netns.h"
#include "base/err.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * /run/netns must be a shared mount point so that namespaces bound later
 * show up in mount namespaces created earlier (ip-netns(8) does the same).
 */
int netns_dir_prepare(void)
{
	if (mkdir_p(NETNS_DIR, 0755) < 0)
		return -1;
	if (mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return err_sys("make %s shared", NETNS_DIR);
	/* Not a mount point yet: bind it onto itself first. */
	if (mount(NETNS_DIR, NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
		return err_sys("bind %s", NETNS_DIR);
	if (mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
		return err_sys("make %s shared", NETNS_DIR);
	return 0;
}

static void netns_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", NETNS_DIR, name);
}

int netns_claim(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (netns_dir_prepare() < 0)
		return -1;
	netns_path(path, sizeof(path), name);
	fd = file_create(path, 0, FILE_NEW);
	if (fd < 0 && errno == EEXIST)
		return err_set("network namespace %s exists and is not this lab's (another lab of "
			       "that name, or `ip netns add %s`): left alone",
			       name, name);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int netns_bind(const char *name, unsigned long long *ino)
{
	char path[PATH_MAX];
	struct netns_switch sw;
	struct stat st;

	netns_path(path, sizeof(path), name);
	/* unshare() moves only this thread; netns_leave brings it back. */
	sw.orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (sw.orig < 0) {
		err_sys("open own network namespace");
		goto fail;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		err_sys("unshare(CLONE_NEWNET) for %s", name);
		close(sw.orig);
		goto fail;
	}
	if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0) {
		err_sys("bind network namespace to %s", path);
		netns_leave(&sw);
		goto fail;
	}
	if (netns_leave(&sw) < 0)
		return -1;
	if (stat(path, &st) < 0)
		return err_sys("stat %s", path);
	*ino = (unsigned long long)st.st_ino;
	return 0;
fail:
	unlink(path);
	return -1;
}

int netns_create(const char *name)
{
	unsigned long long ino;

	return netns_claim(name) < 0 ? -1 : netns_bind(name, &ino);
}

/* Whether PATH has something mounted on it: a namespace bound there lives
 * on nsfs, another device than the directory's. */
static int mounted_on(const char *path, struct stat *st)
{
	struct stat dir;

	if (lstat(path, st) < 0)
		return errno == ENOENT ? 0 : err_sys("stat %s", path);
	if (stat(NETNS_DIR, &dir) < 0)
		return err_sys("stat %s", NETNS_DIR);
	return st->st_dev != dir.st_dev ? 1 : 2;
}

bool netns_is_placeholder(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	netns_path(path, sizeof(path), name);
	if (mounted_on(path, &st) != 2) {
		err_clear();
		return false;
	}
	return S_ISREG(st.st_mode) && st.st_size == 0;
}

int netns_delete_owned(const char *name, unsigned long long ino)
{
	char path[PATH_MAX];
	struct stat st;
	int m;

	netns_path(path, sizeof(path), name);
	m = mounted_on(path, &st);
	if (m < 0)
		return -1;
	if (m == 0)
		return 1;
	if (ino && (m != 1 || (unsigned long long)st.st_ino != ino))
		return 0;
	return netns_delete(name) < 0 ? -1 : 1;
}

int netns_delete(const char *name)
{
	char path[PATH_MAX];

	netns_path(path, sizeof(path), name);
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return err_sys("unmount %s", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return err_sys("remove %s", path);
	return 0;
}

int netns_exists(const char *name)
{
	char path[PATH_MAX];

	netns_path(path, sizeof(path), name);
	return path_exists(path);
}

int netns_open(const char *name)
{
	char path[PATH_MAX];
	int fd;

	netns_path(path, sizeof(path), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys("open network namespace %s", path);
	return fd;
}

int netns_enter(struct netns_switch *s, int nsfd)
{
	s->orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (s->orig < 0)
		return err_sys("open own network namespace");
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		err_sys("setns(CLONE_NEWNET)");
		close(s->orig);
		s->orig = -1;
		return -1;
	}
	return 0;
}

int netns_leave(struct netns_switch *s)
{
	int r = 0;

	if (s->orig < 0)
		return 0;
	if (setns(s->orig, CLONE_NEWNET) < 0)
		r = err_sys("setns back to the original network namespace");
	close(s->orig);
	s->orig = -1;
	return r;
}

int netns_sysctl(int nsfd, const char *key, const char *value)
{
	struct netns_switch sw;
	char path[PATH_MAX];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	if (netns_enter(&sw, nsfd) < 0)
		return -1;
	/* /proc/sys/net resolves the namespace when the file is opened. */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		r = err_sys("open %s", path);
	else if (write(fd, value, strlen(value)) < 0)
		r = err_sys("write %s", path);
	if (fd >= 0)
		close(fd);
	if (netns_leave(&sw) < 0)
		r = -1;
	return r;
}

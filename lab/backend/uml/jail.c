/*
 * jail.c - the mount namespaces a UML lab's kernel runs in (see jail.h).
 */
#include "backend/uml/jail.h"
#include "base/err.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHARE_TIMEOUT_MS 5000

bool jail_disabled(void)
{
	const char *v = getenv("IKELAB_UML_UNJAILED");

	return v && !strcmp(v, "1");
}

/* /proc/self/{setgroups,uid_map,gid_map}: plain writes, no temporary file. */
static int write_proc(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return err_sys("open %s", path);
	n = write(fd, text, strlen(text));
	close(fd);
	if (n != (ssize_t)strlen(text))
		return err_sys("write %s", path);
	return 0;
}

/* Without CAP_SYS_ADMIN: a user namespace that maps only our own ids,
 * where the mount namespace is ours to change. Files keep their owners,
 * and the kernel reads exactly what the user can. */
static int own_namespaces(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWNS) == 0)
		return 0;
	if (errno != EPERM)
		return err_sys("unshare(CLONE_NEWNS)");
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return err_sys(
			"unshare(CLONE_NEWUSER|CLONE_NEWNS), needed to keep the host's files "
			"read-only for user-mode Linux");
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (write_proc("/proc/self/setgroups", "deny") < 0 ||
	    write_proc("/proc/self/uid_map", map) < 0)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	return write_proc("/proc/self/gid_map", map);
}

/* A bind mount of dir on itself, so that it can be writable on its own. */
static int bind_self(const char *dir)
{
	if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_sys("bind-mount %s", dir);
	return 0;
}

/* The bind's own mount (not those below it) writable again; nosuid and
 * nodev, since what the guest writes there is the guest's. */
static int make_writable(const char *dir)
{
	struct mount_attr a = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
				.attr_clr = MOUNT_ATTR_RDONLY };

	if (mount_setattr(AT_FDCWD, dir, 0, &a, sizeof(a)) < 0)
		return err_sys("mount_setattr %s writable", dir);
	return 0;
}

int jail_enter(const char *const writable[])
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };

	if (own_namespaces() < 0)
		return -1;
	/* First, so that nothing below reaches the host's mounts. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_sys("make every mount private");
	for (int i = 0; writable[i]; i++)
		if (bind_self(writable[i]) < 0)
			return -1;
	if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) < 0)
		return err_sys("mount_setattr / read-only (recursive)");
	for (int i = 0; writable[i]; i++)
		if (make_writable(writable[i]) < 0)
			return -1;
	return 0;
}

int jail_protect(const char *dir)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(dir, dir, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, dir, NULL,
		  MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return errno;
	return 0;
}

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* EPERM when the low word of argument n has a set-id bit, else allowed. */
#define ARG(n) offsetof(struct seccomp_data, args[n])
#define SETID_IN_ARG(n)                                                        \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG(n)),                            \
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, S_ISUID | S_ISGID, 0, 1), \
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),          \
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
/* For syscall nr, skip `to` instructions: to the check of its mode
 * argument (the offsets count the list below; the assertion after it
 * keeps them honest). */
#define MODE_AT(nr, to) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), (to), 0)

/* No set-user-id or set-group-id file made by the kernel: what the guest
 * writes in a writable directory must not become a root program that
 * another user of the host can run. chmod, creat and mknod take the mode
 * as argument 1, fchmodat, fchmodat2, open and mknodat as argument 2,
 * openat as argument 3; openat2's mode sits in a struct a filter cannot
 * read, so it is refused (glibc falls back). */
static const struct sock_filter setid_filter[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1), /* x32 */
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	MODE_AT(SYS_chmod, 9),
	MODE_AT(SYS_creat, 8),
	MODE_AT(SYS_mknod, 7),
	MODE_AT(SYS_fchmod, 6),
	MODE_AT(SYS_fchmodat, 9),
	MODE_AT(SYS_fchmodat2, 8),
	MODE_AT(SYS_open, 7),
	MODE_AT(SYS_mknodat, 6),
	MODE_AT(SYS_openat, 9),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	SETID_IN_ARG(1), /* chmod, creat, mknod, fchmod */
	SETID_IN_ARG(2), /* fchmodat, fchmodat2, open, mknodat */
	SETID_IN_ARG(3), /* openat */
};
_Static_assert(sizeof(setid_filter) / sizeof(setid_filter[0]) == 30,
	       "MODE_AT offsets assume 18 instructions before the three argument checks");

int jail_restrict(void)
{
	struct sock_fprog prog = { .len = sizeof(setid_filter) / sizeof(setid_filter[0]),
				   .filter = (struct sock_filter *)setid_filter };

	/* Gone from what root gets at exec: device nodes (a host disk's node
	 * in the run directory), and keeping set-id bits across a write. */
	if (prctl(PR_CAPBSET_DROP, CAP_MKNOD, 0, 0, 0) < 0 ||
	    prctl(PR_CAPBSET_DROP, CAP_FSETID, 0, 0, 0) < 0)
		return errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return errno;
	return 0;
}

/* Whether the kernel's namespace of this type ("mnt", "user") is not ours:
 * a kernel started unjailed shares our mount namespace, one started
 * without CAP_SYS_ADMIN has a user namespace of its own. */
static bool other_ns(pid_t pid, const char *type)
{
	char path[64], mine[64];
	struct stat self, them;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, type);
	snprintf(mine, sizeof(mine), "/proc/self/ns/%s", type);
	if (stat(mine, &self) < 0 || stat(path, &them) < 0)
		return true;
	return self.st_ino != them.st_ino || self.st_dev != them.st_dev;
}

/* In the child: join, bind, report. */
static void share_child(int pidfd, int nstype, const char *dir, int msgfd)
{
	const char *msg;

	if (setns(pidfd, nstype) < 0)
		err_sys("setns into the lab's mount namespace");
	else if (bind_self(dir) == 0 && make_writable(dir) == 0)
		_exit(0);
	msg = err_msg();
	(void)!write(msgfd, msg, strlen(msg));
	_exit(1);
}

static int wait_share(pid_t pid, int msgfd)
{
	int64_t deadline = mono_ns() + (int64_t)SHARE_TIMEOUT_MS * 1000000;
	char msg[ERR_MSG_MAX];
	int st;
	ssize_t n;

	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (mono_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return err_set("sharing a directory with the lab took over %d ms",
				       SHARE_TIMEOUT_MS);
		}
		sleep_ms(5);
	}
	n = read(msgfd, msg, sizeof(msg) - 1);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	msg[n > 0 ? n : 0] = '\0';
	return err_set("%s", n > 0 ? msg : "the process sharing it died");
}

/* A child joins the namespace rather than this process: a user namespace,
 * once joined, cannot be left. */
int jail_share(int kernel_pidfd, pid_t kernel_pid, const char *dir)
{
	int nstype = CLONE_NEWNS | (other_ns(kernel_pid, "user") ? CLONE_NEWUSER : 0), p[2], r;
	pid_t pid;

	if (!other_ns(kernel_pid, "mnt"))
		return 0; /* unjailed: every host directory is writable */
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys("pipe");
	pid = fork(); /* spawn.h: no exec, joins the lab's mount namespace */
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return err_sys("fork");
	}
	if (pid == 0) {
		close(p[0]);
		share_child(kernel_pidfd, nstype, dir, p[1]);
	}
	close(p[1]);
	r = wait_share(pid, p[0]);
	close(p[0]);
	return r < 0 ? err_wrap("giving the lab %s", dir) : 0;
}

/*
 * umlproc.c - a UML lab's host processes, each checked before it is
 * signalled (see umlproc.h).
 */
#include "backend/uml/umlproc.h"
#include "backend/uml/jail.h"
#include "backend/state.h"
#include "base/json.h"
#include "base/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- RUNDIR/host/uml.json --------------------------------------------- */

/* RUNDIR/host/FILE: what the host wrote and reads back (jail.h). */
char *umlproc_host_file(const char *labdir, const char *file)
{
	return xasprintf("%s/" JAIL_HOST_DIR "/%s", labdir, file);
}

/* Not followed if it is a symlink, not waited on if it is a FIFO. */
json_t *umlproc_json_load(const char *labdir)
{
	char *path = umlproc_host_file(labdir, "uml.json");
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	json_t *doc = NULL;
	struct stat st;

	free(path);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < 65536)
		doc = json_loadfd(fd, 0, NULL);
	close(fd);
	return doc;
}

int umlproc_json_update(const char *labdir, const char *key, json_t *val)
{
	char *path = umlproc_host_file(labdir, "uml.json");
	json_t *doc = umlproc_json_load(labdir);
	char *text;
	int r;

	if (!doc)
		doc = json_object();
	json_object_set_new(doc, key, val);
	text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	r = write_file(path, text, strlen(text), 0644);
	free(text);
	free(path);
	json_decref(doc);
	return r;
}

json_t *umlproc_kernel_json(const struct proc_id *id, const char *exe)
{
	json_t *j = state_proc_json(id);

	json_object_set_new(j, "exe", json_string(exe));
	return j;
}

/* A /proc/PID link's target, "" when it cannot be read. */
static void proc_link(pid_t pid, const char *what, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	n = readlink(path, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
}

/* A binary replaced while it ran (a package upgrade) reads "PATH (deleted)". */
static bool same_exe(const char *link, const char *exe)
{
	size_t n = strlen(exe);

	return !strncmp(link, exe, n) && (!link[n] || !strcmp(link + n, " (deleted)"));
}

static bool cmdline_has(const char *buf, size_t len, const char *arg)
{
	for (size_t i = 0; i < len; i += strlen(buf + i) + 1)
		if (!strcmp(buf + i, arg))
			return true;
	return false;
}

/* The recorded kernel binary, and this lab's umid and uml_dir among its
 * arguments: a process only this lab's boot starts. */
static bool is_lab_kernel(const struct umlproc_lab *lab, pid_t pid)
{
	const char *exe = jget_str(json_object_get(lab->doc, "uml"), "exe");
	char link[PATH_MAX], path[64], *umid, *umldir, *buf;
	size_t len;
	bool ok;

	if (!exe)
		return false;
	proc_link(pid, "exe", link, sizeof(link));
	if (!same_exe(link, exe))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (read_file(path, &buf, &len) < 0) {
		err_clear();
		return false;
	}
	umid = xasprintf("umid=ikelab-%s", lab->name);
	umldir = xasprintf("uml_dir=%s/uml", lab->dir);
	ok = cmdline_has(buf, len, umid) && cmdline_has(buf, len, umldir);
	free(umid);
	free(umldir);
	free(buf);
	return ok;
}

/* The name and working directory the broker gave itself. */
static bool is_lab_broker(const struct umlproc_lab *lab, pid_t pid)
{
	char path[64], *comm, cwd[PATH_MAX];
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (read_file(path, &comm, NULL) < 0) {
		err_clear();
		return false;
	}
	proc_link(pid, "cwd", cwd, sizeof(cwd));
	ok = !strcmp(comm, UMLPROC_BROKER_COMM "\n") && !strcmp(cwd, lab->dir);
	free(comm);
	return ok;
}

/* A pidfd on the recorded process `key` when it runs and `is` says it is
 * what the lab's record claims: 1; else 0 (or -1 with err_msg()). */
static int checked_pidfd(const struct umlproc_lab *lab, const char *key,
			 bool (*is)(const struct umlproc_lab *, pid_t), struct proc_id *id, int *fd)
{
	int r;

	if (state_proc_from_json(json_object_get(lab->doc, key), id) < 0)
		return 0;
	r = proc_pidfd(id, fd);
	if (r <= 0)
		return r;
	if (is(lab, id->pid))
		return 1;
	close(*fd);
	return 0;
}

static void kill_checked(const struct umlproc_lab *lab, const char *key,
			 bool (*is)(const struct umlproc_lab *, pid_t))
{
	struct proc_id id;
	int fd;

	if (checked_pidfd(lab, key, is, &id, &fd) > 0) {
		proc_pidfd_signal(fd, id.pid, SIGKILL);
		close(fd);
	}
}

/* One process of /proc: in the kernel's group, not older than the kernel,
 * and a process of this lab's kernel binary and command line. */
static void kill_if_helper(const struct umlproc_lab *lab, const struct proc_id *kernel, pid_t pid)
{
	struct proc_id id;
	int fd = pidfd_open(pid, 0);

	if (fd < 0)
		return;
	if (getpgid(pid) == kernel->pid && proc_id_of(pid, &id) == 0 && id.start >= kernel->start &&
	    is_lab_kernel(lab, pid))
		proc_pidfd_signal(fd, pid, SIGKILL);
	close(fd);
}

/* The kernel's helpers outlive it when it dies, in its process group.
 * Walked one by one rather than kill(-pgid): once the kernel is gone, its
 * pid and group id may have been reused by an unrelated group. */
static void kill_helpers(const struct umlproc_lab *lab)
{
	struct proc_id kernel;
	struct dirent *e;
	DIR *d;

	if (state_proc_from_json(json_object_get(lab->doc, "uml"), &kernel) < 0 || kernel.pid <= 1)
		return;
	d = opendir("/proc");
	if (!d)
		return;
	while ((e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);

		if (pid > 1 && pid != getpid())
			kill_if_helper(lab, &kernel, pid);
	}
	closedir(d);
}

void umlproc_kill(const struct umlproc_lab *lab)
{
	kill_checked(lab, "broker", is_lab_broker);
	kill_checked(lab, "uml", is_lab_kernel);
	kill_helpers(lab);
	err_clear();
}

static bool runs(const struct umlproc_lab *lab, const char *key,
		 bool (*is)(const struct umlproc_lab *, pid_t))
{
	struct proc_id id;
	int fd;

	if (checked_pidfd(lab, key, is, &id, &fd) <= 0) {
		err_clear();
		return false;
	}
	close(fd);
	return true;
}

bool umlproc_gone(const struct umlproc_lab *lab)
{
	return !runs(lab, "broker", is_lab_broker) && !runs(lab, "uml", is_lab_kernel);
}

/* Absolute, as the kernel's uml_dir= and the broker's working directory
 * name it; NULL (err_msg()) when there is no such lab. */
char *umlproc_lab_dir(const char *name)
{
	char *dir = state_dir(name), *abs = realpath(dir, NULL);

	if (!abs)
		err_set("no lab named '%s'", name);
	free(dir);
	return abs;
}

int umlproc_share_dir(const char *name, const char *dir)
{
	struct umlproc_lab lab = { .name = name, .dir = umlproc_lab_dir(name) };
	struct proc_id id;
	int fd, r;

	if (!lab.dir)
		return -1;
	lab.doc = umlproc_json_load(lab.dir);
	r = lab.doc ? checked_pidfd(&lab, "uml", is_lab_kernel, &id, &fd) : 0;
	if (r == 0)
		r = err_set("lab '%s': its user-mode Linux kernel does not run", name);
	else if (r > 0) {
		r = jail_share(fd, id.pid, dir);
		close(fd);
	}
	json_decref((json_t *)lab.doc);
	free((char *)lab.dir);
	return r;
}

/* ---- in the broker --------------------------------------------------- */

/* The parent and process group of pid, from /proc/PID/stat. */
static bool parent_and_group(pid_t pid, pid_t *ppid, pid_t *pgid)
{
	char path[64], *buf, *p;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_file(path, &buf, NULL) < 0) {
		err_clear();
		return false;
	}
	p = strrchr(buf, ')');
	ok = p && sscanf(p + 1, " %*c %d %d", ppid, pgid) == 2;
	free(buf);
	return ok;
}

/* Once the kernel is reaped its group id may name another group, so its
 * helpers that outlived it are found one by one: in its group and our
 * children (we are their subreaper), whose pids cannot be reused before
 * we reap them. */
void umlproc_kill_orphans(pid_t pgid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name), ppid, group;

		if (pid > 1 && parent_and_group(pid, &ppid, &group) && ppid == getpid() &&
		    group == pgid)
			kill(pid, SIGKILL);
	}
	closedir(d);
}

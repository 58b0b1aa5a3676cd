/*
 * residue.c - the kernel's state as a JSON snapshot, and what is new in
 * it against the agent's baseline (residue.h).
 */
#include "backend/uml/residue.h"
#include "backend/uml/jail.h"
#include "backend/uml/warm.h"
#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "base/util.h"
#include "kernel/xfrm.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILES_MAX 20000 /* entries a snapshot lists before it stops */
#define WALK_DEPTH 12   /* directories deep */
#define REPORT_MAX 400  /* bytes of the answer */
#define PF_KTHREAD 0x00200000
#define RUNS_FILE RESIDUE_DIR "/runs"

/* ---- the snapshot ------------------------------------------------------- */

static json_t *netns_names(void)
{
	json_t *a = json_array();
	DIR *d = opendir("/run/netns");
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			json_array_append_new(a, json_string(e->d_name));
	if (d)
		closedir(d);
	return a;
}

static json_t *link_names(void)
{
	struct if_nameindex *l = if_nameindex();
	json_t *a = json_array();

	for (struct if_nameindex *p = l; p && p->if_index; p++)
		json_array_append_new(a, json_string(p->if_name));
	if (l)
		if_freenameindex(l);
	return a;
}

static json_t *xfrm_counts(void)
{
	struct xfrm_dump d = { 0 };
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	json_t *j;

	if (fd < 0 || xfrm_dump(fd, &d) < 0) {
		err_clear();
		j = json_pack("{s:i, s:i}", "sas", -1, "policies", -1);
	} else {
		j = json_pack("{s:i, s:i}", "sas", (int)d.n_sas, "policies", (int)d.n_policies);
	}
	xfrm_dump_free(&d);
	if (fd >= 0)
		close(fd);
	return j;
}

/* Mount points, from the fifth field of mountinfo. */
static json_t *mount_points(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	json_t *a = json_array();
	char line[4096];

	while (f && fgets(line, sizeof(line), f)) {
		char point[PATH_MAX];

		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1)
			json_array_append_new(a, json_string(point));
	}
	if (f)
		fclose(f);
	return a;
}

/* What a file is, for "changed": a directory is only there (its mtime
 * moves with every file made and removed in it); a file has its size and
 * mtime; anything else its kind. */
static json_t *file_sig(const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		return json_string("dir");
	if (S_ISREG(st->st_mode))
		return json_sprintf("file %lld %lld.%09ld", (long long)st->st_size,
				    (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	if (S_ISLNK(st->st_mode))
		return json_string("link");
	if (S_ISCHR(st->st_mode) && st->st_rdev == 0)
		return json_string("whiteout"); /* the overlay's mark of a removed file */
	return json_sprintf("other %o", (unsigned)(st->st_mode & S_IFMT));
}

struct walk {
	json_t *files;
	const char *skip[5]; /* full paths not to enter */
};

static void walk_dir(struct walk *w, const char *path, const char *shown, dev_t dev, int depth)
{
	DIR *d = opendir(path);
	struct dirent *e;

	while (d && (e = readdir(d)) && json_object_size(w->files) < FILES_MAX) {
		char *full, *name;
		struct stat st;
		bool skip = false;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		full = xasprintf("%s/%s", path, e->d_name);
		name = xasprintf("%s/%s", shown, e->d_name);
		for (size_t i = 0; i < ARRAY_LEN(w->skip); i++)
			skip = skip || (w->skip[i] && !strcmp(full, w->skip[i]));
		if (!skip && lstat(full, &st) == 0 && st.st_dev == dev) {
			json_object_set_new(w->files, name, file_sig(&st));
			if (S_ISDIR(st.st_mode) && depth < WALK_DEPTH)
				walk_dir(w, full, name, dev, depth + 1);
		}
		free(full);
		free(name);
	}
	if (d)
		closedir(d);
}

/* PATH's tree, on PATH's file system only, its names shown below SHOWN. */
static void walk_root(struct walk *w, const char *path, const char *shown)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
		walk_dir(w, path, shown, st.st_dev, 0);
}

static json_t *files(const char *labdir)
{
	char *host = xasprintf("%s/" JAIL_HOST_DIR, labdir), *mem = xasprintf("%s/mem", labdir);
	/* module-requests.log is the kernel's, across its runs (warm.h). */
	char *mods = xasprintf("%s/" WARM_LOG_NAME, labdir);
	struct walk w = { .files = json_object(),
			  .skip = { RESIDUE_DIR, "/run/netns", host, mem, mods } };

	/* Written into the root: the overlay's upper layer, shown as "/". */
	walk_root(&w, RESIDUE_UPPER, "");
	walk_root(&w, "/dev/shm", "/dev/shm");
	walk_root(&w, "/run", "/run");
	walk_root(&w, labdir, labdir);
	if (json_object_size(w.files) >= FILES_MAX)
		json_object_set_new(w.files, "(more files than a snapshot lists)",
				    json_string("cap"));
	free(host);
	free(mem);
	free(mods);
	return w.files;
}

static json_t *snapshot(const char *labdir)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "netns", netns_names(), "links", link_names(),
			 "xfrm", xfrm_counts(), "mounts", mount_points(), "files", files(labdir));
}

int residue_baseline(const char *labdir)
{
	json_t *s = snapshot(labdir);
	int r = mkdir_p(RESIDUE_DIR, 0700) < 0 ? -1 : json_write(RESIDUE_BASELINE, s);

	json_decref(s);
	return r;
}

/* ---- what is new --------------------------------------------------------- */

static void add(struct strbuf *sb, const char *fmt, const char *what)
{
	if (sb->len > REPORT_MAX)
		return;
	if (sb->len)
		sb_add(sb, "; ", 2);
	sb_addf(sb, fmt, what);
	if (sb->len > REPORT_MAX)
		sb_addf(sb, "; ...");
}

static bool listed(const json_t *a, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach (a, i, v)
		if (!strcmp(json_string_value(v), s))
			return true;
	return false;
}

static void new_names(struct strbuf *sb, const json_t *was, const json_t *now, const char *fmt)
{
	size_t i;
	json_t *v;

	json_array_foreach (now, i, v)
		if (!listed(was, json_string_value(v)))
			add(sb, fmt, json_string_value(v));
}

static void new_files(struct strbuf *sb, const json_t *was, const json_t *now)
{
	const char *path;
	json_t *sig;

	json_object_foreach ((json_t *)now, path, sig) {
		const json_t *before = json_object_get(was, path);

		if (!before)
			add(sb, "%s", path);
		else if (!json_equal((json_t *)before, sig))
			add(sb, "changed %s", path);
	}
}

static void more_xfrm(struct strbuf *sb, const json_t *was, const json_t *now)
{
	static const char *const keys[] = { "sas", "policies" };

	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		json_int_t a = json_integer_value(json_object_get(was, keys[i]));
		json_int_t b = json_integer_value(json_object_get(now, keys[i]));
		char n[64];

		if (b > a) {
			snprintf(n, sizeof(n), "%lld", (long long)(b - a));
			add(sb,
			    i ? "%s XFRM policies in the kernel's own namespace"
			      : "%s XFRM SAs in the kernel's own namespace",
			    n);
		}
	}
}

/* The fields of /proc/PID/stat after the command's name: state, ppid,
 * flags. false for a process that is gone. */
static bool proc_stat(pid_t pid, char comm[32], char *state, pid_t *ppid, unsigned *flags)
{
	char path[64], *text = NULL, *open, *close;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_file(path, &text, NULL) < 0) {
		err_clear();
		return false;
	}
	open = strchr(text, '(');
	close = strrchr(text, ')');
	ok = open && close && close > open;
	if (ok) {
		snprintf(comm, 32, "%.*s", (int)(close - open - 1 < 31 ? close - open - 1 : 31),
			 open + 1);
		ok = sscanf(close + 2, "%c %d %*d %*d %*d %*d %u", state, ppid, flags) == 3;
	}
	free(text);
	return ok;
}

static bool is_ancestor(pid_t pid)
{
	for (pid_t p = getpid(); p > 1;) {
		char comm[32], state;
		unsigned flags;

		if (p == pid)
			return true;
		if (!proc_stat(p, comm, &state, &p, &flags))
			return false;
	}
	return false;
}

/* Processes but the agent, kernel threads and the helpers the kernel
 * starts itself (its modprobe: children of kthreadd, pid 2), zombies the
 * agent is about to reap, and the checking command with its ancestors. */
static void stray_processes(struct strbuf *sb)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name), ppid;
		char comm[32], state, what[64];
		unsigned flags;

		if (pid <= 1 || !proc_stat(pid, comm, &state, &ppid, &flags) ||
		    (flags & PF_KTHREAD) || ppid == 2 || state == 'Z' || is_ancestor(pid))
			continue;
		snprintf(what, sizeof(what), "%d (%s)", (int)pid, comm);
		add(sb, "process %s", what);
	}
	if (d)
		closedir(d);
}

bool residue_checked(void)
{
	return access(RESIDUE_BASELINE, R_OK) == 0;
}

char *residue_now(const char *labdir)
{
	json_t *was = json_load_file(RESIDUE_BASELINE, 0, NULL), *now;
	struct strbuf sb = { 0 };

	if (!was)
		return NULL;
	now = snapshot(labdir);
	new_names(&sb, json_object_get(was, "netns"), json_object_get(now, "netns"),
		  "network namespace %s");
	stray_processes(&sb);
	new_names(&sb, json_object_get(was, "links"), json_object_get(now, "links"), "link %s");
	more_xfrm(&sb, json_object_get(was, "xfrm"), json_object_get(now, "xfrm"));
	new_names(&sb, json_object_get(was, "mounts"), json_object_get(now, "mounts"), "mount %s");
	new_files(&sb, json_object_get(was, "files"), json_object_get(now, "files"));
	json_decref(was);
	json_decref(now);
	return sb.buf;
}

/* ---- runs of the kernel --------------------------------------------------- */

unsigned residue_runs_before(void)
{
	char *text = NULL;
	unsigned n = 0;

	if (read_file(RUNS_FILE, &text, NULL) == 0)
		n = (unsigned)strtoul(text, NULL, 10);
	err_clear();
	free(text);
	return n;
}

void residue_count_run(void)
{
	char n[24];

	snprintf(n, sizeof(n), "%u\n", residue_runs_before() + 1);
	if (write_file(RUNS_FILE, n, strlen(n), 0600) < 0)
		err_clear();
}

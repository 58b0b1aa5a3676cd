#include "backend/state.h"
#include "base/json.h"
#include "base/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

const char *state_base_dir(void)
{
	static char base[512];
	const char *env = getenv("IKELAB_RUN"), *xdg = getenv("XDG_RUNTIME_DIR");

	if (base[0])
		return base;
	if (env && *env)
		snprintf(base, sizeof(base), "%s", env);
	else if (geteuid() == 0)
		snprintf(base, sizeof(base), "/run/ikelab");
	else if (xdg && xdg[0] == '/')
		snprintf(base, sizeof(base), "%s/ikelab", xdg);
	else
		snprintf(base, sizeof(base), "/tmp/ikelab-%u", (unsigned)geteuid());
	return base;
}

/* A directory above the base: if someone else could rename or replace
 * what is in it, they could swap the base for their own. Root's or ours,
 * and writable by others only with the sticky bit (/tmp). */
static int ancestor_safe(const char *base, const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) < 0)
		return err_sys("run directory base %s: stat %s", base, dir);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return err_set("run directory base %s is unsafe: %s above it is owned by uid %u, "
			       "neither root nor uid %u who runs ikelab",
			       base, dir, (unsigned)st.st_uid, (unsigned)geteuid());
	if ((st.st_mode & 022) && !(st.st_mode & S_ISVTX))
		return err_set("run directory base %s is unsafe: %s above it is writable by group "
			       "or others (mode %04o) without the sticky bit",
			       base, dir, (unsigned)(st.st_mode & 07777));
	return 0;
}

/* Every directory from / down to the one that holds path, after symlinks
 * (realpath). */
static int ancestors_safe(const char *path)
{
	char *copy = xstrdup(path), *slash = strrchr(copy, '/'), *real;
	int r = 0;

	if (slash == copy)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	real = realpath(slash ? copy : ".", NULL);
	if (!real) {
		r = err_sys("run directory base %s: resolve %s", path, slash ? copy : ".");
		free(copy);
		return r;
	}
	for (char *p = real + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		r = ancestor_safe(path, p == real + 1 ? "/" : real);
		*p = c;
		if (r < 0 || c == '\0')
			break;
	}
	free(real);
	free(copy);
	return r;
}

int state_dir_private(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return err_sys("run directory base %s", path);
	if (S_ISLNK(st.st_mode))
		return err_set("run directory base %s is a symbolic link: ikelab keeps labs only "
			       "in a real directory of its own (set IKELAB_RUN to one)",
			       path);
	if (!S_ISDIR(st.st_mode))
		return err_set("run directory base %s is not a directory", path);
	if (st.st_uid != geteuid())
		return err_set("run directory base %s is owned by uid %u, not by uid %u who runs "
			       "ikelab: another user could plant a lab there",
			       path, (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & 022)
		return err_set("run directory base %s is writable by group or others (mode %04o): "
			       "another user could plant a lab there; chmod go-w it or set "
			       "IKELAB_RUN to a private directory",
			       path, (unsigned)(st.st_mode & 07777));
	return ancestors_safe(path);
}

int state_base_ensure(void)
{
	static bool checked;
	const char *base = state_base_dir();

	/* Inside user-mode Linux the base is the host's, checked there, and
	 * no other user exists. */
	if (checked || state_inside_uml())
		return 0;
	if (!path_exists(base) && mkdir_p(base, 0700) < 0)
		return -1;
	if (state_dir_private(base) < 0)
		return -1;
	checked = true;
	return 0;
}

char *state_dir(const char *name)
{
	return xasprintf("%s/%s", state_base_dir(), name);
}

int state_name_check(const char *name)
{
	if (!name_valid(name, LAB_NAME_MAX))
		return err_set("invalid lab name '%s': use 1-%d letters, digits, '-' or '_', "
			       "starting with a letter or digit",
			       name ? name : "", LAB_NAME_MAX);
	return 0;
}

bool state_inside_uml(void)
{
	const char *v = getenv("IKELAB_INSIDE_UML");

	return v && !strcmp(v, "1");
}

static int lock_dir(struct lab_state *st, int wait_ms)
{
	int64_t deadline = mono_ns() + (int64_t)wait_ms * 1000000;

	st->lock_fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->lock_fd < 0)
		return err_sys("open %s", st->dir);
	while (flock(st->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return err_sys("lock %s", st->dir);
		if (mono_ns() >= deadline) {
			close(st->lock_fd);
			st->lock_fd = -1;
			return err_set("lab '%s' is busy: another ikelab holds %s", st->name,
				       st->dir);
		}
		sleep_ms(50);
	}
	return 0;
}

static int load_doc(struct lab_state *st)
{
	char *path = xasprintf("%s/lab.json", st->dir);
	json_error_t e;

	st->doc = json_load_file(path, 0, &e);
	if (!st->doc) {
		if (!path_exists(path))
			err_set("lab '%s' has no state file %s", st->name, path);
		else
			err_set("%s:%d:%d: %s", path, e.line, e.column, e.text);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

bool state_exists(const char *dir)
{
	char *path = xasprintf("%s/lab.json", dir);
	bool r = path_exists(path);

	free(path);
	return r;
}

int state_claim(struct lab_state *st, const char *name, const char *backend)
{
	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	st->name = xstrdup(name);
	st->dir = state_dir(name);
	if (state_base_ensure() < 0)
		return -1;
	if (dir_create(st->dir, 0700) < 0) {
		/* Inside user-mode Linux the outer controller has already
		 * claimed the directory; the inner one builds in it. */
		if (errno == EEXIST && state_inside_uml() && !state_exists(st->dir))
			goto claimed;
		if (errno == EEXIST)
			return err_set("lab '%s' already exists (%s); take it down first with "
				       "'ikelab down --name %s'",
				       name, st->dir, name);
		return err_sys("create %s", st->dir);
	}
claimed:
	if (lock_dir(st, 0) < 0)
		return -1;
	st->doc = json_object();
	json_object_set_new(st->doc, "name", json_string(name));
	json_object_set_new(st->doc, "backend", json_string(backend));
	json_object_set_new(st->doc, "phase", json_string("building"));
	json_object_set_new(st->doc, "created_unix_ns", json_integer(wall_ns()));
	return state_save(st);
}

int state_open(struct lab_state *st, const char *name, int wait_ms)
{
	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	st->name = xstrdup(name);
	st->dir = state_dir(name);
	if (state_base_ensure() < 0)
		return -1;
	if (!path_exists(st->dir))
		return err_set("no lab named '%s' (nothing at %s)", name, st->dir);
	if (lock_dir(st, wait_ms) < 0)
		return -1;
	if (load_doc(st) < 0) {
		/* A lab claimed but killed before its first save is empty:
		 * still ours to clean. */
		st->doc = json_object();
		return 1;
	}
	return 0;
}

int state_peek(struct lab_state *st, const char *name)
{
	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	st->name = xstrdup(name);
	st->dir = state_dir(name);
	if (state_base_ensure() < 0)
		return -1;
	if (!path_exists(st->dir))
		return err_set("no lab named '%s' (nothing at %s); bring one up with "
			       "'ikelab up --name %s'",
			       name, st->dir, name);
	return load_doc(st);
}

int state_save(struct lab_state *st)
{
	char *path = xasprintf("%s/lab.json", st->dir);
	char *text = json_dumps(st->doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	int r;

	r = write_file(path, text, strlen(text), 0644);
	free(text);
	free(path);
	return r;
}

void state_close(struct lab_state *st)
{
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	if (st->doc)
		json_decref(st->doc);
	free(st->name);
	free(st->dir);
	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
}

void state_set_str(struct lab_state *st, const char *key, const char *val)
{
	json_object_set_new(st->doc, key, json_string(val));
}

const char *state_get_str(const struct lab_state *st, const char *key)
{
	return jget_str(st->doc, key);
}

json_t *state_obj(struct lab_state *st, const char *key)
{
	json_t *o = json_object_get(st->doc, key);

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(st->doc, key, o);
	}
	return o;
}

json_t *state_arr(struct lab_state *st, const char *key)
{
	json_t *a = json_object_get(st->doc, key);

	if (!json_is_array(a)) {
		a = json_array();
		json_object_set_new(st->doc, key, a);
	}
	return a;
}

json_t *state_proc_json(const struct proc_id *id)
{
	return json_pack("{s:i, s:I}", "pid", (int)id->pid, "start", (json_int_t)id->start);
}

int state_proc_from_json(const json_t *j, struct proc_id *id)
{
	json_t *pid = json_object_get(j, "pid");
	json_t *start = json_object_get(j, "start");

	if (!json_is_integer(pid) || !json_is_integer(start))
		return -1;
	id->pid = (pid_t)json_integer_value(pid);
	id->start = (unsigned long long)json_integer_value(start);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **state_lab_names(void)
{
	DIR *d = opendir(state_base_dir());
	struct dirent *e;
	char **names = xcalloc(1, sizeof(*names));
	size_t n = 0;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && name_valid(e->d_name, LAB_NAME_MAX)) {
			names = xrealloc(names, (n + 2) * sizeof(*names));
			names[n++] = xstrdup(e->d_name);
			names[n] = NULL;
		}
	if (d)
		closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	return names;
}

void state_names_free(char **names)
{
	for (char **p = names; p && *p; p++)
		free(*p);
	free(names);
}

json_t *state_peer_names(const json_t *doc)
{
	json_t *names = json_array(), *node;
	const char *k;

	json_object_foreach (json_object_get(doc, "nodes"), k, node)
		if (!strcmp(jget_str_or(node, "role", ""), "peer"))
			json_array_append_new(names, json_string(k));
	return names;
}

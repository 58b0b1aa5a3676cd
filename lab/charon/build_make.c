/*
 * build_make.c - from a checked-out worktree to a cache entry (build.h):
 * autogen and configure when needed, an incremental make through ccache,
 * and the two binaries, the settings the commit knows and its plugin list
 * copied into the entry.
 */
#include "charon/build-internal.h"
#include "base/err.h"
#include "base/util.h"
#include "charon/known.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char *copy = xstrdup(path ? path : "/usr/bin:/bin"), *dir, *save = NULL;
	bool found = false;

	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *cand = xasprintf("%s/%s", dir, prog);

		found = access(cand, X_OK) == 0;
		free(cand);
	}
	free(copy);
	return found;
}

/* env CCACHE_DIR=... CCACHE_BASEDIR=... in front of a build command. */
static void add_env(const struct cb *c, struct argv *a)
{
	argv_add(a, "env");
	argv_addf(a, "CCACHE_DIR=%s/ccache", c->cache);
	argv_addf(a, "CCACHE_BASEDIR=%s", c->cache);
}

static char *step_log(const struct cb *c, const char *step, bool again)
{
	return xasprintf("%s/logs/%s%s.log", c->entry, step, again ? "-clean" : "");
}

static int timed(struct cb *c, const char *step, bool again, char *const argv[], const char *cwd,
		 int timeout_s)
{
	char *log = step_log(c, step, again);
	double secs;
	int r = cb_step(c, step, argv, cwd, log, timeout_s, &secs);

	free(log);
	if (r < 0) {
		c->failed = step;
		return -1;
	}
	json_object_set_new(c->steps, step, json_real(secs));
	cb_say(c, "  %-10s %6.1f s", step, secs);
	return 0;
}

/* ---- autogen ---------------------------------------------------------------- */

static bool newer(const struct stat *a, const struct stat *b)
{
	return a->st_mtim.tv_sec > b->st_mtim.tv_sec ||
	       (a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec > b->st_mtim.tv_nsec);
}

/* configure is missing or older than configure.ac (a checkout changed it:
 * with no configured build directory, nothing else would notice). */
static bool autogen_needed(const struct cb *c)
{
	char *conf = xasprintf("%s/configure", c->work),
	     *ac = xasprintf("%s/configure.ac", c->work);
	struct stat sc, sa;
	bool need = stat(conf, &sc) < 0 || stat(ac, &sa) < 0 || newer(&sa, &sc);

	free(conf);
	free(ac);
	return need;
}

/* ./autogen.sh through the interpreter its first line names. */
static void autogen_argv(const struct cb *c, struct argv *a)
{
	char *path = xasprintf("%s/autogen.sh", c->work), *text = NULL, *save = NULL, *tok;

	if (read_file(path, &text, NULL) == 0 && !strncmp(text, "#!", 2)) {
		text[strcspn(text, "\n")] = '\0';
		for (tok = strtok_r(text + 2, " \t", &save); tok;
		     tok = strtok_r(NULL, " \t", &save))
			argv_add(a, tok);
	}
	err_clear();
	if (!a->n)
		argv_add(a, "/bin/sh");
	argv_add(a, "./autogen.sh");
	free(text);
	free(path);
}

static int autogen(struct cb *c, bool again)
{
	struct argv a = { 0 };
	int r;

	autogen_argv(c, &a);
	r = timed(c, "autogen", again, a.v, c->work, CB_AUTOGEN_S);
	argv_free(&a);
	return r;
}

/* ---- configure ---------------------------------------------------------------- */

static char *cc_arg(void)
{
	return in_path("ccache") ? xstrdup("CC=ccache cc") : NULL;
}

static char *configure_stamp(const struct cb *c, const char *cc)
{
	struct strbuf sb = { 0 };

	for (size_t i = 0; i < c->args.n; i++)
		sb_addf(&sb, "%s\n", c->args.v[i]);
	sb_addf(&sb, "%s\n", cc ? cc : "");
	return sb.buf;
}

static bool configure_needed(const struct cb *c, const char *stamp)
{
	char *status = xasprintf("%s/config.status", c->build);
	char *file = xasprintf("%s/ikelab-configure.args", c->build), *have = NULL;
	bool need = !path_exists(status) || read_file(file, &have, NULL) < 0 || strcmp(have, stamp);

	err_clear();
	free(status);
	free(file);
	free(have);
	return need;
}

static int configure(struct cb *c, const char *cc, const char *stamp, bool again)
{
	char *file = xasprintf("%s/ikelab-configure.args", c->build);
	struct argv a = { 0 };
	int r = mkdir_p(c->build, 0700);

	unlink(file);
	add_env(c, &a);
	argv_addf(&a, "%s/configure", c->work);
	for (size_t i = 0; i < c->args.n; i++)
		argv_add(&a, c->args.v[i]);
	if (cc)
		argv_add(&a, cc);
	if (r == 0)
		r = timed(c, "configure", again, a.v, c->build, CB_CONFIG_S);
	if (r == 0)
		r = write_file(file, stamp, strlen(stamp), 0600);
	argv_free(&a);
	free(file);
	return r;
}

/* ---- make and install -------------------------------------------------------------- */

static int make(struct cb *c, bool again)
{
	struct argv a = { 0 };
	long n = c->o->jobs ? (long)c->o->jobs : sysconf(_SC_NPROCESSORS_ONLN);
	int r;

	add_env(c, &a);
	argv_add(&a, "make");
	argv_addf(&a, "-j%ld", n > 0 ? n : 1);
	r = timed(c, "make", again, a.v, c->build, CB_MAKE_S);
	argv_free(&a);
	return r;
}

static int copy_exe(const char *from, const char *dir, const char *name)
{
	char *data, *to = xasprintf("%s/%s", dir, name);
	size_t len;
	int r = mkdir_p(dir, 0755);

	if (r == 0 && (r = read_file(from, &data, &len)) == 0) {
		r = write_file(to, data, len, 0755);
		free(data);
	}
	free(to);
	return r;
}

/* charon_plugins = random nonce ... of the top Makefile: what charon has. */
static json_t *plugins(const struct cb *c)
{
	char *path = xasprintf("%s/Makefile", c->build), *text = NULL, *line, *tok, *save = NULL;
	json_t *list = json_array();

	if (read_file(path, &text, NULL) == 0 &&
	    (line = !strncmp(text, "charon_plugins =", 16) ? text - 1
							   : strstr(text, "\ncharon_plugins ="))) {
		line += strlen("\ncharon_plugins =");
		line[strcspn(line, "\n")] = '\0';
		for (tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
			json_array_append_new(list, json_string(tok));
	}
	err_clear();
	free(text);
	free(path);
	return list;
}

static int install(struct cb *c, json_t *record)
{
	char *charon = xasprintf("%s/src/charon/charon", c->build);
	char *swanctl = xasprintf("%s/src/swanctl/swanctl", c->build);
	char *libexec = xasprintf("%s/libexec/ipsec", c->entry);
	char *sbin = xasprintf("%s/sbin", c->entry), *opts = xasprintf("%s/options.txt", c->entry);
	int64_t t0 = mono_ns();
	int r = copy_exe(charon, libexec, "charon");

	if (r == 0)
		r = copy_exe(swanctl, sbin, "swanctl");
	if (r == 0)
		r = known_collect(c->work, opts);
	if (r == 0) {
		double secs = (double)(mono_ns() - t0) / 1e9;

		json_object_set_new(record, "plugins", plugins(c));
		json_object_set_new(c->steps, "install", json_real(secs));
		cb_say(c, "  %-10s %6.1f s", "install", secs);
	} else {
		c->failed = "install";
		err_wrap("step 'install'");
	}
	free(charon);
	free(swanctl);
	free(libexec);
	free(sbin);
	free(opts);
	return r;
}

/* ---- the whole build ------------------------------------------------------------------ */

static int configure_and_make(struct cb *c, bool again)
{
	char *cc = cc_arg(), *stamp = configure_stamp(c, cc);
	int r = 0;

	if (!cc && !again)
		cb_say(c, "  note: no ccache in PATH: building without it (make charon-deps)");
	if (again || autogen_needed(c))
		r = autogen(c, again);
	if (r == 0 && (again || configure_needed(c, stamp)))
		r = configure(c, cc, stamp, again);
	if (r == 0)
		r = make(c, again);
	free(cc);
	free(stamp);
	return r;
}

int cb_tools(void)
{
	static const char *const tools[] = { "git",  "make",  "autoreconf", "libtoolize", "gperf",
					     "flex", "bison", "python3",    "pkg-config", NULL };
	struct strbuf missing = { 0 };
	int r = 0;

	for (const char *const *t = tools; *t; t++)
		if (!in_path(*t))
			sb_addf(&missing, " %s", *t);
	if (missing.len)
		r = err_set("building charon needs%s, which %s not in PATH (make charon-deps "
			    "installs them)",
			    missing.buf, strchr(missing.buf + 1, ' ') ? "are" : "is");
	sb_free(&missing);
	return r;
}

/* Back to a pristine tree: the build directory and every file git does
 * not track (autogen's, generated sources) gone. */
static int pristine(struct cb *c)
{
	char *const argv[] = { "git", "-C", c->work, "clean", "-fdxq", NULL };
	struct spawn_opts o = { .search_path = true };

	if (rm_rf(c->build) < 0)
		return -1;
	return spawn_run(argv, &o, CB_GIT_S * 1000, NULL, NULL) < 0 ? err_wrap("git clean -fdx")
								    : 0;
}

/* Build in the persistent directories; when that fails, once more from a
 * pristine tree and an empty build directory, unless it was that already. */
int cb_make(struct cb *c, json_t *record)
{
	bool was_pristine = !path_exists(c->build);
	int r = configure_and_make(c, false);

	if (r < 0 && !was_pristine && !cb_interrupted) {
		cb_say(c,
		       "  %s failed on the directories as they were (%s); once more from a "
		       "pristine tree",
		       c->failed, err_msg());
		c->failed = NULL;
		r = pristine(c);
		if (r == 0)
			r = configure_and_make(c, true);
	}
	return r < 0 ? -1 : install(c, record);
}

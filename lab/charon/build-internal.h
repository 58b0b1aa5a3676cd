/*
 * build-internal.h - what the files of charon's build share (build.h is
 * the module's face): one build's context, the sources and git steps
 * (build_src.c), running a step with its log, deadline and progress
 * (build_step.c). Every name carries the module's prefix, cb_.
 */
#ifndef IKELAB_BUILD_INTERNAL_H
#define IKELAB_BUILD_INTERNAL_H

#include "charon/build.h"

#include <signal.h>

/* Deadlines, in seconds. */
#define CB_GIT_S 300     /* a fetch of the whole history, a checkout */
#define CB_TAR_S 300     /* unpacking the shared tar */
#define CB_AUTOGEN_S 900 /* autoreconf */
#define CB_CONFIG_S 900  /* configure */
#define CB_MAKE_S 3600   /* a cold make on a slow machine */
#define CB_LOCK_S 3600   /* another build ahead of us */

/* One build, from the cache directory to the entry. */
struct cb {
	const struct charon_build_opts *o;
	char *cache;  /* ~/.cache/ikelab/charon */
	int lockfd;   /* cache/lock, held (flock) while we build */
	char *logdir; /* cache/logs: the steps before the entry is known */
	/* The source. */
	char *source;       /* as given or found: a tar, a repository, a tree */
	char *src_git;      /* the repository to resolve in (-C) */
	char *src_id;       /* hash of the source's path: its refs in repo.git */
	bool src_tree;      /* a work tree: it may have local changes */
	char *repo;         /* cache/repo.git */
	char *work;         /* cache/work */
	char *build;        /* cache/build */
	char *commit;       /* resolved, 40 hex digits */
	struct strbuf diff; /* the tree's local changes (git diff --binary) */
	struct argv args;   /* configure's */
	char *key, *entry;  /* cache/builds/KEY */
	json_t *steps;      /* step -> seconds */
	const char *failed; /* the commit's own step that failed */
};

/* ---- build_src.c: sources and git -------------------------------------------- */

/* The source repository: c->source from the options, the environment or
 * the shared tar near the ikelab tree; a tar unpacked into the cache. */
int cb_source(struct cb *c);
/* REF -> c->commit, fetched into repo.git when it is not there yet. */
int cb_resolve(struct cb *c, const char *ref);
/* A work tree's uncommitted changes when c->commit is its HEAD (c->diff). */
int cb_diff(struct cb *c);
/* configure.ac of what will be built (allocated). */
char *cb_configure_ac(struct cb *c);
/* The worktree at c->commit, with the diff applied (log: LOG). */
int cb_checkout(struct cb *c, const char *log);
/* git ARGS... in DIR (its -C) with output captured into out (may be NULL):
 * 0, or -1 with err_msg() naming the command and its last error line. */
int cb_git(const char *dir, struct strbuf *out, int timeout_s, ...) __attribute__((sentinel));

/* ---- build_make.c: autogen, configure, make, install ---------------------------- */

/* From the checked-out worktree to the entry's binaries, options.txt and
 * the record's "plugins"; c->failed names the step when it fails. */
int cb_make(struct cb *c, json_t *record);
/* The programs a build runs are there, or -1 saying which are not. */
int cb_tools(void);

/* ---- build_step.c: running a step -------------------------------------------- */

/* Set by SIGINT, SIGTERM or SIGHUP while a build runs: the running step is
 * killed with its process group and the build stops. */
extern volatile sig_atomic_t cb_interrupted;
void cb_signals(bool install);

/* Run argv in cwd, its output appended to log, within timeout_s: progress
 * on stderr as "  NAME  S s" (live on a terminal), the time in *secs.
 * -1 with err_msg() saying the step, how it ended, the log and its most
 * telling line (the last "error:" in it). */
int cb_step(const struct cb *c, const char *name, char *const argv[], const char *cwd,
	    const char *log, int timeout_s, double *secs);
/* Progress line on stderr unless quiet. */
void cb_say(const struct cb *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

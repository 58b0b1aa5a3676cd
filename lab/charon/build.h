/*
 * build.h - charon and swanctl built from any commit of strongSwan's
 * history, cached, for `ikelab charon build REF` and `--charon VERSION`.
 *
 * The design. Everything lives in the user's own cache directory,
 * ${XDG_CACHE_HOME:-$HOME/.cache}/ikelab/charon (made 0700 and refused when
 * someone else owns it or may write to it): one persistent bare clone
 * (repo.git) that every source is fetched into, one worktree of it (work/)
 * and one configured build directory (build/, out of tree). A build checks
 * the commit out in the worktree, applies a patched source tree's diff,
 * runs ./autogen.sh only when configure is missing or older than
 * configure.ac, configure only when the build directory was configured
 * with other arguments, and then an incremental `make -jN` through ccache
 * (CCACHE_BASEDIR is the cache directory, so paths inside it hash alike):
 * a bisect step to a neighbouring commit recompiles what changed, and
 * automake's own rules re-run autoconf when configure.ac changed. An
 * incremental make that fails is tried once more from a clean build
 * directory before the commit counts as one that does not build.
 *
 * The build is static and monolithic (--disable-shared --enable-static
 * --enable-monolithic): charon and swanctl carry libstrongswan, libcharon
 * and their plugins inside, so the two binaries copied into a cache entry
 * run from there, and no plugin file of another version (Debian's in
 * /usr/lib/ipsec/plugins) can ever be loaded into them: the prefix they
 * were configured with does not exist. Their configuration is the lab's:
 * STRONGSWAN_CONF and the peer's private /etc and /run (peer.h).
 *
 * A cache entry is builds/KEY, KEY = COMMIT-ARGS[-DIFF]: the full commit
 * id, a hash of the configure arguments (which depend on the version:
 * an --enable option exists only from the version that has the plugin)
 * and, for a source tree with local changes, a hash of the diff, so a
 * patched tree never reuses a clean build. An entry holds
 * libexec/ipsec/charon, sbin/swanctl, options.txt (the settings that
 * commit knows, from its conf/options/ *.opt, conf/plugins/ *.opt and
 * src/swanctl/swanctl.opt: known.h), source.diff when patched, logs/ (one
 * file per step) and build.json, written last: an entry with build.json
 * is complete, and a second build of its key is a cache hit. One build at
 * a time (a lock file, waited for with a deadline); every step has a
 * deadline and runs as an argv through spawn.h, in a process group of its
 * own that dies with ikelab and is killed on ^C; progress (step, time) goes
 * to stderr.
 *
 * Sources: a tar of a bare repository (the default is the shared history,
 * ../shared/strongswan/strongswan.git.tar beside the ikelab tree or one
 * of its parents, or $IKELAB_STRONGSWAN_SOURCE), a git repository, or a
 * git work tree. A REF is resolved in the source (a tag, a branch, a
 * commit id); a work tree's uncommitted changes are built when REF is its
 * HEAD (untracked files only once `git add -N` made them part of the diff).
 */
#ifndef IKELAB_BUILD_H
#define IKELAB_BUILD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/spawn.h"

#define CHARON_SOURCE_ENV "IKELAB_STRONGSWAN_SOURCE"
#define CHARON_SHARED_TAR "shared/strongswan/strongswan.git.tar"

/* What a --charon value names. */
enum charon_ref_kind {
	CHARON_REF_PATH,    /* a binary, a build tree or an install prefix */
	CHARON_REF_VERSION, /* "6.0.3", "5.9.14rc1": a release tag */
	CHARON_REF_GIT,     /* "git:3b902ea5", "git:master": any revision */
};

struct charon_ref {
	enum charon_ref_kind kind;
	char *rev; /* what git resolves (VERSION, GIT), or the path (PATH); owned */
};

/* Classify a --charon value: a value with a '/' is a path; "git:REV" a
 * revision; a version number (N.N[.N][rcN|drN]) a release tag; anything
 * else a path when it exists. -1 with err_msg() otherwise (and for "git:"
 * with no revision, or one that starts with '-'). */
int charon_ref_parse(const char *value, struct charon_ref *r);
void charon_ref_free(struct charon_ref *r);

/* FNV-1a, 64 bits, continued from h (CHARON_HASH_INIT to start): cache
 * keys, not security (a patched tree's key differs from the clean one's
 * by having a diff part at all). */
#define CHARON_HASH_INIT 0xcbf29ce484222325ULL
uint64_t charon_hash64(const void *data, size_t len, uint64_t h);

/* The configure arguments for a commit whose configure.ac is `ac`: the
 * static monolithic build, charon and swanctl, and the plugins the lab's
 * profiles load (profile_default_plugins and swanctl's list), each only
 * where configure.ac has its option (kdf appeared in 5.9.6). Appended to
 * `out` (the caller's). */
void charon_configure_args(const char *ac, struct argv *out);

/* "COMMIT-ARGS" or "COMMIT-ARGS-DIFF" (allocated): args is NULL-terminated,
 * diff NULL or empty for a clean tree. */
char *charon_build_key(const char *commit, char *const args[], const char *diff, size_t diff_len);

struct charon_build_opts {
	const char *source; /* NULL: $IKELAB_STRONGSWAN_SOURCE, else the shared tar */
	unsigned jobs;      /* make -jN; 0: one per CPU */
	bool quiet;         /* no progress on stderr (errors still say everything) */
};

/* What a --charon value or a build came to. Every string is owned. */
struct charon_build {
	char *ref;     /* as asked */
	char *charon;  /* the charon binary to run */
	char *swanctl; /* the swanctl that goes with it, or NULL */
	char *sbin;    /* the folder holding that swanctl, or NULL */
	char *version; /* "6.0.3", or NULL */
	/* The rest only for a build of ours (NULL, false, 0 otherwise). */
	char *commit; /* the full commit id */
	char *key;    /* the cache key */
	char *dir;    /* the cache entry */
	char *source; /* where the commit came from */
	bool patched; /* with a source tree's local changes */
	bool cached;  /* a cache hit: nothing was built now */
	double seconds;
	/* After a failed build: the step of the commit's own build that
	 * failed ("autogen", "configure", "make"); NULL when the failure was
	 * not the commit's (no source, no such ref, the lock, the disk).
	 * Static string. */
	const char *failed_step;
};

/* Build REF (a tag, branch or commit of the source; "git:REV" as well),
 * or find it in the cache. 0 with *b filled in; -1 with err_msg() naming
 * the step that failed and its log. */
int charon_build(const char *ref, const struct charon_build_opts *o, struct charon_build *b);

/* A --charon value as a binary to run: a version or git:REV built with
 * charon_build; a path stays as it is (b->charon is the value; whoever
 * runs it checks it, as before), and when it is the charon of a cache
 * entry, *b says what that entry holds. */
int charon_use(const char *value, const struct charon_build_opts *o, struct charon_build *b);

/* What the cache entry a charon binary belongs to says about it (its
 * build.json with "dir" and "sbin" added: new reference), or NULL when
 * the binary is not a build of ours. */
json_t *charon_build_record(const char *charon);

/* The git repository a source's refs resolve in (o as for charon_build:
 * --source, the environment or the shared tar, which is unpacked into the
 * cache first): for `ikelab bisect`, which walks its history. *git_dir and
 * *source (what it came from) are the caller's; -1 with err_msg(). */
int charon_source_git(const struct charon_build_opts *o, char **git_dir, char **source);

/* Drop every GIT_* variable from ikelab's environment, so the git it runs
 * works on the repositories its argv names: a GIT_DIR or GIT_WORK_TREE
 * inherited from a hook or `git rebase --exec` would otherwise send it
 * into the caller's repository. Called before the first git of a build or
 * a bisect, while ikelab is single-threaded. */
void charon_git_env_clean(void);

/* The cache directory, made 0700 when missing (allocated), or NULL with
 * err_msg() when HOME is not set or the directory is not the user's own. */
char *charon_cache_dir(void);

void charon_build_free(struct charon_build *b);

#endif

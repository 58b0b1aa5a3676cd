/*
 * bisect-internal.h - what the files of `ikelab bisect` share (bisect.h is
 * the module's face): one bisect's context, git in the bisect's own clone
 * (bisect_git.c) and judging one commit (bisect_step.c). Every name
 * carries the module's prefix, bs_.
 */
#ifndef IKELAB_BISECT_INTERNAL_H
#define IKELAB_BISECT_INTERNAL_H

#include "campaign/bisect.h"
#include "base/util.h"

#include <jansson.h>
#include <signal.h>
#include <stdint.h>

#define BS_SPARE_RUNS 2 /* lab errors a commit may have before it is skipped */

enum bs_verdict {
	BS_GOOD,
	BS_BAD,
	BS_SKIP
};

struct bisect {
	const struct bisect_opts *o;
	char *scenario;    /* absolute */
	char *name;        /* the scenario's */
	bool reproduces;   /* it expects the bug to show */
	double duration_s; /* the scenario's */
	uint64_t seed0;    /* the scenario's first seed */
	char *source;      /* where the history came from */
	char *source_git;  /* the repository its refs resolve in */
	char *git;         /* OUT/repo.git, the bisect's own clone */
	char *good, *bad;  /* full commit ids */
	json_t *ledger;    /* bisect.json */
	int lab_seq;
};

/* SIGINT, SIGTERM or SIGHUP while a commit's runs go on: the run is
 * interrupted (it takes its lab down) and the bisect stops, resumable. */
extern volatile sig_atomic_t bs_interrupted;

/* ---- bisect_git.c ---------------------------------------------------------------- */

/* git -C B->git ARGS...: its exit status (0, 1, ...) with stdout in out
 * (may be NULL), or -1 with err_msg() when it could not run or ran past
 * its deadline. */
int bs_git(const struct bisect *B, struct strbuf *out, char *const args[]);
/* The bisect's clone of the source, made afresh (it only holds refs). */
int bs_clone(struct bisect *B);
/* REF as a full commit id (allocated), or NULL with err_msg(). */
char *bs_resolve(const struct bisect *B, const char *opt, const char *ref);
/* The commit's subject line (allocated; "" when git does not say). */
char *bs_subject(const struct bisect *B, const char *commit);
/* 1 when old is an ancestor of new, 0 when not, -1 with err_msg(). */
int bs_is_ancestor(const struct bisect *B, const char *old, const char *new);
/* Commits in old..new. */
long bs_count(const struct bisect *B, const char *old, const char *new);

/* ---- bisect_step.c ----------------------------------------------------------------- */

/* Judge a commit (role: "bad end", "good end", "step"), unless the ledger
 * has judged it already: build its charon, run the scenario; all: run
 * every seed even after the bug showed (the ends, to measure the rate).
 * The commit's ledger entry is added and saved. The verdict, or -1 with
 * err_msg() (the build could not run for a reason not the commit's, the
 * bisect was interrupted). */
int bs_judge(struct bisect *B, const char *commit, const char *role, bool all);
/* The ledger's entry for a commit, or NULL (borrowed). */
json_t *bs_step_of(const struct bisect *B, const char *commit);
/* The verdict the run of SEED left in DIR (its --out, a step's folder),
 * from DIR/seed-SEED/summary.json read beneath DIR (json_load_beneath: no
 * link followed, no FIFO waited for); "lab-error" when it left none or
 * none that could be read so (allocated). */
char *bs_seed_verdict(const char *dir, uint64_t seed);
/* bisect.json into the bisect directory. */
int bs_save(const struct bisect *B);
const char *bs_verdict_name(enum bs_verdict v);

#endif

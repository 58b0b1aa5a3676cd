/*
 * nightly-internal.h - what the files of the nightly share (nightly.h is
 * the module's face): the night, its scenarios and jobs; nightly.c runs
 * the jobs, nightly_json.c judges the night into summary.json.
 */
#ifndef IKELAB_NIGHTLY_INTERNAL_H
#define IKELAB_NIGHTLY_INTERNAL_H

#include "campaign/nightly.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define NIGHT_OVERHEAD_S 8.0 /* a run's boot, up and down beyond its duration */

/* A charon version of the matrix. */
struct ver {
	char *label; /* as given to --charon; NULL: the default charon */
	char *path;  /* the binary the runs get as --charon, or NULL */
	char *dir;   /* its folder below --out ("v2-6.0.3"); NULL with one version */
	char *set;   /* the runs' --set PATH=VALUE (a sweep's value), or NULL */
};

/* A scenario on one version: the unit the night judges. */
struct sc {
	char *file, *name, *description, *cites;
	int ver;  /* index into night.vers */
	int unit; /* its place in the whole night's matrix (shards) */
	bool reproduces;
	double duration_s;
	uint64_t seed0;
	unsigned next_seed; /* seeds handed out so far */
	json_t *runs;       /* per-seed results */
	int errors_in_row;  /* lab errors, the last runs (--budget stops at 3) */
	int reruns;
	double wall_sum;
	int wall_n;
};

/* A lab slot's user-mode Linux kernel, which its runs reuse one after
 * the other (ikelab uml-pool, backend/uml/uml.h). */
struct slot {
	char lab[32]; /* the kernel's lab name */
	char *rw;     /* the directory it shares, below --out: where its runs write */
	bool busy, used;
};

struct job {
	struct sc *sc;
	uint64_t seed;
	pid_t pid;
	int64_t start;
	char *tmp;
	char lab[32];
	int stopping;      /* 0, then SIGINT sent, then SIGKILL sent */
	struct slot *slot; /* the kernel it runs in, or NULL: a kernel of its own */
};

struct night {
	const struct nightly_opts *o;
	struct sc *sc;
	int n_sc;
	struct ver *vers;
	int n_vers;
	unsigned jobs;
	struct job *running;
	int n_running;
	struct job *queue;
	int n_queue, q_head;
	int done, total;
	int64_t t0;
	int lab_seq;
	int units;          /* the whole night's, when this is a shard of it */
	char id[17];        /* the whole night's fingerprint, for its shards' merge */
	struct slot *slots; /* one per job when kernels are reused, else NULL */
	double wall_sum;    /* of every run so far (a source's scenarios run once) */
	int wall_n;
	char **to_plot; /* run directories whose plot is still to draw */
	int n_to_plot;
};

/* ---- nightly.c ---- */

/* N->vers from N->o's charons, labels and sets: one per --charon, or the
 * default charon alone. */
void night_add_versions(struct night *N);
/* --baseline, an earlier night's summary.json, as *base (new reference;
 * NULL without one). 0, or -1 with err_msg() naming the file, line and
 * what is wrong. */
int night_baseline(const struct nightly_opts *o, json_t **base);
/* What C holds (not C itself). */
void night_sc_free(struct sc *c);
/* Everything N holds (not N itself). */
void night_free(struct night *N);
/* The night's reports into N->o->out, and what they say: 0 when every
 * scenario met its expectation, 1 when not, -1 with err_msg(). */
int night_report(struct night *N, const json_t *base, const char *started);

/* ---- nightly_shard.c ---- */

/* Keep the units of shard N->o->shard of N->o->shards in N->sc (each
 * keeping its place in the whole matrix in .unit), free the others; first
 * N->id, the fingerprint of the whole night that every shard of it
 * computes alike: its units in order (scenario names and files, versions
 * as paths, labels and sets), seeds, budget and shard count. */
void night_shard(struct night *N);

/* The run's directory INNER (--out/SCENARIO/.seed-N/seed-N, which the
 * guest of a user-mode Linux run wrote) moved to FINAL (SCENARIO/seed-N)
 * only when it is a directory, not a link, FIFO or file, and checked
 * again once there; FINAL is made empty when INNER is missing or was
 * refused. NULL, or why INNER was refused (allocated). */
char *night_take_seed_dir(const char *inner, const char *final);

/* ---- nightly_json.c ---- */

/* A run's result met its scenario's expectation. */
bool nj_as_expected(const char *result);
/* pass, fail or flaky over a scenario's runs. */
const char *nj_status_of(const struct sc *c);
/* The status an earlier night's summary gives a scenario on its version,
 * or NULL. */
const char *nj_baseline_status(const struct night *N, const json_t *base, const struct sc *c);
/* Where a scenario's runs go, relative to --out: NAME, or VERSION/NAME in
 * a matrix (allocated). */
char *nj_sc_rel(const struct night *N, const struct sc *c);
/* What one run left behind, reduced to what the reports need: its entry
 * in its scenario's runs (new reference), from OUT/REL/summary.json (REL:
 * SCENARIO/seed-N below --out). Under user-mode Linux the guest wrote it:
 * it is read with json_load_beneath (base/json.h), and one it refuses (a
 * link on the way, a FIFO, too big) makes the run a lab error saying so,
 * as does REFUSED, why nightly.c refused the run's directory (NULL: it
 * did not). STATUS is the run's wait status. */
json_t *nj_seed_result(const char *out, const char *rel, uint64_t seed, double wall, int status,
		       const char *refused);
/* The night's summary.json (new reference). */
json_t *nj_night(const struct night *N, const json_t *base, const char *started);
/* dir/name, the JSON indented. */
int nj_write(const char *dir, const char *name, const json_t *j);
void nj_iso_now(char *buf, size_t len);

#endif

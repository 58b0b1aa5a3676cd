/*
 * gen-internal.h - how the generator (gen.h) is split: gen.c holds the
 * options, the loaded files and the scenario's head, peers, traffic and
 * expectations; gen_sched.c the menu of schedule actions; gen_fault.c the
 * fault rules; gen_ent.c the schedule's entries, written out sorted;
 * gen_expect.c the invariants as expectations and the file's header. Both draw from one stream,
 * in a fixed order (gen_draw()), so a seed means one file.
 */
#ifndef IKELAB_EXPLORE_GEN_INTERNAL_H
#define IKELAB_EXPLORE_GEN_INTERNAL_H

#include "base/util.h"
#include "config/profile.h"
#include "config/topology.h"
#include "explore/gen.h"

#define GEN_START_MS 1000 /* no action before this */
#define GEN_TAIL_MS 2000  /* beyond liveness_ms, the quiet end of a run */
#define GEN_MAX_ROUTERS 8

struct gen {
	struct gen_opts o; /* profiles[] and topology point at the paths below */
	char *topo_path;   /* absolute */
	char *prof_path[GEN_MAX_PROFILES];
	struct topology *topo;
	struct profile *prof[GEN_MAX_PROFILES];
	bool reauth[GEN_MAX_PROFILES]; /* the profile reauthenticates its IKE_SA */
	bool trap[GEN_MAX_PROFILES];   /* its first CHILD_SA is trap-started */
	bool mbb[GEN_MAX_PROFILES];    /* charon.make_before_break: yes */
	const char *peer[2];           /* topo_peer() names, borrowed */
	const char *router[GEN_MAX_ROUTERS];
	unsigned n_routers;
	const char *masq; /* a masquerading router, or NULL */
};

/* One schedule entry: its time, its place in drawing order (ties keep
 * it), and its keys after `at` as indented YAML lines. */
struct gen_ent {
	uint32_t at;
	unsigned seq;
	struct strbuf text;
};

/* One trial being drawn. */
struct draw {
	const struct gen *g;
	uint64_t rng;
	unsigned prof[2];          /* index into g->prof per peer */
	uint32_t dur_ms, limit_ms; /* every action before limit_ms */
	uint32_t pps;
	struct gen_ent *ents;
	unsigned n_ents, cap;
	struct strbuf faults; /* the faults: list's entries */
	char capture[GEN_MAX_FAULTS][24];
	unsigned n_capture;
	uint32_t w_max;     /* the longest outage the schedule makes on purpose */
	uint64_t w_sum;     /* their sum, ms */
	unsigned n_disrupt; /* faults and actions that may cost traffic */
	bool delete_sa;
	bool sa_gone; /* a delete-sa or a hard expire: traffic meets the trap */
	struct gen_stats *st;
};

/* A number in lo..hi (inclusive), from the trial's stream. */
uint32_t gen_pick(struct draw *d, uint32_t lo, uint32_t hi);
/* An index below N, each I drawn with weight W[I] (their sum above 0). */
unsigned gen_pick_weighted(struct draw *d, const unsigned *w, unsigned n);
/* Something that may cost traffic for W ms, for the liveness budgets. */
void gen_disrupt(struct draw *d, uint32_t w);
/* A new entry at AT of ACTION: its text, to add keys to until the next
 * entry is added (that may move it). */
struct strbuf *gen_ent_add(struct draw *d, uint32_t at, const char *action);
/* A duration value for YAML: "12s", or "1500ms" (into BUF). */
const char *gen_dur(char *buf, size_t size, uint32_t ms);
/* A lifetime set: mapping (the ike: or child: keys drawn) for peer K,
 * indented by IND spaces (set: of peers[] and of reload). */
void gen_life_ike(struct draw *d, unsigned k, struct strbuf *sb, int ind);
void gen_life_child(struct draw *d, struct strbuf *sb, int ind);

/* The expectations: block (after the schedule: it needs the budgets). */
void gen_write_expectations(struct draw *d, struct strbuf *sb);
/* The comment the file starts with: generator version, options, seed. */
void gen_write_header(const struct draw *d, uint64_t seed, struct strbuf *sb);
/* The fault rules, into d->faults (before the schedule: holds add their
 * release entries). */
void gen_faults(struct draw *d);
/* 1..K menu actions and what undoes them. */
void gen_schedule(struct draw *d);
/* "schedule:" and its entries sorted by time; frees them. */
void gen_write_schedule(struct draw *d, struct strbuf *out);

#endif

/*
 * gen.h - the schedule generator of `ikelab explore` (issue 17): a trial's
 * seed drawn into a whole scenario file.
 *
 * A trial is reproducible from (options, seed) alone: gen_draw() returns
 * the text of a scenario YAML file and nothing else decides it -- no clock,
 * no rand(), no host: one splitmix64 stream (sc_rand, config/scenario.h)
 * seeded by the trial's seed, taken in a fixed order. The options name
 * peer profiles and a topology; gen_new() loads them once (so a night of
 * trials reads no file again) and writes their absolute paths into every
 * file, so the scenario loads from any folder, a run directory included;
 * the shipped peers/ and topologies/ pass the loader's trust rule from
 * anywhere, a user's own files need --trust (README, SECURITY).
 *
 * What a trial draws: the profile each peer runs; short lifetimes for each
 * peer as peers[].set overrides (the IKE_SA's rekey_time, or reauth_time
 * when the profile reauthenticates, and its rand_time; the CHILD_SA's
 * rekey_time, life_time and rand_time); a duration; the probe's rate and
 * start (with the run, or up to 3 s later); 1..K actions from a menu
 * (enum gen_kind) at random times, with the actions that undo a fault
 * (link up, restart, CONT, netem clear, install, release) following on
 * their own; 0..F fault rules on the topology's router
 * (enum gen_fault). Each menu entry and each fault kind has a weight in the
 * options, so they can be tuned; a kind the topology cannot carry (faults
 * without a router, conntrack-flush without a masquerading one) is never
 * drawn. Every action comes before the run's last liveness_ms plus two
 * seconds, the quiet tail in which traffic has to come back.
 *
 * Every file carries `expect: clean` and an `expectations:` block with the
 * invariants the options switch on (GEN_INV_*); which key stands for which
 * invariant, when one is left out of a trial (kernel_sa_pairs and
 * max_acquires_during_rekey where the trial breaks them on purpose,
 * max_lost_per_event unless nothing disrupts traffic), and what the keys
 * cannot say, is in gen_expect.c. A comment header
 * names the generator version, the options and the seed.
 */
#ifndef IKELAB_EXPLORE_GEN_H
#define IKELAB_EXPLORE_GEN_H

#include <stdbool.h>
#include <stdint.h>

#define GEN_VERSION 2       /* bumped whenever a seed draws another file */
#define GEN_MAX_PROFILES 16 /* profiles in the options */
#define GEN_MAX_ACTIONS 32  /* K, the most menu actions in a trial */
#define GEN_MAX_FAULTS 8    /* F, the most fault rules in a trial */

/* The menu: what a trial's schedule entries are drawn from. */
enum gen_kind {
	GEN_INITIATE,        /* one end, or both with a skew and an order */
	GEN_TERMINATE,       /* the CHILD_SA, or the IKE_SA */
	GEN_REKEY_IKE,       /* rekey of the IKE_SA */
	GEN_REAUTH,          /* rekey with reauth: true */
	GEN_REKEY_CHILD,     /* rekey of a CHILD_SA */
	GEN_EXPIRE,          /* kernel expire, soft or hard, in or out */
	GEN_DELETE_SA,       /* a kernel SA deleted behind charon's back */
	GEN_UNINSTALL,       /* trap policies out, install again later */
	GEN_TRAFFIC_BURST,   /* a burst of probe packets */
	GEN_NETEM,           /* delay, jitter, loss on an interface; cleared later */
	GEN_LINK_FLAP,       /* an interface down, up again later */
	GEN_KILL,            /* KILL, SEGV, ABRT or TERM; restart later */
	GEN_FREEZE,          /* STOP, CONT later */
	GEN_RESTART,         /* restart of a running charon */
	GEN_RELOAD,          /* new lifetimes loaded into a running charon */
	GEN_INJECT,          /* a crafted IKE_SA_INIT, or a captured message replayed */
	GEN_CONNTRACK_FLUSH, /* a masquerading router forgets its mappings */
	GEN_KINDS
};

/* Fault rules on the router's wire (docs/scenarios.md, faults). */
enum gen_fault {
	GEN_F_DELAY,
	GEN_F_DROP,
	GEN_F_DUPLICATE,
	GEN_F_HOLD,    /* released by a release entry of the schedule */
	GEN_F_CAPTURE, /* kept for an inject replay */
	GEN_FAULTS
};

/* Invariants, each an expectation every trial checks unless switched off. */
#define GEN_INV_DUP_IKE (1u << 0)       /* max_ike_per_peer: 1 */
#define GEN_INV_DUP_CHILD (1u << 1)     /* max_child_per_ts: 1 */
#define GEN_INV_KERNEL_SAS (1u << 2)    /* kernel_sa_pairs: true */
#define GEN_INV_POLICIES (1u << 3)      /* policies_match: true */
#define GEN_INV_NO_CRASH (1u << 4)      /* no_crash: true (off: false) */
#define GEN_INV_LIVENESS (1u << 5)      /* max_outage_ms, max_lost_each_way */
#define GEN_INV_REQIDS (1u << 6)        /* unique_reqids: true */
#define GEN_INV_GROWTH (1u << 7)        /* max_{ike,child}_growth_per_hour (not default) */
#define GEN_INV_ACQUIRE_REKEY (1u << 8) /* max_acquires_during_rekey: 0 */
#define GEN_INV_REKEY_LOSS (1u << 9)    /* max_lost_per_event: 0, undisturbed trials */
#define GEN_INV_LEDGER (1u << 10)       /* ledger_agrees: true */
#define GEN_INV_ALL ((1u << 11) - 1)
#define GEN_INV_DEFAULT                                                                 \
	(GEN_INV_DUP_IKE | GEN_INV_DUP_CHILD | GEN_INV_KERNEL_SAS | GEN_INV_POLICIES |  \
	 GEN_INV_NO_CRASH | GEN_INV_LIVENESS | GEN_INV_REQIDS | GEN_INV_ACQUIRE_REKEY | \
	 GEN_INV_REKEY_LOSS | GEN_INV_LEDGER)

/* lo..hi inclusive. */
struct gen_range {
	uint32_t lo, hi;
};

struct gen_opts {
	const char *profiles[GEN_MAX_PROFILES]; /* borrowed; each peer draws one */
	unsigned n_profiles;
	const char *topology;        /* borrowed; NULL: the shipped two-peer-router */
	struct gen_range ike_life;   /* s: IKE rekey_time or reauth_time */
	struct gen_range child_life; /* s: CHILD_SA rekey_time */
	struct gen_range duration;   /* s */
	struct gen_range pps;        /* the probe's rate, each way */
	unsigned max_actions;        /* K: 1..K menu actions (at most GEN_MAX_ACTIONS) */
	unsigned max_faults;         /* F: 0..F fault rules (at most GEN_MAX_FAULTS) */
	unsigned invariants;         /* GEN_INV_* */
	uint32_t liveness_ms;        /* traffic back within this after a fault */
	uint32_t grace_ms;           /* the scenario's grace */
	unsigned weights[GEN_KINDS]; /* per menu entry; 0: never */
	unsigned fault_weights[GEN_FAULTS];
};

/* The default weights (a table, to be tuned): gen_opts_default() copies
 * them into the options. */
extern const unsigned gen_default_weights[GEN_KINDS];
extern const unsigned gen_default_fault_weights[GEN_FAULTS];

/* What one trial drew, for tests and reports. */
struct gen_stats {
	unsigned kinds[GEN_KINDS]; /* menu actions drawn, per kind */
	unsigned faults[GEN_FAULTS];
	unsigned entries; /* schedule entries, undoing ones included */
	uint32_t duration_ms;
	uint32_t max_outage_ms; /* the liveness bounds written (0: none) */
	uint32_t max_lost_each_way;
	bool kernel_sas_off; /* kernel_sa_pairs left out: a delete-sa drawn */
	/* max_acquires_during_rekey left out: a delete-sa or a hard expire
	 * sends traffic to the trap policy on purpose */
	bool acquire_rekey_off;
	/* no disrupting draw (gen_disrupt: link flap, netem, kill, freeze,
	 * restart, uninstall, expire, delete-sa, terminate, conntrack-flush,
	 * delay, drop and hold rules) */
	bool undisturbed;
	/* max_lost_per_event written: undisturbed, and every reauthentication
	 * make-before-break (both profiles set it, or none reauthenticates) */
	bool rekey_loss_on;
};

/* O filled with the defaults: no profiles yet (the caller adds at least
 * one), the shipped two-peer-router, IKE lifetimes 10..40 s, CHILD_SA
 * 5..20 s, runs of 20..45 s at 20..200 pps, 1..6 actions, 0..3 fault
 * rules, GEN_INV_DEFAULT, liveness 8 s, grace 2 s, the default weights. */
void gen_opts_default(struct gen_opts *o);

struct gen;
/* A generator for O: its topology and profiles loaded and their paths made
 * absolute; O is copied (its strings too), so it need not outlive the
 * result. NULL and err_msg() when a file does not load, a range is empty
 * or upside down, or no weight is left. Caller frees with gen_free(). */
struct gen *gen_new(const struct gen_opts *o);
void gen_free(struct gen *g);

/* The scenario file of trial SEED, as text the caller frees; the same
 * (options, seed) give the same bytes. ST (may be NULL) receives what was
 * drawn. */
char *gen_draw(const struct gen *g, uint64_t seed, struct gen_stats *st);

/*
 * The invariants by short, stable names, for the command line (explore's
 * --no/--with) and its reports: dup-ike, dup-child, kernel-sas, policies,
 * crash, liveness, reqids, growth, acquire-rekey, rekey-loss, ledger.
 * gen_invariant_name: BIT's name (one GEN_INV_* bit; static), NULL for
 * anything else. gen_invariant_parse: the bit of NAME into *BIT; -1 and
 * err_msg() naming the known ones for an unknown name.
 * gen_invariant_of_key: the name of the invariant an expectation stands
 * for, by its name in a verdict (summary.json's "expectations"[].name:
 * "max_ike_per_peer", "max_outage_ms", "no_crash", "ledger_agrees", ...);
 * NULL for an expectation no invariant writes (static).
 */
const char *gen_invariant_name(unsigned bit);
int gen_invariant_parse(const char *name, unsigned *bit);
const char *gen_invariant_of_key(const char *expectation_key);

/* "initiate", "link-flap", ...; "delay", "hold", ... (static). */
const char *gen_kind_name(enum gen_kind k);
const char *gen_fault_name(enum gen_fault f);

#endif

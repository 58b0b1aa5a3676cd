/*
 * analysis.h - turning list-sas samples and VICI events into facts:
 * counts by state, duplicates that persist, and an event ledger that is
 * checked against the samples.
 *
 * Pure logic over JSON and numbers, so it can be tested without a daemon.
 */
#ifndef IKELAB_ANALYSIS_H
#define IKELAB_ANALYSIS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* One peer's list-sas answer, reduced. */
#define SAMPLE_KIDS 32
#define SAMPLE_KID_NAME 64
#define SAMPLE_LIVE 64

/* Counting keys without a hash table: samples hold a handful of SAs. */
struct tally {
	char key[256];
	int n;
};

struct sa_sample {
	double t;
	int ike, ike_established, ike_connecting, ike_rekeying, ike_deleting;
	int child, child_installed, child_rekeying, child_rekeyed, child_deleting;
	int max_established_per_pair; /* IKE_SAs between the same two identities */
	int max_installed_per_ts;     /* CHILD_SAs with one name and TS pair */
	/* The same per key, counting the SAs in REKEYING too (still up: not
	 * ESTABLISHED or INSTALLED only until their rekey answers), for as
	 * many keys as SAMPLE_LIVE. */
	struct tally live_pairs[SAMPLE_LIVE], live_ts[SAMPLE_LIVE];
	int n_live_pairs, n_live_ts;
	char pair_key[256]; /* the pair with the most */
	char ts_key[256];   /* the TS pair with the most */
	/* INSTALLED CHILD_SAs of different names or TS pairs that share one
	 * reqid (1 when every reqid is one CHILD_SA's, rekeys included:
	 * the old and the new SA have the same name and selectors). */
	int max_ts_per_reqid;
	char reqid_key[256]; /* "reqid 2: net 10.1.0.0/16 === ..., net2 ..." */
	bool rekeying;       /* any SA in a rekey or delete state */
	/* INSTALLED CHILD_SAs per CHILD_SA name ("net", "net2"), as many
	 * names as SAMPLE_KIDS; children.csv and the plot's lines per child. */
	struct kid_count {
		char name[SAMPLE_KID_NAME];
		int installed;
	} kids[SAMPLE_KIDS];
	int n_kids;
	/* SAs a ledger should know about: ESTABLISHED-or-later IKE_SAs and
	 * INSTALLED-or-later CHILD_SAs (present in any of those states);
	 * child_ike[i] is the IKE_SA holding child_ids[i]. *_steady[i] says
	 * the SA is plainly ESTABLISHED or INSTALLED: one that no event
	 * announced is a mismatch, one in a rekey state is not (a rekeyed
	 * SA lingers after its rekey event). */
	uint32_t *ike_ids, *child_ids, *child_ike;
	bool *ike_steady, *child_steady;
	int n_ike_ids, n_child_ids;
};

void sample_from_sas(const json_t *list, double t, struct sa_sample *s);

/* What the kernel lacks of what charon says is INSTALLED: CHILD_SAs
 * whose inbound or outbound ESP SA is not in the kernel's SAD, and those
 * without an in and an out policy for each pair of their selectors. The
 * key names the first of each ("net #3: no inbound SA c1d2e3f4"). */
struct xfrm_dump;
struct kernel_gaps {
	int missing_sas, missing_policies;
	char sa_key[160], policy_key[160];
};
void kernel_gaps(const json_t *list, const struct xfrm_dump *d, struct kernel_gaps *out);
void sample_free(struct sa_sample *s);

/* A condition (more than one of something) that must hold for longer than
 * a grace period to count: short rekey overlaps do not. Only `start` and
 * `end` decide verdicts; `since` says where the duplicates began. A
 * duplicate that is rekeyed leaves the count for a moment (an IKE_SA in
 * REKEYING is not ESTABLISHED, and a responder's list can miss both the
 * old and the new one for a sample), and the stretch after that dip is
 * the same duplicate: a stretch of the key the last one had, after a dip
 * in which that key's count with the SAs in REKEYING (`live`) stayed
 * above one or that was shorter than DUP_BRIDGE_S, has the last one's
 * `since`. */
#define DUP_BRIDGE_S 0.5

struct episode {
	double since, start, end;
	int max;
	char key[256];
};

struct dup_tracker {
	bool active;
	double start, since;
	int max;
	char key[256];
	bool closed_one;       /* a stretch ended before: */
	double last_end;       /* when, */
	double last_since;     /* its since, */
	char last_key[256];    /* of what, */
	bool dip_live;         /* and whether its key's live count stayed above one since */
	struct episode *found; /* owned */
	int n_found;
};

/* The count of KEY in V (0 when it is not there). */
int tally_of(const struct tally *v, int n, const char *key);
/* Feed one observation: the count and its key, and the live counts by key
 * (NULL: the count is all there is); returns the episode just closed (the
 * tracker's), or NULL. */
const struct episode *dup_update(struct dup_tracker *d, double t, int count, const char *key,
				 const struct tally *live, int n_live, double grace);
/* Close an open episode at the end of a run. */
const struct episode *dup_finish(struct dup_tracker *d, double t, double grace);
/* A new charon: nothing after this continues a stretch from before. */
void dup_forget(struct dup_tracker *d);
void dup_free(struct dup_tracker *d);

/* ---- the ledger ------------------------------------------------------ */

enum ledger_what {
	LEDGER_SAMPLE_ONLY,     /* list-sas shows an SA no event announced */
	LEDGER_EVENT_ONLY,      /* an SA announced up is no longer listed, no down event */
	LEDGER_DUPLICATE_EVENT, /* the same rekey reported twice */
};

struct ledger_mismatch {
	enum ledger_what what;
	bool child;
	uint32_t id;
	double t;
	char explain[256];
};

struct ledger_entry {
	uint32_t id;
	uint32_t ike_id; /* children: their IKE_SA */
	bool child;
	bool up;
	double missing_since; /* < 0: listed in the last sample */
	double seen_since;    /* < 0: not seen unannounced */
};

struct ledger {
	struct ledger_entry *e;
	int n;
	uint32_t (*rekeys)[2]; /* child-rekey pairs seen (old, new) */
	int n_rekeys;
	bool seeded;
	double grace;
};

typedef void (*ledger_cb)(void *ctx, const struct ledger_mismatch *m);

void ledger_init(struct ledger *l, double grace);
void ledger_free(struct ledger *l);
void ledger_up(struct ledger *l, bool child, uint32_t id, uint32_t ike_id);
void ledger_down(struct ledger *l, bool child, uint32_t id);
/* An IKE_SA going down takes its children with it. */
void ledger_ike_down(struct ledger *l, uint32_t ike_id);
void ledger_ike_rekey(struct ledger *l, uint32_t old_id, uint32_t new_id);
void ledger_child_rekey(struct ledger *l, uint32_t old_id, uint32_t new_id, uint32_t ike_id,
			double t, ledger_cb cb, void *ctx);
/* Compare with a sample; reports each mismatch once. */
void ledger_check(struct ledger *l, const struct sa_sample *s, ledger_cb cb, void *ctx);
bool ledger_is_up(const struct ledger *l, bool child, uint32_t id);

const char *ledger_what_name(enum ledger_what w);

/* The largest count that held without a break for longer than grace, and
 * when the first such stretch began (*since). 0 for an empty series. */
int sustained_max(const double *t, const int *v, int n, double grace, double *since);

/* The series with every rise and every dip shorter than grace taken
 * away, so that the overlap of a rekey or a reauthentication, or a sample
 * caught in the middle of one, does not count as growth. out must hold n
 * values. */
void sustained_level(const double *t, const double *y, int n, double grace, double *out);

/* Least-squares slope of y over t, per hour. */
double growth_per_hour(const double *t, const double *y, int n);

#endif

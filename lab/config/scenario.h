/*
 * scenario.h - a race, or a bug report, as a file: a topology, a peer
 * profile per peer, traffic, a schedule of actions at times, fault rules for
 * the wire, a duration, a seed, and expectations.
 *
 * Loaded from scenarios/NAME.yaml (paths inside are relative to the
 * scenario file), checked completely before anything is built, and then
 * expanded with its seed into a concrete schedule: jitter drawn from the
 * seed, so one seed always gives the same times.
 */
#ifndef IKELAB_SCENARIO_H
#define IKELAB_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#define SCENARIO_NAME_MAX 64 /* a scenario's name ends up in run directory names */

#include "config/profile.h"
#include "config/topology.h"

enum sc_action_kind {
	SC_INITIATE,
	SC_TERMINATE,
	SC_REKEY,
	SC_INSTALL,
	SC_UNINSTALL,
	SC_TRAFFIC,
	SC_EXPIRE,
	SC_DELETE_SA,
	SC_NETEM,
	SC_RELEASE,
	SC_KILL,
	SC_RESTART,
	SC_CONNTRACK_FLUSH,
	SC_INJECT,
	SC_LINK,
	SC_RELOAD,
	SC_VICI,
};

/* One key of a `vici` action's message: a value, or a list of them;
 * a dotted key ("child.net.mode") nests it in sections. */
struct sc_vici_kv {
	char *key;
	char *value;
	char **values;
	unsigned values_count;
};

/* One schedule entry as written. Fields are optional pointers (NULL when
 * not written); which ones an action takes is checked by the loader. */
struct sc_entry {
	uint32_t at;       /* ms since the run started */
	uint32_t *jitter;  /* ms: uniform in [0, jitter), from the seed */
	char *action;      /* initiate | terminate | rekey | install |
	                           uninstall | traffic | expire | delete-sa |
	                           netem | release | kill | restart */
	char *peer;        /* a peer name, or "both" */
	uint32_t *skew_us; /* both: the second peer this much later */
	char *order;       /* both: alice-first | bob-first | random */
	char *child;       /* CHILD_SA config name (default: the profile's) */
	char *ike;         /* IKE_SA config name (default: the profile's) */
	bool *reauth;      /* rekey: reauthenticate the IKE_SA */
	char *sa;          /* expire, delete-sa: in | out */
	bool *hard;        /* expire: hard instead of soft */
	char *op;          /* traffic: start | stop | burst */
	uint32_t *pps;     /* traffic start */
	uint32_t *packets; /* traffic burst (default 1) */
	char *node;        /* netem: node, and dev (default eth0);
	                           conntrack-flush: a router */
	char *dev;
	uint32_t *delay_ms, *jitter_ms;
	char *loss_pct; /* decimal */
	bool *clear;    /* netem: remove the qdisc */
	char *name;     /* release: the hold to release */
	char *signal;   /* kill: KILL (default), TERM, SEGV, ABRT, STOP, CONT */
	/* inject: an IKE message from `node` to `peer` (kernel/ikemsg.h) */
	uint32_t *port;         /* 500 (default) or 4500 */
	char *exchange;         /* IKE_SA_INIT (default), ... or 0-255 */
	char *spi_i, *spi_r;    /* 16 hex digits; default: drawn, and 0 */
	uint32_t *message_id;   /* default 0 */
	uint32_t *flags;        /* default 0x08, the initiator's request */
	uint32_t *version;      /* default 0x20 (IKEv2) */
	char *payloads;         /* "SA KE No N(COOKIE)"; default by exchange */
	char *body;             /* hex bytes after the payloads */
	uint32_t *next_payload; /* the header's, with body and no payloads */
	uint32_t *length;       /* the header's length field, if not the real one */
	uint32_t *count;        /* messages, each with its own SPI (default 1) */
	char *state;            /* link: down | up (node and dev as netem's) */
	char *replay;           /* inject: the capture rule whose last message
				   is sent again, header fields given rewritten */
	struct profile *set;    /* reload: laid over the peer's profile */
	char *command;          /* vici: the command, and its message */
	struct sc_vici_kv *args;
	unsigned args_count;
};

/* A rule of the fault wire: IKE messages crossing a router. */
struct sc_fault {
	char *name;
	char *router;   /* a router node of the topology */
	char *exchange; /* IKE_SA_INIT | IKE_AUTH | CREATE_CHILD_SA |
	                           INFORMATIONAL | any (default any) */
	bool *response; /* absent: requests and responses */
	char *from;     /* sending peer; absent: both directions */
	uint32_t *message_id;
	uint32_t *nth;      /* only the n-th match (1-based); absent: all */
	char *action;       /* delay | drop | duplicate | hold | capture */
	uint32_t *delay_ms; /* delay */
	char *until;        /* hold: released by the schedule's
	                           `release` with this name, or at the end */
};

struct sc_peer {
	char *name;
	char *profile;       /* file; default: the scenario's profile */
	struct profile *set; /* settings laid over it */
};

struct sc_traffic {
	uint32_t pps;
	uint32_t *start; /* ms, default 0 */
};

/* A limit on one of charon's counters from VICI `stats`, sustained longer
 * than the grace, like the SA counts. */
struct sc_stat {
	char *counter; /* dotted path into the answer: "ikesas.half-open" */
	char *peer;    /* a peer; absent: every peer */
	uint32_t *max, *min;
};

/* How many events of a kind events.jsonl may hold (in all, or per value
 * of a field: per CHILD_SA, per old SA of a rekey), in a window of the
 * run. */
struct sc_events {
	char *kind;   /* the event's "kind": child-rekey, child-updown, ... */
	char *source; /* its "source" (vici, kernel, schedule, ...); absent: any */
	char *peer;   /* absent: every peer */
	char **where; /* "PATH=VALUE": fields the event must have */
	unsigned where_count;
	char *per;            /* count per value of this field (dotted path) */
	char *after, *before; /* durations since the run began */
	uint32_t *max, *min;
	/* Filled in by the loader: */
	uint32_t after_ms, before_ms; /* before_ms: the duration when absent */
};

/* How often a line of a peer's charon.log may match a regular expression
 * (POSIX extended), in a window of the run. */
struct sc_logs {
	char *match;
	char *peer; /* absent: every peer */
	char *after, *before;
	uint32_t *max, *min;
	uint32_t after_ms, before_ms; /* filled in by the loader */
};

struct sc_expect {
	uint32_t *max_ike_per_peer;    /* ESTABLISHED, sustained past grace */
	uint32_t *max_child_per_ts;    /* INSTALLED per TS pair, past grace */
	char *max_ike_growth_per_hour; /* decimal */
	char *max_child_growth_per_hour;
	uint32_t *max_acquires; /* every kernel acquire: traffic a trap caught */
	uint32_t *max_acquires_during_rekey;
	uint32_t *max_lost_packets;   /* total, both directions */
	uint32_t *max_lost_per_event; /* around one rekey or reauth */
	uint32_t *max_lost_each_way;  /* in each direction on its own */
	uint32_t *max_outage_ms;      /* longest run of lost packets, either way */
	bool *no_crash;               /* default true */
	bool *unique_reqids;          /* no reqid shared by two CHILD_SAs, past grace */
	bool *kernel_sa_pairs;        /* every INSTALLED CHILD_SA's SAs in the kernel */
	bool *policies_match;         /* and its policies, for its selectors */
	bool *ledger_agrees;          /* the event ledger agrees with list-sas */
	struct sc_stat *stats;        /* VICI stats counters */
	unsigned stats_count;
	struct sc_events *events;
	unsigned events_count;
	struct sc_logs *logs;
	unsigned logs_count;
};

struct scenario {
	char *name;
	char *description;
	char *cites;    /* the report and configuration it stands for */
	char *expect;   /* clean (default) | reproduces */
	char *topology; /* file, relative to the scenario */
	char *profile;  /* file, relative to the scenario */
	struct sc_peer *peers;
	unsigned peers_count;
	char *duration;      /* strongSwan-style duration, or ms with "ms" */
	uint64_t *seed;      /* set by the loader to 1 when absent */
	char *sample_rate;   /* Hz, decimal; default 10 */
	char *grace;         /* duration; default 2s */
	bool *full_duration; /* true: no early verdict, every run to its end */
	struct sc_traffic *traffic;
	struct sc_fault *faults;
	unsigned faults_count;
	struct sc_entry *schedule;
	unsigned schedule_count;
	struct sc_expect *expectations;

	/* Filled in by the loader: */
	char *path;          /* the scenario file */
	char *topology_path; /* resolved, absolute */
	struct topology *topo;
	struct profile *profiles[2]; /* per peer, in topo_peer() order,
	                                   with its set: applied */
	uint32_t duration_ms;
	double rate_hz, grace_s;
	bool reproduces;
};

/* Load and check everything: the file, its topology and profiles, every
 * action against the topology (peers that exist, routers for fault rules
 * and netem nodes, times within the duration). NULL and err_msg() naming
 * FILE:LINE:COL and the field on failure. */
/* Profile P run by peer K of T: its protected:N selectors within T's
 * protected subnets (profile_check_protected()). */
int sc_check_protected(const struct topology *t, const struct profile *p, unsigned k);
struct scenario *scenario_load(const char *path);
/* The cyaml schema scenario_load() checks a file against (static; for
 * config/schema.h, which turns it into a JSON Schema). */
const cyaml_schema_value_t *scenario_cyaml_schema(void);
/* The keys of expectations:, as that schema has them (for code that walks
 * every key, such as shrink --reproduces). */
extern const cyaml_schema_field_t sc_expect_fields[];
/* The same with values from the command line in place of the file's: each
 * of SETS is "PATH=VALUE" ("schedule[0].skew_us=400"), replacing a value
 * the file has (ycheck_load_set, config/yamlcheck.h); checked like the
 * rest. SETS stay the caller's. */
struct scenario *scenario_load_set(const char *path, const char *const *sets, unsigned n_sets);
void scenario_free(struct scenario *s);

/* The profile peer `name` runs with: the scenario's (or the peer's own)
 * profile with the peer's `set:` laid over it. Caller frees (profile_free);
 * NULL if the topology has no such peer. */
struct profile *scenario_profile(const struct scenario *s, const char *peer);

/* What a peer running P runs after the reload entry E: a copy of P with
 * E's set: laid over it. Caller frees (profile_free). */
struct profile *scenario_reloaded(const struct profile *p, const struct sc_entry *e);

/* Write S as a scenario file: COMMENT (lines; NULL for none) as a YAML
 * comment at the top, then every key S sets, absent ones left out. The
 * files a loaded S names are written as absolute paths, so the new file
 * loads from any folder. -1 and err_msg() on failure. */
int scenario_save(const struct scenario *s, const char *path, const char *comment);

/* One action of the expanded schedule. */
struct sc_step {
	uint64_t at_us; /* since the run started, jitter applied */
	enum sc_action_kind kind;
	const struct sc_entry *entry;
	char peer[32];  /* one peer per step; "both" becomes two steps */
	unsigned index; /* of the entry in the file */
};

struct sc_plan {
	struct sc_step *steps; /* sorted by at_us, stable */
	unsigned n;
	uint64_t seed;
};

/* Expand with a seed: jitter, order and skew resolved; "both" becomes two
 * steps skew_us apart. Same seed, same plan. */
void scenario_plan(const struct scenario *s, uint64_t seed, struct sc_plan *out);
void sc_plan_free(struct sc_plan *p);
/* The plan as JSON (schedule.json): only times, actions and their
 * arguments -- nothing that differs between two runs of one seed. */
char *sc_plan_json(const struct scenario *s, const struct sc_plan *p);

const char *sc_action_name(enum sc_action_kind k);

/* The IKE message an inject entry E stands for (kernel/ikemsg.h), its
 * random parts -- an SPI the entry does not give, nonce and key bytes --
 * drawn from *RAND. *BODY is the message's raw body, freed by the caller
 * once M is sent (NULL without one). -1 and err_msg() for values the
 * loader refuses. */
struct ikemsg;
int sc_inject_msg(const struct sc_entry *e, uint64_t *rand, struct ikemsg *m, uint8_t **body);
/* A replay: MSG (a captured IKE message, LEN bytes from its header on)
 * with the header fields E gives written over it, into a buffer the
 * caller frees, with the non-ESP marker first for port 4500. */
uint8_t *sc_replay_msg(const struct sc_entry *e, const uint8_t *msg, size_t len, size_t *out_len);

/* Deterministic random numbers (splitmix64), so a seed means the same on
 * every host and libc. */
uint64_t sc_rand(uint64_t *state);

#endif

/*
 * profile.h - how one charon runs: the binary, its plugins, strongswan.conf
 * settings, log levels, and the IKE connections with their CHILD_SAs that
 * the lab loads over VICI.
 *
 * Connections come two ways. `ike:` and `child:` alone describe one
 * connection with one CHILD_SA (the shipped profiles). `connections:` lists
 * several, each with its `children:`; `ike:` and `child:` then hold the
 * defaults every entry inherits field by field (so a scenario's `set: {ike:
 * {rekey_time: 10s}}` reaches every connection). profile_conn() and
 * profile_child() hand out the resolved view either way, so nothing past the
 * loader cares which form a file used.
 *
 * Loaded from peers/NAME.yaml by profile_load(): yamlcheck.h checks the
 * document against the schema first, so an unknown key, a wrong type or a
 * number like "5x" is reported at its exact file:line:column with the
 * field's path; the semantic checks (a log level out of range, an unknown
 * start_action) report positions the same way.
 *
 * Every setting is optional: NULL means "not set", so a profile can be laid
 * over another (per-peer overrides) and charon's own default applies to
 * whatever nobody set. Durations are strings as strongSwan writes them
 * ("90", "10s", "5m", "1h", "2d"), checked by duration_parse().
 */
#ifndef IKELAB_PROFILE_H
#define IKELAB_PROFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <cyaml/cyaml.h>

struct ydoc;

#define PROFILE_MAX_CONNS 16    /* connections in one profile */
#define PROFILE_MAX_CHILDREN 16 /* CHILD_SAs in one connection */

struct profile_settings { /* charon { ... } in strongswan.conf */
	bool *make_before_break;
	bool *reuse_ikesa;
	uint32_t *send_delay;      /* ms */
	uint32_t *send_delay_type; /* IKE exchange type, 0 = any */
	bool *send_delay_request;
	bool *send_delay_response;
	uint32_t *receive_delay; /* ms */
	uint32_t *receive_delay_type;
	bool *receive_delay_request;
	bool *receive_delay_response;
	uint32_t *retransmit_tries;
	char *retransmit_timeout;    /* seconds, decimal ("0.5") */
	char *retransmit_base;       /* decimal */
	uint32_t *retransmit_jitter; /* percent */
	uint32_t *retransmit_limit;  /* seconds */
	uint32_t *threads;
};

struct profile_log {   /* charon.filelog levels, -1..4 */
	int32_t *dflt; /* key "default" */
	int32_t *dmn, *mgr, *ike, *chd, *job, *cfg, *knl, *net, *asn, *enc, *lib, *esp;
};

struct profile_ike {       /* connections.<name> in swanctl terms */
	char *name;        /* connection name; default "lab" */
	uint32_t *version; /* 1 or 2; default 2 */
	char *proposals;   /* default aes128gcm16-prfsha256-ecp256 */
	char *unique;      /* no | never | replace | keep */
	char *auth;        /* psk (default) | pubkey: the lab's CA (pki.h) */
	char *local_id;    /* IKE identity; default the node's name */
	char *remote_id;   /* the other's; default its node name */
	char *rekey_time;
	char *reauth_time;
	char *over_time;
	char *rand_time;
	char *dpd_delay;
	bool *mobike;
	uint32_t *keyingtries;
	/* connections[] entries only: */
	struct profile_child *children;
	unsigned children_count;
};

struct profile_child { /* connections.<name>.children.<name> */
	char *name;    /* default "net" */
	/* Traffic selectors: CIDRs, addresses, ranges or "dynamic", each
	 * optionally with [proto/port]; default: the peer's protected
	 * subnets (local) and the other peer's (remote). */
	char **local_ts;
	unsigned local_ts_count;
	char **remote_ts;
	unsigned remote_ts_count;
	uint32_t *reqid;     /* 0 or absent: charon picks one */
	char *esp_proposals; /* default aes128gcm16 */
	char *start_action;  /* none | trap | start; default trap */
	char *close_action;  /* none | trap | start */
	char *dpd_action;    /* clear | trap | restart */
	char *mode;          /* tunnel | transport; default tunnel */
	char *rekey_time;
	char *life_time;
	char *rand_time;
};

struct profile {
	char *name;
	char *description;
	char *base;     /* profile this one is laid over (relative
	                               to this file's folder) */
	char *charon;   /* charon binary; default /usr/lib/ipsec/charon */
	char **plugins; /* charon.load; default: the explicit lab list */
	unsigned plugins_count;
	struct profile_settings *settings;
	struct profile_log *log;
	struct profile_ike *ike;
	struct profile_child *child;
	struct profile_ike *connections; /* several; see the top */
	unsigned connections_count;
	char *strongswan_conf; /* raw text appended to strongswan.conf */
	char *path;            /* file it was loaded from (set by the loader) */
};

/* The profile in PATH, checked; the caller frees it with profile_free()
 * (NULL is fine there). A profile with `base: other.yaml` is laid over
 * that one (recursively). NULL and err_msg() on failure. */
struct profile *profile_load(const char *path);
/* The cyaml schema profile_load() checks a file against (static; for
 * config/schema.h). */
const cyaml_schema_value_t *profile_cyaml_schema(void);
void profile_free(struct profile *p);
/* Lay src's settings over dst's; src is consumed. */
void profile_overlay(struct profile *dst, struct profile *src);

/* A profile as a mapping inside another file (a scenario's `set:`): its
 * schema fields, and its checks with paths under AT ("peers[0].set."). */
extern const cyaml_schema_field_t profile_fields[];
int profile_check_at(const struct profile *p, const struct ydoc *d, const char *at);

/* How many connections P loads (at least one). */
unsigned profile_conn_count(const struct profile *p);
/* Connection I of P, resolved: name defaulted, every field the entry leaves
 * unset taken from `ike:`. *OUT borrows P's strings; nothing to free. */
void profile_conn(const struct profile *p, unsigned i, struct profile_ike *out);
/* How many CHILD_SAs CONN (from profile_conn()) has. */
unsigned profile_child_count(const struct profile_ike *conn);
/* Child J of CONN, resolved against P's `child:` like profile_conn(). */
void profile_child(const struct profile *p, const struct profile_ike *conn, unsigned j,
		   struct profile_child *out);
/* Calls FN for every CHILD_SA of P, resolved, with its connection; I and
 * J are their places (connections[I].children[J]). Stops at the first
 * non-zero FN returns, and returns it; 0 when every call did. */
typedef int (*profile_child_fn)(void *ctx, unsigned i, unsigned j, const struct profile_ike *conn,
				const struct profile_child *child);
int profile_each_child(const struct profile *p, profile_child_fn fn, void *ctx);

/* The connection that has a CHILD_SA named CHILD (child names are unique
 * in a profile), or -1. */
int profile_conn_of_child(const struct profile *p, const char *child);

/* The identities P's connections use on side LOCAL (local_id, or with
 * none DFLT), distinct, into IDS (at most MAX, borrowed); their number. */
unsigned profile_ids(const struct profile *p, bool local, const char *dflt, const char **ids,
		     unsigned max);

/* Every "protected:N" selector of P within the topology's subnets:
 * N_LOCAL of the peer PEER that runs P, N_REMOTE of OTHER. -1 and
 * err_msg() naming P's file and the selector's path otherwise. */
int profile_check_protected(const struct profile *p, unsigned n_local, unsigned n_remote,
			    const char *peer, const char *other);

/* Whether a connection of P authenticates with certificates. */
bool profile_uses_pubkey(const struct profile *p);

/* The plugin list charon gets unless a profile says otherwise: Debian's
 * default list crashes charon under user-mode Linux, and an explicit list
 * makes runs reproducible on every host. */
extern const char *const profile_default_plugins[];
#define PROFILE_DEFAULT_CHARON "/usr/lib/ipsec/charon"
#define PROFILE_DEFAULT_CONN "lab"  /* the connection ike: describes */
#define PROFILE_DEFAULT_CHILD "net" /* the CHILD_SA child: describes */

/* "90", "10s", "5m", "1h", "2d" -> seconds. -1 and err_msg() when malformed. */
int duration_parse(const char *s, uint32_t *secs);

#endif

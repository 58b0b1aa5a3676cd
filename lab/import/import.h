/*
 * import.h - `ikelab import`: a report's configuration of two gateways
 * turned into a lab (a topology, a profile per gateway and a scenario
 * skeleton).
 *
 * A report brings, per gateway, a swanctl.conf or an ipsec.conf, and maybe
 * its strongswan.conf. Each is read (conf.h) into one model, struct
 * imp_gw: its connections with their IKE settings, its CHILD_SAs with
 * theirs, the addresses they name, and a note for every setting the lab
 * cannot carry, with the FILE:LINE it came from. The writer
 * (import_write.c) then derives the network both gateways describe --
 * their IKE addresses on one link, their local subnets as protected
 * subnets, routes between them -- keeping the report's addresses, and
 * writes files the lab's own loaders accept without --trust. Every value
 * is checked before it is written; one the lab does not take becomes a
 * note instead, never a silent drop or a file the loader refuses.
 */
#ifndef IKELAB_IMPORT_H
#define IKELAB_IMPORT_H

#include "base/util.h"
#include "import/conf.h"

#include <stdbool.h>

#define IMP_MAX 16

/* key: value pairs in the order they are written. `plain`: a number or a
 * boolean, written unquoted. */
struct imp_kv {
	const char *key; /* static */
	char *val;       /* owned */
	bool plain;
};

struct imp_kvs {
	struct imp_kv kv[24];
	unsigned n;
};

struct imp_child {
	char *name;
	char *local_ts[IMP_MAX], *remote_ts[IMP_MAX];
	unsigned n_local, n_remote;
	struct imp_kvs kvs; /* the child: keys of a profile */
};

struct imp_conn {
	char *name;
	char *local_addr, *remote_addr; /* the first of each list, or NULL */
	struct imp_kvs kvs;             /* the ike: keys of a profile */
	struct imp_child child[IMP_MAX];
	unsigned n_child;
};

struct imp_gw {
	const char *conf;    /* swanctl.conf or ipsec.conf (borrowed) */
	const char *sconf;   /* strongswan.conf, or NULL (borrowed) */
	const char *reading; /* which of the two notes name (borrowed) */
	char node[12];       /* its name in the lab */
	struct imp_conn conn[IMP_MAX];
	unsigned n_conn;
	struct imp_kvs settings; /* the settings: keys of a profile */
	struct strbuf notes;     /* "FILE:LINE: what: why" lines */
	char addr[64];           /* its IKE address in the lab */
};

/* Whether PATH is an ipsec.conf: `conn NAME` or `config setup` at the
 * start of a line (false also when it cannot be read). */
bool imp_is_ipsec(const char *path);
/* Read GW->conf (either syntax, told apart by its content) and GW->sconf
 * into GW. -1 with err_msg() "FILE:LINE:COL: ..." on bad or unusable input. */
int imp_read(struct imp_gw *gw);
void imp_gw_free(struct imp_gw *gw);

/* Settings of the model; values are copied. */
void imp_set(struct imp_kvs *k, const char *key, const char *val, bool plain);
const char *imp_get(const struct imp_kvs *k, const char *key);
void imp_note(struct imp_gw *gw, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A note for every setting of ROOT that nothing took (file FILE). */
void imp_note_unused(struct imp_gw *gw, const char *file, const struct conf_node *root,
		     const char *prefix);

/* The checks values pass before they are written (true: the lab takes it). */
bool imp_duration(const char *s);
bool imp_proposals(const char *s);
bool imp_id(const char *s);

/* ipsec.conf into GW (import_ipsec.c). */
int imp_read_ipsec(struct imp_gw *gw, struct conf_node *root);
/* strongswan.conf's charon settings into GW. */
void imp_read_strongswan(struct imp_gw *gw, const struct conf_node *root);

/* Write topology.yaml, NODE.yaml for each gateway and scenario.yaml into
 * DIR (made if missing; files already there are refused). The gateways'
 * node names and addresses are settled here. */
int imp_write(struct imp_gw gw[2], const char *dir);

#endif

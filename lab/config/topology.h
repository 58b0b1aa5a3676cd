/*
 * topology.h - a network layout: nodes (peers running charon, routers that
 * forward), point-to-point links between them, and static routes.
 *
 * Loaded from topologies/NAME.yaml by topology_load(): yamlcheck.h checks
 * the document against the schema first, so an unknown key, a wrong type
 * or a number like "5x" is reported at its exact file:line:column with
 * the field's path; the semantic checks (a link to a node that does not
 * exist, a bad address) report positions the same way.
 */
#ifndef IKELAB_TOPOLOGY_H
#define IKELAB_TOPOLOGY_H

#include <stdbool.h>
#include <cyaml/cyaml.h>

enum node_role {
	NODE_PEER,
	NODE_ROUTER
};

struct topo_node {
	char *name; /* [a-z][a-z0-9_]*, at most 11 chars */
	enum node_role role;
	char *protected_addr; /* peers: CIDR of the protected subnet, with the
	                          address the peer holds (10.1.0.1/16); with
	                          `protected:`, its first entry (loader) */
	char **protected;     /* peers: several such CIDRs, or NULL */
	unsigned protected_count;
	char *ike_addr;   /* peers: address charon talks IKE from; NULL
	                          means the first link endpoint of the node */
	char *masquerade; /* routers: the peer whose side this router hides
	                     behind its own addresses (nat.h) */
	char ike_ip[46];  /* topo_ike_addr()'s buffer (INET6_ADDRSTRLEN) */
	char seen_ip[46]; /* topo_seen_addr()'s */
};

#define TOPO_MAX_PROTECTED 16

/* A peer's protected subnets (CIDRs with the address it holds): its
 * protected: list, or protected_addr alone. Borrowed. */
unsigned topo_protected_count(const struct topo_node *n);
const char *topo_protected(const struct topo_node *n, unsigned k);

struct topo_endpoint {
	char *node;
	char *address;  /* CIDR, e.g. 192.0.2.1/24 or 2001:db8::1/64 */
	char *address6; /* dual stack: an IPv6 CIDR beside an IPv4 address */
};

struct topo_link {
	struct topo_endpoint *endpoints; /* exactly two */
	unsigned endpoints_count;
};

struct topo_route {
	char *node;
	char *to;  /* CIDR, or "default" */
	char *via; /* gateway address */
};

struct topology {
	char *name;
	char *description;
	struct topo_node *nodes;
	unsigned nodes_count;
	struct topo_link *links;
	unsigned links_count;
	struct topo_route *routes;
	unsigned routes_count;
	char *path; /* file it was loaded from (set by the loader) */
};

/* The topology in PATH, checked; the caller frees it with topology_free()
 * (NULL is fine there). NULL and err_msg() ("topologies/x.yaml:12:7:
 * links[1].endpoints[0].node: no node named 'carol'") on failure. */
struct topology *topology_load(const char *path);
/* The cyaml schema topology_load() checks a file against (static; for
 * config/schema.h). */
const cyaml_schema_value_t *topology_cyaml_schema(void);
void topology_free(struct topology *t);

/* Index of the node NAME in t->nodes, or -1. */
int topo_node_index(const struct topology *t, const char *name);
const struct topo_node *topo_node_find(const struct topology *t, const char *name);
/* The two peers, in file order. Valid topologies have exactly two. */
const struct topo_node *topo_peer(const struct topology *t, unsigned i);
/* IKE address of a peer without prefix length ("192.0.2.1"), written into
 * the node's ike_ip on each call; NULL if the node is on no link. */
const char *topo_ike_addr(const struct topology *t, const struct topo_node *n);
/* N's address as the other peer sees it: the outside address of a
 * router that masquerades N (the first of its links that does not lead
 * to N), or else topo_ike_addr(); in N's seen_ip. */
const char *topo_seen_addr(const struct topology *t, const struct topo_node *n);
/* Whether any address or protected subnet of T is IPv6 (routers then
 * forward IPv6, and the fault wire queues it too). */
bool topo_uses_ipv6(const struct topology *t);

#endif

#include "config/topology.h"
#include "base/util.h"
#include "config/yamlcheck.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct topo_node *topo_node_find(const struct topology *t, const char *name)
{
	for (unsigned i = 0; i < t->nodes_count; i++)
		if (!strcmp(t->nodes[i].name, name))
			return &t->nodes[i];
	return NULL;
}

int topo_node_index(const struct topology *t, const char *name)
{
	for (unsigned i = 0; i < t->nodes_count; i++)
		if (!strcmp(t->nodes[i].name, name))
			return (int)i;
	return -1;
}

const struct topo_node *topo_peer(const struct topology *t, unsigned i)
{
	for (unsigned j = 0; j < t->nodes_count; j++)
		if (t->nodes[j].role == NODE_PEER && i-- == 0)
			return &t->nodes[j];
	return NULL;
}

static const char *first_address(const struct topology *t, const struct topo_node *n)
{
	for (unsigned i = 0; i < t->links_count; i++)
		for (unsigned j = 0; j < t->links[i].endpoints_count; j++)
			if (!strcmp(t->links[i].endpoints[j].node, n->name))
				return t->links[i].endpoints[j].address;
	return NULL;
}

const char *topo_ike_addr(const struct topology *t, const struct topo_node *n)
{
	/* ike_ip is a cache inside the (heap) node, not part of its value. */
	struct topo_node *w = (struct topo_node *)n;
	const char *addr = n->ike_addr ? n->ike_addr : first_address(t, n);

	if (!addr)
		return NULL;
	snprintf(w->ike_ip, sizeof(w->ike_ip), "%.*s", (int)strcspn(addr, "/"), addr);
	return w->ike_ip;
}

/* The outside address of the router that masquerades N, or NULL. */
static const char *nat_address(const struct topology *t, const struct topo_node *n)
{
	for (unsigned i = 0; i < t->nodes_count; i++) {
		const struct topo_node *r = &t->nodes[i];

		if (!r->masquerade || strcmp(r->masquerade, n->name))
			continue;
		for (unsigned l = 0; l < t->links_count; l++) {
			const struct topo_endpoint *e = t->links[l].endpoints;

			if (!strcmp(e[0].node, r->name) && strcmp(e[1].node, n->name))
				return e[0].address;
			if (!strcmp(e[1].node, r->name) && strcmp(e[0].node, n->name))
				return e[1].address;
		}
	}
	return NULL;
}

const char *topo_seen_addr(const struct topology *t, const struct topo_node *n)
{
	struct topo_node *w = (struct topo_node *)n;
	const char *addr = nat_address(t, n);

	if (!addr)
		addr = topo_ike_addr(t, n);
	if (!addr)
		return NULL;
	snprintf(w->seen_ip, sizeof(w->seen_ip), "%.*s", (int)strcspn(addr, "/"), addr);
	return w->seen_ip;
}

bool topo_uses_ipv6(const struct topology *t)
{
	for (unsigned l = 0; l < t->links_count; l++)
		for (unsigned j = 0; j < 2; j++)
			if (t->links[l].endpoints[j].address6 ||
			    strchr(t->links[l].endpoints[j].address, ':'))
				return true;
	for (unsigned i = 0; i < t->nodes_count; i++)
		for (unsigned k = 0;
		     t->nodes[i].role == NODE_PEER && k < topo_protected_count(&t->nodes[i]); k++)
			if (strchr(topo_protected(&t->nodes[i], k), ':'))
				return true;
	return false;
}

/* Loading */

#define OPT CYAML_FLAG_OPTIONAL
#define STR(key, flags, type, member) \
	CYAML_FIELD_STRING_PTR(key, flags, type, member, 0, CYAML_UNLIMITED)

#define NODE_NAME_MAX 11 /* ends up in interface names */
#define NODES_MAX 16     /* lab.c keeps per-node arrays this long */

/* Topology schema: YAML keys are the field names. */

static const cyaml_strval_t role_names[] = {
	{ "peer", NODE_PEER },
	{ "router", NODE_ROUTER },
};

static const cyaml_schema_value_t protected_schema = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, 64),
};

static const cyaml_schema_field_t node_fields[] = {
	STR("name", CYAML_FLAG_DEFAULT, struct topo_node, name),
	CYAML_FIELD_ENUM("role", CYAML_FLAG_STRICT, struct topo_node, role, role_names,
			 CYAML_ARRAY_LEN(role_names)),
	STR("protected_addr", OPT, struct topo_node, protected_addr),
	CYAML_FIELD_SEQUENCE("protected", CYAML_FLAG_POINTER | OPT, struct topo_node, protected,
			     &protected_schema, 1, TOPO_MAX_PROTECTED),
	STR("ike_addr", OPT, struct topo_node, ike_addr),
	STR("masquerade", OPT, struct topo_node, masquerade),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t node_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct topo_node, node_fields),
};

static const cyaml_schema_field_t endpoint_fields[] = {
	STR("node", CYAML_FLAG_DEFAULT, struct topo_endpoint, node),
	STR("address", CYAML_FLAG_DEFAULT, struct topo_endpoint, address),
	STR("address6", OPT, struct topo_endpoint, address6), CYAML_FIELD_END
};

static const cyaml_schema_value_t endpoint_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct topo_endpoint, endpoint_fields),
};

static const cyaml_schema_field_t link_fields[] = {
	CYAML_FIELD_SEQUENCE("endpoints", CYAML_FLAG_POINTER, struct topo_link, endpoints,
			     &endpoint_schema, 2, 2),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t link_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct topo_link, link_fields),
};

static const cyaml_schema_field_t route_fields[] = {
	STR("node", CYAML_FLAG_DEFAULT, struct topo_route, node),
	STR("to", CYAML_FLAG_DEFAULT, struct topo_route, to),
	STR("via", CYAML_FLAG_DEFAULT, struct topo_route, via), CYAML_FIELD_END
};

static const cyaml_schema_value_t route_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct topo_route, route_fields),
};

static const cyaml_schema_field_t topology_fields[] = {
	STR("name", CYAML_FLAG_DEFAULT, struct topology, name),
	STR("description", OPT, struct topology, description),
	CYAML_FIELD_SEQUENCE("nodes", CYAML_FLAG_POINTER, struct topology, nodes, &node_schema, 2,
			     NODES_MAX),
	CYAML_FIELD_SEQUENCE("links", CYAML_FLAG_POINTER, struct topology, links, &link_schema, 1,
			     CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("routes", CYAML_FLAG_POINTER | OPT, struct topology, routes,
			     &route_schema, 0, CYAML_UNLIMITED),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t topology_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct topology, topology_fields),
};

const cyaml_schema_value_t *topology_cyaml_schema(void)
{
	return &topology_schema;
}

/* Addresses */

struct cidr {
	int af; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned plen; /* the family's full length without a prefix length */
	bool has_plen;
};

static bool cidr_parse(const char *s, struct cidr *c)
{
	char buf[INET6_ADDRSTRLEN];
	size_t len = strcspn(s, "/");
	const char *p = s + len;
	unsigned max;

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(c->addr, 0, sizeof(c->addr));
	c->af = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(c->af, buf, c->addr) != 1)
		return false;
	max = c->af == AF_INET ? 32 : 128;
	c->has_plen = *p == '/';
	c->plen = max;
	if (!c->has_plen)
		return true;
	p++;
	len = strspn(p, "0123456789");
	if (!len || len > 3 || p[len] || (p[0] == '0' && len > 1))
		return false;
	c->plen = (unsigned)atoi(p);
	return c->plen <= max;
}

/* Whether A and B agree in their first PLEN bits (and family). */
static bool same_subnet(const struct cidr *a, const struct cidr *b, unsigned plen)
{
	if (a->af != b->af)
		return false;
	for (unsigned bit = 0; bit < plen; bit++) {
		unsigned char m = (unsigned char)(0x80u >> (bit % 8));

		if ((a->addr[bit / 8] ^ b->addr[bit / 8]) & m)
			return false;
	}
	return true;
}

static bool same_addr(const struct cidr *a, const struct cidr *b)
{
	return a->af == b->af && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* Host bits set beyond the prefix. */
static bool host_bits(const struct cidr *c)
{
	for (unsigned bit = c->plen; bit < (c->af == AF_INET ? 32u : 128u); bit++)
		if (c->addr[bit / 8] & (0x80u >> (bit % 8)))
			return true;
	return false;
}

static int want_cidr(const struct ydoc *d, const char *path, const char *s, struct cidr *c)
{
	if (!cidr_parse(s, c) || !c->has_plen)
		return ydoc_err(d, path,
				"'%s' is not an address with prefix length "
				"(like 192.0.2.1/24 or 2001:db8::1/64)",
				s);
	return 0;
}

static int want_addr(const struct ydoc *d, const char *path, const char *s, struct cidr *c)
{
	if (!cidr_parse(s, c) || c->has_plen)
		return ydoc_err(d, path,
				"'%s' is not a plain address "
				"(like 192.0.2.1 or 2001:db8::1)",
				s);
	return 0;
}

/* Topology checks */

static bool node_name_ok(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");

	return *s >= 'a' && *s <= 'z' && !s[n] && n <= NODE_NAME_MAX;
}

/* protected_addr: X is protected: [X]; the first is where probes run. */
static int check_protected(const struct topo_node *n, const struct ydoc *d, unsigned i)
{
	char path[YPATH_LEN];
	struct cidr c;

	if (n->protected_addr && n->protected)
		return ydoc_err(d, ypath(path, "nodes[%u].protected", i),
				"peer '%s' has protected_addr and protected: name its subnets "
				"in one of them",
				n->name);
	if (!n->protected_addr && !n->protected)
		return ydoc_err(d, ypath(path, "nodes[%u]", i),
				"peer '%s' needs protected_addr (or a protected: list)", n->name);
	if (n->protected_addr)
		return want_cidr(d, ypath(path, "nodes[%u].protected_addr", i), n->protected_addr,
				 &c);
	for (unsigned k = 0; k < n->protected_count; k++)
		if (want_cidr(d, ypath(path, "nodes[%u].protected[%u]", i, k), n->protected[k],
			      &c) < 0)
			return -1;
	return 0;
}

unsigned topo_protected_count(const struct topo_node *n)
{
	return n->protected ? n->protected_count : 1;
}

const char *topo_protected(const struct topo_node *n, unsigned k)
{
	return n->protected ? n->protected[k] : n->protected_addr;
}

static int check_node(const struct topology *t, const struct ydoc *d, unsigned i)
{
	const struct topo_node *n = &t->nodes[i];
	int first = topo_node_index(t, n->name);
	char path[YPATH_LEN];
	unsigned line = 0, col;

	if (!node_name_ok(n->name))
		return ydoc_err(d, ypath(path, "nodes[%u].name", i),
				"'%s' is not a node name ([a-z][a-z0-9_]*, at most %d "
				"characters)",
				n->name, NODE_NAME_MAX);
	/* A peer's folder is LABDIR/NAME, beside the lab's psk file and pki
	 * folder; a scenario's `peer: both` means both peers. */
	if (!strcmp(n->name, "psk") || !strcmp(n->name, "pki") || !strcmp(n->name, "both"))
		return ydoc_err(d, ypath(path, "nodes[%u].name", i),
				"'%s' is reserved (not a node name)", n->name);
	if ((unsigned)first != i) {
		ydoc_mark(d, ypath(path, "nodes[%d].name", first), &line, &col);
		return ydoc_err(d, ypath(path, "nodes[%u].name", i),
				"duplicate node name '%s' (first at line %u)", n->name, line);
	}
	if (n->role == NODE_ROUTER) {
		if (n->protected_addr || n->protected)
			return ydoc_err(d,
					ypath(path, "nodes[%u].%s", i,
					      n->protected ? "protected" : "protected_addr"),
					"a router protects no subnet (only peers do)");
		if (n->ike_addr)
			return ydoc_err(d, ypath(path, "nodes[%u].ike_addr", i),
					"a router runs no charon (only peers do)");
		return 0;
	}
	if (n->masquerade)
		return ydoc_err(d, ypath(path, "nodes[%u].masquerade", i),
				"only a router masquerades (a peer is what it hides)");
	return check_protected(n, d, i);
}

static int check_nodes(const struct topology *t, const struct ydoc *d)
{
	unsigned peers = 0;

	for (unsigned i = 0; i < t->nodes_count; i++) {
		if (check_node(t, d, i) < 0)
			return -1;
		peers += t->nodes[i].role == NODE_PEER;
	}
	if (peers != 2)
		return ydoc_err(d, "nodes",
				"expected exactly 2 nodes with "
				"role peer, found %u",
				peers);
	return 0;
}

/* Dual stack: both ends have an IPv6 address6 in one subnet, beside
 * IPv4 addresses (AF is the family of `address`). */
static int check_link6(const struct topology *t, const struct ydoc *d, unsigned i, int af)
{
	const struct topo_endpoint *e = t->links[i].endpoints;
	char path[YPATH_LEN];
	struct cidr c[2];

	if (!e[0].address6 && !e[1].address6)
		return 0;
	for (unsigned j = 0; j < 2; j++) {
		ypath(path, "links[%u].endpoints[%u]", i, j);
		if (!e[j].address6)
			return ydoc_err(d, path, "one end of the link has address6, this one none");
		ypath(path, "links[%u].endpoints[%u].address6", i, j);
		if (af != AF_INET)
			return ydoc_err(d, path,
					"address6 is an IPv6 address beside an IPv4 address (this "
					"end's address is IPv6 already)");
		if (want_cidr(d, path, e[j].address6, &c[j]) < 0)
			return -1;
		if (c[j].af != AF_INET6)
			return ydoc_err(d, path, "'%s' is not an IPv6 address", e[j].address6);
	}
	if (c[0].plen != c[1].plen || !same_subnet(&c[0], &c[1], c[0].plen) ||
	    same_addr(&c[0], &c[1]))
		return ydoc_err(d, ypath(path, "links[%u].endpoints[1].address6", i),
				"'%s' and '%s' are not two addresses in one subnet", e[0].address6,
				e[1].address6);
	return 0;
}

static int check_link(const struct topology *t, const struct ydoc *d, unsigned i)
{
	const struct topo_endpoint *e = t->links[i].endpoints;
	char path[YPATH_LEN];
	struct cidr c[2];

	for (unsigned j = 0; j < 2; j++) {
		if (topo_node_index(t, e[j].node) < 0)
			return ydoc_err(d, ypath(path, "links[%u].endpoints[%u].node", i, j),
					"no node named '%s'", e[j].node);
		if (want_cidr(d, ypath(path, "links[%u].endpoints[%u].address", i, j), e[j].address,
			      &c[j]) < 0)
			return -1;
	}
	if (!strcmp(e[0].node, e[1].node))
		return ydoc_err(d, ypath(path, "links[%u].endpoints[1].node", i),
				"both ends of the link are on node '%s'", e[0].node);
	if (c[0].plen != c[1].plen || !same_subnet(&c[0], &c[1], c[0].plen) ||
	    same_addr(&c[0], &c[1]))
		return ydoc_err(d, ypath(path, "links[%u].endpoints[1].address", i),
				"'%s' and '%s' are not two addresses in one subnet", e[0].address,
				e[1].address);
	return check_link6(t, d, i, c[0].af);
}

/* Calls FN for each link endpoint on node NAME until it returns true. */
static const struct topo_endpoint *endpoint_find(const struct topology *t, const char *name,
						 bool (*fn)(const struct topo_endpoint *,
							    const void *),
						 const void *arg)
{
	for (unsigned i = 0; i < t->links_count; i++)
		for (unsigned j = 0; j < t->links[i].endpoints_count; j++) {
			const struct topo_endpoint *e = &t->links[i].endpoints[j];

			if (!strcmp(e->node, name) && fn(e, arg))
				return e;
		}
	return NULL;
}

static bool any_endpoint(const struct topo_endpoint *e, const void *arg)
{
	return true;
}

static bool same_address(const struct topo_endpoint *e, const void *arg)
{
	const struct cidr *want = arg;
	struct cidr c;

	return (cidr_parse(e->address, &c) && same_addr(&c, want)) ||
	       (e->address6 && cidr_parse(e->address6, &c) && same_addr(&c, want));
}

static bool on_subnet(const struct topo_endpoint *e, const void *arg)
{
	const struct cidr *want = arg;
	struct cidr c;

	return (cidr_parse(e->address, &c) && same_subnet(&c, want, c.plen)) ||
	       (e->address6 && cidr_parse(e->address6, &c) && same_subnet(&c, want, c.plen));
}

static int check_links(const struct topology *t, const struct ydoc *d)
{
	char path[YPATH_LEN];
	struct cidr c;

	for (unsigned i = 0; i < t->links_count; i++)
		if (check_link(t, d, i) < 0)
			return -1;
	for (unsigned i = 0; i < t->nodes_count; i++) {
		const struct topo_node *n = &t->nodes[i];

		if (!endpoint_find(t, n->name, any_endpoint, NULL))
			return ydoc_err(d, ypath(path, "nodes[%u]", i), "node '%s' is on no link",
					n->name);
		if (!n->ike_addr)
			continue;
		ypath(path, "nodes[%u].ike_addr", i);
		if (want_addr(d, path, n->ike_addr, &c) < 0)
			return -1;
		if (!endpoint_find(t, n->name, same_address, &c))
			return ydoc_err(d, path,
					"%s is not an address of "
					"node '%s' on any link",
					n->ike_addr, n->name);
	}
	return 0;
}

static int check_route(const struct topology *t, const struct ydoc *d, unsigned i)
{
	const struct topo_route *r = &t->routes[i];
	char path[YPATH_LEN];
	struct cidr to, via;

	if (topo_node_index(t, r->node) < 0)
		return ydoc_err(d, ypath(path, "routes[%u].node", i), "no node named '%s'",
				r->node);
	ypath(path, "routes[%u].to", i);
	if (strcmp(r->to, "default")) {
		if (!cidr_parse(r->to, &to) || !to.has_plen)
			return ydoc_err(d, path,
					"'%s' is neither 'default' "
					"nor a subnet (like 10.2.0.0/16 or 2001:db8:2::/48)",
					r->to);
		if (host_bits(&to))
			return ydoc_err(d, path, "'%s' has host bits set", r->to);
	}
	ypath(path, "routes[%u].via", i);
	if (want_addr(d, path, r->via, &via) < 0)
		return -1;
	if (strcmp(r->to, "default") && via.af != to.af)
		return ydoc_err(d, path, "%s is an %s address, %s an %s subnet", r->via,
				via.af == AF_INET ? "IPv4" : "IPv6", r->to,
				to.af == AF_INET ? "IPv4" : "IPv6");
	if (endpoint_find(t, r->node, same_address, &via))
		return ydoc_err(d, path,
				"%s is an address of node '%s' "
				"itself",
				r->via, r->node);
	if (!endpoint_find(t, r->node, on_subnet, &via))
		return ydoc_err(d, path,
				"%s is on no subnet that node '%s' "
				"is linked to",
				r->via, r->node);
	return 0;
}

/* The router hides a peer it is linked to directly: its other links are
 * the outside. */
static int check_masquerade(const struct topology *t, const struct ydoc *d, unsigned i)
{
	const struct topo_node *n = &t->nodes[i];
	const struct topo_node *peer = topo_node_find(t, n->masquerade);
	char path[YPATH_LEN];

	ypath(path, "nodes[%u].masquerade", i);
	if (!peer || peer->role != NODE_PEER)
		return ydoc_err(d, path, "topology has no peer named '%s'", n->masquerade);
	for (unsigned k = 0; k < i; k++)
		if (t->nodes[k].masquerade)
			return ydoc_err(d, path,
					"router '%s' masquerades already: one NAT per "
					"topology",
					t->nodes[k].name);
	for (unsigned l = 0; l < t->links_count; l++) {
		const struct topo_endpoint *e = t->links[l].endpoints;

		if ((!strcmp(e[0].node, n->name) && !strcmp(e[1].node, peer->name)) ||
		    (!strcmp(e[1].node, n->name) && !strcmp(e[0].node, peer->name)))
			return nat_address(t, peer)
				       ? 0
				       : ydoc_err(d, path,
						  "router '%s' has no link besides the one to "
						  "'%s': no outside to masquerade to",
						  n->name, peer->name);
	}
	return ydoc_err(d, path,
			"router '%s' has no link to peer '%s' (it masquerades a side "
			"it is linked to)",
			n->name, peer->name);
}

/* charon talks IKE between two addresses of one family; a masquerading
 * router is IPv4 (iptables-legacy, nat.h). */
static int check_families(const struct topology *t, const struct ydoc *d)
{
	struct cidr c[2];
	char path[YPATH_LEN];

	for (unsigned k = 0; k < 2; k++)
		cidr_parse(topo_ike_addr(t, topo_peer(t, k)), &c[k]);
	if (c[0].af != c[1].af)
		return ydoc_err(d,
				ypath(path, "nodes[%d]", topo_node_index(t, topo_peer(t, 1)->name)),
				"peers %s and %s talk IKE from addresses of two families (%s, %s): "
				"set ike_addr",
				topo_peer(t, 0)->name, topo_peer(t, 1)->name,
				topo_peer(t, 0)->ike_ip, topo_peer(t, 1)->ike_ip);
	for (unsigned i = 0; i < t->nodes_count; i++)
		if (t->nodes[i].masquerade && c[0].af != AF_INET)
			return ydoc_err(d, ypath(path, "nodes[%u].masquerade", i),
					"a router masquerades IPv4 only, and the peers talk IKE "
					"over IPv6");
	return 0;
}

static int topology_check(const struct topology *t, const struct ydoc *d)
{
	if (check_nodes(t, d) < 0 || check_links(t, d) < 0)
		return -1;
	for (unsigned i = 0; i < t->nodes_count; i++)
		if (t->nodes[i].masquerade && check_masquerade(t, d, i) < 0)
			return -1;
	if (check_families(t, d) < 0)
		return -1;
	for (unsigned i = 0; i < t->routes_count; i++)
		if (check_route(t, d, i) < 0)
			return -1;
	return 0;
}

struct topology *topology_load(const char *path)
{
	struct topology *t;
	struct ydoc *d;
	void *data;
	int rc;

	if (ycheck_load(path, &topology_schema, &data, &d) < 0)
		return NULL;
	t = data;
	t->path = xstrdup(path);
	rc = topology_check(t, d);
	ydoc_free(d);
	for (unsigned i = 0; rc == 0 && i < t->nodes_count; i++)
		if (t->nodes[i].protected)
			t->nodes[i].protected_addr = xstrdup(t->nodes[i].protected[0]);
	if (rc < 0) {
		topology_free(t);
		return NULL;
	}
	return t;
}

void topology_free(struct topology *t)
{
	if (!t)
		return;
	free(t->path);
	ycheck_free(&topology_schema, t);
}

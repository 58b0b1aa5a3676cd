/*
 * import_write.c - the import model (import.h) as a lab: topology.yaml, a
 * profile per gateway and scenario.yaml.
 *
 * The network is what the two configurations agree on: each gateway's IKE
 * address (its own local address, or the other's remote one), both on one
 * link whose prefix holds the two; each gateway's local selectors that are
 * subnets become its protected subnets, holding their first address; a
 * route on each side to the other's. Every string is written as a
 * single-quoted YAML scalar and every comment line is one line (the reader
 * refused control characters), so nothing from the report becomes YAML
 * structure. The files are then loaded by the lab's own scenario loader,
 * without --trust, before the command says it is done.
 */
#include "import/import.h"

#include "base/err.h"
#include "base/file.h"
#include "config/scenario.h"
#include "config/ts.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct net {
	char protected[IMP_MAX][80]; /* holder address/prefix */
	char subnet[IMP_MAX][80];    /* masked */
	unsigned n;
};

/* ---- addresses ------------------------------------------------------------ */

struct ip {
	int family;
	unsigned char b[16];
	unsigned bits;
};

static bool ip_parse(const char *s, struct ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->b) == 1)
		return ip->family = AF_INET, ip->bits = 32, true;
	if (inet_pton(AF_INET6, s, ip->b) == 1)
		return ip->family = AF_INET6, ip->bits = 128, true;
	return false;
}

static int bit(const struct ip *ip, unsigned i)
{
	return (ip->b[i / 8] >> (7 - i % 8)) & 1;
}

static unsigned common_prefix(const struct ip *a, const struct ip *b)
{
	unsigned i = 0;

	while (i < a->bits && bit(a, i) == bit(b, i))
		i++;
	return i;
}

static void ip_str(const struct ip *ip, char *buf, size_t len)
{
	inet_ntop(ip->family, ip->b, buf, (socklen_t)len);
}

/* Whether the host part of IP under PREFIX is all zeros or (IPv4) all ones. */
static bool edge_of(const struct ip *ip, unsigned prefix)
{
	bool zeros = true, ones = true;

	for (unsigned i = prefix; i < ip->bits; i++)
		bit(ip, i) ? (zeros = false) : (ones = false);
	return prefix < ip->bits - 1 && (zeros || (ip->family == AF_INET && ones));
}

/* "10.1.0.0/16" -> "10.1.0.1/16"; a host route keeps its address. */
static bool holder_of(const char *subnet, char *out, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(subnet, '/');
	struct ip ip;
	unsigned prefix;

	if (!slash || (size_t)(slash - subnet) >= sizeof(addr))
		return false;
	memcpy(addr, subnet, (size_t)(slash - subnet));
	addr[slash - subnet] = '\0';
	if (!ip_parse(addr, &ip))
		return false;
	prefix = (unsigned)atoi(slash + 1);
	if (prefix < ip.bits)
		ip.b[ip.bits / 8 - 1] |= 1;
	ip_str(&ip, addr, sizeof(addr));
	snprintf(out, len, "%s/%u", addr, prefix);
	return true;
}

static bool subnet_holds(const char *subnet, const char *addr)
{
	struct ip s, a;
	char base[64];
	const char *slash = strchr(subnet, '/');

	if (!slash || (size_t)(slash - subnet) >= sizeof(base))
		return false;
	memcpy(base, subnet, (size_t)(slash - subnet));
	base[slash - subnet] = '\0';
	return ip_parse(base, &s) && ip_parse(addr, &a) && s.family == a.family &&
	       common_prefix(&s, &a) >= (unsigned)atoi(slash + 1);
}

/* ---- settling the two gateways --------------------------------------------------- */

static void swap_str(char **a, char **b)
{
	char *t = *a;

	*a = *b, *b = t;
}

/* ipsec.conf lets `left` be either end; a gateway whose left is the
 * other's left too is written the other way round. */
static void swap_sides(struct imp_gw *gw)
{
	for (unsigned i = 0; i < gw->n_conn; i++) {
		struct imp_conn *c = &gw->conn[i];
		struct imp_kv *l = NULL, *r = NULL;

		swap_str(&c->local_addr, &c->remote_addr);
		for (unsigned k = 0; k < c->kvs.n; k++) {
			if (!strcmp(c->kvs.kv[k].key, "local_id"))
				l = &c->kvs.kv[k];
			if (!strcmp(c->kvs.kv[k].key, "remote_id"))
				r = &c->kvs.kv[k];
		}
		if (l)
			l->key = "remote_id";
		if (r)
			r->key = "local_id";
		for (unsigned j = 0; j < c->n_child; j++) {
			struct imp_child *ch = &c->child[j];
			char *t[IMP_MAX];
			unsigned n = ch->n_local;

			memcpy(t, ch->local_ts, sizeof(t));
			memcpy(ch->local_ts, ch->remote_ts, sizeof(t));
			memcpy(ch->remote_ts, t, sizeof(t));
			ch->n_local = ch->n_remote, ch->n_remote = n;
		}
	}
	imp_note(gw, 0,
		 "%s: `left` is the other gateway's address: left and right are read "
		 "the other way round",
		 gw->conf);
}

static bool same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static void settle_sides(struct imp_gw gw[2])
{
	if (same(gw[1].conn[0].local_addr, gw[0].conn[0].local_addr) ||
	    same(gw[1].conn[0].remote_addr, gw[0].conn[0].remote_addr))
		swap_sides(&gw[1]);
}

static int settle_addr(struct imp_gw *gw, const struct imp_gw *other)
{
	const char *a =
		gw->conn[0].local_addr ? gw->conn[0].local_addr : other->conn[0].remote_addr;
	struct ip ip;

	if (!a)
		return err_set("%s: no address for this gateway: neither its local address "
			       "(local_addrs, left) nor the other's remote one names it",
			       gw->conf);
	if (!ip_parse(a, &ip))
		return err_set("%s: '%s' is not an IP address", gw->conf, a);
	snprintf(gw->addr, sizeof(gw->addr), "%s", a);
	return 0;
}

/* The first label of the local identity, when it makes a node name. */
static void settle_name(struct imp_gw *gw, const char *dflt)
{
	const char *id = imp_get(&gw->conn[0].kvs, "local_id");
	size_t n = id ? strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789_") : 0;

	if (id && n && n < sizeof(gw->node) && id[0] >= 'a' && id[0] <= 'z' &&
	    (id[n] == '.' || !id[n] || id[n] == '@')) {
		memcpy(gw->node, id, n);
		gw->node[n] = '\0';
		if (strcmp(gw->node, "psk") && strcmp(gw->node, "pki") && strcmp(gw->node, "both"))
			return;
	}
	snprintf(gw->node, sizeof(gw->node), "%s", dflt);
}

static int settle(struct imp_gw gw[2])
{
	struct ip a, b;

	settle_sides(gw);
	if (settle_addr(&gw[0], &gw[1]) < 0 || settle_addr(&gw[1], &gw[0]) < 0)
		return -1;
	ip_parse(gw[0].addr, &a);
	ip_parse(gw[1].addr, &b);
	if (a.family != b.family || !strcmp(gw[0].addr, gw[1].addr))
		return err_set(
			"the gateways' addresses %s (%s) and %s (%s) are of two families, or "
			"one address",
			gw[0].addr, gw[0].conf, gw[1].addr, gw[1].conf);
	settle_name(&gw[0], "alice");
	settle_name(&gw[1], "bob");
	if (!strcmp(gw[0].node, gw[1].node)) {
		snprintf(gw[0].node, sizeof(gw[0].node), "alice");
		snprintf(gw[1].node, sizeof(gw[1].node), "bob");
	}
	return 0;
}

/* Each gateway's local selectors that are subnets, without the link's. */
static void protected_of(struct imp_gw *gw, struct net *net)
{
	net->n = 0;
	for (unsigned i = 0; i < gw->n_conn; i++)
		for (unsigned j = 0; j < gw->conn[i].n_child; j++)
			for (unsigned k = 0; k < gw->conn[i].child[j].n_local; k++) {
				char sub[64];
				bool dup = false;

				if (!ts_subnet(gw->conn[i].child[j].local_ts[k], sub,
					       sizeof(sub)) ||
				    subnet_holds(sub, gw->addr) || net->n == IMP_MAX)
					continue;
				for (unsigned m = 0; m < net->n; m++)
					dup |= !strcmp(net->subnet[m], sub);
				if (dup || !holder_of(sub, net->protected[net->n], 80))
					continue;
				snprintf(net->subnet[net->n++], 80, "%s", sub);
			}
	if (!net->n) {
		/* Host to host: probes run between the IKE addresses. */
		snprintf(net->protected[0], 80, "%s/%u", gw->addr,
			 strchr(gw->addr, ':') ? 128 : 32);
		net->subnet[0][0] = '\0';
		net->n = 1;
	}
}

/* ---- YAML -------------------------------------------------------------------- */

static void yq(struct strbuf *sb, const char *s)
{
	sb_add(sb, "'", 1);
	for (; *s; s++)
		sb_add(sb, s, 1), (*s == '\'' ? sb_add(sb, "'", 1) : (void)0);
	sb_add(sb, "'", 1);
}

static void kvs_yaml(struct strbuf *sb, const struct imp_kvs *k, const char *indent)
{
	for (unsigned i = 0; i < k->n; i++) {
		sb_addf(sb, "%s%s: ", indent, k->kv[i].key);
		if (k->kv[i].plain)
			sb_addf(sb, "%s\n", k->kv[i].val);
		else
			yq(sb, k->kv[i].val), sb_add(sb, "\n", 1);
	}
}

static void list_yaml(struct strbuf *sb, const char *key, char *const *v, unsigned n)
{
	sb_addf(sb, "        %s: [", key);
	for (unsigned i = 0; i < n; i++) {
		if (i)
			sb_add(sb, ", ", 2);
		yq(sb, v[i]);
	}
	sb_add(sb, "]\n", 2);
}

static void comment_lines(struct strbuf *sb, const char *text, const char *prefix)
{
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		sb_addf(sb, "%s%.*s\n", prefix, (int)n, p);
		p = nl ? nl + 1 : NULL;
	}
}

static void profile_yaml(struct strbuf *sb, const struct imp_gw *gw)
{
	sb_addf(sb, "# %s: the gateway of %s%s%s, imported by `ikelab import`.\n", gw->node,
		gw->conf, gw->sconf ? " and " : "", gw->sconf ? gw->sconf : "");
	if (gw->notes.len) {
		sb_addf(sb, "#\n# Not carried over, with where the report says it:\n");
		comment_lines(sb, gw->notes.buf, "#   ");
	}
	sb_addf(sb, "\nname: %s\ndescription: ", gw->node);
	yq(sb, gw->conf);
	sb_addf(sb, "\nlog: {default: 1, ike: 2, knl: 2, cfg: 1, chd: 2, net: 1}\n");
	if (gw->settings.n) {
		sb_addf(sb, "settings:\n");
		kvs_yaml(sb, &gw->settings, "  ");
	}
	sb_addf(sb, "connections:\n");
	for (unsigned i = 0; i < gw->n_conn; i++) {
		const struct imp_conn *c = &gw->conn[i];

		sb_addf(sb, "  - name: ");
		yq(sb, c->name);
		sb_add(sb, "\n", 1);
		kvs_yaml(sb, &c->kvs, "    ");
		sb_addf(sb, "    children:\n");
		for (unsigned j = 0; j < c->n_child; j++) {
			sb_addf(sb, "      - name: ");
			yq(sb, c->child[j].name);
			sb_add(sb, "\n", 1);
			list_yaml(sb, "local_ts", c->child[j].local_ts, c->child[j].n_local);
			list_yaml(sb, "remote_ts", c->child[j].remote_ts, c->child[j].n_remote);
			kvs_yaml(sb, &c->child[j].kvs, "        ");
		}
	}
}

static unsigned link_prefix(const struct imp_gw gw[2])
{
	struct ip a, b;
	unsigned p;

	ip_parse(gw[0].addr, &a);
	ip_parse(gw[1].addr, &b);
	p = common_prefix(&a, &b);
	if (p > (a.family == AF_INET ? 24u : 64u))
		p = a.family == AF_INET ? 24 : 64;
	while (p > 1 && (edge_of(&a, p) || edge_of(&b, p)))
		p--;
	return p;
}

/* Subnets of the family the IKE addresses are not of (IPv4 in an IPv6
 * tunnel) need the link to carry that family too: a documentation address
 * beside each IKE address, and the IKE address named. */
static bool needs_other_family(const struct imp_gw gw[2], const struct net net[2])
{
	bool v6 = strchr(gw[0].addr, ':') != NULL;

	for (unsigned i = 0; i < 2; i++)
		for (unsigned k = 0; k < net[i].n; k++)
			if ((strchr(net[i].protected[k], ':') != NULL) != v6)
				return true;
	return false;
}

static const char *const other_v4[2] = { "192.0.2.1", "192.0.2.2" };
static const char *const other_v6[2] = { "2001:db8:ffff::1", "2001:db8:ffff::2" };

static void links_yaml(struct strbuf *sb, const struct imp_gw gw[2], bool dual)
{
	unsigned p = link_prefix(gw);
	bool v6 = strchr(gw[0].addr, ':') != NULL;

	sb_addf(sb, "links:\n  - endpoints:\n");
	for (unsigned i = 0; i < 2; i++) {
		if (!dual)
			sb_addf(sb, "      - {node: %s, address: '%s/%u'}\n", gw[i].node,
				gw[i].addr, p);
		else if (v6)
			sb_addf(sb, "      - {node: %s, address: '%s/24', address6: '%s/%u'}\n",
				gw[i].node, other_v4[i], gw[i].addr, p);
		else
			sb_addf(sb, "      - {node: %s, address: '%s/%u', address6: '%s/64'}\n",
				gw[i].node, gw[i].addr, p, other_v6[i]);
	}
}

/* The address a route to SUBNET goes via on gateway I. */
static const char *via(const struct imp_gw *gw, unsigned i, const char *subnet)
{
	bool v6 = strchr(subnet, ':') != NULL;

	if (v6 == (strchr(gw->addr, ':') != NULL))
		return gw->addr;
	return v6 ? other_v6[i] : other_v4[i];
}

static void topology_yaml(struct strbuf *sb, const struct imp_gw gw[2], const struct net net[2])
{
	bool dual = needs_other_family(gw, net);

	sb_addf(sb,
		"# The network two gateways' configurations describe, imported by\n"
		"# `ikelab import`: their IKE addresses on one link, the subnets of their\n"
		"# local selectors behind them, and a route on each side to the other's.\n"
		"#   %s: %s\n#   %s: %s\n",
		gw[0].node, gw[0].conf, gw[1].node, gw[1].conf);
	if (dual)
		sb_addf(sb,
			"# Their subnets are of the other family than their IKE addresses: the\n"
			"# link carries both, with documentation addresses for the other.\n");
	sb_addf(sb, "\nname: imported\ndescription: 'imported: %s and %s'\nnodes:\n", gw[0].node,
		gw[1].node);
	for (unsigned i = 0; i < 2; i++) {
		sb_addf(sb, "  - name: %s\n    role: peer\n    protected: [", gw[i].node);
		for (unsigned k = 0; k < net[i].n; k++)
			sb_addf(sb, "%s'%s'", k ? ", " : "", net[i].protected[k]);
		sb_addf(sb, "]\n");
		if (dual)
			sb_addf(sb, "    ike_addr: '%s'\n", gw[i].addr);
	}
	links_yaml(sb, gw, dual);
	for (unsigned i = 0, n = 0; i < 2; i++)
		for (unsigned k = 0; k < net[i].n; k++)
			if (net[i].subnet[k][0] && !subnet_holds(net[i].subnet[k], gw[1 - i].addr))
				sb_addf(sb, "%s  - {node: %s, to: '%s', via: '%s'}\n",
					n++ ? "" : "routes:\n", gw[1 - i].node, net[i].subnet[k],
					via(&gw[i], i, net[i].subnet[k]));
}

/* Who starts what: a CHILD_SA of the first gateway that neither side
 * starts or traps is initiated by it, as a report's test would. */
static bool starts(const struct imp_gw *gw)
{
	for (unsigned i = 0; i < gw->n_conn; i++)
		for (unsigned j = 0; j < gw->conn[i].n_child; j++) {
			const char *a = imp_get(&gw->conn[i].child[j].kvs, "start_action");

			if (a && strcmp(a, "none"))
				return true;
		}
	return false;
}

static void schedule_yaml(struct strbuf *sb, const struct imp_gw gw[2])
{
	unsigned n = 0;

	if (starts(&gw[1]))
		return;
	for (unsigned i = 0; i < gw[0].n_conn; i++)
		for (unsigned j = 0; j < gw[0].conn[i].n_child; j++) {
			const struct imp_child *ch = &gw[0].conn[i].child[j];
			const char *a = imp_get(&ch->kvs, "start_action");

			if (a && strcmp(a, "none"))
				continue;
			sb_addf(sb, "%s  - {at: %u, action: initiate, peer: %s, ike: ",
				n ? "" : "schedule:\n", 500 + 100 * n, gw[0].node);
			yq(sb, gw[0].conn[i].name);
			sb_addf(sb, ", child: ");
			yq(sb, ch->name);
			sb_addf(sb, "}\n");
			n++;
		}
}

static void scenario_yaml(struct strbuf *sb, const struct imp_gw gw[2])
{
	sb_addf(sb,
		"# A scenario skeleton for the configuration of %s (%s) and %s (%s),\n"
		"# imported by `ikelab import`. Add the schedule of the race the report\n"
		"# describes (docs/scenarios.md) and the expectations it breaks; the\n"
		"# profiles list what the lab did not carry over.\n\n",
		gw[0].node, gw[0].conf, gw[1].node, gw[1].conf);
	sb_addf(sb, "name: import-%s-%s\ndescription: 'imported: %s and %s'\ncites: ", gw[0].node,
		gw[1].node, gw[0].node, gw[1].node);
	{
		char *c =
			xasprintf("%s: %s; %s: %s", gw[0].node, gw[0].conf, gw[1].node, gw[1].conf);

		yq(sb, c);
		free(c);
	}
	sb_addf(sb, "\nexpect: clean\ntopology: topology.yaml\nprofile: %s.yaml\npeers:\n",
		gw[0].node);
	for (unsigned i = 0; i < 2; i++)
		sb_addf(sb, "  - {name: %s, profile: %s.yaml}\n", gw[i].node, gw[i].node);
	sb_addf(sb, "duration: 10s\ntraffic:\n  pps: 10\n  start: 1000\n");
	schedule_yaml(sb, gw);
	sb_addf(sb, "expectations:\n  max_ike_per_peer: 1\n  max_child_per_ts: 1\n");
}

static int write_new(const char *dir, const char *name, struct strbuf *sb)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = file_fopen(path, 0644, FILE_NEW);
	int r = -1;

	if (f) {
		r = fwrite(sb->buf, 1, sb->len, f) == sb->len ? 0 : err_sys("writing %s", path);
		if (fclose(f) != 0 && r == 0)
			r = err_sys("writing %s", path);
	} else if (path_exists(path))
		err_set("%s is already there: an import overwrites nothing (give another --out, or "
			"remove the folder's files)",
			path);
	free(path);
	sb_free(sb);
	return r;
}

int imp_write(struct imp_gw gw[2], const char *dir)
{
	struct net net[2];
	struct strbuf sb = { 0 };
	struct scenario *sc;
	char *file, *name;

	if (settle(gw) < 0)
		return -1;
	protected_of(&gw[0], &net[0]);
	protected_of(&gw[1], &net[1]);
	if (mkdir_p(dir, 0755) < 0)
		return -1;
	topology_yaml(&sb, gw, net);
	if (write_new(dir, "topology.yaml", &sb) < 0)
		return -1;
	for (unsigned i = 0; i < 2; i++) {
		profile_yaml(&sb, &gw[i]);
		name = xasprintf("%s.yaml", gw[i].node);
		if (write_new(dir, name, &sb) < 0)
			return free(name), -1;
		free(name);
	}
	scenario_yaml(&sb, gw);
	if (write_new(dir, "scenario.yaml", &sb) < 0)
		return -1;
	/* What was written must load as any file would, without --trust. */
	file = xasprintf("%s/scenario.yaml", dir);
	sc = scenario_load(file);
	free(file);
	if (!sc)
		return err_wrap(
			"the files written do not load (an importer bug: please report it)");
	scenario_free(sc);
	return 0;
}

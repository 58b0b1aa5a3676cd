#include "backend/lab-internal.h"
#include "backend/lab.h"
#include "base/err.h"
#include "base/util.h"
#include "kernel/nat.h"
#include "kernel/net.h"
#include "kernel/netns.h"

#include <netlink/netlink.h>
#include <stdio.h>
#include <string.h>

static int build_nodes(const struct topology *t, const int *nsfd, struct nl_sock **socks)
{
	for (unsigned i = 0; i < t->nodes_count; i++) {
		const struct topo_node *n = &t->nodes[i];
		int r = net_link_up(socks[i], "lo");

		/* The protected subnet lives on lo: the whole prefix is then
		 * local to the peer, so any address in it answers. */
		for (unsigned k = 0; r == 0 && n->role == NODE_PEER && k < topo_protected_count(n);
		     k++)
			r = net_addr_add(socks[i], "lo", topo_protected(n, k));
		if (r == 0 && n->role == NODE_ROUTER)
			r = netns_sysctl(nsfd[i], "net/ipv4/ip_forward", "1");
		if (r == 0 && n->role == NODE_ROUTER && topo_uses_ipv6(t))
			r = netns_sysctl(nsfd[i], "net/ipv6/conf/all/forwarding", "1");
		if (r < 0)
			return err_wrap("node %s", n->name);
	}
	return 0;
}

/* Interfaces are named eth0, eth1, ... per node, in link order. */
static int build_links(const struct topology *t, const int *nsfd, struct nl_sock **socks)
{
	unsigned next_if[16] = { 0 };

	for (unsigned l = 0; l < t->links_count; l++) {
		const struct topo_endpoint *e = t->links[l].endpoints;
		int a = topo_node_index(t, e[0].node), z = topo_node_index(t, e[1].node);
		char an[16], zn[16];

		snprintf(an, sizeof(an), "eth%u", next_if[a]++);
		snprintf(zn, sizeof(zn), "eth%u", next_if[z]++);
		if (net_veth_add(socks[a], an, zn, nsfd[z]) < 0 ||
		    net_addr_add(socks[a], an, e[0].address) < 0 ||
		    net_addr_add(socks[z], zn, e[1].address) < 0 ||
		    (e[0].address6 && net_addr_add(socks[a], an, e[0].address6) < 0) ||
		    (e[1].address6 && net_addr_add(socks[z], zn, e[1].address6) < 0) ||
		    net_link_up(socks[a], an) < 0 || net_link_up(socks[z], zn) < 0)
			return err_wrap("link %s:%s <-> %s:%s", e[0].node, an, e[1].node, zn);
	}
	return 0;
}

static int build_routes(const struct topology *t, const int *nsfd, struct nl_sock **socks)
{
	for (unsigned i = 0; i < t->routes_count; i++) {
		const struct topo_route *rt = &t->routes[i];

		if (net_route_add(socks[topo_node_index(t, rt->node)], rt->to, rt->via) < 0)
			return err_wrap("node %s", rt->node);
	}
	return 0;
}

/* Router I masquerades on every interface but the one to the peer it
 * hides (interfaces numbered as build_links() does). */
static int build_nat(const struct topology *t, const int *nsfd, unsigned i)
{
	const struct topo_node *n = &t->nodes[i];
	unsigned ifindex = 0;

	for (unsigned l = 0; l < t->links_count; l++) {
		const struct topo_endpoint *e = t->links[l].endpoints;
		int mine = !strcmp(e[0].node, n->name) ? 0 : !strcmp(e[1].node, n->name) ? 1 : -1;
		char ifname[16];

		if (mine < 0)
			continue;
		snprintf(ifname, sizeof(ifname), "eth%u", ifindex++);
		if (!strcmp(e[1 - mine].node, n->masquerade))
			continue;
		if (nat_masquerade(nsfd[i], n->name, ifname) < 0)
			return -1;
	}
	return 0;
}

int lab_net_build(const struct topology *t, const int *nsfd)
{
	struct nl_sock *socks[16] = { 0 };
	int r = 0;

	for (unsigned i = 0; i < t->nodes_count && r == 0; i++) {
		socks[i] = net_sock_in(nsfd[i], NETLINK_ROUTE);
		if (!socks[i])
			r = err_wrap("node %s", t->nodes[i].name);
	}
	if (r == 0)
		r = build_nodes(t, nsfd, socks);
	if (r == 0)
		r = build_links(t, nsfd, socks);
	if (r == 0)
		r = build_routes(t, nsfd, socks);
	for (unsigned i = 0; r == 0 && i < t->nodes_count; i++)
		if (t->nodes[i].masquerade)
			r = build_nat(t, nsfd, i);
	for (unsigned i = 0; i < t->nodes_count; i++)
		net_sock_free(socks[i]);
	return r;
}

/* The endpoint of NODE's interface DEV ("eth1": its second link in link
 * order, as build_links() numbers them), or NULL. */
static const struct topo_endpoint *endpoint_of(const struct topology *t, const char *node,
					       const char *dev)
{
	unsigned k = 0, want;

	if (sscanf(dev, "eth%u", &want) != 1)
		return NULL;
	for (unsigned l = 0; l < t->links_count; l++)
		for (int e = 0; e < 2; e++)
			if (!strcmp(t->links[l].endpoints[e].node, node) && k++ == want)
				return &t->links[l].endpoints[e];
	return NULL;
}

/* Up again, the interface gets back what the kernel took when it went
 * down: its addresses (IPv6 ones are flushed) and the node's routes. */
static int link_restore(struct nl_sock *s, const struct topology *t, const char *node,
			const char *dev)
{
	const struct topo_endpoint *e = endpoint_of(t, node, dev);

	if (!e)
		return err_set("node %s has no interface %s", node, dev);
	if (net_addr_restore(s, dev, e->address) < 0 ||
	    (e->address6 && net_addr_restore(s, dev, e->address6) < 0))
		return -1;
	for (unsigned i = 0; i < t->routes_count; i++)
		if (!strcmp(t->routes[i].node, node) &&
		    net_route_restore(s, t->routes[i].to, t->routes[i].via) < 0)
			return -1;
	return 0;
}

int lab_link_set(const struct topology *t, int nsfd, const char *node, const char *dev, bool up)
{
	struct nl_sock *s = net_sock_in(nsfd, NETLINK_ROUTE);
	int r;

	if (!s)
		return err_wrap("node %s", node);
	r = net_link_set(s, dev, up);
	if (r == 0 && up)
		r = link_restore(s, t, node, dev);
	net_sock_free(s);
	return r < 0 ? err_wrap("node %s", node) : 0;
}

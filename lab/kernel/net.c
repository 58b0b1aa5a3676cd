#include "kernel/net.h"
#include "base/err.h"
#include "kernel/netns.h"
#include "base/util.h"

#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <string.h>

struct nl_sock *net_sock_in(int nsfd, int protocol)
{
	struct netns_switch sw;
	struct nl_sock *s;
	int r;

	if (netns_enter(&sw, nsfd) < 0)
		return NULL;
	s = nl_socket_alloc();
	if (!s) {
		netns_leave(&sw);
		err_set("nl_socket_alloc failed");
		return NULL;
	}
	r = nl_connect(s, protocol);
	if (netns_leave(&sw) < 0 || r < 0) {
		if (r < 0)
			err_set("netlink connect (protocol %d): %s", protocol, nl_geterror(r));
		nl_socket_free(s);
		return NULL;
	}
	return s;
}

void net_sock_free(struct nl_sock *s)
{
	if (s)
		nl_socket_free(s);
}

int net_veth_add(struct nl_sock *s, const char *name, const char *peer, int peer_nsfd)
{
	struct rtnl_link *link = rtnl_link_veth_alloc();
	struct rtnl_link *other;
	int r;

	if (!link)
		return err_set("veth %s: allocation failed", name);
	other = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, name);
	rtnl_link_set_name(other, peer);
	rtnl_link_set_ns_fd(other, peer_nsfd);
	rtnl_link_put(other);
	r = rtnl_link_add(s, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_veth_release(link);
	if (r < 0)
		return err_set("create veth %s <-> %s: %s", name, peer, nl_geterror(r));
	return 0;
}

static int link_index(struct nl_sock *s, const char *ifname, int *index)
{
	struct rtnl_link *link;
	int r = rtnl_link_get_kernel(s, 0, ifname, &link);

	if (r < 0)
		return err_set("link %s: %s", ifname, nl_geterror(r));
	*index = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return 0;
}

int net_link_set(struct nl_sock *s, const char *ifname, bool up)
{
	struct rtnl_link *change = rtnl_link_alloc();
	struct rtnl_link *link;
	int r;

	r = rtnl_link_get_kernel(s, 0, ifname, &link);
	if (r < 0) {
		rtnl_link_put(change);
		return err_set("link %s: %s", ifname, nl_geterror(r));
	}
	if (up)
		rtnl_link_set_flags(change, IFF_UP);
	else
		rtnl_link_unset_flags(change, IFF_UP);
	r = rtnl_link_change(s, link, change, 0);
	rtnl_link_put(link);
	rtnl_link_put(change);
	if (r < 0)
		return err_set("set %s %s: %s", ifname, up ? "up" : "down", nl_geterror(r));
	return 0;
}

int net_link_up(struct nl_sock *s, const char *ifname)
{
	return net_link_set(s, ifname, true);
}

/* An address or CIDR as the topology checked it: IPv6 has colons. */
static int family_of(const char *addr)
{
	return strchr(addr, ':') ? AF_INET6 : AF_INET;
}

static int addr_add(struct nl_sock *s, const char *ifname, const char *cidr, bool restore)
{
	struct rtnl_addr *addr;
	struct nl_addr *local;
	int index = 0, r;

	if (link_index(s, ifname, &index) < 0)
		return -1;
	r = nl_addr_parse(cidr, family_of(cidr), &local);
	if (r < 0)
		return err_set("address %s: %s", cidr, nl_geterror(r));
	addr = rtnl_addr_alloc();
	rtnl_addr_set_ifindex(addr, index);
	rtnl_addr_set_local(addr, local);
	/* Usable at once: charon cannot bind an address that is still
	 * tentative, and duplicate detection would hold it for a second. */
	if (family_of(cidr) == AF_INET6)
		rtnl_addr_set_flags(addr, IFA_F_NODAD);
	r = rtnl_addr_add(s, addr, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_addr_put(addr);
	nl_addr_put(local);
	if (r < 0 && !(restore && r == -NLE_EXIST))
		return err_set("add %s to %s: %s", cidr, ifname, nl_geterror(r));
	return 0;
}

static int route_add(struct nl_sock *s, const char *to, const char *via, bool restore)
{
	struct rtnl_route *route;
	struct rtnl_nexthop *nh;
	struct nl_addr *dst, *gw;
	int r;

	int af = family_of(via);

	r = nl_addr_parse(strcmp(to, "default") ? to
			  : af == AF_INET       ? "0.0.0.0/0"
						: "::/0",
			  af, &dst);
	if (r < 0)
		return err_set("route destination %s: %s", to, nl_geterror(r));
	r = nl_addr_parse(via, af, &gw);
	if (r < 0) {
		nl_addr_put(dst);
		return err_set("route gateway %s: %s", via, nl_geterror(r));
	}
	route = rtnl_route_alloc();
	rtnl_route_set_family(route, (uint8_t)af);
	rtnl_route_set_dst(route, dst);
	rtnl_route_set_table(route, RT_TABLE_MAIN);
	rtnl_route_set_protocol(route, RTPROT_STATIC);
	rtnl_route_set_scope(route, RT_SCOPE_UNIVERSE);
	nh = rtnl_route_nh_alloc();
	rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_add_nexthop(route, nh);
	r = rtnl_route_add(s, route, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_route_put(route);
	nl_addr_put(dst);
	nl_addr_put(gw);
	if (r < 0 && !(restore && r == -NLE_EXIST))
		return err_set("route %s via %s: %s", to, via, nl_geterror(r));
	return 0;
}

int net_addr_add(struct nl_sock *s, const char *ifname, const char *cidr)
{
	return addr_add(s, ifname, cidr, false);
}

int net_addr_restore(struct nl_sock *s, const char *ifname, const char *cidr)
{
	return addr_add(s, ifname, cidr, true);
}

int net_route_add(struct nl_sock *s, const char *to, const char *via)
{
	return route_add(s, to, via, false);
}

int net_route_restore(struct nl_sock *s, const char *to, const char *via)
{
	return route_add(s, to, via, true);
}

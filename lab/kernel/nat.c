#include "kernel/nat.h"
#include "base/err.h"
#include "base/spawn.h"
#include "kernel/net.h"

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/netlink.h>
#include <sys/socket.h>

#define IPTABLES_LOCK_S "5"
#define IPTABLES_TIMEOUT_MS 15000

int nat_masquerade(int nsfd, const char *router, const char *ifname)
{
	struct spawn_opts o = { .io = { SPAWN_NULL, SPAWN_CAPTURE, SPAWN_TO_OUT },
				.enter_netns = true,
				.netns_fd = nsfd,
				.search_path = true };
	char *const argv[] = { "iptables-legacy",
			       "-w",
			       IPTABLES_LOCK_S,
			       "-t",
			       "nat",
			       "-A",
			       "POSTROUTING",
			       "-o",
			       (char *)ifname,
			       "-j",
			       "MASQUERADE",
			       "--random",
			       NULL };

	if (spawn_run(argv, &o, IPTABLES_TIMEOUT_MS, NULL, NULL) < 0)
		return err_wrap("iptables-legacy -t nat -A POSTROUTING -o %s -j MASQUERADE "
				"--random in router %s",
				ifname, router);
	return 0;
}

/* A conntrack delete without a tuple flushes the whole table (ctnetlink). */
static int flush_family(struct nl_sock *s, int family)
{
	struct nl_msg *msg = nfnlmsg_alloc_simple(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_DELETE,
						  NLM_F_ACK, (uint8_t)family, 0);
	int r;

	if (!msg)
		return err_set("nfnlmsg_alloc_simple failed");
	r = nl_send_sync(s, msg); /* frees msg */
	if (r < 0)
		return err_set("conntrack flush (family %d): %s", family, nl_geterror(r));
	return 0;
}

int nat_flush(int nsfd, const char *router)
{
	struct nl_sock *s = net_sock_in(nsfd, NETLINK_NETFILTER);
	int r;

	if (!s)
		return err_wrap("router %s: ctnetlink", router);
	r = flush_family(s, AF_INET);
	if (r == 0)
		r = flush_family(s, AF_INET6);
	net_sock_free(s);
	return r < 0 ? err_wrap("router %s", router) : 0;
}

#include "kernel/netem.h"
#include "base/err.h"
#include "kernel/net.h"

#include <math.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <string.h>

static int dev_index(struct nl_sock *s, const char *dev, int *index)
{
	struct rtnl_link *link;
	int r = rtnl_link_get_kernel(s, 0, dev, &link);

	if (r < 0)
		return err_set("link %s: %s", dev, nl_geterror(r));
	*index = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return 0;
}

/*
 * libnl's units: delay and jitter in microseconds (it converts them to the
 * kernel's ticks itself); loss as the kernel's raw probability, where
 * UINT32_MAX is 100% -- the value tc computes from a percentage.
 */
static int netem_replace(struct nl_sock *s, int ifindex, uint32_t delay_ms, uint32_t jitter_ms,
			 double loss_pct)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	int r;

	if (!q)
		return err_set("rtnl_qdisc_alloc failed");
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	r = rtnl_tc_set_kind(TC_CAST(q), "netem");
	if (r < 0) {
		rtnl_qdisc_put(q);
		return err_set("libnl-route knows no netem: %s", nl_geterror(r));
	}
	rtnl_netem_set_delay(q, (int)(delay_ms * 1000));
	rtnl_netem_set_jitter(q, (int)(jitter_ms * 1000));
	/* Above INT_MAX the int wraps to the same 32 bits libnl stores. */
	rtnl_netem_set_loss(q, (int)(uint32_t)rint(loss_pct / 100 * UINT32_MAX));
	r = rtnl_qdisc_add(s, q, NLM_F_CREATE | NLM_F_REPLACE);
	rtnl_qdisc_put(q);
	if (r == -NLE_OBJ_NOTFOUND)
		return err_set("the kernel has no netem qdisc (sch_netem): %s", nl_geterror(r));
	if (r < 0)
		return err_set("replace the root qdisc: %s", nl_geterror(r));
	return 0;
}

int netem_set(int nsfd, const char *dev, uint32_t delay_ms, uint32_t jitter_ms, double loss_pct)
{
	struct nl_sock *s;
	int index = 0, r;

	if (delay_ms > NETEM_MAX_MS || jitter_ms > NETEM_MAX_MS)
		return err_set("netem on %s: delay and jitter must be at most %u ms", dev,
			       NETEM_MAX_MS);
	if (!(loss_pct >= 0 && loss_pct <= 100))
		return err_set("netem on %s: loss %g%% is not within 0..100", dev, loss_pct);
	s = net_sock_in(nsfd, NETLINK_ROUTE);
	if (!s)
		return err_wrap("netem on %s", dev);
	r = dev_index(s, dev, &index);
	if (r == 0)
		r = netem_replace(s, index, delay_ms, jitter_ms, loss_pct);
	net_sock_free(s);
	return r < 0 ? err_wrap("netem on %s", dev) : 0;
}

/* The root qdisc the kernel has on ifindex, or NULL for the default one
 * (handle 0: noqueue, pfifo_fast, mq), which is nothing to remove. */
static int root_qdisc(struct nl_sock *s, int ifindex, struct rtnl_qdisc **out)
{
	struct nl_cache *cache;
	struct rtnl_qdisc *q;
	int r = rtnl_qdisc_alloc_cache(s, &cache);

	if (r < 0)
		return err_set("list qdiscs: %s", nl_geterror(r));
	q = rtnl_qdisc_get_by_parent(cache, ifindex, TC_H_ROOT);
	nl_cache_free(cache);
	if (q && rtnl_tc_get_handle(TC_CAST(q)) == 0) {
		rtnl_qdisc_put(q);
		q = NULL;
	}
	*out = q;
	return 0;
}

static int netem_delete(struct nl_sock *s, int ifindex)
{
	struct rtnl_qdisc *q = NULL;
	const char *kind;
	int r;

	if (root_qdisc(s, ifindex, &q) < 0)
		return -1;
	if (!q)
		return 0;
	kind = rtnl_tc_get_kind(TC_CAST(q));
	if (!kind || strcmp(kind, "netem")) {
		err_set("the root qdisc is %s, not netem: not removing it",
			kind ? kind : "of no kind");
		rtnl_qdisc_put(q);
		return -1;
	}
	r = rtnl_qdisc_delete(s, q);
	rtnl_qdisc_put(q);
	if (r < 0)
		return err_set("delete the root qdisc: %s", nl_geterror(r));
	return 0;
}

int netem_clear(int nsfd, const char *dev)
{
	struct nl_sock *s = net_sock_in(nsfd, NETLINK_ROUTE);
	int index = 0, r;

	if (!s)
		return err_wrap("netem on %s", dev);
	r = dev_index(s, dev, &index);
	if (r == 0)
		r = netem_delete(s, index);
	net_sock_free(s);
	return r < 0 ? err_wrap("netem on %s", dev) : 0;
}

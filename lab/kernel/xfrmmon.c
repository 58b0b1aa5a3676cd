#include "kernel/xfrmmon.h"
#include "base/err.h"
#include "kernel/net.h"
#include "base/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/xfrm.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <string.h>

struct xfrmmon {
	struct nl_sock *sock;
	xfrmmon_cb cb;
	void *ctx;
};

static void addr_fmt(const xfrm_address_t *a, uint16_t family, uint8_t prefix, char *buf,
		     size_t len)
{
	char tmp[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, a, tmp, sizeof(tmp));
	if (prefix)
		snprintf(buf, len, "%s/%u", tmp, prefix);
	else
		snprintf(buf, len, "%s", tmp);
}

static int on_msg(struct nl_msg *msg, void *arg)
{
	struct xfrmmon *m = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct xfrm_note n = { 0 };

	if (h->nlmsg_type == XFRM_MSG_ACQUIRE &&
	    nlmsg_datalen(h) >= (int)sizeof(struct xfrm_user_acquire)) {
		const struct xfrm_user_acquire *a = nlmsg_data(h);

		n.kind = XFRM_NOTE_ACQUIRE;
		n.proto = a->id.proto;
		addr_fmt(&a->sel.saddr, a->sel.family, a->sel.prefixlen_s, n.src, sizeof(n.src));
		addr_fmt(&a->sel.daddr, a->sel.family, a->sel.prefixlen_d, n.dst, sizeof(n.dst));
		m->cb(m->ctx, &n);
	} else if (h->nlmsg_type == XFRM_MSG_EXPIRE &&
		   nlmsg_datalen(h) >= (int)sizeof(struct xfrm_user_expire)) {
		const struct xfrm_user_expire *e = nlmsg_data(h);

		n.kind = XFRM_NOTE_EXPIRE;
		n.hard = e->hard;
		n.spi = ntohl(e->state.id.spi);
		n.proto = e->state.id.proto;
		addr_fmt(&e->state.saddr, e->state.family, 0, n.src, sizeof(n.src));
		addr_fmt(&e->state.id.daddr, e->state.family, 0, n.dst, sizeof(n.dst));
		m->cb(m->ctx, &n);
	}
	return NL_OK;
}

struct xfrmmon *xfrmmon_open(int nsfd)
{
	struct xfrmmon *m = xcalloc(1, sizeof(*m));
	int r;

	m->sock = net_sock_in(nsfd, NETLINK_XFRM);
	if (!m->sock) {
		free(m);
		return NULL;
	}
	/* Notifications carry no sequence numbers of ours. */
	nl_socket_disable_seq_check(m->sock);
	nl_socket_modify_cb(m->sock, NL_CB_VALID, NL_CB_CUSTOM, on_msg, m);
	r = nl_socket_add_memberships(m->sock, XFRMNLGRP_ACQUIRE, XFRMNLGRP_EXPIRE, 0);
	if (r == 0)
		r = nl_socket_set_nonblocking(m->sock);
	/* A burst of acquires must not overflow the socket and vanish. */
	if (r == 0)
		r = nl_socket_set_buffer_size(m->sock, 4 << 20, 0);
	if (r < 0) {
		err_set("subscribe to xfrm notifications: %s", nl_geterror(r));
		xfrmmon_close(m);
		return NULL;
	}
	return m;
}

void xfrmmon_close(struct xfrmmon *m)
{
	if (!m)
		return;
	net_sock_free(m->sock);
	free(m);
}

int xfrmmon_fd(const struct xfrmmon *m)
{
	return nl_socket_get_fd(m->sock);
}

int xfrmmon_read(struct xfrmmon *m, xfrmmon_cb cb, void *ctx)
{
	m->cb = cb;
	m->ctx = ctx;
	for (;;) {
		int r = nl_recvmsgs_default(m->sock);

		if (r >= 0)
			continue;
		if (r == -NLE_AGAIN)
			return 0;
		if (r == -NLE_NOMEM)
			return err_set("xfrm notifications were lost (socket buffer overrun)");
		return err_set("reading xfrm notifications: %s", nl_geterror(r));
	}
}

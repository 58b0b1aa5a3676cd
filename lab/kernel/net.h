/*
 * net.h - links, addresses and routes inside a lab namespace, over
 * rtnetlink (libnl-route). A socket opened in a namespace stays bound to
 * it, so the controller never moves itself to configure a node.
 */
#ifndef IKELAB_NET_H
#define IKELAB_NET_H

struct nl_sock;

/* A NETLINK_ROUTE socket living in the namespace behind nsfd. */
struct nl_sock *net_sock_in(int nsfd, int protocol);
void net_sock_free(struct nl_sock *s);

/* veth pair: `name` in the socket's namespace, `peer` in peer_nsfd's. */
int net_veth_add(struct nl_sock *s, const char *name, const char *peer, int peer_nsfd);
int net_link_up(struct nl_sock *s, const char *ifname);
int net_addr_add(struct nl_sock *s, const char *ifname, const char *cidr);
/* to: CIDR or "default"; via: gateway address. */
int net_route_add(struct nl_sock *s, const char *to, const char *via);

#endif

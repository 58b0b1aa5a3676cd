/*
 * net.h - links, addresses and routes inside a lab namespace, over
 * rtnetlink (libnl-route). A socket opened in a namespace stays bound to
 * it, so the controller never moves itself to configure a node.
 */
#ifndef IKELAB_NET_H
#define IKELAB_NET_H

#include <stdbool.h>

struct nl_sock;

/* A NETLINK_ROUTE socket living in the namespace behind nsfd. */
struct nl_sock *net_sock_in(int nsfd, int protocol);
void net_sock_free(struct nl_sock *s);

/* veth pair: `name` in the socket's namespace, `peer` in peer_nsfd's. */
int net_veth_add(struct nl_sock *s, const char *name, const char *peer, int peer_nsfd);
int net_link_up(struct nl_sock *s, const char *ifname);
/* Administratively up or down: down is carrier loss for the other end of
 * a veth too, and the kernel drops the routes through it (and IPv6
 * addresses on it). */
int net_link_set(struct nl_sock *s, const char *ifname, bool up);
int net_addr_add(struct nl_sock *s, const char *ifname, const char *cidr);
/* to: CIDR or "default"; via: gateway address. */
int net_route_add(struct nl_sock *s, const char *to, const char *via);
/* The same, where the address or route may still be there: after a link
 * came back up, what the kernel kept is left as it is. */
int net_addr_restore(struct nl_sock *s, const char *ifname, const char *cidr);
int net_route_restore(struct nl_sock *s, const char *to, const char *via);

#endif

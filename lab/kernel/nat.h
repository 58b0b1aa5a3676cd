/*
 * nat.h - a router that masquerades one side, as a home or carrier NAT
 * does, so that charon meets NAT-T as in the field: NAT detection in
 * IKE_SA_INIT, IKE moving to port 4500, ESP in UDP, keepalives, and port
 * floating when the mapping changes.
 *
 * The masquerade is one iptables-legacy rule per outside interface in the
 * router's namespace (POSTROUTING, MASQUERADE --random: a mapping gets a
 * random source port, so a new mapping after a flush differs from the old
 * one, as after a NAT's timeout or reboot). Flushing the router's
 * connection tracking table (over ctnetlink, no program) drops every
 * mapping at once; the next packet from inside gets a new one. Both live
 * and die with the router's namespace.
 */
#ifndef IKELAB_NAT_H
#define IKELAB_NAT_H

/* Masquerade what leaves the router of namespace NSFD through IFNAME
 * (ROUTER names it in errors). */
int nat_masquerade(int nsfd, const char *router, const char *ifname);

/* Forget every connection the router's kernel tracks (IPv4 and IPv6). */
int nat_flush(int nsfd, const char *router);

#endif

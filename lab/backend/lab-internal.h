/*
 * lab-internal.h - the parts of building a lab: lab.c claims the run
 * directory, makes the namespaces and starts the peers; lab_net.c lays the
 * topology's network into the namespaces.
 */
#ifndef IKELAB_LAB_INTERNAL_H
#define IKELAB_LAB_INTERNAL_H

#include "config/topology.h"

/* T's addresses, links, routes, forwarding and NAT, into the namespaces
 * NSFD (one per node, in T's order; borrowed). Interfaces are eth0, eth1,
 * ... per node in link order; a peer's protected subnets live on lo. */
int lab_net_build(const struct topology *t, const int *nsfd);

#endif

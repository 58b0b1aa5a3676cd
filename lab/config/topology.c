#include "config/topology.h"

#include <stdio.h>
#include <string.h>

const struct topo_node *topo_node_find(const struct topology *t,
    const char *name)
{
	for (unsigned i = 0; i < t->nodes_count; i++)
		if (!strcmp(t->nodes[i].name, name))
			return &t->nodes[i];
	return NULL;
}

const struct topo_node *topo_peer(const struct topology *t, unsigned i)
{
	for (unsigned j = 0; j < t->nodes_count; j++)
		if (t->nodes[j].role == NODE_PEER && i-- == 0)
			return &t->nodes[j];
	return NULL;
}

static const char *first_address(const struct topology *t,
    const struct topo_node *n)
{
	for (unsigned i = 0; i < t->links_count; i++)
		for (unsigned j = 0; j < t->links[i].endpoints_count; j++)
			if (!strcmp(t->links[i].endpoints[j].node, n->name))
				return t->links[i].endpoints[j].address;
	return NULL;
}

const char *topo_ike_addr(const struct topology *t, const struct topo_node *n)
{
	/* ike_ip is a cache inside the (heap) node, not part of its value. */
	struct topo_node *w = (struct topo_node *)n;
	const char *addr = n->ike_addr ? n->ike_addr : first_address(t, n);

	if (!addr)
		return NULL;
	snprintf(w->ike_ip, sizeof(w->ike_ip), "%.*s",
	    (int)strcspn(addr, "/"), addr);
	return w->ike_ip;
}

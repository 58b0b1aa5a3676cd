/*
 * fuzz_topology.c - topology_load() on a file made of the input: the YAML
 * syntax (libyaml), the schema check (yamlcheck.c), libcyaml's load of
 * what passed, and the semantic checks (topology.c). A topology that loads
 * must hold what lab.c relies on.
 */
#include "config/topology.h"
#include "base/err.h"
#include "fuzz_file.h"

#include <arpa/inet.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct topology *t)
{
	unsigned peers = 0;

	if (t->nodes_count < 2 || t->nodes_count > 16 || t->links_count < 1)
		abort();
	for (unsigned i = 0; i < t->nodes_count; i++) {
		const struct topo_node *n = &t->nodes[i];
		const char *ip = topo_ike_addr(t, n);
		unsigned char a[16];

		/* Names end up in namespace and file names. */
		if (!n->name[0] || strlen(n->name) > 11 ||
		    n->name[strspn(n->name, "abcdefghijklmnopqrstuvwxyz0123456789_")] ||
		    !strcmp(n->name, "psk") || !strcmp(n->name, "pki") || !strcmp(n->name, "both"))
			abort();
		if (topo_node_find(t, n->name) != n)
			abort();
		if (!ip || (inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1))
			abort();
		/* As the other peer sees it: an address too. */
		ip = topo_seen_addr(t, n);
		if (n->role == NODE_PEER &&
		    (!ip || (inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1)))
			abort();
		peers += n->role == NODE_PEER;
	}
	if (peers != 2 || !topo_peer(t, 0) || !topo_peer(t, 1) || topo_peer(t, 2))
		abort();
	for (unsigned i = 0; i < t->links_count; i++)
		if (t->links[i].endpoints_count != 2)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct topology *t;
	const char *path;

	fuzz_setup();
	if (fuzz_path_unsafe(data, size))
		return -1;
	path = fuzz_write("t", "in.yaml", data, size);
	t = topology_load(path);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "%s\n", t ? "loaded" : err_msg());
	if (t)
		check(t);
	else if (!err_msg()[0])
		abort();
	topology_free(t);
	err_clear();
	return 0;
}

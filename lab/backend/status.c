#include "backend/status.h"
#include "base/json.h"
#include "base/err.h"
#include "kernel/netns.h"
#include "charon/peer.h"
#include "charon/sas.h"
#include "backend/state.h"
#include "base/util.h"
#include "charon/vici.h"
#include "kernel/xfrm.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATUS_VICI_MS 3000

static json_t *kernel_json(const char *netns)
{
	json_t *k = json_object(), *sas, *pols;
	struct xfrm_dump d;
	int fd = netns_open(netns);

	if (fd < 0 || xfrm_dump(fd, &d) < 0) {
		json_object_set_new(k, "error", json_string(err_msg()));
		if (fd >= 0)
			close(fd);
		return k;
	}
	close(fd);
	sas = json_array();
	pols = json_array();
	for (size_t i = 0; i < d.n_sas; i++) {
		char spi[16];

		snprintf(spi, sizeof(spi), "%08x", d.sas[i].spi);
		json_array_append_new(sas,
				      json_pack("{s:s, s:s, s:s, s:i, s:i}", "src", d.sas[i].src,
						"dst", d.sas[i].dst, "spi", spi, "reqid",
						(int)d.sas[i].reqid, "proto", (int)d.sas[i].proto));
	}
	for (size_t i = 0; i < d.n_policies; i++)
		json_array_append_new(pols,
				      json_pack("{s:s, s:s, s:s, s:s, s:i}", "src",
						d.policies[i].src, "dst", d.policies[i].dst, "dir",
						d.policies[i].dir, "action", d.policies[i].action,
						"templates", d.policies[i].templates));
	json_object_set_new(k, "sa_count", json_integer((json_int_t)d.n_sas));
	json_object_set_new(k, "policy_count", json_integer((json_int_t)d.n_policies));
	json_object_set_new(k, "sas", sas);
	json_object_set_new(k, "policies", pols);
	xfrm_dump_free(&d);
	return k;
}

/* The binary, and for a build of ikelab's its commit and cache entry. */
static void charon_build_json(json_t *c, const json_t *node)
{
	const json_t *b = json_object_get(node, "charon_build");

	json_object_set(c, "binary", json_object_get(node, "charon_binary"));
	if (!json_is_object(b))
		return;
	json_object_set(c, "commit", json_object_get(b, "commit"));
	json_object_set_new(
		c, "build",
		json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "version",
			  json_object_get(b, "version"), "key", json_object_get(b, "key"), "source",
			  json_object_get(b, "source"), "patched", json_object_get(b, "patched"),
			  "dir", json_object_get(b, "dir")));
}

static json_t *charon_json(const json_t *node, json_t **sas)
{
	const char *dir = jget_str(node, "dir");
	json_t *c = json_object();
	struct vici_conn *v;
	struct proc_id id;
	bool alive = false;

	*sas = NULL;
	charon_build_json(c, node);
	if (state_proc_from_json(json_object_get(node, "charon"), &id) == 0) {
		alive = proc_alive(&id);
		json_object_set_new(c, "pid", json_integer(id.pid));
	}
	json_object_set_new(c, "alive", json_boolean(alive));
	if (!alive && dir) {
		char *how = peer_exit_reason(dir);

		if (how)
			json_object_set_new(c, "exit", json_string(how));
		free(how);
	}
	if (!alive || !dir)
		return c;
	{
		char *path = xasprintf("%s/run/charon.vici", dir);

		v = vici_connect(path, STATUS_VICI_MS);
		free(path);
	}
	if (!v) {
		json_object_set_new(c, "error", json_string(err_msg()));
		return c;
	}
	{
		struct vici_node *resp = NULL;

		if (vici_cmd(v, "version", NULL, &resp, STATUS_VICI_MS) == 0 &&
		    vici_str(resp, "version"))
			json_object_set_new(c, "version", json_string(vici_str(resp, "version")));
		vici_node_free(resp);
	}
	*sas = sas_list(v, STATUS_VICI_MS);
	if (!*sas)
		json_object_set_new(c, "error", json_string(err_msg()));
	vici_close(v);
	return c;
}

static json_t *node_json(const char *name, const json_t *node)
{
	const char *netns = jget_str(node, "netns");
	json_t *o = json_object(), *sas = NULL;
	struct sa_counts n;

	json_object_set_new(o, "name", json_string(name));
	json_object_set(o, "role", json_object_get(node, "role"));
	json_object_set(o, "netns", json_object_get(node, "netns"));
	json_object_set(o, "ike_addr", json_object_get(node, "ike_addr"));
	json_object_set(o, "protected", json_object_get(node, "protected"));
	json_object_set_new(o, "charon", charon_json(node, &sas));
	if (!sas)
		sas = json_array();
	sas_count(sas, &n);
	json_object_set_new(o, "counts",
			    json_pack("{s:i, s:i, s:i, s:i}", "ike_sas", n.ike, "ike_established",
				      n.ike_established, "child_sas", n.child, "child_installed",
				      n.child_installed));
	json_object_set_new(o, "ike_sas", sas);
	if (netns)
		json_object_set_new(o, "kernel", kernel_json(netns));
	return o;
}

static void print_text(const json_t *doc)
{
	json_t *peers = json_object_get(doc, "peers"), *p;
	size_t i;

	printf("lab %s (%s, %s)\n", jget_str(doc, "name"), jget_str(doc, "backend"),
	       jget_str(doc, "phase"));
	json_array_foreach (peers, i, p) {
		json_t *c = json_object_get(p, "charon"), *cnt = json_object_get(p, "counts");
		json_t *k = json_object_get(p, "kernel");

		printf("  %-8s charon pid %-6d %-5s %s  IKE_SAs %d (%d established)  "
		       "CHILD_SAs %d (%d installed)  kernel SAs %d policies %d\n",
		       jget_str(p, "name"), (int)json_integer_value(json_object_get(c, "pid")),
		       json_is_true(json_object_get(c, "alive")) ? "alive" : "DEAD",
		       jget_str(c, "version") ?: "",
		       (int)json_integer_value(json_object_get(cnt, "ike_sas")),
		       (int)json_integer_value(json_object_get(cnt, "ike_established")),
		       (int)json_integer_value(json_object_get(cnt, "child_sas")),
		       (int)json_integer_value(json_object_get(cnt, "child_installed")),
		       (int)json_integer_value(json_object_get(k, "sa_count")),
		       (int)json_integer_value(json_object_get(k, "policy_count")));
		if (jget_str(c, "commit"))
			printf("  %-8s charon built by ikelab from commit %.12s%s (%s)\n", "",
			       jget_str(c, "commit"),
			       json_is_true(json_object_get(json_object_get(c, "build"), "patched"))
				       ? " with local changes"
				       : "",
			       jget_str(c, "binary") ?: "");
		if (json_object_get(c, "exit"))
			printf("  %-8s charon %s\n", "", jget_str(c, "exit"));
		if (json_object_get(c, "error"))
			printf("  %-8s error: %s\n", "", jget_str(c, "error"));
	}
}

int status_host(const char *name, bool as_json)
{
	json_t *doc = json_object(), *peers = json_array(), *node;
	struct lab_state st;
	const char *key;

	if (state_peek(&st, name) < 0) {
		state_close(&st);
		json_decref(doc);
		json_decref(peers);
		return -1;
	}
	json_object_set_new(doc, "name", json_string(name));
	json_object_set(doc, "backend", json_object_get(st.doc, "backend"));
	json_object_set(doc, "phase", json_object_get(st.doc, "phase"));
	json_object_set_new(doc, "dir", json_string(st.dir));
	json_object_foreach (json_object_get(st.doc, "nodes"), key, node)
		json_array_append_new(peers, node_json(key, node));
	json_object_set_new(doc, "peers", peers);
	if (as_json) {
		char *text = json_dumps(doc, JSON_INDENT(2));

		puts(text);
		free(text);
	} else {
		print_text(doc);
	}
	json_decref(doc);
	state_close(&st);
	return 0;
}

static int prefer_sbin(const char *sbin)
{
	const char *path = getenv("PATH");
	char *both;
	int r;

	if (!sbin)
		return 0;
	both = xasprintf("%s:%s", sbin, path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	r = setenv("PATH", both, 1);
	free(both);
	return r < 0 ? err_sys("setenv PATH") : 0;
}

int exec_host(const char *name, const char *node_name, char *const cmd[])
{
	struct lab_state st;
	const json_t *node;
	const char *netns, *dir;
	int fd;

	if (state_peek(&st, name) < 0) {
		state_close(&st);
		return -1;
	}
	node = json_object_get(json_object_get(st.doc, "nodes"), node_name);
	if (!node) {
		struct strbuf names = { 0 };
		const char *k;
		json_t *v;

		json_object_foreach (json_object_get(st.doc, "nodes"), k, v)
			sb_addf(&names, "%s%s", names.len ? ", " : "", k);
		err_set("lab '%s' has no peer named '%s' (it has: %s)", name, node_name,
			names.buf ? names.buf : "none");
		sb_free(&names);
		state_close(&st);
		return -1;
	}
	netns = jget_str(node, "netns");
	dir = jget_str(node, "dir");
	/* The swanctl of the build the peer runs comes first. */
	if (prefer_sbin(jget_str(json_object_get(node, "charon_build"), "sbin")) < 0) {
		state_close(&st);
		return -1;
	}
	fd = netns_open(netns);
	if (fd < 0 ||
	    (dir ? peer_enter(dir, fd)
		 : (setns(fd, CLONE_NEWNET) < 0 ? err_sys("setns(CLONE_NEWNET)") : 0)) < 0) {
		err_wrap("entering %s of lab '%s'", node_name, name);
		state_close(&st);
		return -1;
	}
	state_close(&st);
	execvp(cmd[0], cmd); /* spawn.h: ikelab exec becomes the command */
	return err_sys("exec %s", cmd[0]);
}

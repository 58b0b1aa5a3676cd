/*
 * import.c - `ikelab import`: two gateways' configuration files into a
 * lab's files (import/import.h does the work).
 *
 * The positional arguments are files, each told apart by its content: a
 * swanctl.conf or an ipsec.conf starts a gateway, a strongswan.conf after
 * it belongs to that gateway. Exactly two gateways.
 */
#include "cmd/cmd.h"

#include "base/err.h"
#include "import/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether PATH configures connections (swanctl.conf, ipsec.conf) rather
 * than a daemon (strongswan.conf): 1, 0, or -1 with err_msg(). */
static int is_gateway_file(const char *path)
{
	struct conf_node *root;
	int r;

	if (imp_is_ipsec(path))
		return 1;
	if (!(root = conf_parse_settings(path)))
		return -1;
	r = conf_get(root, "connections", false) != NULL;
	conf_free(root);
	return r;
}

static int assign(const struct cli *c, struct imp_gw gw[2])
{
	int n = 0;

	for (int i = 0; i < c->npos; i++) {
		int k = is_gateway_file(c->pos[i]);

		if (k < 0)
			return -1;
		if (k) {
			if (n == 2)
				return err_set("%s: a third gateway (import takes two)", c->pos[i]);
			gw[n++].conf = c->pos[i];
		} else if (!n || gw[n - 1].sconf)
			return err_set(
				"%s: a strongswan.conf must follow its gateway's swanctl.conf "
				"or ipsec.conf (and only one each)",
				c->pos[i]);
		else
			gw[n - 1].sconf = c->pos[i];
	}
	if (n != 2)
		return err_set("import takes the files of two gateways; %s",
			       n ? "one was given" : "none was given");
	return 0;
}

static size_t notes_count(const struct imp_gw *gw)
{
	size_t n = 0;

	for (size_t i = 0; i < gw->notes.len; i++)
		n += gw->notes.buf[i] == '\n';
	return n;
}

int cmd_import(const struct cli *c)
{
	struct imp_gw gw[2];
	const char *out = c->out ? c->out : "imported";
	int rc = -1;

	memset(gw, 0, sizeof(gw));
	if (assign(c, gw) == 0 && imp_read(&gw[0]) == 0 && imp_read(&gw[1]) == 0 &&
	    imp_write(gw, out) == 0) {
		printf("import: %s (%s) and %s (%s) into %s/: topology.yaml, %s.yaml, %s.yaml, "
		       "scenario.yaml\n",
		       gw[0].node, gw[0].conf, gw[1].node, gw[1].conf, out, gw[0].node, gw[1].node);
		for (unsigned i = 0; i < 2; i++)
			printf("  %s: %u connection%s, %zu line%s not carried (listed in "
			       "%s.yaml)\n",
			       gw[i].node, gw[i].n_conn, gw[i].n_conn == 1 ? "" : "s",
			       notes_count(&gw[i]), notes_count(&gw[i]) == 1 ? "" : "s",
			       gw[i].node);
		rc = 0;
	}
	imp_gw_free(&gw[0]);
	imp_gw_free(&gw[1]);
	return rc < 0 ? fail() : 0;
}

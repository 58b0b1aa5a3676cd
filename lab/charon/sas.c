#include "charon/sas.h"
#include "base/json.h"
#include "base/err.h"
#include "charon/vici.h"

#include <string.h>

json_t *sas_json(const struct vici_node *sec)
{
	json_t *o = json_object();

	for (const struct vici_node *n = sec->children; n; n = n->next) {
		json_t *v;

		if (n->type == VICI_NODE_SECTION) {
			v = sas_json(n);
		} else if (n->type == VICI_NODE_LIST) {
			v = json_array();
			for (const struct vici_node *it = n->children; it; it = it->next)
				json_array_append_new(v, json_string(it->value));
		} else {
			v = json_string(n->value);
		}
		/* Values that are not UTF-8 (none expected) become null. */
		json_object_set_new(o, n->name, v ? v : json_null());
	}
	return o;
}

/* "child-sas": { "net-3": {...} } -> [ { "key": "net-3", ... } ] */
static void children_to_array(json_t *ike)
{
	json_t *obj = json_object_get(ike, "child-sas"), *arr = json_array(), *child;
	const char *key;

	json_object_foreach (obj, key, child) {
		json_t *c = json_deep_copy(child);

		json_object_set_new(c, "key", json_string(key));
		json_array_append_new(arr, c);
	}
	json_object_set_new(ike, "child-sas", arr);
}

void sas_collect(json_t *list, const struct vici_node *msg)
{
	for (const struct vici_node *n = msg->children; n; n = n->next) {
		json_t *ike;

		if (n->type != VICI_NODE_SECTION)
			continue;
		ike = sas_json(n);
		json_object_set_new(ike, "name", json_string(n->name));
		children_to_array(ike);
		json_array_append_new(list, ike);
	}
}

static int collect(void *ctx, const char *name, const struct vici_node *msg)
{
	sas_collect(ctx, msg);
	return 0;
}

json_t *sas_list(struct vici_conn *c, int timeout_ms)
{
	struct vici_msg *req = vici_msg_new();
	struct vici_node *resp = NULL;
	json_t *list = json_array();
	int r;

	vici_kv(req, "noblock", "yes");
	r = vici_cmd_stream(c, "list-sas", "list-sa", req, collect, list, &resp, timeout_ms);
	vici_msg_free(req);
	vici_node_free(resp);
	if (r < 0) {
		json_decref(list);
		return NULL;
	}
	return list;
}

int sas_list_start(struct vici_conn *c, int timeout_ms)
{
	struct vici_msg *req = vici_msg_new();
	int r;

	vici_kv(req, "noblock", "yes");
	r = vici_cmd_start(c, "list-sas", req, timeout_ms);
	vici_msg_free(req);
	return r;
}

json_t *sas_list_finish(struct vici_conn *c, int timeout_ms)
{
	struct vici_node *resp = NULL, *msg;
	json_t *list = json_array();
	char *name;
	int r = vici_cmd_finish(c, &resp, timeout_ms);

	vici_node_free(resp);
	/* The streamed IKE_SAs were queued while the command ran. */
	while (r == 0 && vici_next_event(c, &name, &msg, 0) > 0) {
		if (!strcmp(name, "list-sa"))
			collect(list, name, msg);
		free(name);
		vici_node_free(msg);
	}
	if (r < 0) {
		json_decref(list);
		return NULL;
	}
	return list;
}

void sas_count(const json_t *list, struct sa_counts *out)
{
	size_t i, j;
	json_t *ike, *child;

	memset(out, 0, sizeof(*out));
	json_array_foreach (list, i, ike) {
		const char *st = jget_str(ike, "state");

		out->ike++;
		if (st && !strcmp(st, "ESTABLISHED"))
			out->ike_established++;
		json_array_foreach (json_object_get(ike, "child-sas"), j, child) {
			const char *cs = jget_str(child, "state");

			out->child++;
			if (cs && !strcmp(cs, "INSTALLED"))
				out->child_installed++;
		}
	}
}

/*
 * import_ipsec.c - the legacy ipsec.conf into the import model (import.h).
 *
 * Each `conn` (but %default and those with auto=ignore) becomes one
 * connection with one CHILD_SA of the same name, as charon's stroke
 * backend makes them. A setting is looked up in the conn, then in the
 * conns its `also=` names (in order, depth first), then in `conn
 * %default`. Where ipsec.conf's defaults differ from swanctl.conf's, the
 * stroke defaults are written out (IKE_SA reauthentication after 3h minus
 * margintime, CHILD_SA rekeying after 1h minus margintime), so the lab runs
 * what the report's charon ran.
 */
#include "import/import.h"

#include "base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALSO_DEPTH 8

struct ipc {
	struct imp_gw *gw;
	struct conf_node *root, *sec;
};

static struct conf_node *find_conn(const struct conf_node *root, const char *name)
{
	for (struct conf_node *n = root->child; n; n = n->next)
		if (!strcmp(n->name, "conn") && !strcmp(n->value, name))
			return n;
	return NULL;
}

static struct conf_node *lookup_in(const struct ipc *c, struct conf_node *sec, const char *key,
				   unsigned depth)
{
	struct conf_node *n = conf_get(sec, key, true);

	if (n || depth > ALSO_DEPTH)
		return n;
	for (struct conf_node *a = sec->child; a; a = a->next) {
		struct conf_node *ref;

		if (strcmp(a->name, "also") || !(ref = find_conn(c->root, a->value)))
			continue;
		a->used = true;
		if ((n = lookup_in(c, ref, key, depth + 1)))
			return n;
	}
	return NULL;
}

/* KEY of the conn, marked used; NULL when nothing sets it. */
static struct conf_node *get(const struct ipc *c, const char *key)
{
	struct conf_node *n = lookup_in(c, c->sec, key, 0), *dflt;

	if (!n && (dflt = find_conn(c->root, "%default")))
		n = lookup_in(c, dflt, key, 0);
	if (n)
		n->used = true;
	return n;
}

static const char *val(const struct ipc *c, const char *key)
{
	struct conf_node *n = get(c, key);

	return n ? n->value : NULL;
}

/* ipsec.conf's time: 90, 90s, 5m, 3h, 1d; -1 when it is none. */
static long seconds(const char *s)
{
	char *end;
	long v;

	if (!s || !*s || strspn(s, "0123456789") == 0)
		return -1;
	v = strtol(s, &end, 10);
	if (v < 0 || v > 100000000)
		return -1;
	if (!*end || !strcmp(end, "s"))
		return v;
	if (!strcmp(end, "m"))
		return v * 60;
	if (!strcmp(end, "h"))
		return v * 3600;
	if (!strcmp(end, "d"))
		return v * 86400;
	return -1;
}

static void set_secs(struct imp_kvs *k, const char *key, long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%ld", v < 0 ? 0 : v);
	imp_set(k, key, buf, false);
}

static long time_or(const struct ipc *c, const char *key, const char *alias, long dflt)
{
	struct conf_node *n = get(c, key);
	long v;

	if (!n && alias)
		n = get(c, alias);
	if (!n)
		return dflt;
	if ((v = seconds(n->value)) < 0) {
		imp_note(c->gw, n->line, "%s=%s: not a time; ipsec.conf's default is used", key,
			 n->value);
		return dflt;
	}
	return v;
}

/* The lifetimes stroke derives: rekeying (or reauthenticating) at the
 * lifetime minus the margin, up to margin * rekeyfuzz earlier. */
static void lifetimes(const struct ipc *c, struct imp_conn *conn, struct imp_child *ch)
{
	long margin = time_or(c, "margintime", "rekeymargin", 540);
	long ike = time_or(c, "ikelifetime", NULL, 10800);
	long life = time_or(c, "lifetime", "keylife", 3600);
	const char *fuzz = val(c, "rekeyfuzz"), *reauth = val(c, "reauth");
	long pct = fuzz ? strtol(fuzz, NULL, 10) : 100;

	if (pct < 0 || pct > 100000)
		pct = 100;
	set_secs(&conn->kvs, reauth && !strcmp(reauth, "no") ? "rekey_time" : "reauth_time",
		 ike - margin);
	set_secs(&conn->kvs, "over_time", margin);
	set_secs(&conn->kvs, "rand_time", margin * pct / 100);
	set_secs(&ch->kvs, "rekey_time", life - margin);
	set_secs(&ch->kvs, "life_time", life);
	set_secs(&ch->kvs, "rand_time", margin * pct / 100);
}

/* A value of a small vocabulary mapped onto the profile's. */
static void mapped(const struct ipc *c, struct imp_kvs *k, const char *key, const char *to,
		   const char *const *map)
{
	struct conf_node *n = get(c, key);

	if (!n)
		return;
	for (; *map; map += 2)
		if (!strcmp(n->value, map[0])) {
			if (*map[1])
				imp_set(k, to, map[1], false);
			return;
		}
	imp_note(c->gw, n->line, "%s=%s: not carried: not a value the lab takes", key, n->value);
}

static void proposals(const struct ipc *c, struct imp_kvs *k, const char *key, const char *to)
{
	struct conf_node *n = get(c, key);
	char *v;

	if (!n)
		return;
	v = xstrdup(n->value);
	if (*v && v[strlen(v) - 1] == '!')
		v[strlen(v) - 1] = '\0'; /* strict: what swanctl.conf always is */
	if (imp_proposals(v))
		imp_set(k, to, v, false);
	else
		imp_note(c->gw, n->line, "%s=%s: not carried: not a proposal list the lab takes",
			 key, n->value);
	free(v);
}

/* An ipsec.conf identity: @fqdn is an FQDN without a lookup. */
static void identity(const struct ipc *c, struct imp_conn *conn, const char *key, const char *to)
{
	struct conf_node *n = get(c, key);
	const char *id;

	if (!n)
		return;
	id = n->value[0] == '@' && n->value[1] != '#' ? n->value + 1 : n->value;
	if (imp_id(id))
		imp_set(&conn->kvs, to, id, false);
	else
		imp_note(c->gw, n->line,
			 "%s=%s: not carried: the lab takes an FQDN, an address or user@fqdn, "
			 "not a distinguished name",
			 key, n->value);
}

static void auth(const struct ipc *c, struct imp_conn *conn)
{
	static const char *const authby[] = { "secret",   "psk",    "psk",    "psk",
					      "rsasig",   "pubkey", "pubkey", "pubkey",
					      "ecdsasig", "pubkey", NULL };
	static const char *const sideauth[] = { "psk",    "psk",   "pubkey", "pubkey", "rsa",
						"pubkey", "ecdsa", "pubkey", NULL };
	struct conf_node *cert = get(c, "leftcert");

	mapped(c, &conn->kvs, "authby", "auth", authby);
	mapped(c, &conn->kvs, "leftauth", "auth", sideauth);
	get(c, "rightauth"); /* the same method both ways in the lab */
	if (cert) {
		imp_set(&conn->kvs, "auth", "pubkey", false);
		imp_note(c->gw, cert->line,
			 "leftcert=%s: replaced by a certificate the lab's own CA issues for the "
			 "node name and local_id",
			 cert->value);
	}
}

static unsigned subnets(const struct ipc *c, const char *key, char **out)
{
	struct conf_node *n = get(c, key);
	unsigned k = 0;
	char *copy, *save = NULL;

	if (!n)
		return out[0] = xstrdup("dynamic"), 1;
	copy = xstrdup(n->value);
	for (char *t = strtok_r(copy, ", ", &save); t && k < IMP_MAX;
	     t = strtok_r(NULL, ", ", &save))
		out[k++] = xstrdup(t);
	free(copy);
	if (!k)
		out[k++] = xstrdup("dynamic");
	return k;
}

static bool is_addr_literal(const char *s)
{
	return s && *s && s[0] != '%' && strspn(s, "0123456789abcdefABCDEF.:") == strlen(s);
}

static void addresses(const struct ipc *c, struct imp_conn *conn)
{
	struct conf_node *l = get(c, "left"), *r = get(c, "right");

	if (l && is_addr_literal(l->value))
		conn->local_addr = xstrdup(l->value);
	else if (l && strcmp(l->value, "%defaultroute") && strcmp(l->value, "%any"))
		imp_note(c->gw, l->line, "left=%s: not carried: the lab takes addresses", l->value);
	if (r && is_addr_literal(r->value))
		conn->remote_addr = xstrdup(r->value);
	else if (r && strcmp(r->value, "%any"))
		imp_note(c->gw, r->line, "right=%s: not carried: the lab takes addresses",
			 r->value);
}

static void dpd(const struct ipc *c, struct imp_conn *conn, struct imp_child *ch)
{
	static const char *const actions[] = { "none", "",        "clear",   "clear", "hold",
					       "trap", "restart", "restart", NULL };
	const char *action = val(c, "dpdaction");

	mapped(c, &ch->kvs, "dpdaction", "dpd_action", actions);
	if (action && strcmp(action, "none"))
		set_secs(&conn->kvs, "dpd_delay", time_or(c, "dpddelay", NULL, 30));
}

static void conn_settings(const struct ipc *c, struct imp_conn *conn, struct imp_child *ch)
{
	static const char *const versions[] = { "ikev2", "2", "ike", "2", "ikev1", "1", NULL };
	static const char *const autos[] = {
		"route", "trap", "start", "start", "add", "none", NULL
	};
	static const char *const closes[] = { "none", "none",    "clear", "none", "hold",
					      "trap", "restart", "start", NULL };
	static const char *const modes[] = { "tunnel", "tunnel", "transport", "transport", NULL };
	static const char *const bools[] = { "yes", "yes", "no", "no", NULL };
	const char *tries = val(c, "keyingtries");

	mapped(c, &conn->kvs, "keyexchange", "version", versions);
	if (imp_get(&conn->kvs, "version"))
		conn->kvs.kv[conn->kvs.n - 1].plain = true;
	proposals(c, &conn->kvs, "ike", "proposals");
	proposals(c, &ch->kvs, "esp", "esp_proposals");
	auth(c, conn);
	identity(c, conn, "leftid", "local_id");
	identity(c, conn, "rightid", "remote_id");
	mapped(c, &conn->kvs, "mobike", "mobike", bools);
	if (tries)
		imp_set(&conn->kvs, "keyingtries", strcmp(tries, "%forever") ? tries : "0", true);
	lifetimes(c, conn, ch);
	dpd(c, conn, ch);
	mapped(c, &ch->kvs, "type", "mode", modes);
	mapped(c, &ch->kvs, "auto", "start_action", autos);
	mapped(c, &ch->kvs, "closeaction", "close_action", closes);
	if (val(c, "reqid"))
		imp_set(&ch->kvs, "reqid", val(c, "reqid"), true);
}

/* auto=ignore (also ipsec.conf's default), and types the lab does not
 * run, make no connection. */
static bool skipped(const struct ipc *c)
{
	struct conf_node *a = get(c, "auto"), *t = get(c, "type");

	if (!a || !strcmp(a->value, "ignore")) {
		imp_note(c->gw, c->sec->line,
			 "conn %s: auto=ignore%s: not loaded, as by ipsec starter", c->sec->value,
			 a ? "" : " (the default)");
		return true;
	}
	if (t && strcmp(t->value, "tunnel") && strcmp(t->value, "transport")) {
		imp_note(c->gw, t->line,
			 "conn %s: type=%s: not carried: the lab runs tunnel and "
			 "transport CHILD_SAs",
			 c->sec->value, t->value);
		return true;
	}
	return false;
}

static int ipsec_conn(struct imp_gw *gw, struct conf_node *root, struct conf_node *sec)
{
	struct ipc c = { gw, root, sec };
	struct imp_conn *conn;
	struct imp_child *ch;

	sec->used = true;
	if (skipped(&c))
		return 0;
	if (gw->n_conn == IMP_MAX || !name_valid(sec->value, 32))
		return err_set("%s:%u: conn %s: more than %d, or not letters, digits, '-' and '_' "
			       "(at most 32)",
			       gw->conf, sec->line, sec->value, IMP_MAX);
	conn = &gw->conn[gw->n_conn++];
	conn->name = xstrdup(sec->value);
	ch = &conn->child[conn->n_child++];
	ch->name = xstrdup(sec->value);
	addresses(&c, conn);
	ch->n_local = subnets(&c, "leftsubnet", ch->local_ts);
	ch->n_remote = subnets(&c, "rightsubnet", ch->remote_ts);
	conn_settings(&c, conn, ch);
	return 0;
}

static void config_setup(struct imp_gw *gw, struct conf_node *sec)
{
	static const char *const map[] = { "yes",     "replace", "no",   "no",   "never", "never",
					   "replace", "replace", "keep", "keep", NULL };
	struct conf_node *u = conf_get(sec, "uniqueids", true);

	sec->used = true;
	for (const char *const *m = map; u && *m; m += 2)
		if (!strcmp(u->value, m[0])) {
			u->used = true;
			for (unsigned i = 0; i < gw->n_conn; i++)
				imp_set(&gw->conn[i].kvs, "unique", m[1], false);
		}
}

int imp_read_ipsec(struct imp_gw *gw, struct conf_node *root)
{
	struct conf_node *setup = NULL;

	for (struct conf_node *n = root->child; n; n = n->next) {
		if (!strcmp(n->name, "config"))
			setup = n;
		else if (!strcmp(n->name, "conn") && strcmp(n->value, "%default") &&
			 ipsec_conn(gw, root, n) < 0)
			return -1;
	}
	if (!gw->n_conn)
		return err_set("%s: no conn section the lab can load", gw->conf);
	/* uniqueids=yes is ipsec.conf's default: replace. */
	for (unsigned i = 0; i < gw->n_conn; i++)
		imp_set(&gw->conn[i].kvs, "unique", "replace", false);
	if (setup)
		config_setup(gw, setup);
	imp_note_unused(gw, gw->conf, root, "");
	return 0;
}

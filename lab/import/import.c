/*
 * import.c - swanctl.conf and strongswan.conf into the import model
 * (import.h), and the model's helpers. ipsec.conf is import_ipsec.c.
 *
 * Each function takes what it carries from a section with conf_take(), so
 * whatever is left afterwards is exactly what was not carried and becomes a
 * note (imp_note_unused).
 */
#include "import/import.h"

#include "base/err.h"
#include "config/ts.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the model ------------------------------------------------------------- */

void imp_set(struct imp_kvs *k, const char *key, const char *val, bool plain)
{
	for (unsigned i = 0; i < k->n; i++)
		if (!strcmp(k->kv[i].key, key)) {
			free(k->kv[i].val);
			k->kv[i].val = xstrdup(val);
			k->kv[i].plain = plain;
			return;
		}
	if (k->n == sizeof(k->kv) / sizeof(k->kv[0]))
		abort();
	k->kv[k->n++] = (struct imp_kv){ key, xstrdup(val), plain };
}

const char *imp_get(const struct imp_kvs *k, const char *key)
{
	for (unsigned i = 0; i < k->n; i++)
		if (!strcmp(k->kv[i].key, key))
			return k->kv[i].val;
	return NULL;
}

static void kvs_free(struct imp_kvs *k)
{
	for (unsigned i = 0; i < k->n; i++)
		free(k->kv[i].val);
	k->n = 0;
}

void imp_gw_free(struct imp_gw *gw)
{
	for (unsigned i = 0; i < gw->n_conn; i++) {
		struct imp_conn *c = &gw->conn[i];

		for (unsigned j = 0; j < c->n_child; j++) {
			struct imp_child *ch = &c->child[j];

			for (unsigned k = 0; k < ch->n_local; k++)
				free(ch->local_ts[k]);
			for (unsigned k = 0; k < ch->n_remote; k++)
				free(ch->remote_ts[k]);
			free(ch->name);
			kvs_free(&ch->kvs);
		}
		free(c->name);
		free(c->local_addr);
		free(c->remote_addr);
		kvs_free(&c->kvs);
	}
	kvs_free(&gw->settings);
	sb_free(&gw->notes);
	gw->n_conn = 0;
}

void imp_note(struct imp_gw *gw, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (line)
		sb_addf(&gw->notes, "%s:%u: %s\n", gw->reading ? gw->reading : gw->conf, line, s);
	else
		sb_addf(&gw->notes, "%s\n", s);
	free(s);
}

void imp_note_unused(struct imp_gw *gw, const char *file, const struct conf_node *root,
		     const char *prefix)
{
	for (const struct conf_node *n = root->child; n; n = n->next) {
		/* ipsec.conf's sections have a value too: their name. */
		char *path = n->child && n->value ? xasprintf("%s%s %s", prefix, n->name, n->value)
						  : xasprintf("%s%s", prefix, n->name);

		if (n->child) {
			char *sub = xasprintf("%s.", path);

			imp_note_unused(gw, file, n, sub);
			free(sub);
		} else if (!n->used)
			sb_addf(&gw->notes, "%s:%u: %s%s%s: not carried\n", file, n->line, path,
				n->value ? " = " : " { }", n->value ? n->value : "");
		free(path);
	}
}

/* ---- checks ------------------------------------------------------------------ */

bool imp_duration(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= 9 && (!s[n] || (strchr("smhd", s[n]) && !s[n + 1]));
}

bool imp_proposals(const char *s)
{
	return *s && strlen(s) < 256 &&
	       !s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_,")];
}

bool imp_id(const char *s)
{
	return *s && strlen(s) <= 128 &&
	       !s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_@:")];
}

static bool one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

/* ---- swanctl.conf ------------------------------------------------------------- */

/* A setting of SEC that must pass CHECK to be carried as KEY. */
static void carry(struct imp_gw *gw, struct imp_kvs *k, const struct conf_node *sec,
		  const char *name, const char *key, bool (*check)(const char *), bool plain)
{
	struct conf_node *n = conf_get(sec, name, true);

	if (!n)
		return;
	n->used = true;
	if (check && !check(n->value)) {
		imp_note(gw, n->line, "%s = %s: not carried: not a value the lab takes for %s",
			 name, n->value, key);
		return;
	}
	imp_set(k, key, n->value, plain);
}

static bool is_uint(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= 9 && !s[n] && (s[0] != '0' || !s[1]);
}

static bool is_bool(const char *s)
{
	return one_of(s, (const char *const[]){ "yes", "no", "true", "false", NULL });
}

static bool is_unique(const char *s)
{
	return one_of(s, (const char *const[]){ "no", "never", "replace", "keep", NULL });
}

static bool is_version(const char *s)
{
	return !strcmp(s, "1") || !strcmp(s, "2");
}

/* Split a comma list into OUT (at most IMP_MAX), trimmed. */
static unsigned split_list(const char *s, char **out, unsigned max)
{
	unsigned n = 0;
	char *copy = xstrdup(s), *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t && n < max; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		for (size_t l = strlen(t); l && t[l - 1] == ' '; l--)
			t[l - 1] = '\0';
		if (*t)
			out[n++] = xstrdup(t);
	}
	free(copy);
	return n;
}

/* Selectors of a list; one the lab does not take is a note. */
static unsigned take_ts(struct imp_gw *gw, const struct conf_node *sec, const char *key, char **out)
{
	struct conf_node *n = conf_get(sec, key, true);
	char *all[IMP_MAX];
	unsigned k = 0, got;

	if (!n) {
		out[0] = xstrdup("dynamic"); /* swanctl.conf's default */
		return 1;
	}
	n->used = true;
	got = split_list(n->value, all, IMP_MAX);
	for (unsigned i = 0; i < got; i++) {
		if (ts_check(all[i]) == 0)
			out[k++] = all[i];
		else {
			imp_note(gw, n->line, "%s = %s: selector '%s' not carried: %s", key,
				 n->value, all[i], err_msg());
			free(all[i]);
		}
	}
	if (!k)
		out[k++] = xstrdup("dynamic");
	return k;
}

static bool is_child_action(const char *s)
{
	return one_of(s, (const char *const[]){ "none", "trap", "start", NULL });
}

static bool is_dpd_action(const char *s)
{
	return one_of(s, (const char *const[]){ "clear", "trap", "restart", NULL });
}

static bool is_mode(const char *s)
{
	return one_of(s, (const char *const[]){ "tunnel", "transport", NULL });
}

static void swanctl_child(struct imp_gw *gw, struct imp_conn *c, struct conf_node *sec)
{
	struct imp_child *ch = &c->child[c->n_child++];

	sec->used = true;
	ch->name = xstrdup(sec->name);
	ch->n_local = take_ts(gw, sec, "local_ts", ch->local_ts);
	ch->n_remote = take_ts(gw, sec, "remote_ts", ch->remote_ts);
	carry(gw, &ch->kvs, sec, "mode", "mode", is_mode, false);
	carry(gw, &ch->kvs, sec, "start_action", "start_action", is_child_action, false);
	carry(gw, &ch->kvs, sec, "close_action", "close_action", is_child_action, false);
	carry(gw, &ch->kvs, sec, "dpd_action", "dpd_action", is_dpd_action, false);
	carry(gw, &ch->kvs, sec, "esp_proposals", "esp_proposals", imp_proposals, false);
	carry(gw, &ch->kvs, sec, "rekey_time", "rekey_time", imp_duration, false);
	carry(gw, &ch->kvs, sec, "life_time", "life_time", imp_duration, false);
	carry(gw, &ch->kvs, sec, "rand_time", "rand_time", imp_duration, false);
	carry(gw, &ch->kvs, sec, "reqid", "reqid", is_uint, true);
	if (!imp_get(&ch->kvs, "start_action"))
		imp_set(&ch->kvs, "start_action", "none", false); /* swanctl.conf's default */
	for (const char *const *k = (const char *const[]){ "if_id_in", "if_id_out", NULL }; *k;
	     k++) {
		struct conf_node *n = conf_get(sec, *k, true);

		if (n) {
			n->used = true;
			imp_note(gw, n->line,
				 "%s = %s: not carried: route-based configurations with if_id need "
				 "XFRM interfaces, which Debian's user-mode Linux kernel does not "
				 "have",
				 *k, n->value);
		}
	}
}

/* local {} or remote {}: auth, id, certs. */
static void swanctl_auth(struct imp_gw *gw, struct imp_conn *c, struct conf_node *conn,
			 const char *side)
{
	struct conf_node *sec = conf_get(conn, side, false);
	const char *auth, *id;
	bool local = !strcmp(side, "local");

	if (!sec)
		return;
	sec->used = true;
	auth = conf_take(sec, "auth");
	if (auth && (!strcmp(auth, "psk") || !strcmp(auth, "pubkey")))
		imp_set(&c->kvs, "auth", auth, false);
	else if (auth)
		imp_note(gw, conf_get(sec, "auth", true)->line,
			 "%s.auth = %s: not carried: the lab authenticates with psk or pubkey",
			 side, auth);
	if (local && conf_take(sec, "certs")) {
		imp_set(&c->kvs, "auth", "pubkey", false);
		imp_note(gw, conf_get(sec, "certs", true)->line,
			 "local.certs = %s: replaced by a certificate the lab's own CA issues for "
			 "the node name and local_id",
			 conf_get(sec, "certs", true)->value);
	}
	id = conf_take(sec, "id");
	if (id && imp_id(id))
		imp_set(&c->kvs, local ? "local_id" : "remote_id", id, false);
	else if (id)
		imp_note(gw, conf_get(sec, "id", true)->line,
			 "%s.id = %s: not carried: the lab takes an FQDN, an address or user@fqdn, "
			 "not a distinguished name",
			 side, id);
}

static char *first_of(const char *list)
{
	char *one[1];

	return list && split_list(list, one, 1) ? one[0] : NULL;
}

static int swanctl_conn(struct imp_gw *gw, struct conf_node *sec)
{
	struct imp_conn *c;
	struct conf_node *children = conf_get(sec, "children", false);

	if (gw->n_conn == IMP_MAX)
		return err_set("%s:%u: more than %d connections", gw->conf, sec->line, IMP_MAX);
	if (!name_valid(sec->name, 32))
		return err_set("%s:%u: connection '%s': the lab takes letters, digits, '-' and "
			       "'_', at most 32",
			       gw->conf, sec->line, sec->name);
	c = &gw->conn[gw->n_conn++];
	sec->used = true;
	c->name = xstrdup(sec->name);
	c->local_addr = first_of(conf_take(sec, "local_addrs"));
	c->remote_addr = first_of(conf_take(sec, "remote_addrs"));
	carry(gw, &c->kvs, sec, "version", "version", is_version, true);
	carry(gw, &c->kvs, sec, "proposals", "proposals", imp_proposals, false);
	carry(gw, &c->kvs, sec, "unique", "unique", is_unique, false);
	swanctl_auth(gw, c, sec, "local");
	swanctl_auth(gw, c, sec, "remote");
	carry(gw, &c->kvs, sec, "rekey_time", "rekey_time", imp_duration, false);
	carry(gw, &c->kvs, sec, "reauth_time", "reauth_time", imp_duration, false);
	carry(gw, &c->kvs, sec, "over_time", "over_time", imp_duration, false);
	carry(gw, &c->kvs, sec, "rand_time", "rand_time", imp_duration, false);
	carry(gw, &c->kvs, sec, "dpd_delay", "dpd_delay", imp_duration, false);
	carry(gw, &c->kvs, sec, "mobike", "mobike", is_bool, true);
	carry(gw, &c->kvs, sec, "keyingtries", "keyingtries", is_uint, true);
	if (children)
		children->used = true;
	for (struct conf_node *n = children ? children->child : NULL; n; n = n->next) {
		if (n->value)
			continue;
		if (c->n_child == IMP_MAX || !name_valid(n->name, 32))
			return err_set(
				"%s:%u: CHILD_SA '%s': more than %d, or not letters, digits, "
				"'-' and '_' (at most 32)",
				gw->conf, n->line, n->name, IMP_MAX);
		swanctl_child(gw, c, n);
	}
	if (!c->n_child)
		return err_set("%s:%u: connection '%s' has no CHILD_SA (children { ... })",
			       gw->conf, sec->line, c->name);
	return 0;
}

static void mark_used(struct conf_node *n)
{
	n->used = true;
	for (struct conf_node *c = n->child; c; c = c->next)
		mark_used(c);
}

static int read_swanctl(struct imp_gw *gw, struct conf_node *root)
{
	struct conf_node *conns = conf_get(root, "connections", false);

	if (!conns)
		return err_set("%s: no connections { } section", gw->conf);
	conns->used = true;
	for (struct conf_node *n = conns->child; n; n = n->next)
		if (!n->value && swanctl_conn(gw, n) < 0)
			return -1;
	if (!gw->n_conn)
		return err_set("%s:%u: connections { } holds no connection", gw->conf, conns->line);
	if (conf_get(root, "secrets", false)) {
		/* Its secrets are listed nowhere, not even as not carried. */
		mark_used(conf_get(root, "secrets", false));
		imp_note(gw, conf_get(root, "secrets", false)->line,
			 "secrets { }: not carried: the lab loads a fresh PSK of its own (and its "
			 "own certificates)");
	}
	imp_note_unused(gw, gw->conf, root, "");
	return 0;
}

/* ---- strongswan.conf ---------------------------------------------------------- */

static const struct {
	const char *key;
	bool (*check)(const char *);
	bool is_bool;
} charon_settings[] = {
	{ "make_before_break", is_bool, true },  { "reuse_ikesa", is_bool, true },
	{ "send_delay", is_uint, false },        { "send_delay_type", is_uint, false },
	{ "send_delay_request", is_bool, true }, { "send_delay_response", is_bool, true },
	{ "receive_delay", is_uint, false },     { "receive_delay_type", is_uint, false },
	{ "retransmit_tries", is_uint, false },  { "retransmit_jitter", is_uint, false },
	{ "retransmit_limit", is_uint, false },  { "threads", is_uint, false },
};

static void strongswan_charon(struct imp_gw *gw, struct conf_node *sec)
{
	struct conf_node *load = conf_get(sec, "load", true);

	sec->used = true;
	for (size_t i = 0; i < sizeof(charon_settings) / sizeof(charon_settings[0]); i++)
		carry(gw, &gw->settings, sec, charon_settings[i].key, charon_settings[i].key,
		      charon_settings[i].check, true);
	if (load) {
		load->used = true;
		imp_note(gw, load->line,
			 "%s.load: not carried: the lab loads its own plugin list (the profile's "
			 "plugins:)",
			 sec->name);
	}
}

void imp_read_strongswan(struct imp_gw *gw, const struct conf_node *root)
{
	for (struct conf_node *n = root->child; n; n = n->next)
		if (!n->value && (!strcmp(n->name, "charon") || !strcmp(n->name, "charon-systemd")))
			strongswan_charon(gw, n);
	imp_note_unused(gw, gw->sconf, root, "");
}

/* ---- reading a gateway ------------------------------------------------------- */

bool imp_is_ipsec(const char *path)
{
	char *text;
	size_t len;
	bool yes = false;

	if (read_file_untrusted(path, 1024 * 1024, &text, &len) < 0)
		return false;
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, "conn ", 5) || !strncmp(p, "config setup", 12)) {
			yes = true;
			break;
		}
	free(text);
	return yes;
}

int imp_read(struct imp_gw *gw)
{
	struct conf_node *root, *sroot = NULL;
	int r;

	gw->reading = gw->conf;
	if (imp_is_ipsec(gw->conf)) {
		if (!(root = conf_parse_ipsec(gw->conf)))
			return -1;
		r = imp_read_ipsec(gw, root);
	} else {
		if (!(root = conf_parse_settings(gw->conf)))
			return -1;
		r = read_swanctl(gw, root);
	}
	conf_free(root);
	if (r == 0 && gw->sconf) {
		gw->reading = gw->sconf;
		if (!(sroot = conf_parse_settings(gw->sconf)))
			return -1;
		imp_read_strongswan(gw, sroot);
		conf_free(sroot);
	}
	return r;
}

/*
 * peer.c - a peer's configuration (strongswan.conf, swanctl.conf, and the
 * same connection as a VICI load-conn message) and the running charon: is
 * it up, load what it needs, are its trap policies in. peer_start.c starts
 * charon.
 */
#include "charon/peer.h"
#include "charon/peer-internal.h"
#include "base/err.h"
#include "charon/secret.h"
#include "charon/vici.h"
#include "base/spawn.h"
#include "config/ts.h"
#include "kernel/xfrm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VICI_TIMEOUT_MS 5000

const char *const peer_swanctl_plugins[] = {
	"pem", "pkcs1", "x509", "revocation", "constraints", "pubkey", "openssl", "random", NULL,
};

char *peer_vici_path(const struct peer *p)
{
	return xasprintf("%s/run/charon.vici", p->dir);
}

/* ---- what the version knows ------------------------------------------- */

/* "strongSwan 6.0.3 (commit 3b902ea59b86)" for the messages. */
static void version_name(const struct peer *p, char *buf, size_t len)
{
	const struct charon_known *k = p->known;

	snprintf(buf, len, "strongSwan %s (commit %.12s)", k && k->version ? k->version : "?",
		 k && k->commit ? k->commit : "?");
}

/* The version knows KEY; if not, say so (once) and note it in sb. */
static bool knows(const struct peer *p, struct strbuf *sb, const char *key)
{
	char v[96];

	if (known_has(p->known, key))
		return true;
	version_name(p, v, sizeof(v));
	known_warn("peer %s (%s): %s does not know %s: left out", p->name,
		   p->profile->path ? p->profile->path : "profile", v, key);
	if (sb)
		sb_addf(sb, "\t# %s left out: %s does not know it\n", key, v);
	return false;
}

/* ---- strongswan.conf ------------------------------------------------- */

/* A setting of charon { } the profile leaves unset: the version's own
 * default, as its documentation gives it, for whoever reads the file. */
static void conf_unset(struct strbuf *sb, const struct peer *p, const char *key)
{
	char full[96];
	const char *d;

	snprintf(full, sizeof(full), "charon.%s", key);
	d = known_default(p->known, full);
	if (d)
		sb_addf(sb, "\t# %s: not set; this version's default is %s\n", key, d);
}

static bool conf_ok(struct strbuf *sb, const struct peer *p, const char *key, bool set)
{
	char full[96];

	if (!set) {
		conf_unset(sb, p, key);
		return false;
	}
	snprintf(full, sizeof(full), "charon.%s", key);
	return knows(p, sb, full);
}

static void conf_bool(struct strbuf *sb, const struct peer *p, const char *key, const bool *v)
{
	if (conf_ok(sb, p, key, v))
		sb_addf(sb, "\t%s = %s\n", key, *v ? "yes" : "no");
}

static void conf_u32(struct strbuf *sb, const struct peer *p, const char *key, const uint32_t *v)
{
	if (conf_ok(sb, p, key, v))
		sb_addf(sb, "\t%s = %u\n", key, *v);
}

static void conf_str(struct strbuf *sb, const struct peer *p, const char *key, const char *v)
{
	if (conf_ok(sb, p, key, v))
		sb_addf(sb, "\t%s = %s\n", key, v);
}

static void render_settings(struct strbuf *sb, const struct peer *p)
{
	static const struct profile_settings none;
	const struct profile_settings *s = p->profile->settings ? p->profile->settings : &none;

	conf_bool(sb, p, "make_before_break", s->make_before_break);
	conf_bool(sb, p, "reuse_ikesa", s->reuse_ikesa);
	conf_u32(sb, p, "send_delay", s->send_delay);
	conf_u32(sb, p, "send_delay_type", s->send_delay_type);
	conf_bool(sb, p, "send_delay_request", s->send_delay_request);
	conf_bool(sb, p, "send_delay_response", s->send_delay_response);
	conf_u32(sb, p, "receive_delay", s->receive_delay);
	conf_u32(sb, p, "receive_delay_type", s->receive_delay_type);
	conf_bool(sb, p, "receive_delay_request", s->receive_delay_request);
	conf_bool(sb, p, "receive_delay_response", s->receive_delay_response);
	conf_u32(sb, p, "retransmit_tries", s->retransmit_tries);
	conf_str(sb, p, "retransmit_timeout", s->retransmit_timeout);
	conf_str(sb, p, "retransmit_base", s->retransmit_base);
	conf_u32(sb, p, "retransmit_jitter", s->retransmit_jitter);
	conf_u32(sb, p, "retransmit_limit", s->retransmit_limit);
	conf_u32(sb, p, "threads", s->threads);
}

/* charon.load: the profile's plugins (or the lab's list), without the
 * ones this version was not built with. */
static void render_load(struct strbuf *sb, const struct peer *p)
{
	const struct profile *pr = p->profile;
	struct strbuf gone = { 0 };
	char v[96];

	const char *const *list = profile_default_plugins;
	size_t n = 0;

	if (pr->plugins_count) {
		list = (const char *const *)pr->plugins;
		n = pr->plugins_count;
	} else {
		while (list[n])
			n++;
	}
	version_name(p, v, sizeof(v));
	sb_addf(sb, "charon {\n\tload =");
	for (size_t i = 0; i < n; i++) {
		const char *name = list[i];

		if (known_plugin(p->known, name)) {
			sb_addf(sb, " %s", name);
			continue;
		}
		sb_addf(&gone, "\t# plugin %s left out: %s has no such plugin\n", name, v);
		known_warn("peer %s (%s): %s has no plugin '%s': left out of charon.load", p->name,
			   pr->path ? pr->path : "profile", v, name);
	}
	sb_addf(sb, "\n");
	if (gone.len)
		sb_add(sb, gone.buf, gone.len);
	sb_free(&gone);
}

static void render_log(struct strbuf *sb, const struct peer *p)
{
	const struct profile_log *l = p->profile->log;
	const struct {
		const char *name;
		const int32_t *v;
	} levels[] = {
		{ "default", l ? l->dflt : NULL }, { "dmn", l ? l->dmn : NULL },
		{ "mgr", l ? l->mgr : NULL },      { "ike", l ? l->ike : NULL },
		{ "chd", l ? l->chd : NULL },      { "job", l ? l->job : NULL },
		{ "cfg", l ? l->cfg : NULL },      { "knl", l ? l->knl : NULL },
		{ "net", l ? l->net : NULL },      { "asn", l ? l->asn : NULL },
		{ "enc", l ? l->enc : NULL },      { "lib", l ? l->lib : NULL },
		{ "esp", l ? l->esp : NULL },
	};

	sb_addf(sb, "\tfilelog {\n\t\tikelab {\n");
	/* As charon sees it: the peer's run directory is its /run. */
	sb_addf(sb, "\t\t\tpath = /run/charon.log\n");
	/* time_add_ms is 5.9.8's name, time_precision the newer one: a
	 * version we know the settings of gets its own, any other both (each
	 * version ignores the other). */
	sb_addf(sb, "\t\t\ttime_format = %%F %%T\n");
	if (known_has(p->known, "charon.filelog.<name>.time_add_ms"))
		sb_addf(sb, "\t\t\ttime_add_ms = yes\n");
	if (known_has(p->known, "charon.filelog.<name>.time_precision"))
		sb_addf(sb, "\t\t\ttime_precision = us\n");
	sb_addf(sb, "\t\t\tike_name = yes\n\t\t\tflush_line = yes\n\t\t\tappend = yes\n");
	for (size_t i = 0; i < ARRAY_LEN(levels); i++)
		if (levels[i].v)
			sb_addf(sb, "\t\t\t%s = %d\n", levels[i].name, *levels[i].v);
	sb_addf(sb, "\t\t}\n\t}\n");
}

static char *render_strongswan_conf(const struct peer *p, const char *lab)
{
	const struct profile *pr = p->profile;
	struct strbuf sb = { 0 };

	sb_addf(&sb,
		"# strongswan.conf of peer %s in lab '%s', rendered by ikelab from %s.\n"
		"# charon reads it through STRONGSWAN_CONF; inside 'ikelab exec %s' it is\n"
		"# also /etc/strongswan.conf.\n\n",
		p->name, lab, pr->path ? pr->path : "(built-in defaults)", p->name);
	if (p->known && p->known->version) {
		char v[96];

		version_name(p, v, sizeof(v));
		sb_addf(&sb,
			"# For %s, built by ikelab: rendered against the settings\n"
			"# and plugins that version knows.\n\n",
			v);
	}
	render_load(&sb, p);
	render_settings(&sb, p);
	render_log(&sb, p);
	sb_addf(&sb,
		"\tsyslog {\n\t\tidentifier = charon-%s-%s\n"
		"\t\tdaemon {\n\t\t\tdefault = -1\n\t\t}\n\t}\n",
		lab, p->name);
	sb_addf(&sb, "\tplugins {\n\t\tvici {\n\t\t\tsocket = unix:///run/charon.vici\n"
		     "\t\t}\n\t}\n}\n\n");
	sb_addf(&sb, "swanctl {\n\tload =");
	for (const char *const *d = peer_swanctl_plugins; *d; d++)
		if (known_plugin(p->known, *d))
			sb_addf(&sb, " %s", *d);
	sb_addf(&sb, "\n}\n");
	if (pr->strongswan_conf)
		sb_addf(&sb, "\n# strongswan_conf from the profile:\n%s\n", pr->strongswan_conf);
	return sb.buf;
}

/* ---- the connection, as a VICI load-conn message ---------------------- */

#define CONN "connections.<conn>."
#define CHILD CONN "children.<child>."

/* A setting the profile may leave out, if the version knows it (in
 * swanctl.opt, under `at`): VICI refuses a key it does not know. */
static void kv_opt(struct vici_msg *m, const struct peer *p, const char *at, const char *key,
		   const char *v)
{
	char full[128];

	snprintf(full, sizeof(full), "%s%s", at, key);
	if (v && knows(p, NULL, full))
		vici_kv(m, key, "%s", v);
}

static void kv_list1(struct vici_msg *m, const char *key, const char *v)
{
	vici_list_begin(m, key);
	vici_list_item(m, "%s", v);
	vici_list_end(m);
}

static void kv_list(struct vici_msg *m, const char *key, char *const *v, unsigned n)
{
	vici_list_begin(m, key);
	for (unsigned k = 0; k < n; k++)
		vici_list_item(m, "%s", v[k]);
	vici_list_end(m);
}

static void build_child(struct vici_msg *m, const struct peer *p, const struct profile_child *c)
{
	struct argv l = { 0 }, r = { 0 };

	/* peer_render() checked that they resolve. */
	if (peer_child_ts(p, c, &l, &r) < 0)
		err_clear();
	vici_section_begin(m, c->name);
	kv_list(m, "local_ts", l.v, (unsigned)l.n);
	kv_list(m, "remote_ts", r.v, (unsigned)r.n);
	argv_free(&l);
	argv_free(&r);
	kv_list1(m, "esp_proposals", c->esp_proposals ? c->esp_proposals : "aes128gcm16");
	vici_kv(m, "mode", "%s", c->mode ? c->mode : "tunnel");
	vici_kv(m, "start_action", "%s", c->start_action ? c->start_action : "trap");
	kv_opt(m, p, CHILD, "close_action", c->close_action);
	kv_opt(m, p, CHILD, "dpd_action", c->dpd_action);
	kv_opt(m, p, CHILD, "rekey_time", c->rekey_time);
	kv_opt(m, p, CHILD, "life_time", c->life_time);
	kv_opt(m, p, CHILD, "rand_time", c->rand_time);
	if (c->reqid) {
		char n[16];

		snprintf(n, sizeof(n), "%u", *c->reqid);
		kv_opt(m, p, CHILD, "reqid", n);
	}
	vici_section_end(m);
}

/* CERT: the local certificate with pubkey (its PEM for VICI, its file
 * name for swanctl.conf), NULL for the remote side. */
static void build_auth(struct vici_msg *m, const char *section, const char *id, const char *auth,
		       const char *cert)
{
	vici_section_begin(m, section);
	vici_kv(m, "auth", "%s", auth);
	vici_kv(m, "id", "%s", id);
	if (cert)
		kv_list1(m, "certs", cert);
	vici_section_end(m);
}

static void build_ike_opts(struct vici_msg *m, const struct peer *p, const struct profile_ike *ike)
{
	kv_opt(m, p, CONN, "rekey_time", ike->rekey_time);
	kv_opt(m, p, CONN, "reauth_time", ike->reauth_time);
	kv_opt(m, p, CONN, "over_time", ike->over_time);
	kv_opt(m, p, CONN, "rand_time", ike->rand_time);
	kv_opt(m, p, CONN, "dpd_delay", ike->dpd_delay);
	if (ike->mobike)
		kv_opt(m, p, CONN, "mobike", *ike->mobike ? "yes" : "no");
	if (ike->keyingtries) {
		char n[16];

		snprintf(n, sizeof(n), "%u", *ike->keyingtries);
		kv_opt(m, p, CONN, "keyingtries", n);
	}
}

/* load-conn's message for connection I of the peer's profile; CERT as
 * for build_auth(). */
static struct vici_msg *build_conn(const struct peer *p, unsigned i, const char *cert)
{
	struct vici_msg *m = vici_msg_new();
	struct profile_ike ike;
	bool pubkey;

	profile_conn(p->profile, i, &ike);
	pubkey = ike.auth && !strcmp(ike.auth, "pubkey");
	vici_section_begin(m, ike.name);
	vici_kv(m, "version", "%u", ike.version ? *ike.version : 2);
	kv_list1(m, "local_addrs", p->local_addr);
	kv_list1(m, "remote_addrs", p->remote_addr);
	kv_list1(m, "proposals", ike.proposals ? ike.proposals : "aes128gcm16-prfsha256-ecp256");
	vici_kv(m, "unique", "%s", ike.unique ? ike.unique : "no");
	build_ike_opts(m, p, &ike);
	build_auth(m, "local", ike.local_id ? ike.local_id : p->name, pubkey ? "pubkey" : "psk",
		   pubkey ? cert : NULL);
	build_auth(m, "remote", ike.remote_id ? ike.remote_id : p->remote_name,
		   pubkey ? "pubkey" : "psk", NULL);
	vici_section_begin(m, "children");
	for (unsigned j = 0; j < profile_child_count(&ike); j++) {
		struct profile_child c;

		profile_child(p->profile, &ike, j, &c);
		build_child(m, p, &c);
	}
	vici_section_end(m);
	vici_section_end(m);
	return m;
}

#define MAX_IDS (2 * PROFILE_MAX_CONNS)

/* Every identity the peer's connections use, its own and the other's:
 * the owners of the lab's PSK. Borrowed; their number. */
static unsigned psk_owners(const struct peer *p, const char **ids)
{
	unsigned n = profile_ids(p->profile, true, p->name, ids, MAX_IDS / 2);

	return n + profile_ids(p->profile, false, p->remote_name, ids + n, MAX_IDS / 2);
}

static struct vici_msg *build_secret(const struct peer *p)
{
	struct vici_msg *m = vici_msg_new();
	const char *ids[MAX_IDS];
	unsigned n = psk_owners(p, ids);

	vici_kv(m, "type", "IKE");
	vici_kv(m, "data", "%s", p->psk);
	vici_list_begin(m, "owners");
	for (unsigned k = 0; k < n; k++)
		vici_list_item(m, "%s", ids[k]);
	vici_list_end(m);
	return m;
}

/* swanctl.conf syntax for a decoded VICI tree: the rendered file shows
 * exactly what was loaded, and `swanctl --load-all` inside the peer loads
 * the same thing again. */
static void render_tree(struct strbuf *sb, const struct vici_node *n, int depth)
{
	for (; n; n = n->next) {
		for (int i = 0; i < depth; i++)
			sb_add(sb, "\t", 1);
		if (n->type == VICI_NODE_SECTION) {
			sb_addf(sb, "%s {\n", n->name);
			render_tree(sb, n->children, depth + 1);
			for (int i = 0; i < depth; i++)
				sb_add(sb, "\t", 1);
			sb_addf(sb, "}\n");
		} else if (n->type == VICI_NODE_LIST) {
			sb_addf(sb, "%s = ", n->name);
			for (const struct vici_node *it = n->children; it; it = it->next)
				sb_addf(sb, "%s%s", it->value, it->next ? "," : "");
			sb_addf(sb, "\n");
		} else {
			sb_addf(sb, "%s = %s\n", n->name, n->value);
		}
	}
}

/* Connection I as swanctl.conf lines into SB; -1 when it cannot be
 * decoded (never for a message of ours). */
static int render_conn(struct strbuf *sb, const struct peer *p, unsigned i)
{
	char *file = xasprintf("%s.pem", p->name);
	struct vici_msg *m = build_conn(p, i, file);
	struct vici_node *tree = NULL;
	const uint8_t *buf;
	size_t len;

	if (vici_msg_bytes(m, &buf, &len) == 0)
		tree = vici_decode(buf, len);
	vici_msg_free(m);
	free(file);
	if (!tree)
		return -1;
	render_tree(sb, tree->children, 1);
	vici_node_free(tree);
	return 0;
}

static char *render_swanctl_conf(const struct peer *p, const char *lab)
{
	struct strbuf sb = { 0 };
	const char *ids[MAX_IDS];
	unsigned n;

	sb_addf(&sb,
		"# swanctl.conf of peer %s in lab '%s', rendered by ikelab. The lab\n"
		"# loads the same settings over VICI (load-conn, load-shared).\n\n"
		"connections {\n",
		p->name, lab);
	for (unsigned i = 0; i < profile_conn_count(p->profile); i++)
		if (render_conn(&sb, p, i) < 0) {
			sb_free(&sb);
			return NULL;
		}
	n = psk_owners(p, ids);
	sb_addf(&sb, "}\n\nsecrets {\n\tike-lab {\n");
	for (unsigned k = 0; k < n; k++)
		sb_addf(&sb, "\t\tid-%u = %s\n", k + 1, ids[k]);
	sb_addf(&sb, "\t\tsecret = \"%s\"\n\t}\n}\n", p->psk);
	return sb.buf;
}

/* Every CHILD_SA's selectors resolve against the topology. */
static int child_resolves(void *ctx, unsigned i, unsigned j, const struct profile_ike *ike,
			  const struct profile_child *c)
{
	struct argv l = { 0 }, r = { 0 };
	int rc = peer_child_ts(ctx, c, &l, &r);

	(void)i;
	(void)j;
	(void)ike;
	argv_free(&l);
	argv_free(&r);
	return rc;
}

static int check_selectors(const struct peer *p)
{
	return profile_each_child(p->profile, child_resolves, (void *)p);
}

int peer_render(const struct peer *p, const char *lab)
{
	char *path, *text;
	int r;

	if (check_selectors(p) < 0)
		return -1;
	path = xasprintf("%s/run", p->dir);
	r = mkdir_p(path, 0755);
	free(path);
	path = xasprintf("%s/swanctl", p->dir);
	if (r == 0)
		r = mkdir_p(path, 0700);
	free(path);
	if (r < 0)
		return -1;

	text = render_strongswan_conf(p, lab);
	path = xasprintf("%s/run/strongswan.conf", p->dir);
	r = write_file(path, text, strlen(text), 0644);
	free(path);
	free(text);
	if (r < 0)
		return -1;

	/* swanctl --load-all inside the peer expects the usual folders. */
	for (const char *const *d =
		     (const char *const[]){ "x509", "x509ca", "x509ocsp", "x509aa", "x509ac",
					    "x509crl", "pubkey", "private", "rsa", "ecdsa", "bliss",
					    "pkcs8", "pkcs12", NULL };
	     *d; d++) {
		path = xasprintf("%s/swanctl/%s", p->dir, *d);
		r = mkdir_p(path, 0700);
		free(path);
		if (r < 0)
			return -1;
	}
	if (peer_certs_place(p) < 0)
		return -1;
	text = render_swanctl_conf(p, lab);
	if (!text)
		return err_wrap("peer %s: rendering swanctl.conf", p->name);
	path = xasprintf("%s/swanctl/swanctl.conf", p->dir);
	r = write_file(path, text, strlen(text), 0600);
	free(path);
	free(text);
	return r;
}

char *peer_log_tail(const char *dir, int lines)
{
	const char *files[] = { "run/charon.log", "charon.out" };
	char *labdir = xasprintf("%s/..", dir), *psk = secret_lab_psk(labdir);
	struct strbuf sb = { 0 };

	for (size_t f = 0; f < ARRAY_LEN(files); f++) {
		char *path = xasprintf("%s/%s", dir, files[f]);
		char *tail = file_tail(path, lines);

		if (tail) {
			/* Quoted in errors, which reach reports: no PSK. */
			char *clean = secret_redact(tail, strlen(tail), psk, NULL);

			sb_addf(&sb, "--- last lines of %s ---\n%s%s", path, clean,
				clean[0] && clean[strlen(clean) - 1] != '\n' ? "\n" : "");
			free(clean);
			free(tail);
		}
		free(path);
	}
	free(psk);
	free(labdir);
	if (!sb.buf)
		sb_addf(&sb, "(charon wrote no log)\n");
	return sb.buf;
}

int peer_charon_died(const struct peer *p)
{
	char *tail = peer_log_tail(p->dir, 8), *how;

	/* The keeper writes how charon ended; give it a moment. */
	for (int i = 0; i < 50 && !(how = peer_exit_reason(p->dir)); i++)
		sleep_ms(10);
	err_set("peer %s: charon (pid %d) %s during start-up\n%s", p->name, (int)p->charon.pid,
		how ? how : "exited", tail);
	free(how);
	free(tail);
	return -1;
}

int peer_wait_vici(const struct peer *p, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	char *path = peer_vici_path(p);

	for (;;) {
		struct vici_conn *c;

		if (!proc_alive(&p->charon)) {
			free(path);
			return peer_charon_died(p);
		}
		c = vici_connect(path, 100);
		if (c) {
			vici_close(c);
			free(path);
			return 0;
		}
		if (mono_ns() >= deadline) {
			char *tail = peer_log_tail(p->dir, 6);

			err_set("peer %s: charon (pid %d) did not open its VICI socket within %d "
				"ms "
				"(%s)\n%s",
				p->name, (int)p->charon.pid, timeout_ms, path, tail);
			free(tail);
			free(path);
			return -1;
		}
	}
}

int peer_vici_load(struct vici_conn *c, const char *cmd, struct vici_msg *m, const struct peer *p)
{
	struct vici_node *resp = NULL;
	int r = vici_cmd(c, cmd, m, &resp, VICI_TIMEOUT_MS);

	if (r == 0)
		r = vici_check_success(resp, cmd);
	vici_node_free(resp);
	if (r < 0)
		err_wrap("peer %s", p->name);
	return r;
}

/* The certificates (for the name of the peer's own) and every
 * connection of the profile, each by load-conn. */
static int load_conns(const struct peer *p, struct vici_conn *c)
{
	char *cert = NULL;
	int r = peer_certs_load(p, c, &cert);

	for (unsigned i = 0; r == 0 && i < profile_conn_count(p->profile); i++) {
		struct vici_msg *m = build_conn(p, i, cert);

		r = peer_vici_load(c, "load-conn", m, p);
		vici_msg_free(m);
	}
	free(cert);
	return r;
}

static struct vici_conn *connect_peer(const struct peer *p)
{
	char *path = peer_vici_path(p);
	struct vici_conn *c = vici_connect(path, VICI_TIMEOUT_MS);

	free(path);
	if (!c)
		err_wrap("peer %s", p->name);
	return c;
}

int peer_load(const struct peer *p)
{
	struct vici_conn *c = connect_peer(p);
	struct vici_msg *m;
	int r;

	if (!c)
		return -1;
	m = build_secret(p);
	r = peer_vici_load(c, "load-shared", m, p);
	vici_msg_free(m);
	if (r == 0)
		r = load_conns(p, c);
	vici_close(c);
	return r;
}

static bool has_conn(const struct profile *p, const char *name)
{
	struct profile_ike c;

	for (unsigned i = 0; i < profile_conn_count(p); i++) {
		profile_conn(p, i, &c);
		if (!strcmp(c.name, name))
			return true;
	}
	return false;
}

int peer_reload(const struct peer *p, const struct profile *old)
{
	struct vici_conn *c = connect_peer(p);
	int r;

	if (!c)
		return -1;
	r = load_conns(p, c);
	for (unsigned i = 0; r == 0 && i < profile_conn_count(old); i++) {
		struct profile_ike conn;
		struct vici_msg *m;

		profile_conn(old, i, &conn);
		if (has_conn(p->profile, conn.name))
			continue;
		m = vici_msg_new();
		vici_kv(m, "name", "%s", conn.name);
		r = peer_vici_load(c, "unload-conn", m, p);
		vici_msg_free(m);
	}
	vici_close(c);
	return r;
}

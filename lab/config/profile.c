#include "config/profile.h"
#include "base/err.h"
#include "base/util.h"
#include "config/trust.h"
#include "config/ts.h"
#include "config/yamlcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const profile_default_plugins[] = {
	"random",         "nonce",          "kdf",  "openssl", "pem", "pkcs1", "x509",
	"kernel-netlink", "socket-default", "vici", NULL,
};

static int too_long(const char *s)
{
	return err_set("'%s' is too long a duration (at most %u seconds)", s, (unsigned)UINT32_MAX);
}

static int duration_err(const char *s)
{
	return err_set("'%s' is not a duration (seconds, or a number with "
		       "s, m, h or d: 90, 10s, 5m, 1h, 2d)",
		       s);
}

/*
 * Decimal only, without leading zeros: charon reads times with
 * strtoul(..., 0), so "010" would be 8 seconds there and "0x10" 16.
 */
int duration_parse(const char *s, uint32_t *secs)
{
	size_t digits = strspn(s, "0123456789");
	const char *unit = s + digits;
	uint64_t v = 0, mult;

	if (!digits || (s[0] == '0' && digits > 1) || (unit[0] && unit[1]))
		return duration_err(s);
	switch (*unit) {
	case '\0':
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 60 * 60;
		break;
	case 'd':
		mult = 24 * 60 * 60;
		break;
	default:
		return duration_err(s);
	}
	/* Ten digits overflow neither v nor v * mult. */
	if (digits > 10)
		return too_long(s);
	for (size_t i = 0; i < digits; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	if (v * mult > UINT32_MAX)
		return too_long(s);
	*secs = (uint32_t)(v * mult);
	return 0;
}

/* Loading */

#define OPT CYAML_FLAG_OPTIONAL
#define STR(key, flags, type, member) \
	CYAML_FIELD_STRING_PTR(key, flags, type, member, 0, CYAML_UNLIMITED)

#define PLUGIN_CHARS "abcdefghijklmnopqrstuvwxyz0123456789-"

/* Profile schema: every key optional, absent values stay NULL. */

static const cyaml_schema_field_t settings_fields[] = {
	CYAML_FIELD_BOOL_PTR("make_before_break", OPT, struct profile_settings, make_before_break),
	CYAML_FIELD_BOOL_PTR("reuse_ikesa", OPT, struct profile_settings, reuse_ikesa),
	CYAML_FIELD_UINT_PTR("send_delay", OPT, struct profile_settings, send_delay),
	CYAML_FIELD_UINT_PTR("send_delay_type", OPT, struct profile_settings, send_delay_type),
	CYAML_FIELD_BOOL_PTR("send_delay_request", OPT, struct profile_settings,
			     send_delay_request),
	CYAML_FIELD_BOOL_PTR("send_delay_response", OPT, struct profile_settings,
			     send_delay_response),
	CYAML_FIELD_UINT_PTR("receive_delay", OPT, struct profile_settings, receive_delay),
	CYAML_FIELD_UINT_PTR("receive_delay_type", OPT, struct profile_settings,
			     receive_delay_type),
	CYAML_FIELD_BOOL_PTR("receive_delay_request", OPT, struct profile_settings,
			     receive_delay_request),
	CYAML_FIELD_BOOL_PTR("receive_delay_response", OPT, struct profile_settings,
			     receive_delay_response),
	CYAML_FIELD_UINT_PTR("retransmit_tries", OPT, struct profile_settings, retransmit_tries),
	STR("retransmit_timeout", OPT, struct profile_settings, retransmit_timeout),
	STR("retransmit_base", OPT, struct profile_settings, retransmit_base),
	CYAML_FIELD_UINT_PTR("retransmit_jitter", OPT, struct profile_settings, retransmit_jitter),
	CYAML_FIELD_UINT_PTR("retransmit_limit", OPT, struct profile_settings, retransmit_limit),
	CYAML_FIELD_UINT_PTR("threads", OPT, struct profile_settings, threads),
	CYAML_FIELD_END
};

#define LOG(key, member) CYAML_FIELD_INT_PTR(key, OPT, struct profile_log, member)

static const cyaml_schema_field_t log_fields[] = {
	LOG("default", dflt), LOG("dmn", dmn), LOG("mgr", mgr), LOG("ike", ike), LOG("chd", chd),
	LOG("job", job),      LOG("cfg", cfg), LOG("knl", knl), LOG("net", net), LOG("asn", asn),
	LOG("enc", enc),      LOG("lib", lib), LOG("esp", esp), CYAML_FIELD_END
};

/* The keys of `ike:` and of a `connections:` entry, which adds children. */
#define IKE_FIELDS                                                                 \
	STR("name", OPT, struct profile_ike, name),                                \
		CYAML_FIELD_UINT_PTR("version", OPT, struct profile_ike, version), \
		STR("proposals", OPT, struct profile_ike, proposals),              \
		STR("unique", OPT, struct profile_ike, unique),                    \
		STR("auth", OPT, struct profile_ike, auth),                        \
		STR("local_id", OPT, struct profile_ike, local_id),                \
		STR("remote_id", OPT, struct profile_ike, remote_id),              \
		STR("rekey_time", OPT, struct profile_ike, rekey_time),            \
		STR("reauth_time", OPT, struct profile_ike, reauth_time),          \
		STR("over_time", OPT, struct profile_ike, over_time),              \
		STR("rand_time", OPT, struct profile_ike, rand_time),              \
		STR("dpd_delay", OPT, struct profile_ike, dpd_delay),              \
		CYAML_FIELD_BOOL_PTR("mobike", OPT, struct profile_ike, mobike),   \
		CYAML_FIELD_UINT_PTR("keyingtries", OPT, struct profile_ike, keyingtries)

static const cyaml_schema_field_t ike_fields[] = { IKE_FIELDS, CYAML_FIELD_END };

static const cyaml_schema_value_t ts_schema = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, TS_LEN - 1),
};

static const cyaml_schema_field_t child_fields[] = {
	STR("name", OPT, struct profile_child, name),
	CYAML_FIELD_SEQUENCE("local_ts", CYAML_FLAG_POINTER | OPT, struct profile_child, local_ts,
			     &ts_schema, 1, 32),
	CYAML_FIELD_SEQUENCE("remote_ts", CYAML_FLAG_POINTER | OPT, struct profile_child, remote_ts,
			     &ts_schema, 1, 32),
	CYAML_FIELD_UINT_PTR("reqid", OPT, struct profile_child, reqid),
	STR("esp_proposals", OPT, struct profile_child, esp_proposals),
	STR("start_action", OPT, struct profile_child, start_action),
	STR("close_action", OPT, struct profile_child, close_action),
	STR("dpd_action", OPT, struct profile_child, dpd_action),
	STR("mode", OPT, struct profile_child, mode),
	STR("rekey_time", OPT, struct profile_child, rekey_time),
	STR("life_time", OPT, struct profile_child, life_time),
	STR("rand_time", OPT, struct profile_child, rand_time),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t child_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct profile_child, child_fields),
};

static const cyaml_schema_field_t conn_fields[] = {
	IKE_FIELDS,
	CYAML_FIELD_SEQUENCE("children", CYAML_FLAG_POINTER, struct profile_ike, children,
			     &child_schema, 1, PROFILE_MAX_CHILDREN),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t conn_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct profile_ike, conn_fields),
};

static const cyaml_schema_value_t plugin_schema = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};

const cyaml_schema_field_t profile_fields[] = {
	STR("name", OPT, struct profile, name),
	STR("description", OPT, struct profile, description),
	STR("base", OPT, struct profile, base),
	STR("charon", OPT, struct profile, charon),
	CYAML_FIELD_SEQUENCE("plugins", CYAML_FLAG_POINTER | OPT, struct profile, plugins,
			     &plugin_schema, 1, CYAML_UNLIMITED),
	CYAML_FIELD_MAPPING_PTR("settings", OPT, struct profile, settings, settings_fields),
	CYAML_FIELD_MAPPING_PTR("log", OPT, struct profile, log, log_fields),
	CYAML_FIELD_MAPPING_PTR("ike", OPT, struct profile, ike, ike_fields),
	CYAML_FIELD_MAPPING_PTR("child", OPT, struct profile, child, child_fields),
	CYAML_FIELD_SEQUENCE("connections", CYAML_FLAG_POINTER | OPT, struct profile, connections,
			     &conn_schema, 1, PROFILE_MAX_CONNS),
	STR("strongswan_conf", OPT, struct profile, strongswan_conf),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t profile_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct profile, profile_fields),
};

const cyaml_schema_value_t *profile_cyaml_schema(void)
{
	return &profile_schema;
}

/* Profile checks */

static int want_one_of(const struct ydoc *d, const char *at, const char *key, const char *s,
		       const char *const *values)
{
	struct strbuf sb = { 0 };
	char path[YPATH_LEN];
	int rc;

	if (!s)
		return 0;
	for (const char *const *v = values; *v; v++)
		if (!strcmp(s, *v))
			return 0;
	for (const char *const *v = values; *v; v++)
		sb_addf(&sb, "%s%s", v == values ? "" : ", ", *v);
	rc = ydoc_err(d, ypath(path, "%s%s", at, key), "'%s' is not one of: %s", s, sb.buf);
	sb_free(&sb);
	return rc;
}

static int want_duration(const struct ydoc *d, const char *at, const char *key, const char *s)
{
	char path[YPATH_LEN];
	uint32_t secs;

	if (s && duration_parse(s, &secs) < 0)
		return ydoc_err(d, ypath(path, "%s%s", at, key), "%s", err_msg());
	return 0;
}

/* strongswan.conf reads these as doubles: "4", "0.5", "1.8". */
static int want_decimal(const struct ydoc *d, const char *at, const char *key, const char *s)
{
	char path[YPATH_LEN];
	size_t n;

	if (!s)
		return 0;
	n = strspn(s, "0123456789");
	if (n && s[n] == '.')
		n += 1 + strspn(s + n + 1, "0123456789");
	if (!n || s[n] || s[n - 1] == '.')
		return ydoc_err(d, ypath(path, "%s%s", at, key),
				"'%s' is not a decimal number (like 4 or 0.5)", s);
	return 0;
}

static int want_name(const struct ydoc *d, const char *at, const char *key, const char *s)
{
	char path[YPATH_LEN];

	if (s && !name_valid(s, 32))
		return ydoc_err(d, ypath(path, "%s%s", at, key),
				"'%s' is not "
				"a connection name (letters, digits, '-' and '_', at most "
				"32)",
				s);
	return 0;
}

/* An identity as swanctl.conf and pki take it unquoted: an FQDN, an
 * address, user@fqdn, or a key id; no space, comma or brace (so no DN). */
static int want_id(const struct ydoc *d, const char *at, const char *key, const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				 ".-_@:";
	char path[YPATH_LEN];

	if (s && (!*s || strlen(s) > 128 || s[strspn(s, ok)]))
		return ydoc_err(d, ypath(path, "%s%s", at, key),
				"'%s' is not an identity the lab takes (an FQDN, an address or "
				"user@fqdn: letters, digits, '.', '-', '_', '@' and ':', at most "
				"128)",
				s);
	return 0;
}

static int check_plugins(const struct profile *p, const struct ydoc *d, const char *at)
{
	char path[YPATH_LEN];

	for (unsigned i = 0; i < p->plugins_count; i++) {
		const char *s = p->plugins[i];

		if (!*s || s[strspn(s, PLUGIN_CHARS)])
			return ydoc_err(d, ypath(path, "%splugins[%u]", at, i),
					"'%s' is not a plugin name ([a-z0-9-]+)", s);
	}
	return 0;
}

static int check_settings(const struct profile_settings *s, const struct ydoc *d, const char *at)
{
	if (!s)
		return 0;
	if (want_decimal(d, at, "settings.retransmit_timeout", s->retransmit_timeout) < 0 ||
	    want_decimal(d, at, "settings.retransmit_base", s->retransmit_base) < 0)
		return -1;
	return 0;
}

/* Walks the schema, so every level has its YAML key in the message. */
static int check_log(const struct profile_log *l, const struct ydoc *d, const char *at)
{
	char path[YPATH_LEN];

	if (!l)
		return 0;
	for (const cyaml_schema_field_t *f = log_fields; f->key; f++) {
		const int32_t *v = *(int32_t *const *)((const char *)l + f->data_offset);

		if (v && (*v < -1 || *v > 4))
			return ydoc_err(d, ypath(path, "%slog.%s", at, f->key),
					"log level %d is out of range (-1..4)", (int)*v);
	}
	return 0;
}

/* `ike:` or a connection entry; BASE ends in '.' ("ike.", "connections[1]."). */
static int check_ike(const struct profile_ike *ike, const struct ydoc *d, const char *base)
{
	static const char *const unique[] = {
		"no", "never", "replace", "keep", NULL,
	};
	static const char *const auths[] = { "psk", "pubkey", NULL };
	char path[YPATH_LEN];

	if (ike->version && *ike->version != 1 && *ike->version != 2)
		return ydoc_err(d, ypath(path, "%sversion", base),
				"IKE version %u is neither 1 nor 2", (unsigned)*ike->version);
	if (want_name(d, base, "name", ike->name) < 0 ||
	    want_one_of(d, base, "unique", ike->unique, unique) < 0 ||
	    want_one_of(d, base, "auth", ike->auth, auths) < 0 ||
	    want_id(d, base, "local_id", ike->local_id) < 0 ||
	    want_id(d, base, "remote_id", ike->remote_id) < 0 ||
	    want_duration(d, base, "rekey_time", ike->rekey_time) < 0 ||
	    want_duration(d, base, "reauth_time", ike->reauth_time) < 0 ||
	    want_duration(d, base, "over_time", ike->over_time) < 0 ||
	    want_duration(d, base, "rand_time", ike->rand_time) < 0 ||
	    want_duration(d, base, "dpd_delay", ike->dpd_delay) < 0)
		return -1;
	return 0;
}

static int check_ts_list(const struct ydoc *d, const char *base, const char *key, char **ts,
			 unsigned n)
{
	char path[YPATH_LEN];

	for (unsigned i = 0; i < n; i++)
		if (ts_check(ts[i]) < 0)
			return ydoc_err(d, ypath(path, "%s%s[%u]", base, key, i), "%s", err_msg());
	return 0;
}

static int check_child(const struct profile_child *c, const struct ydoc *d, const char *base)
{
	static const char *const actions[] = { "none", "trap", "start", NULL };
	static const char *const dpd[] = { "clear", "trap", "restart", NULL };
	static const char *const modes[] = { "tunnel", "transport", NULL };

	if (want_name(d, base, "name", c->name) < 0 ||
	    check_ts_list(d, base, "local_ts", c->local_ts, c->local_ts_count) < 0 ||
	    check_ts_list(d, base, "remote_ts", c->remote_ts, c->remote_ts_count) < 0 ||
	    want_one_of(d, base, "start_action", c->start_action, actions) < 0 ||
	    want_one_of(d, base, "close_action", c->close_action, actions) < 0 ||
	    want_one_of(d, base, "dpd_action", c->dpd_action, dpd) < 0 ||
	    want_one_of(d, base, "mode", c->mode, modes) < 0 ||
	    want_duration(d, base, "rekey_time", c->rekey_time) < 0 ||
	    want_duration(d, base, "life_time", c->life_time) < 0 ||
	    want_duration(d, base, "rand_time", c->rand_time) < 0)
		return -1;
	return 0;
}

static const struct profile_child *profile_first_child(const struct profile_ike *c,
						       const char *name)
{
	for (unsigned j = 0; j < c->children_count; j++)
		if (c->children[j].name && !strcmp(c->children[j].name, name))
			return &c->children[j];
	return NULL;
}

/* Child names are unique in the whole profile: an action names a CHILD_SA
 * by its name alone (VICI's initiate and terminate do the same). */
static int check_names(const struct profile *p, const struct ydoc *d, const char *at)
{
	char path[YPATH_LEN];

	for (unsigned i = 0; i < p->connections_count; i++) {
		const struct profile_ike *c = &p->connections[i];

		if (!c->name)
			return ydoc_err(d, ypath(path, "%sconnections[%u]", at, i),
					"a connection needs a name");
		for (unsigned k = 0; k < i; k++)
			if (!strcmp(p->connections[k].name, c->name))
				return ydoc_err(d, ypath(path, "%sconnections[%u].name", at, i),
						"connection '%s' is already connections[%u]",
						c->name, k);
		for (unsigned j = 0; j < c->children_count; j++) {
			const char *name = c->children[j].name;
			int other;

			if (!name)
				return ydoc_err(
					d, ypath(path, "%sconnections[%u].children[%u]", at, i, j),
					"a CHILD_SA needs a name");
			other = profile_conn_of_child(p, name);
			if (other >= 0 && ((unsigned)other != i ||
					   &c->children[j] != profile_first_child(c, name)))
				return ydoc_err(
					d,
					ypath(path, "%sconnections[%u].children[%u].name", at, i,
					      j),
					"CHILD_SA '%s' is already in connection '%s' (child "
					"names are unique in a profile)",
					name, p->connections[other].name);
		}
	}
	return 0;
}

/* With connections:, ike: and child: hold defaults and name nothing. */
static int check_defaults(const struct profile *p, const struct ydoc *d, const char *at)
{
	char path[YPATH_LEN];

	if (!p->connections)
		return 0;
	if (p->ike && p->ike->name)
		return ydoc_err(d, ypath(path, "%sike.name", at),
				"with connections:, ike: holds the defaults of every connection "
				"and has no name (name each entry of connections:)");
	if (p->child && p->child->name)
		return ydoc_err(d, ypath(path, "%schild.name", at),
				"with connections:, child: holds the defaults of every CHILD_SA "
				"and has no name (name each entry of children:)");
	return 0;
}

static int check_conns(const struct profile *p, const struct ydoc *d, const char *at)
{
	char base[YPATH_LEN];

	if (p->ike && check_ike(p->ike, d, ypath(base, "%sike.", at)) < 0)
		return -1;
	if (p->child && check_child(p->child, d, ypath(base, "%schild.", at)) < 0)
		return -1;
	for (unsigned i = 0; i < p->connections_count; i++) {
		const struct profile_ike *c = &p->connections[i];

		if (check_ike(c, d, ypath(base, "%sconnections[%u].", at, i)) < 0)
			return -1;
		for (unsigned j = 0; j < c->children_count; j++)
			if (check_child(&c->children[j], d,
					ypath(base, "%sconnections[%u].children[%u].", at, i, j)) <
			    0)
				return -1;
	}
	return check_defaults(p, d, at) < 0 ? -1 : check_names(p, d, at);
}

int profile_check_at(const struct profile *p, const struct ydoc *d, const char *at)
{
	char path[YPATH_LEN];

	/* Whether it exists is checked where it is started. */
	if (p->charon && p->charon[0] != '/')
		return ydoc_err(d, ypath(path, "%scharon", at), "'%s' is not an absolute path",
				p->charon);
	if (check_plugins(p, d, at) < 0 || check_settings(p->settings, d, at) < 0 ||
	    check_log(p->log, d, at) < 0 || check_conns(p, d, at) < 0)
		return -1;
	/* What a file may make charon do without the user's consent. */
	return trust_check_profile(p, d, at);
}

#define PROFILE_BASE_DEPTH 8

static struct profile *profile_load_one(const char *path, int depth);

/* The profile named by `base:`, BASE as trust_named_file() resolved it. */
static struct profile *load_base(const char *base, const char *path, int depth)
{
	struct profile *b;

	if (depth >= PROFILE_BASE_DEPTH) {
		err_set("%s: base: more than %d profiles deep (a cycle?)", path,
			PROFILE_BASE_DEPTH);
		return NULL;
	}
	b = profile_load_one(base, depth + 1);
	if (!b)
		err_wrap("%s: base", path);
	return b;
}

/* The file, checked; its `base:` resolved (relative to the file) into
 * *base while its positions are at hand, or NULL when it names none. */
static struct profile *load_checked(const char *path, char **base)
{
	struct profile *p;
	struct ydoc *d;
	void *data;
	int rc;

	*base = NULL;
	if (ycheck_load(path, &profile_schema, &data, &d) < 0)
		return NULL;
	p = data;
	rc = profile_check_at(p, d, "");
	if (rc == 0 && p->base && !(*base = trust_named_file(d, "base", path, p->base, "peers")))
		rc = -1;
	ydoc_free(d);
	if (rc < 0) {
		profile_free(p);
		return NULL;
	}
	return p;
}

static struct profile *profile_load_one(const char *path, int depth)
{
	struct profile *p, *b;
	char *base;

	p = load_checked(path, &base);
	if (!p || !base)
		return p;
	b = load_base(base, path, depth);
	free(base);
	if (!b) {
		profile_free(p);
		return NULL;
	}
	/* This file's settings win over its base's. */
	ycheck_overlay(&profile_schema, b, p);
	return b;
}

struct profile *profile_load(const char *path)
{
	struct profile *p = profile_load_one(path, 0);

	if (p) {
		free(p->path);
		p->path = xstrdup(path);
	}
	return p;
}

void profile_overlay(struct profile *dst, struct profile *src)
{
	free(src->path);
	src->path = NULL;
	ycheck_overlay(&profile_schema, dst, src);
}

/* ---- the resolved view --------------------------------------------------- */

/* Every field of OUT that is unset takes DFLT's (pointers borrowed), except
 * the entry's own name and children, and a reqid: one fixed reqid on every
 * CHILD_SA is a configuration of its own, written where it is meant. */
static void inherit(const cyaml_schema_field_t *f, void *out, const void *dflt)
{
	if (!dflt)
		return;
	for (; f->key; f++) {
		void **o = (void **)((char *)out + f->data_offset);
		void *const *v = (void *const *)((const char *)dflt + f->data_offset);

		if (!strcmp(f->key, "name") || !strcmp(f->key, "children") ||
		    !strcmp(f->key, "reqid") || *o)
			continue;
		*o = *v;
		if (f->value.type == CYAML_SEQUENCE)
			memcpy((char *)out + f->count_offset, (const char *)dflt + f->count_offset,
			       f->count_size);
	}
}

unsigned profile_conn_count(const struct profile *p)
{
	return p->connections_count ? p->connections_count : 1;
}

void profile_conn(const struct profile *p, unsigned i, struct profile_ike *out)
{
	memset(out, 0, sizeof(*out));
	if (!p->connections_count) {
		if (p->ike)
			*out = *p->ike;
		out->children = NULL;
		out->children_count = 0;
		if (!out->name)
			out->name = (char *)PROFILE_DEFAULT_CONN;
		return;
	}
	*out = p->connections[i];
	inherit(conn_fields, out, p->ike);
}

unsigned profile_child_count(const struct profile_ike *conn)
{
	return conn->children_count ? conn->children_count : 1;
}

void profile_child(const struct profile *p, const struct profile_ike *conn, unsigned j,
		   struct profile_child *out)
{
	memset(out, 0, sizeof(*out));
	if (!conn->children_count) {
		if (p->child)
			*out = *p->child;
		if (!out->name)
			out->name = (char *)PROFILE_DEFAULT_CHILD;
		return;
	}
	*out = conn->children[j];
	inherit(child_fields, out, p->child);
}

unsigned profile_ids(const struct profile *p, bool local, const char *dflt, const char **ids,
		     unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < profile_conn_count(p); i++) {
		struct profile_ike c;
		const char *id;
		unsigned k;

		profile_conn(p, i, &c);
		id = local ? c.local_id : c.remote_id;
		if (!id)
			id = dflt;
		for (k = 0; k < n && strcmp(ids[k], id); k++)
			;
		if (k == n && n < max)
			ids[n++] = id;
	}
	return n;
}

/* One side's selectors of the entry at PATH: protected:N within N_NETS. */
static int check_side(const struct profile *p, const char *path, const char *key, char **ts,
		      unsigned n, unsigned n_nets, const char *peer)
{
	for (unsigned k = 0; k < n; k++) {
		const char *suffix;
		int idx;

		if (ts_symbolic(ts[k], &idx, &suffix) && idx >= (int)n_nets)
			return err_set("%s: %s%s[%u]: %s, but the topology gives %s %u protected "
				       "subnet%s",
				       p->path ? p->path : "profile", path, key, k, ts[k], peer,
				       n_nets, n_nets == 1 ? "" : "s");
	}
	return 0;
}

struct protected_ctx {
	const struct profile *p;
	unsigned n_local, n_remote;
	const char *peer, *other;
};

static int child_protected(void *ctx, unsigned i, unsigned j, const struct profile_ike *c,
			   const struct profile_child *ch)
{
	const struct protected_ctx *x = ctx;
	char path[96];

	(void)c;
	if (x->p->connections_count)
		snprintf(path, sizeof(path), "connections[%u].children[%u].", i, j);
	else
		snprintf(path, sizeof(path), "child.");
	if (check_side(x->p, path, "local_ts", ch->local_ts, ch->local_ts_count, x->n_local,
		       x->peer) < 0 ||
	    check_side(x->p, path, "remote_ts", ch->remote_ts, ch->remote_ts_count, x->n_remote,
		       x->other) < 0)
		return -1;
	return 0;
}

int profile_check_protected(const struct profile *p, unsigned n_local, unsigned n_remote,
			    const char *peer, const char *other)
{
	struct protected_ctx x = { p, n_local, n_remote, peer, other };

	return profile_each_child(p, child_protected, &x);
}

bool profile_uses_pubkey(const struct profile *p)
{
	for (unsigned i = 0; i < profile_conn_count(p); i++) {
		struct profile_ike c;

		profile_conn(p, i, &c);
		if (c.auth && !strcmp(c.auth, "pubkey"))
			return true;
	}
	return false;
}

int profile_each_child(const struct profile *p, profile_child_fn fn, void *ctx)
{
	for (unsigned i = 0; i < profile_conn_count(p); i++) {
		struct profile_ike c;

		profile_conn(p, i, &c);
		for (unsigned j = 0; j < profile_child_count(&c); j++) {
			struct profile_child ch;
			int r;

			profile_child(p, &c, j, &ch);
			if ((r = fn(ctx, i, j, &c, &ch)))
				return r;
		}
	}
	return 0;
}

/* 1 + the connection's place when CHILD is the one named CTX. */
static int named(void *ctx, unsigned i, unsigned j, const struct profile_ike *c,
		 const struct profile_child *ch)
{
	(void)j;
	(void)c;
	return ch->name && !strcmp(ch->name, ctx) ? (int)i + 1 : 0;
}

int profile_conn_of_child(const struct profile *p, const char *child)
{
	return profile_each_child(p, named, (void *)child) - 1;
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	free(p->path);
	ycheck_free(&profile_schema, p);
}

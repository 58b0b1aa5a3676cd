/*
 * trust_conf.c - strongswan.conf text against the allow-list (trust.h):
 * the settings a file may give charon, and a reader of strongSwan's
 * syntax that finds every setting and section in the text.
 *
 * The reader follows strongSwan 5.9.8's settings lexer and grammar
 * (src/libstrongswan/settings/settings_lexer.l, settings_parser.y):
 * names are runs of anything but #{}:.,=" and white space; a section is
 * NAME '{' ... '}', a setting NAME '=' value up to the end of the line, a
 * '#' or a '}'; values are words and quoted strings with \n, \r, \t and
 * \<newline> escapes, joined by one space; `include PATTERN` reads files;
 * NAME ':' REFS '{' copies other sections in. Whatever it cannot read is
 * refused as well: charon would read it some other way, or not at all.
 */
#include "config/trust.h"
#include "config/profile.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the settings a file may give ---------------------------------------- */

enum kind {
	K_BOOL,    /* yes no true false 1 0 enabled disabled */
	K_UINT,    /* decimal, no leading zeros */
	K_DECIMAL, /* 4, 0.5 */
	K_TIME,    /* 90, 10s, 5m, 1h, 2d */
	K_LEVEL,   /* a log level, -1..4 */
};

struct allowed {
	const char *key;
	enum kind kind;
};

#define FILELOG "charon.filelog.ikelab."

/* What races need: what the profile's settings: and log: keys render,
 * and the timing, half-open, DPD and IKE_SA table settings beside them
 * (strongSwan 5.9.8's conf/options/charon.opt). */
static const struct allowed allowed[] = {
	{ "charon.make_before_break", K_BOOL },
	{ "charon.reuse_ikesa", K_BOOL },
	{ "charon.send_delay", K_UINT },
	{ "charon.send_delay_type", K_UINT },
	{ "charon.send_delay_request", K_BOOL },
	{ "charon.send_delay_response", K_BOOL },
	{ "charon.receive_delay", K_UINT },
	{ "charon.receive_delay_type", K_UINT },
	{ "charon.receive_delay_request", K_BOOL },
	{ "charon.receive_delay_response", K_BOOL },
	{ "charon.retransmit_tries", K_UINT },
	{ "charon.retransmit_timeout", K_DECIMAL },
	{ "charon.retransmit_base", K_DECIMAL },
	{ "charon.retransmit_jitter", K_UINT },
	{ "charon.retransmit_limit", K_UINT },
	{ "charon.retry_initiate_interval", K_UINT },
	{ "charon.threads", K_UINT },
	{ "charon.processor.priority_threads.critical", K_UINT },
	{ "charon.processor.priority_threads.high", K_UINT },
	{ "charon.processor.priority_threads.medium", K_UINT },
	{ "charon.processor.priority_threads.low", K_UINT },
	{ "charon.half_open_timeout", K_UINT },
	{ "charon.init_limit_half_open", K_UINT },
	{ "charon.init_limit_job_load", K_UINT },
	{ "charon.block_threshold", K_UINT },
	{ "charon.cookie_threshold", K_UINT },
	{ "charon.cookie_threshold_ip", K_UINT },
	{ "charon.dos_protection", K_BOOL },
	{ "charon.ikesa_limit", K_UINT },
	{ "charon.ikesa_table_size", K_UINT },
	{ "charon.ikesa_table_segments", K_UINT },
	{ "charon.keep_alive", K_TIME },
	{ "charon.keep_alive_dpd_margin", K_TIME },
	{ "charon.check_current_path", K_BOOL },
	{ "charon.close_ike_on_child_failure", K_BOOL },
	{ "charon.delete_rekeyed", K_BOOL },
	{ "charon.delete_rekeyed_delay", K_UINT },
	{ "charon.ignore_acquire_ts", K_BOOL },
	{ "charon.inactivity_close_ike", K_BOOL },
	{ "charon.initiator_only", K_BOOL },
	{ "charon.replay_window", K_UINT },
	{ "charon.plugins.kernel-netlink.xfrm_acq_expires", K_UINT },
	{ FILELOG "default", K_LEVEL },
	{ FILELOG "dmn", K_LEVEL },
	{ FILELOG "mgr", K_LEVEL },
	{ FILELOG "ike", K_LEVEL },
	{ FILELOG "chd", K_LEVEL },
	{ FILELOG "job", K_LEVEL },
	{ FILELOG "cfg", K_LEVEL },
	{ FILELOG "knl", K_LEVEL },
	{ FILELOG "net", K_LEVEL },
	{ FILELOG "asn", K_LEVEL },
	{ FILELOG "enc", K_LEVEL },
	{ FILELOG "lib", K_LEVEL },
	{ FILELOG "esp", K_LEVEL },
	{ FILELOG "tls", K_LEVEL },
	{ FILELOG "tnc", K_LEVEL },
	{ FILELOG "imc", K_LEVEL },
	{ FILELOG "imv", K_LEVEL },
	{ FILELOG "pts", K_LEVEL },
	{ FILELOG "ike_name", K_BOOL },
	{ FILELOG "flush_line", K_BOOL },
	{ FILELOG "time_add_ms", K_BOOL },
};

/* Why a name is not allowed, for the message only: the decision is the
 * list above. The first prefix that matches says it. */
static const struct {
	const char *prefix;
	const char *why;
} reasons[] = {
	{ "charon.start-scripts", "runs programs as root" },
	{ "charon.stop-scripts", "runs programs as root" },
	{ "charon.plugins.updown", "runs programs as root" },
	{ "charon.plugins.ext-auth", "runs programs as root" },
	{ "charon.plugins.save-keys", "writes the SAs' keys into files" },
	{ "charon.plugins.load-tester", "makes connections and reads key files of its own" },
	{ "charon.plugins.stroke", "reads ipsec.conf and ipsec.secrets" },
	{ "charon.plugins.resolve", "rewrites resolv.conf and runs resolvconf" },
	{ "charon.plugins.pkcs11", "loads the libraries it names" },
	{ "charon.filelog", "writes a log file of its own (only the levels of the lab's "
			    "log, charon.filelog.ikelab, may be set)" },
	{ "charon.syslog", "writes to the host's syslog (the lab logs into its own file)" },
	{ "charon.load", "chooses charon's plugins (the profile's plugins: list does, checked)" },
	{ "charon.user", "changes the user charon runs as" },
	{ "charon.group", "changes the group charon runs as" },
	{ "charon.plugins.vici", "moves the socket the lab controls charon through" },
	{ "charon.plugins.", "configures a plugin beyond what races need" },
};

static const struct allowed *allowed_find(const char *key)
{
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (!strcmp(allowed[i].key, key))
			return &allowed[i];
	return NULL;
}

/* A section is allowed when an allowed setting lies inside it. */
static bool section_allowed(const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (!strncmp(allowed[i].key, path, n) && allowed[i].key[n] == '.')
			return true;
	return false;
}

static const char *reason(const char *key)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		size_t n = strlen(reasons[i].prefix);

		if (!strncmp(key, reasons[i].prefix, n) &&
		    (reasons[i].prefix[n - 1] == '.' || key[n] == '\0' || key[n] == '.'))
			return reasons[i].why;
	}
	return "is not among the settings races need (README's SECURITY section lists them)";
}

static bool is_uint(const char *v)
{
	size_t n = strspn(v, "0123456789");

	return n && !v[n] && (v[0] != '0' || n == 1) && n <= 9;
}

static bool value_fits(enum kind k, const char *v)
{
	static const char *const bools[] = { "yes", "no", "true",    "false",
					     "1",   "0",  "enabled", "disabled" };
	uint32_t secs;
	size_t n;

	switch (k) {
	case K_BOOL:
		for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
			if (!strcasecmp(v, bools[i]))
				return true;
		return false;
	case K_UINT:
		return is_uint(v);
	case K_DECIMAL:
		n = strspn(v, "0123456789");
		if (n && v[n] == '.')
			n += 1 + strspn(v + n + 1, "0123456789");
		return n && !v[n] && v[n - 1] != '.' && n <= 12;
	case K_TIME:
		return duration_parse(v, &secs) == 0;
	case K_LEVEL:
		return !strcmp(v, "-1") || (strlen(v) == 1 && v[0] >= '0' && v[0] <= '4');
	}
	return false;
}

static const char *const kind_text[] = {
	[K_BOOL] = "yes or no",
	[K_UINT] = "a whole number",
	[K_DECIMAL] = "a decimal number (like 4 or 0.5)",
	[K_TIME] = "a time (90, 10s, 5m, 1h)",
	[K_LEVEL] = "a log level (-1..4)",
};

/* Control characters (a line break, a terminal escape) of a quoted value
 * or name as '?': a refusal is one line. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

const char *trust_conf_setting(const char *key, const char *value)
{
	static _Thread_local char buf[160];
	const struct allowed *a = allowed_find(key);

	if (!a)
		return reason(key);
	if (value_fits(a->kind, value))
		return NULL;
	snprintf(buf, sizeof(buf), "takes %s, not '%.60s'", kind_text[a->kind], value);
	printable(buf);
	return buf;
}

/* ---- reading strongswan.conf ---------------------------------------------- */

#define DEPTH_MAX 8
#define KEY_MAX 192
#define VALUE_MAX 96

struct reader {
	const char *text, *p;
	char key[KEY_MAX]; /* the open sections, dotted */
	size_t depth, lens[DEPTH_MAX + 1];
	size_t opened[DEPTH_MAX]; /* where each open section's name is */
	struct trust_refusal *r;
};

static int refuse(struct reader *rd, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct reader *rd, const char *at, const char *fmt, ...)
{
	va_list ap;

	rd->r->off = (size_t)(at - rd->text);
	va_start(ap, fmt);
	vsnprintf(rd->r->why, sizeof(rd->r->why), fmt, ap);
	va_end(ap);
	printable(rd->r->why);
	return -1;
}

static bool name_char(char c)
{
	return c && !strchr("#{}:.,=\"\r\n\t ", c);
}

/* White space, line breaks and comments between statements. */
static void skip_blank(struct reader *rd)
{
	for (;;) {
		rd->p += strspn(rd->p, " \t\r\n");
		if (*rd->p != '#')
			return;
		rd->p += strcspn(rd->p, "\n");
	}
}

/* "include" and white space, then anything but '=': the lexer's include. */
static bool at_include(const char *p)
{
	size_t n;

	if (strncmp(p, "include", 7))
		return false;
	n = strspn(p + 7, " \t");
	return n && p[7 + n] != '=';
}

/* Append C to the value V of *LEN characters; past VALUE_MAX only counted
 * (no allowed value comes near it, and read_value refuses one that does). */
static void value_add(char *v, size_t *len, char c)
{
	if (*len + 1 < VALUE_MAX)
		v[*len] = c;
	(*len)++;
}

/* A quoted string from the opening quote, appended to V. */
static int read_quoted(struct reader *rd, char *v, size_t *len)
{
	const char *start = rd->p++;

	for (;;) {
		char c = *rd->p++;

		if (!c || (c == '\\' && !*rd->p))
			return refuse(rd, start, "a quoted string is not closed");
		if (c == '"')
			return 0;
		if (c == '\r')
			continue;
		if (c == '\\') {
			/* \<newline> (or \<CR><LF>) joins lines; \n \r \t; \X is X. */
			c = *rd->p++;
			if (c == '\r' && *rd->p == '\n')
				c = *rd->p++;
			if (c == '\n')
				continue;
			c = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
		}
		value_add(v, len, c);
	}
}

/* A value after '=', up to a line break, '#', '}' or the end: its words
 * and quoted strings joined by one space, as strongSwan joins them. */
static int read_value(struct reader *rd, char v[static VALUE_MAX])
{
	const char *start = rd->p + strspn(rd->p, " \t\r");
	size_t len = 0;
	bool first = true;

	for (;;) {
		rd->p += strspn(rd->p, " \t\r");
		if (!*rd->p || strchr("#}\n", *rd->p))
			break;
		if (!first)
			value_add(v, &len, ' ');
		first = false;
		if (*rd->p == '"') {
			if (read_quoted(rd, v, &len) < 0)
				return -1;
			continue;
		}
		while (*rd->p && !strchr("#}\"\r\n\t ", *rd->p))
			value_add(v, &len, *rd->p++);
	}
	if (len >= VALUE_MAX)
		return refuse(rd, start, "the value is longer than any allowed setting takes");
	v[len] = '\0';
	return 0;
}

/* KEY as the open sections and NAME, dotted; false when too long. */
static bool full_key(const struct reader *rd, const char *name, size_t n, char out[static KEY_MAX])
{
	int w = snprintf(out, KEY_MAX, "%s%s%.*s", rd->key, rd->depth ? "." : "", (int)n, name);

	return w >= 0 && w < KEY_MAX;
}

static int open_section(struct reader *rd, const char *name, size_t n)
{
	char key[KEY_MAX];

	if (rd->depth == DEPTH_MAX || !full_key(rd, name, n, key))
		return refuse(rd, name, "sections nested too deep");
	if (!section_allowed(key))
		return refuse(rd, name, "%s %s", key, reason(key));
	rd->opened[rd->depth] = (size_t)(name - rd->text);
	memcpy(rd->key, key, strlen(key) + 1);
	rd->lens[++rd->depth] = strlen(key);
	rd->p++;
	return 0;
}

static int setting(struct reader *rd, const char *name, size_t n)
{
	char key[KEY_MAX], value[VALUE_MAX];
	const char *why;

	if (!full_key(rd, name, n, key))
		return refuse(rd, name, "a name too long");
	rd->p++;
	if (!allowed_find(key))
		return refuse(rd, name, "%s %s", key, reason(key));
	if (read_value(rd, value) < 0)
		return -1;
	why = trust_conf_setting(key, value);
	return why ? refuse(rd, name, "%s %s", key, why) : 0;
}

/* One statement that starts with a name. */
static int statement(struct reader *rd)
{
	const char *name = rd->p;
	size_t n = 0;

	while (name_char(name[n]))
		n++;
	if (!n)
		return refuse(rd, name, "'%c' where a name belongs (strongswan.conf syntax)",
			      *name);
	rd->p = name + n;
	skip_blank(rd);
	switch (*rd->p) {
	case '{':
		return open_section(rd, name, n);
	case '=':
		return setting(rd, name, n);
	case ':':
		return refuse(rd, rd->p,
			      "section references (name : other) copy in settings from "
			      "elsewhere");
	case '.':
		return refuse(rd, name,
			      "%.*s: a dotted name is not strongswan.conf syntax (write sections: "
			      "%.*s { ... })",
			      (int)strcspn(name, " \t\r\n=#{}:\""), name, (int)n, name);
	default:
		return refuse(rd, name,
			      "%.*s is neither a section (name { }) nor a setting "
			      "(name = value)",
			      (int)n, name);
	}
}

int trust_conf_text(const char *text, struct trust_refusal *r)
{
	struct reader rd = { .text = text, .p = text, .r = r };

	for (;;) {
		skip_blank(&rd);
		if (!*rd.p)
			break;
		if (*rd.p == '}') {
			if (!rd.depth)
				return refuse(&rd, rd.p, "'}' closes no section");
			rd.depth--;
			rd.key[rd.lens[rd.depth]] = '\0';
			rd.p++;
			continue;
		}
		if (at_include(rd.p))
			return refuse(&rd, rd.p,
				      "include reads other files into the configuration");
		if (statement(&rd) < 0)
			return -1;
	}
	if (rd.depth)
		return refuse(&rd, text + rd.opened[rd.depth - 1], "section %s is not closed",
			      rd.key);
	return 0;
}

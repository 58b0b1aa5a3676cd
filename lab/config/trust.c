/*
 * trust.c - the user's consent, the plugins and values a file may give,
 * a profile checked against the rule, and the files a file may name
 * (trust.h). strongswan.conf text is trust_conf.c's.
 */
#include "config/trust.h"
#include "base/err.h"
#include "base/home.h"
#include "base/util.h"
#include "config/profile.h"
#include "config/yamlcheck.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- consent --------------------------------------------------------------- */

static unsigned granted;

void trust_consent(unsigned what)
{
	granted = what;
}

bool trust_granted(unsigned what)
{
	return (granted & what) != 0;
}

/* The refusal just made, on one line: values and names it quotes may
 * hold line breaks or terminal escapes. Returns -1. */
static int one_line(void)
{
	char buf[ERR_MSG_MAX];

	snprintf(buf, sizeof(buf), "%s", err_msg());
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return err_set("%s", buf);
}

/* ---- plugins ----------------------------------------------------------------- */

/* The plugins the shipped profiles load, and the harmless ones beside them:
 * crypto, key and certificate formats, the kernel and socket interfaces,
 * VICI. None of them runs a program, opens a file a setting names, or
 * talks to anything but charon's own sockets. */
static const char *const plugins_allowed[] = {
	"aes",
	"des",
	"rc2",
	"sha1",
	"sha2",
	"sha3",
	"md4",
	"md5",
	"mgf1",
	"hmac",
	"kdf",
	"cmac",
	"xcbc",
	"ctr",
	"ccm",
	"gcm",
	"chapoly",
	"curve25519",
	"gmp",
	"gcrypt",
	"openssl",
	"af-alg",
	"aesni",
	"rdrand",
	"drbg",
	"random",
	"nonce",
	"fips-prf",
	"test-vectors",
	"pem",
	"pkcs1",
	"pkcs7",
	"pkcs8",
	"pkcs12",
	"pgp",
	"dnskey",
	"sshkey",
	"x509",
	"pubkey",
	"constraints",
	"revocation",
	"kernel-netlink",
	"kernel-pfkey",
	"socket-default",
	"socket-dynamic",
	"vici",
	NULL,
};

/* Why some are not, for the message; the list above decides. */
static const struct {
	const char *name, *why;
} plugin_reasons[] = {
	{ "updown", "runs programs as root" },
	{ "ext-auth", "runs programs as root" },
	{ "load-tester", "makes connections and reads key files of its own" },
	{ "stroke", "reads ipsec.conf and ipsec.secrets" },
	{ "save-keys", "writes the SAs' keys into files" },
	{ "resolve", "rewrites resolv.conf and runs resolvconf" },
	{ "pkcs11", "loads the libraries its settings name" },
	{ "sqlite", "opens the database its settings name" },
	{ "sql", "opens the database its settings name" },
	{ "attr-sql", "opens the database its settings name" },
	{ "certexpire", "writes files" },
	{ "coupling", "writes files" },
	{ "led", "writes to /sys" },
	{ "curl", "fetches from the network" },
	{ "soup", "fetches from the network" },
	{ "ldap", "fetches from the network" },
};

const char *trust_plugin(const char *name)
{
	for (const char *const *a = plugins_allowed; *a; a++)
		if (!strcmp(*a, name))
			return NULL;
	for (size_t i = 0; i < ARRAY_LEN(plugin_reasons); i++)
		if (!strcmp(plugin_reasons[i].name, name))
			return plugin_reasons[i].why;
	return "is not among the plugins races need (README's SECURITY section lists them)";
}

/* ---- values rendered into configuration files ------------------------------- */

const char *trust_value(const char *value)
{
	static _Thread_local char buf[32];

	for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
		if (*c == '\n')
			return "a newline";
		if (*c < 0x20 || *c == 0x7f)
			return "a control character";
		if (strchr("{}#=,\":;\\ ", *c)) {
			snprintf(buf, sizeof(buf), *c == ' ' ? "a space" : "'%c'", *c);
			return buf;
		}
	}
	return NULL;
}

/* ---- a profile --------------------------------------------------------------- */

static int check_charon(const struct profile *p, const struct ydoc *d, const char *at)
{
	char path[YPATH_LEN];

	if (!p->charon || !strcmp(p->charon, PROFILE_DEFAULT_CHARON) || trust_granted(TRUST_CHARON))
		return 0;
	ydoc_err(d, ypath(path, "%scharon", at),
		 "%s runs as root and is not Debian's charon (%s); name it with --charon PATH, "
		 "or " TRUST_HINT,
		 p->charon, PROFILE_DEFAULT_CHARON);
	return one_line();
}

static int check_plugins(const struct profile *p, const struct ydoc *d, const char *at)
{
	char path[YPATH_LEN];

	for (unsigned i = 0; i < p->plugins_count; i++) {
		const char *why = trust_plugin(p->plugins[i]);

		if (why)
			return ydoc_err(d, ypath(path, "%splugins[%u]", at, i),
					"%s %s; " TRUST_HINT, p->plugins[i], why);
	}
	return 0;
}

static int check_value(const struct ydoc *d, const char *at, const char *key, const char *v,
		       const char *file)
{
	char path[YPATH_LEN];
	const char *what = v ? trust_value(v) : NULL;

	if (!what)
		return 0;
	return ydoc_err(d, ypath(path, "%s%s", at, key),
			"the value holds %s, which %s reads as structure (a setting of its "
			"own); " TRUST_HINT,
			what, file);
}

static int check_conf(const struct profile *p, const struct ydoc *d, const char *at)
{
	struct trust_refusal r;
	char path[YPATH_LEN];

	if (!p->strongswan_conf || trust_conf_text(p->strongswan_conf, &r) == 0)
		return 0;
	ydoc_err_in(d, ypath(path, "%sstrongswan_conf", at), r.off, "%s; " TRUST_HINT, r.why);
	return one_line();
}

/* The proposals of every connection and CHILD_SA, where they were written. */
static int check_proposals(const struct profile *p, const struct ydoc *d, const char *at)
{
	char key[YPATH_LEN];

	if (check_value(d, at, "ike.proposals", p->ike ? p->ike->proposals : NULL, "swanctl.conf") <
		    0 ||
	    check_value(d, at, "child.esp_proposals", p->child ? p->child->esp_proposals : NULL,
			"swanctl.conf") < 0)
		return -1;
	for (unsigned i = 0; i < p->connections_count; i++) {
		const struct profile_ike *c = &p->connections[i];

		snprintf(key, sizeof(key), "connections[%u].proposals", i);
		if (check_value(d, at, key, c->proposals, "swanctl.conf") < 0)
			return -1;
		for (unsigned j = 0; j < c->children_count; j++) {
			snprintf(key, sizeof(key), "connections[%u].children[%u].esp_proposals", i,
				 j);
			if (check_value(d, at, key, c->children[j].esp_proposals, "swanctl.conf") <
			    0)
				return -1;
		}
	}
	return 0;
}

int trust_check_profile(const struct profile *p, const struct ydoc *d, const char *at)
{
	if (trust_granted(TRUST_FILES))
		return 0;
	if (check_charon(p, d, at) < 0 || check_plugins(p, d, at) < 0 ||
	    check_proposals(p, d, at) < 0 || check_conf(p, d, at) < 0)
		return -1;
	return 0;
}

/* ---- files a file names ------------------------------------------------------ */

/* The shipped folder NAME (peers, topologies), resolved (base/home.h:
 * the build tree's or the installed one); NULL when there is none. */
static char *shipped_dir(const char *name)
{
	char *dir = home_data(name), *real = dir ? realpath(dir, NULL) : NULL;

	free(dir);
	return real;
}

/* Whether PATH is DIR or lies below it (both resolved). */
static bool inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0' || n == 1);
}

static bool has_control(const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return true;
	return false;
}

/* FULL resolved must lie in FROM's folder or the shipped one: 0, or -1
 * with the refusal at AT. */
static int check_place(const struct ydoc *d, const char *at, const char *from, const char *named,
		       const char *full, const char *shipped)
{
	char buf[PATH_MAX], *real = realpath(full, NULL), *home, *ship;
	int rc = 0;

	/* Nothing there (or nothing readable): loading it says so. */
	if (!real)
		return 0;
	snprintf(buf, sizeof(buf), "%s", from);
	home = realpath(dirname(buf), NULL);
	ship = shipped_dir(shipped);
	if (!(home && inside(real, home)) && !(ship && inside(real, ship)))
		rc = ydoc_err(d, at,
			      "%s%s%s lies outside %s (the folder of the file that names it) "
			      "and %s (the shipped %s); " TRUST_HINT,
			      named, strcmp(real, named) ? " -> " : "",
			      strcmp(real, named) ? real : "", home ? home : "?",
			      ship ? ship : "(none found)", shipped);
	if (rc < 0)
		one_line();
	free(real);
	free(home);
	free(ship);
	return rc;
}

char *trust_named_file(const struct ydoc *d, const char *at, const char *from, const char *named,
		       const char *shipped)
{
	char dir[PATH_MAX], *full;

	snprintf(dir, sizeof(dir), "%s", from);
	full = named[0] == '/' ? xstrdup(named) : xasprintf("%s/%s", dirname(dir), named);
	if (trust_granted(TRUST_FILES))
		return full;
	if (has_control(named)) {
		ydoc_err(d, at, "the file name holds a control character; " TRUST_HINT);
		free(full);
		return NULL;
	}
	if (check_place(d, at, from, named, full, shipped) < 0) {
		free(full);
		return NULL;
	}
	return full;
}

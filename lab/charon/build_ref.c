/*
 * build_ref.c - the parts of building charon that are pure functions (see
 * build.h): what a --charon value names, the configure arguments of a
 * version, and the cache key.
 */
#include "charon/build.h"
#include "base/err.h"
#include "base/util.h"
#include "charon/peer.h"
#include "config/profile.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- --charon values ------------------------------------------------------ */

static bool digits(const char **s)
{
	const char *p = *s;

	while (isdigit((unsigned char)**s))
		(*s)++;
	return *s > p;
}

/* N.N[.N][rcN|drN]: how strongSwan tags its releases. */
static bool is_version(const char *s)
{
	if (!digits(&s) || *s++ != '.' || !digits(&s))
		return false;
	if (*s == '.' && (s++, !digits(&s)))
		return false;
	if (!strncmp(s, "rc", 2) || !strncmp(s, "dr", 2)) {
		s += 2;
		if (!digits(&s))
			return false;
	}
	return *s == '\0';
}

static bool rev_ok(const char *rev)
{
	if (!rev[0] || rev[0] == '-' || strstr(rev, ".."))
		return false;
	for (const char *c = rev; *c; c++)
		if (!isgraph((unsigned char)*c))
			return false;
	return true;
}

int charon_ref_parse(const char *value, struct charon_ref *r)
{
	memset(r, 0, sizeof(*r));
	if (!value || !value[0])
		return err_set("--charon needs a value: a path, a version (6.0.3) or git:REVISION");
	if (!strncmp(value, "git:", 4)) {
		if (!rev_ok(value + 4))
			return err_set(
				"--charon %s: git: needs a revision (git:3b902ea5, git:master) "
				"that does not start with '-'",
				value);
		r->kind = CHARON_REF_GIT;
		r->rev = xstrdup(value + 4);
		return 0;
	}
	if (!strchr(value, '/') && is_version(value)) {
		r->kind = CHARON_REF_VERSION;
		r->rev = xstrdup(value);
		return 0;
	}
	if (strchr(value, '/') || path_exists(value)) {
		r->kind = CHARON_REF_PATH;
		r->rev = xstrdup(value);
		return 0;
	}
	return err_set("--charon %s: no such file, and neither a version (6.0.3) nor "
		       "git:REVISION (a path with a '/' is always a path: ./%s)",
		       value, value);
}

void charon_ref_free(struct charon_ref *r)
{
	free(r->rev);
	r->rev = NULL;
}

/* ---- configure --------------------------------------------------------------- */

uint64_t charon_hash64(const void *data, size_t len, uint64_t h)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Does configure.ac define --enable-NAME / --disable-NAME? */
static bool has_option(const char *ac, const char *name)
{
	char en[96], dis[96];

	snprintf(en, sizeof(en), "ARG_ENABL_SET([%s]", name);
	snprintf(dis, sizeof(dis), "ARG_DISBL_SET([%s]", name);
	return strstr(ac, en) || strstr(ac, dis);
}

static void add_enable(struct argv *out, const char *ac, const char *name)
{
	char flag[96];

	snprintf(flag, sizeof(flag), "--enable-%s", name);
	for (size_t i = 0; i < out->n; i++)
		if (!strcmp(out->v[i], flag))
			return;
	if (has_option(ac, name))
		argv_add(out, flag);
}

void charon_configure_args(const char *ac, struct argv *out)
{
	/* Installed nowhere: the binaries are copied into the cache entry,
	 * and plugins are looked for in this prefix only if they are not
	 * built in -- which then fails instead of loading another version's. */
	argv_addv(out, (char *const[]){ "--prefix=/nonexistent/ikelab-strongswan",
					"--sysconfdir=/etc", "--with-piddir=/run",
					"--disable-defaults", "--enable-monolithic",
					"--enable-static", "--disable-shared", NULL });
	/* From a git tree configure turns on -Werror, which newer compilers
	 * trip over in older versions. */
	if (has_option(ac, "warnings"))
		argv_add(out, "--disable-warnings");
	for (const char *const *w =
		     (const char *const[]){ "charon", "swanctl", "ikev1", "ikev2", NULL };
	     *w; w++)
		add_enable(out, ac, *w);
	for (const char *const *p = profile_default_plugins; *p; p++)
		add_enable(out, ac, *p);
	for (const char *const *p = peer_swanctl_plugins; *p; p++)
		add_enable(out, ac, *p);
}

char *charon_build_key(const char *commit, char *const args[], const char *diff, size_t diff_len)
{
	uint64_t h = CHARON_HASH_INIT;

	for (size_t i = 0; args && args[i]; i++)
		h = charon_hash64(args[i], strlen(args[i]) + 1, h);
	if (diff && diff_len)
		return xasprintf("%s-%016" PRIx64 "-%016" PRIx64, commit, h,
				 charon_hash64(diff, diff_len, CHARON_HASH_INIT));
	return xasprintf("%s-%016" PRIx64, commit, h);
}

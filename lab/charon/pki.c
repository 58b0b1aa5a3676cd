#include "charon/pki.h"
#include "base/err.h"
#include "base/spawn.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PKI_BIN "/usr/bin/pki"
#define PKI_TIMEOUT_MS 20000
#define PKI_LIFETIME_DAYS "30" /* a lab lives hours; a clock skew of days */

char *pki_dir(const char *labdir)
{
	return xasprintf("%s/pki", labdir);
}

/* Run pki with ARGV (after the binary) and write what it prints to
 * DIR/FILE with MODE. */
static int pki_run(const char *dir, const char *file, unsigned mode, char *const *args)
{
	struct spawn_opts o = { .io = { SPAWN_NULL, SPAWN_CAPTURE, SPAWN_CAPTURE } };
	struct strbuf out = { 0 }, err = { 0 };
	struct argv a = { 0 };
	char *path;
	int r;

	/* A clean environment with our own strongswan.conf: the plugins pki
	 * needs and no others (loading all of Debian's takes seconds under
	 * user-mode Linux, and warns about each one that is missing). */
	argv_addv(&a, (char *const[]){ "/usr/bin/env", "-i", NULL });
	argv_addf(&a, "STRONGSWAN_CONF=%s/strongswan.conf", dir);
	argv_add(&a, PKI_BIN);
	argv_addv(&a, args);
	r = spawn_run(a.v, &o, PKI_TIMEOUT_MS, &out, &err);
	if (r < 0 || !out.buf) {
		err_set("pki %s for %s: %s%s%s", args[0], file,
			r < 0 ? err_msg() : "printed nothing", err.buf ? ": " : "",
			err.buf ? err.buf : "");
		r = -1;
	} else {
		path = xasprintf("%s/%s", dir, file);
		r = write_file(path, out.buf, out.len, mode);
		free(path);
	}
	argv_free(&a);
	sb_free(&out);
	sb_free(&err);
	return r;
}

static int make_key(const char *dir, const char *name)
{
	char *file = xasprintf("%s.key", name);
	int r = pki_run(dir, file, 0600,
			(char *const[]){ "--gen", "--type", "ecdsa", "--size", "256", "--outform",
					 "pem", NULL });

	free(file);
	return r;
}

static int make_ca(const char *dir, const char *lab)
{
	char *key = xasprintf("%s/ca.key", dir);
	char *dn = xasprintf("O=ikelab, OU=lab %s, CN=ikelab %s CA", lab, lab);
	int r = pki_run(dir, "ca.pem", 0644,
			(char *const[]){ "--self", "--ca", "--type", "ecdsa", "--in", key, "--dn",
					 dn, "--lifetime", PKI_LIFETIME_DAYS, "--outform", "pem",
					 NULL });

	free(key);
	free(dn);
	return r;
}

/* NAME.pem, issued by the CA to NAME.key, with SANS as its identities. */
static int make_cert(const char *dir, const char *lab, const char *name, const char *const *sans)
{
	char *key = xasprintf("%s/%s.key", dir, name), *file = xasprintf("%s.pem", name);
	char *cacert = xasprintf("%s/ca.pem", dir), *cakey = xasprintf("%s/ca.key", dir);
	char *dn = xasprintf("O=ikelab, OU=lab %s, CN=%s", lab, name);
	struct argv a = { 0 };
	int r;

	argv_addv(&a, (char *const[]){ "--issue", "--type", "priv", "--in", key, "--cacert", cacert,
				       "--cakey", cakey, "--dn", dn, "--lifetime",
				       PKI_LIFETIME_DAYS, "--outform", "pem", NULL });
	for (; *sans; sans++) {
		argv_add(&a, "--san");
		argv_add(&a, *sans);
	}
	r = pki_run(dir, file, 0644, a.v);
	argv_free(&a);
	free(key);
	free(file);
	free(cacert);
	free(cakey);
	free(dn);
	return r;
}

static int write_conf(const char *dir)
{
	static const char conf[] = "# strongswan.conf of the lab's pki runs (ikelab)\n"
				   "pki {\n\tload = random openssl pem pkcs1 pkcs8 x509\n}\n";
	char *path = xasprintf("%s/strongswan.conf", dir);
	int r = write_file(path, conf, sizeof(conf) - 1, 0644);

	free(path);
	return r;
}

int pki_make(const char *labdir, const char *lab, const char *const names[2],
	     const char *const *const sans[2])
{
	char *dir = pki_dir(labdir);
	int r = mkdir_p(dir, 0700);

	if (r == 0)
		r = write_conf(dir);
	if (r == 0)
		r = make_key(dir, "ca");
	if (r == 0)
		r = make_ca(dir, lab);
	for (int i = 0; r == 0 && i < 2; i++) {
		r = make_key(dir, names[i]);
		if (r == 0)
			r = make_cert(dir, lab, names[i], sans[i]);
	}
	free(dir);
	return r < 0 ? err_wrap("lab %s: certificates", lab) : 0;
}

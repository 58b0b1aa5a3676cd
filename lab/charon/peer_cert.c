#include "charon/peer-internal.h"
#include "charon/pki.h"
#include "charon/vici.h"
#include "base/err.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The lab's pki folder seen from a peer's directory (LABDIR/PEER). */
static char *lab_pki(const struct peer *p)
{
	char *labdir = xasprintf("%s/..", p->dir), *dir = pki_dir(labdir);

	free(labdir);
	return dir;
}

/* PKI/FROM copied to the peer's swanctl/TO with MODE. */
static int place(const struct peer *p, const char *pki, const char *from, const char *to,
		 unsigned mode)
{
	char *src = xasprintf("%s/%s", pki, from), *dst = xasprintf("%s/swanctl/%s", p->dir, to);
	char *text = NULL;
	size_t len = 0;
	int r = read_file(src, &text, &len);

	if (r == 0)
		r = write_file(dst, text, len, mode);
	free(text);
	free(src);
	free(dst);
	return r < 0 ? err_wrap("peer %s: certificates", p->name) : 0;
}

int peer_certs_place(const struct peer *p)
{
	char *pki, *cert, *key;
	int r;

	if (!profile_uses_pubkey(p->profile))
		return 0;
	pki = lab_pki(p);
	cert = xasprintf("%s.pem", p->name);
	key = xasprintf("%s.key", p->name);
	r = place(p, pki, "ca.pem", "x509ca/ca.pem", 0644);
	if (r == 0) {
		char *to = xasprintf("x509/%s", cert);

		r = place(p, pki, cert, to, 0644);
		free(to);
	}
	if (r == 0) {
		char *to = xasprintf("ecdsa/%s", key);

		r = place(p, pki, key, to, 0600);
		free(to);
	}
	free(pki);
	free(cert);
	free(key);
	return r;
}

/* The peer's swanctl/FILE (allocated), or NULL and err_msg(). */
static char *placed(const struct peer *p, const char *file)
{
	char *path = xasprintf("%s/swanctl/%s", p->dir, file), *text = NULL;

	if (read_file(path, &text, NULL) < 0)
		err_wrap("peer %s: certificates", p->name);
	free(path);
	return text;
}

/* load-cert or load-key of the PEM in the peer's swanctl/FILE. */
static int load_pem(const struct peer *p, struct vici_conn *c, const char *cmd, const char *type,
		    const char *flag, const char *file)
{
	char *pem = placed(p, file);
	struct vici_msg *m;
	int r;

	if (!pem)
		return -1;
	m = vici_msg_new();
	vici_kv(m, "type", "%s", type);
	if (flag)
		vici_kv(m, "flag", "%s", flag);
	vici_kv_raw(m, "data", pem, strlen(pem));
	r = peer_vici_load(c, cmd, m, p);
	vici_msg_free(m);
	free(pem);
	return r;
}

int peer_certs_load(const struct peer *p, struct vici_conn *c, char **cert)
{
	char *file, *key;
	int r;

	*cert = NULL;
	if (!profile_uses_pubkey(p->profile))
		return 0;
	file = xasprintf("x509/%s.pem", p->name);
	key = xasprintf("ecdsa/%s.key", p->name);
	r = load_pem(p, c, "load-cert", "X509", "CA", "x509ca/ca.pem");
	if (r == 0)
		r = load_pem(p, c, "load-key", "ecdsa", NULL, key);
	if (r == 0 && !(*cert = placed(p, file)))
		r = -1;
	free(file);
	free(key);
	return r;
}

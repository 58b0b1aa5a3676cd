/*
 * pki.h - a certificate authority of the lab's own, for profiles with
 * `auth: pubkey`.
 *
 * When a lab comes up with such a profile, pki_make() runs strongSwan's own
 * `pki` tool (Debian's strongswan-pki; argv, never a shell) to generate
 * ECDSA P-256 keys: a CA that lives as long as the lab, and a certificate
 * per peer whose subjectAltNames are the identities it authenticates as:
 * its node name and every local_id of its profile. Everything is written to
 * LABDIR/pki/ (0700): certificates 0644, private keys 0600. `ikelab down`
 * removes it with the rest of the lab's directory; nothing leaves the
 * lab's folder (a run's evidence copies swanctl.conf, which names the
 * files, never the keys).
 */
#ifndef IKELAB_PKI_H
#define IKELAB_PKI_H

/* The folder of the lab whose run directory is LABDIR (allocated). */
char *pki_dir(const char *labdir);

/* LABDIR/pki/ with ca.pem, ca.key, and NAME.pem, NAME.key for each of the
 * two NAMES (node names), with SANS[i] (NULL-terminated, checked
 * identities) as the subjectAltNames; LAB names the CA. -1 and err_msg()
 * with what pki said when a step fails. */
int pki_make(const char *labdir, const char *lab, const char *const names[2],
	     const char *const *const sans[2]);

#endif

/*
 * peer-internal.h - what the parts of a peer share: peer.c renders and
 * loads the configuration, peer_ts.c resolves traffic selectors and waits
 * for trap policies, peer_cert.c places and loads the lab's certificates.
 */
#ifndef IKELAB_PEER_INTERNAL_H
#define IKELAB_PEER_INTERNAL_H

#include "charon/peer.h"

struct argv;
struct vici_conn;
struct vici_msg;

/* C's selectors as charon gets them, local into L and remote into R
 * (the caller frees both): none written means every protected subnet of
 * that side; "protected" and "protected:N" name them (ts.h). -1 and
 * err_msg() naming the child when N is beyond the topology's subnets. */
int peer_child_ts(const struct peer *p, const struct profile_child *c, struct argv *l,
		  struct argv *r);

/* CMD with M over C, its answer checked; errors name the peer. */
int peer_vici_load(struct vici_conn *c, const char *cmd, struct vici_msg *m, const struct peer *p);

/* charon died while starting: -1 and err_msg() with how and its log. */
int peer_charon_died(const struct peer *p);

/* With auth: pubkey, copy the lab's CA certificate and the peer's own
 * certificate and key into its swanctl folders (x509ca, x509, ecdsa), as
 * `swanctl --load-all` expects them; 0 without. */
int peer_certs_place(const struct peer *p);
/* With auth: pubkey, load the CA and the private key over C (load-cert,
 * load-key) and set *CERT to the peer's certificate in PEM (allocated)
 * for its connections; *CERT = NULL without. */
int peer_certs_load(const struct peer *p, struct vici_conn *c, char **cert);

#endif

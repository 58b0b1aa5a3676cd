/*
 * xfrm.h - the kernel's IPsec state in a lab namespace (libnl-xfrm): what
 * SAs and policies exist, and whether this kernel can install an ESP SA.
 */
#ifndef IKELAB_XFRM_H
#define IKELAB_XFRM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xfrm_sa_info {
	char src[48], dst[48];
	uint32_t spi;
	uint32_t reqid;
	uint8_t proto;
	char mode[16];
};

struct xfrm_policy_info {
	char src[64], dst[64]; /* selector, CIDR */
	char dir[8];           /* in, out, fwd */
	char action[8];        /* allow, block */
	uint32_t index;
	uint32_t priority;
	int templates; /* 0 for bypass/drop policies */
};

struct xfrm_dump {
	struct xfrm_sa_info *sas;
	size_t n_sas;
	struct xfrm_policy_info *policies;
	size_t n_policies;
};

/* Dump SAs and policies of the namespace behind nsfd. */
int xfrm_dump(int nsfd, struct xfrm_dump *out);
/* The same on an XFRM netlink socket already living in the namespace. */
struct nl_sock;
int xfrm_dump_sock(struct nl_sock *s, struct xfrm_dump *out);
void xfrm_dump_free(struct xfrm_dump *d);

/* Kernel triggers on one ESP SA, found by destination and SPI:
 * an expire notification as the kernel would raise it (soft: charon
 * starts a rekey; hard: the SA is deleted and charon told so), or the SA
 * deleted outright, without telling anyone. */
int xfrm_expire(int nsfd, const char *dst, uint32_t spi, bool hard);
int xfrm_delete_sa(int nsfd, const char *dst, uint32_t spi);

/* An ESP transform as charon's kernel-netlink plugin hands it to the
 * kernel: an AEAD, or an encryption and an integrity algorithm. Key sizes
 * in bits include the salt; icv_bits is the AEAD's ICV or the integrity
 * algorithm's truncation. esn: extended sequence numbers (authencesn). */
struct esp_transform {
	const char *aead;
	const char *enc;
	const char *auth;
	unsigned key_bits, auth_bits, icv_bits;
	bool esn;
};
extern const struct esp_transform xfrm_aes_gcm; /* rfc4106(gcm(aes)), 128-bit key */

/* Install a throw-away tunnel-mode ESP SA 198.51.100.1 -> 198.51.100.2
 * (TEST-NET-2) with the given SPI on an XFRM netlink socket. */
struct nl_sock;
int xfrm_add_test_sa(struct nl_sock *s, const struct esp_transform *t, uint32_t spi);

/* Try to install an AES-GCM ESP SA in a throw-away namespace: 1 if the
 * kernel can, 0 if not (why says what the kernel answered), -1 on error. */
int xfrm_probe_esp(char *why, size_t why_len);

#endif

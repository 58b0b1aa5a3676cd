/*
 * xfrmmon.h - the kernel's own IPsec notifications in a lab namespace:
 * acquires (a packet hit a trap policy with no SA) and expires (soft: time
 * to rekey; hard: the SA is gone). Read from XFRM netlink multicast groups
 * on a socket that lives in the peer's namespace.
 */
#ifndef IKELAB_XFRMMON_H
#define IKELAB_XFRMMON_H

#include <stdbool.h>
#include <stdint.h>

struct xfrmmon;

enum xfrm_note_kind {
	XFRM_NOTE_ACQUIRE,
	XFRM_NOTE_EXPIRE
};

struct xfrm_note {
	enum xfrm_note_kind kind;
	bool hard;    /* expires */
	uint32_t spi; /* expires */
	uint8_t proto;
	char src[64], dst[64]; /* acquire: selector; expire: SA endpoints */
};

typedef void (*xfrmmon_cb)(void *ctx, const struct xfrm_note *n);

struct xfrmmon *xfrmmon_open(int nsfd);
void xfrmmon_close(struct xfrmmon *m);
int xfrmmon_fd(const struct xfrmmon *m);
/* Read what is pending and call cb for each notification. */
int xfrmmon_read(struct xfrmmon *m, xfrmmon_cb cb, void *ctx);

#endif

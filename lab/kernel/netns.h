/*
 * netns.h - named network namespaces, the way iproute2 keeps them: a file
 * /run/netns/NAME with the namespace bind-mounted on it, so that
 * `ip netns exec NAME` and anything else that knows the convention work.
 */
#ifndef IKELAB_NETNS_H
#define IKELAB_NETNS_H

#include <stdbool.h>

#define NETNS_DIR "/run/netns"

/*
 * Ownership. A lab deletes only namespaces it made, so making one takes two
 * steps with a record in between: netns_claim() creates /run/netns/NAME
 * exclusively (it fails, and nothing is owned, when the name exists:
 * someone's `ip netns add NAME`, or another lab's), the caller records the
 * claim, and netns_bind() makes it a namespace and returns the namespace's
 * inode, which the caller records too. netns_delete_owned() then removes
 * NAME only while it still is that namespace -- or the claimed file itself,
 * when the controller died before the bind was recorded.
 */
/* /run/netns as ip-netns(8) leaves it: a shared mount point (made once;
 * the user-mode Linux agent makes it at boot, so that the first lab does
 * not change the kernel it leaves to the next). 0, or -1 with err_msg(). */
int netns_dir_prepare(void);
int netns_claim(const char *name);
/* On failure the claim is released (the file removed). */
int netns_bind(const char *name, unsigned long long *ino);
/* claim + bind, for scratch namespaces nobody else can know of. */
int netns_create(const char *name);
/* Remove NAME if it is ours: the namespace with inode `ino`, or, for ino 0,
 * whatever our claim made of it. 1 when removed or already gone, 0 when
 * NAME is now something else (left alone), -1 on error. */
int netns_delete_owned(const char *name, unsigned long long ino);
/* A claimed name that never became a namespace: an empty file, no mount
 * on it (what a controller killed right after netns_claim leaves). */
bool netns_is_placeholder(const char *name);
/* Unmount and remove /run/netns/NAME whatever it is; a missing one is not
 * an error. Only for names nobody else can hold (tests' scratch names). */
int netns_delete(const char *name);
int netns_exists(const char *name);
/* O_RDONLY descriptor of the namespace, for setns(). */
int netns_open(const char *name);

/* Run the calling thread in another namespace, then come back. */
struct netns_switch {
	int orig;
};
int netns_enter(struct netns_switch *s, int nsfd);
int netns_leave(struct netns_switch *s);

/* Write a sysctl under /proc/sys as seen from inside the namespace
 * (key "net/ipv4/ip_forward"). */
int netns_sysctl(int nsfd, const char *key, const char *value);

#endif

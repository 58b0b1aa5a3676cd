/*
 * netns.h - named network namespaces, the way iproute2 keeps them: a file
 * /run/netns/NAME with the namespace bind-mounted on it, so that
 * `ip netns exec NAME` and anything else that knows the convention work.
 */
#ifndef IKELAB_NETNS_H
#define IKELAB_NETNS_H

#define NETNS_DIR "/run/netns"

/* Create and bind /run/netns/NAME. Fails if it exists. */
int netns_create(const char *name);
/* Unmount and remove /run/netns/NAME; a missing one is not an error. */
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

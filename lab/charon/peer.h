/*
 * peer.h - one charon gateway of a lab.
 *
 * Each peer runs in its lab network namespace and in a mount namespace of
 * its own where the peer's run directory (DIR/run) is bind-mounted on /run
 * and its rendered strongswan.conf on /etc/strongswan.conf. charon finds its
 * pid file, its VICI socket (/run/charon.vici), its configuration and its
 * log (/run/charon.log) there; two charons on one filesystem never collide,
 * and `swanctl` run through `ikelab exec` needs no options. The controller
 * reaches the same files from outside under DIR/run/.
 *
 * peer.c renders the configuration and talks to the running charon;
 * peer_start.c starts charon under its keeper.
 */
#ifndef IKELAB_PEER_H
#define IKELAB_PEER_H

#include "config/profile.h"
#include "base/util.h"
#include "charon/known.h"

struct peer {
	char *name;        /* node name, also the IKE identity */
	char *remote_name; /* the other peer's node name */
	char *dir;         /* the peer's directory in the lab run dir */
	char *netns;       /* LAB-NAME */
	const struct profile *profile;
	char local_addr[64], remote_addr[64]; /* IKE endpoints */
	/* The protected subnets, masked ("10.1.0.0/16"): a CHILD_SA's
	 * selectors unless its profile names others. Owned by the peer. */
	char **local_subnets, **remote_subnets;
	unsigned n_local_subnets, n_remote_subnets;
	const char *psk;
	/* What the charon's version knows (a build of ours), or NULL: the
	 * configuration is rendered against it (known.h). */
	const struct charon_known *known;
	struct proc_id charon;
	struct proc_id keeper; /* charon's parent, which records how it ended */
	int exec_fd;           /* reports a failed exec; see peer_spawn_wait */
};

/* The plugins swanctl loads inside a peer (its strongswan.conf): without
 * a list it tries every plugin it was built with and warns about each one
 * that is not installed. NULL-terminated. */
extern const char *const peer_swanctl_plugins[];

/* Path of the VICI socket as seen from outside the peer (allocated). */
char *peer_vici_path(const struct peer *p);

/* Write strongswan.conf, swanctl/swanctl.conf and the private run dir.
 * What p->known lacks of the profile is left out, noted in the file and
 * said once on stderr. */
int peer_render(const struct peer *p, const char *lab);

/* Start charon under a keeper process. `record` is called once p->keeper
 * and p->charon are known and before charon may exec, so a controller
 * killed at any point has recorded every process it started; a keeper
 * whose controller died before that kills its charon and exits. */
typedef int (*peer_record_fn)(void *ctx, const struct peer *p);
int peer_spawn(struct peer *p, peer_record_fn record, void *ctx);
/* Wait until the spawned child has exec'd charon (or say why it could
 * not); several peers can be spawned before waiting for any. */
int peer_spawn_wait(struct peer *p);

/* Wait until charon answers on VICI; fails early, with the tail of its
 * log, if charon dies. */
int peer_wait_vici(const struct peer *p, int timeout_ms);
/* load-shared and load-conn over VICI. */
int peer_load(const struct peer *p);
/* What `swanctl --load-conns` does after the configuration changed: every
 * connection of p's (new) profile by load-conn -- charon replaces what
 * changed and keeps what did not -- and unload-conn of each connection of
 * OLD (borrowed) that the new profile no longer has. */
int peer_reload(const struct peer *p, const struct profile *old);
/* Wait until the outbound trap policy of every CHILD_SA with start_action
 * trap is in the kernel: its first local and remote selectors of one
 * family (a port narrows the policy, not its addresses; a range, which the
 * kernel cannot show as written, is not waited for). */
int peer_wait_traps(const struct peer *p, int nsfd, int timeout_ms);
/* Those trap policies, one "SRC === DST" a line (allocated). */
char *peer_traps_text(const struct peer *p);

/* Enter the peer's view (network namespace, private mounts, environment)
 * in the calling process; used before exec'ing charon or a user command. */
int peer_enter(const char *dir, int nsfd);

/* How charon ended ("was killed by signal 9 (Killed)"), from the file its
 * keeper wrote; NULL while it runs (allocated). */
char *peer_exit_reason(const char *dir);

/* Last lines of charon's log and stderr, for error messages (allocated). */
char *peer_log_tail(const char *dir, int lines);

/* Version string of a charon binary ("5.9.8"), from `charon --version`
 * (spawn_run, 5 s at most), or NULL (allocated). */
char *charon_version(const char *binary);

#endif

/*
 * lab.h - bringing a whole lab up and down on a kernel that can hold ESP
 * SAs (the host backend; inside user-mode Linux the same code runs).
 */
#ifndef IKELAB_LAB_H
#define IKELAB_LAB_H

#include <stdbool.h>

#include "config/profile.h"
#include "config/topology.h"
#include "backend/state.h"

#define LAB_DEFAULT_TOPOLOGY "topologies/two-peer.yaml"
#define LAB_DEFAULT_PEERS "peers/auto-route.yaml"

struct up_opts {
	const char *name;
	const char *topology; /* file */
	const char *peers;    /* profile file for every peer */
	const char *peers2;   /* or this one for the second peer, when not NULL */
	const char *kernel;   /* auto | host | uml */
	const char *charon;   /* overrides the profile's binary, or NULL */
	bool quiet;
};

/* Everything an `up` needs, loaded and checked before anything is built:
 * the topology and one profile per peer (in the topology's peer order). */
struct lab_plan {
	struct topology *topo;
	bool borrowed_topo; /* owned by someone else (a scenario) */
	struct profile *profile[2];
};
int lab_plan_load(struct lab_plan *plan, const struct up_opts *o);
/* charon binaries exist and run; `override` replaces the profiles'. */
int lab_plan_check_charon(struct lab_plan *plan, const char *override);
void lab_plan_free(struct lab_plan *plan);

/* Build a lab from a plan (the plan stays the caller's). */
int lab_up_plan(const char *name, struct lab_plan *plan, bool quiet);
/* Start a peer's charon again after it died or was killed, with the
 * lab's PSK and the plan's profile; records the new pids. */
int lab_restart_peer(const char *name, struct lab_plan *plan, const char *peer);
/* Load the plan's profile of a running peer as `swanctl --load-conns`
 * would (peer_reload): OLD is the profile it ran before (borrowed). */
int lab_reload_peer(const char *name, struct lab_plan *plan, const char *peer,
		    const struct profile *old);
/* Interface DEV of NODE (a peer or a router of T, in the namespace NSFD)
 * down, or up again with the addresses and routes T gives it back (the
 * kernel drops routes through a link that goes down). -1 and err_msg()
 * naming the node. */
int lab_link_set(const struct topology *t, int nsfd, const char *node, const char *dev, bool up);

/* Resolve a shipped file (topologies/x.yaml) relative to the current
 * directory first, then to the ikelab source tree the binary was built in. */
char *lab_find_file(const char *path);

int lab_up_host(const struct up_opts *o);
/* Stop and remove everything lab.json records; keeps the run directory
 * when `keep_dir` (the outer controller of a UML lab removes it). */
int lab_teardown(struct lab_state *st, bool keep_dir);
int lab_down_host(const char *name);

/* Copy what each peer ran with and said (charon.log, strongswan.conf,
 * swanctl.conf, charon.out, charon.exit) into DEST/PEER/, so a run
 * directory keeps its evidence after the lab is gone. Best effort: -1 when
 * something could not be copied, and the error message is left as it was
 * (a failed run's own message is what gets printed). */
int lab_copy_evidence(const char *name, const char *dest);

#endif

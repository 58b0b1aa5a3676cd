/*
 * list.h - the labs on this host, as `ikelab ls` shows them.
 *
 * Every run directory in the base (state.h) is a lab, whatever state it is
 * in: up, half built, or left behind by a controller killed half-way. What
 * the host can see decides most of its health without touching it -- the
 * lab's records (lab.json; for a UML lab also host/uml.json with its
 * kernel's and broker's pid and start time) and whether those processes
 * live. Whether each peer's charon lives is asked the way `ikelab status`
 * asks (it is that command, run with a deadline: inside a UML lab the pids
 * are the guest's). Nothing is locked, signalled or written.
 *
 * Health, one word and a detail:
 *   up        every peer's charon lives
 *   degraded  a charon is down ("charon down: bob")
 *   starting  its `up` runs (the controller, or the UML kernel, lives)
 *   idle      a kernel a nightly keeps for its lab slot, between runs
 *   broken    what holds it is gone: `ikelab down --name LAB` cleans up
 *   unknown   the status could not be read in time
 */
#ifndef IKELAB_LIST_H
#define IKELAB_LIST_H

#include <jansson.h>

/* A JSON array (the caller's), one object per lab sorted by name: name,
 * dir, backend, created_unix (0 when unknown), age_s, phase, peers (names),
 * health, detail. NULL with err_msg() when the base cannot be read. */
json_t *lab_list(void);

#endif

/*
 * state.h - where a lab lives on disk and what it has built.
 *
 * Every lab has a run directory, /run/ikelab/NAME for root (IKELAB_RUN
 * moves the base), in a base directory that must be private to the user
 * (state_base_ensure). Its lab.json lists every resource the lab owns; it is
 * rewritten (atomically) *before* each resource is created, so that `down`
 * can undo any prefix of an `up`, even one whose controller was killed.
 * Processes are recorded by pid and start time and found only that way.
 */
#ifndef IKELAB_STATE_H
#define IKELAB_STATE_H

#include <jansson.h>
#include <stdbool.h>

#include "base/util.h"

#define LAB_NAME_MAX 32
#define LAB_DEFAULT_NAME "lab"

/* Where labs live: IKELAB_RUN; for root /run/ikelab; for others
 * $XDG_RUNTIME_DIR/ikelab, else /tmp/ikelab-UID. Only the path: nothing
 * is checked or created. */
const char *state_base_dir(void);
/* Create the base (0700) if it is missing and check it is private: a
 * real directory of ours, not writable by group or others, under
 * directories nobody else can rename things in. Every command that reads
 * or writes a lab calls it first: another user's base could hold lab.json
 * or uml.json naming processes that `down` would kill. Checked once per
 * process; skipped inside user-mode Linux, whose base is the host's. */
int state_base_ensure(void);
/* The same checks on one directory; -1 (err_msg() names the path and what
 * is wrong) when it is not private. */
int state_dir_private(const char *path);
/* Run directory of a lab (allocated). */
char *state_dir(const char *name);
/* Lab names go into paths, namespace names and UML ids. */
int state_name_check(const char *name);

struct lab_state {
	char *name;
	char *dir;
	json_t *doc; /* contents of lab.json */
	int lock_fd; /* flock on the run directory, -1 if not held */
};

/* Claim a new lab: create its run directory (the atomic step that makes
 * two controllers racing for one name end with one winner) and lock it. */
int state_claim(struct lab_state *st, const char *name, const char *backend);
/* Open an existing lab and lock it, waiting up to wait_ms for another
 * controller that holds the lock. */
int state_open(struct lab_state *st, const char *name, int wait_ms);
/* Read lab.json without locking (status, exec). */
int state_peek(struct lab_state *st, const char *name);
int state_save(struct lab_state *st);
void state_close(struct lab_state *st);

/* Helpers on the document. */
void state_set_str(struct lab_state *st, const char *key, const char *val);
const char *state_get_str(const struct lab_state *st, const char *key);
json_t *state_obj(struct lab_state *st, const char *key); /* created if missing */
json_t *state_arr(struct lab_state *st, const char *key); /* created if missing */
json_t *state_proc_json(const struct proc_id *id);
int state_proc_from_json(const json_t *j, struct proc_id *id);

/* The labs in the base: the names of its entries that are valid lab
 * names, sorted (allocated, NULL-terminated; state_names_free). Nothing is
 * created or checked: no base, no names. */
char **state_lab_names(void);
void state_names_free(char **names);
/* The names of the peers in a lab.json (a new JSON array of strings). */
json_t *state_peer_names(const json_t *doc);
/* Does the run directory hold a lab.json? */
bool state_exists(const char *dir);

/* Running inside the user-mode Linux kernel of a lab (set by its agent). */
bool state_inside_uml(void);

#endif

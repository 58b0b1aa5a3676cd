/*
 * uml.h - the user-mode Linux backend.
 *
 * Kernels without ESP (these machines, CI containers) run a lab inside
 * Debian's user-mode Linux kernel, booted with the host's root as a
 * read-only hostfs. Three processes make it work:
 *
 *   broker  (host)  owns the UML process and its serial line, listens on
 *                   RUNDIR/host/broker.sock, multiplexes client sessions;
 *   agent   (UML)   PID 1 inside: mounts, modules, then runs ikelab
 *                   commands it receives and streams their output back;
 *   client  (host)  any `ikelab status/exec/down/...` on a UML lab, relayed
 *                   through the broker (remote.h).
 *
 * Inside, the ikelab binary and every file are at the same paths as on the
 * host; writes land in a tmpfs overlay, except the lab's run directory
 * (and directories named with --out), which are the host's own. Root
 * inside could mount any other host directory, so the broker starts the
 * kernel in a mount namespace where those are the only writable ones
 * (jail.h), and `down` signals only processes that check out as the
 * lab's (umlproc.h).
 */
#ifndef IKELAB_UML_H
#define IKELAB_UML_H

#include <stdbool.h>

#include "backend/lab.h"

#define UML_KERNEL_DEFAULT "/usr/bin/linux.uml"
#define UML_MODULES_BASE "/usr/lib/uml/modules"

/* The UML kernel binary (IKELAB_UML overrides), or NULL with err_msg(). */
const char *uml_kernel(void);
/* Release of the modules shipped beside it ("6.1.176"), or NULL. */
char *uml_modules_release(void);
/* Whether this host needs the XSAVE shim (see uml-fpfix.c beside this file). */
bool uml_needs_fpfix(void);

/* Is this lab a UML lab (as seen from the host)? */
bool uml_is_lab(const char *labdir);

/* Boot a UML kernel for the lab and run `inner` (ikelab arguments) in it.
 * Keeps the kernel running when `keep` and the command succeeded. Returns
 * the command's exit status, or -1 when the lab could not boot. */
int uml_boot_and_run(const char *name, char *const inner[], const char *const rw_dirs[], bool keep);
/* Run `inner` in the kept kernel NAME, booting it first (with rw_dirs
 * shared, *booted set) when there is none: a pool of one kernel that many
 * runs reuse, one after the other, each building its lab afresh (the
 * runs check that the last one left nothing: residue.h). The kernel stays
 * for the next command unless this one failed as a lab (exit status 2,
 * or -1: it could not run), which takes it down. `ikelab down --name
 * NAME` stops it. The command's exit status, or -1 with err_msg(). */
int uml_pool_run(const char *name, char *const inner[], const char *const rw_dirs[], bool *booted);
int uml_down(const char *name);

#endif

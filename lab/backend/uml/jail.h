/*
 * jail.h - the host's files as a UML lab's kernel sees them.
 *
 * The UML kernel runs as the user who started the lab -- root, as a rule,
 * which it needs to read root-only files such as a clone under a 0700 home
 * or charon builds in root's cache -- and root inside it can mount any
 * host directory with hostfs. So the broker, before it starts the kernel,
 * moves itself into a mount namespace of its own (jail_enter): propagation
 * private (no mount travels to the host or back), every mount read-only,
 * and bind-mounted writable, nosuid and nodev, only the lab's run
 * directory (which holds the scratch directory of UML's memory file) and
 * the directories the lab was given (--out). /proc and /sys are read-only
 * too: the kernel only reads them, and a writable /proc/sys or /sys would
 * hand root inside the host's core_pattern and uevent helper. A user who
 * is not root gets a user namespace of their own around it, mapping only
 * their own ids.
 *
 * The kernel goes one namespace further (jail_protect, in its child before
 * exec): RUNDIR/host -- uml.json and the logs, what `down` and `up` read
 * back -- is read-only for it, so root inside cannot plant a record there,
 * remove the mark that makes the lab a UML lab, or swap a log for a
 * symlink or a FIFO. The rest of the run directory is the guest's: the
 * host reads from it only what it would also accept from a scenario file.
 *
 * A directory given to a running lab later (record --out) is bound
 * writable in the kernel's namespace by jail_share.
 */
#ifndef IKELAB_JAIL_H
#define IKELAB_JAIL_H

#include <stdbool.h>
#include <sys/types.h>

/* IKELAB_UML_UNJAILED=1: none of this, for hosts that allow neither
 * CAP_SYS_ADMIN nor user namespaces (some containers); the user's explicit
 * choice, warned about, since root inside can then write any host file. */
bool jail_disabled(void);

/* Host-side records of a UML lab, read-only inside. */
#define JAIL_HOST_DIR "host"

/* In the broker, before it starts the kernel: writable[] (absolute
 * existing directories, NULL-terminated) stay writable, nothing else. */
int jail_enter(const char *const writable[]);

/* In the kernel's child between fork and exec (async-signal-safe: system
 * calls only): a namespace of its own where `dir` is read-only. Returns 0,
 * or the failing call's errno. */
int jail_protect(const char *dir);

/* Also in that child: no device nodes and no set-id files from the kernel
 * (capability bounding set, seccomp). 0, or the failing call's errno. */
int jail_restrict(void);

/* Make `dir` (absolute, existing) writable in the mount namespace of the
 * kernel behind kernel_pidfd (checked by the caller: umlproc.h). */
int jail_share(int kernel_pidfd, pid_t kernel_pid, const char *dir);

#endif

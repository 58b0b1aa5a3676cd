/*
 * umlproc.h - a UML lab's host-side records (RUNDIR/host/uml.json) and
 * its host processes, each checked on the process itself before anything
 * signals it.
 *
 * uml.json names the lab's broker and kernel by pid and start time. It is
 * written only by the host (the broker and `up`), in RUNDIR/host, which
 * the kernel sees read-only (jail.h); the rest of the run directory is
 * written by root inside the lab through hostfs. Still, a pid and start
 * time are not enough: the kernel may have died and its pid, and so its
 * process group id, been reused, and a record may be planted by whoever
 * can write RUNDIR/host (root on the host). So `down` signals a process
 * only once it checks out:
 *
 *   kernel   /proc/PID/exe is the kernel binary recorded at boot and its
 *            command line holds this lab's `umid=ikelab-NAME` and
 *            `uml_dir=RUNDIR/uml`, which only a kernel booted for this run
 *            directory has (the guest cannot start host processes);
 *   helper   a process in the kernel's process group (UML's userspace and
 *            I/O helpers), started no earlier than the kernel, that checks
 *            out as above -- the group is walked process by process, never
 *            signalled as a whole, since after the kernel died its id may
 *            name an unrelated group;
 *   broker   its name is "ikelab-broker" and its working directory the run
 *            directory, both set by the broker itself.
 *
 * Every check runs after a pidfd on the process is open, and the signal
 * goes through that pidfd (util.h proc_pidfd): if the pid is reused
 * between the check and the signal, the signal reaches no one.
 */
#ifndef IKELAB_UMLPROC_H
#define IKELAB_UMLPROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/json.h"
#include "base/util.h"

#define UMLPROC_BROKER_COMM "ikelab-broker"

/* The lab as `down` knows it from the host: its name and run directory
 * (borrowed), and what uml.json says (borrowed). */
struct umlproc_lab {
	const char *name;
	const char *dir; /* absolute, as the kernel's uml_dir= says */
	const json_t *doc;
};

/* RUNDIR/host/FILE (allocated): where the host keeps what it reads back. */
char *umlproc_host_file(const char *labdir, const char *file);
/* uml.json, or NULL when it is missing or not a plain file (never followed
 * through a symlink nor waited on as a FIFO). */
json_t *umlproc_json_load(const char *labdir);
/* Set key to val (taken) in uml.json, written atomically. */
int umlproc_json_update(const char *labdir, const char *key, json_t *val);

/* The kernel's record for uml.json: pid, start time and binary (owned by
 * the caller, who gives it to the document). */
json_t *umlproc_kernel_json(const struct proc_id *id, const char *exe);

/* SIGKILL the broker, the kernel and the kernel's helpers, each only once
 * it checks out; what does not is left alone. */
void umlproc_kill(const struct umlproc_lab *lab);

/* No broker and no kernel of the lab runs any more. */
bool umlproc_gone(const struct umlproc_lab *lab);

/* The lab's run directory, absolute (allocated), as the kernel's uml_dir=
 * and the broker's working directory name it; NULL (err_msg()) when there
 * is no such lab. */
char *umlproc_lab_dir(const char *name);

/* Make a host directory (absolute, existing) writable for the running
 * lab's kernel, which sees every other host directory read-only (jail.h),
 * once the kernel checks out. */
int umlproc_share_dir(const char *name, const char *dir);

/* In the broker, once it has reaped the kernel: SIGKILL the kernel's
 * helpers that outlived it (our children in its process group). */
void umlproc_kill_orphans(pid_t pgid);

#endif

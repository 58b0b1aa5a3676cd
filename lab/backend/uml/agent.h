/*
 * agent.h - PID 1 inside a lab's user-mode Linux kernel.
 *
 * The kernel starts the ikelab binary as init with "uml-init LABDIR
 * [DIR...]". The agent makes the host's read-only root writable in memory
 * (an overlay), shares the lab's run directory and any --out directories
 * with the host, pays the kernel's first-use costs (warm.h), and then
 * serves the serial line: each CHAN_OPEN frame from the broker runs one
 * ikelab command, whose output, exit status and signals travel back as
 * frames (chan.h). It reaps every orphan, as PID 1 must.
 */
#ifndef IKELAB_AGENT_H
#define IKELAB_AGENT_H

/* The agent's life: never returns while the kernel runs (it powers the
 * kernel off on CHAN_HALT); 1 or 2 when started where it cannot work. */
int agent_main(int argc, char **argv);

/* Inside UML: make a host directory (which must exist on the host) the
 * host's own at the same path, so that what is written there lands on the
 * host. A no-op where it already is. */
int agent_share_dir(const char *path);

#endif

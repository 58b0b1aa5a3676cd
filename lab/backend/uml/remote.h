/*
 * remote.h - running an ikelab command inside a lab's user-mode Linux
 * kernel, through the lab's broker, as if it ran here: same arguments,
 * same working directory, stdin/stdout/stderr relayed, signals forwarded,
 * and the same exit status.
 */
#ifndef IKELAB_REMOTE_H
#define IKELAB_REMOTE_H

#include <stdbool.h>

/* argv: ikelab's arguments without the program name. Returns the exit
 * status to exit with, or -1 (err_msg()) when the lab cannot be reached. */
#define REMOTE_STDIN 1 /* relay our stdin (exec); otherwise it stays here */
#define REMOTE_TTY 2   /* a terminal inside when ours is one (exec) */
int remote_run(const char *labdir, char *const argv[], int flags, int timeout_ms);

/* Ask the agent to power the kernel off. */
int remote_halt(const char *labdir);

char *broker_socket_path(const char *labdir);

#endif

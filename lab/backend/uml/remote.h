/*
 * remote.h - running an ikelab command inside a lab's user-mode Linux
 * kernel, through the lab's broker, as if it ran here: same arguments,
 * same working directory, stdin/stdout/stderr relayed, signals forwarded,
 * and the same exit status.
 *
 * Both ends of the broker's socket, RUNDIR/broker.sock, live here. Whoever
 * connects runs commands as root inside the kernel, so the socket is 0600
 * in the 0700 run directory and the broker lets in only its own uid. Every
 * wait has a deadline but a relayed command's own run time, which is the
 * caller's to bound (remote_run_within).
 */
#ifndef IKELAB_REMOTE_H
#define IKELAB_REMOTE_H

#include <stdbool.h>

/* argv: ikelab's arguments without the program name. Returns the exit
 * status to exit with, or -1 (err_msg()) when the lab cannot be reached.
 * timeout_ms bounds reaching the broker; the command itself may run as
 * long as it runs (an interactive `exec`, a recording), except that once
 * we have forwarded INT, TERM, HUP or QUIT it has 30 s to end. */
#define REMOTE_STDIN 1 /* relay our stdin (exec); otherwise it stays here */
#define REMOTE_TTY 2   /* a terminal inside when ours is one (exec) */
int remote_run(const char *labdir, char *const argv[], int flags, int timeout_ms);
/* The same, and -1 once deadline_ms have passed without the command's
 * exit status (0: no deadline): for callers that must go on when the
 * kernel is stopped or wedged (down, before its halt and kill). */
int remote_run_within(const char *labdir, char *const argv[], int flags, int timeout_ms,
		      int deadline_ms);

/* Ask the agent to power the kernel off: sends the request, and waits at
 * most 2 s to reach the broker and 2 s for it to take the request. */
int remote_halt(const char *labdir);

char *broker_socket_path(const char *labdir);

/* The broker's end (uml.c): listen on path, a socket of mode 0600 in a
 * directory that must be ours and 0700 (the lab's run directory); the
 * socket is non-blocking. Returns the fd, or -1 (err_msg()). */
int broker_listen(const char *path);
/* May the client on fd talk to the kernel? Only a peer of our own uid
 * (SO_PEERCRED) may; a refusal is logged on stderr (broker.log). */
bool broker_peer_allowed(int fd);

#endif

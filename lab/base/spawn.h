/*
 * spawn.h - the one way ikelab starts another program.
 *
 * Every fork+exec of the controller goes through spawn_start(). The program
 * and its arguments come as an argv built with struct argv (never a shell
 * string, never a fixed-size array with hand-counted indexes). In the child,
 * between fork and exec, only async-signal-safe calls run (the controller
 * may have threads): signals, scheduling policy and priority back to their
 * defaults, entering a network namespace, wiring stdio, a new session, and
 * an optional hook -- a barrier that waits until the parent, in its own
 * after_fork hook, has recorded the child's pid and start time (lab.json,
 * uml.json) so that `down` can find it whenever the controller dies. Every wait
 * has a deadline, after which the child is killed, and the wait status is
 * decoded into one error message that names the program and says how it
 * ended, with the last line it wrote on stderr when that was captured.
 *
 * Forks that never exec are not spawns and fork themselves, each because it
 * runs controller code in a process of its own:
 *   - the keeper of each charon (charon/peer_start.c): reaps charon and records
 *     how it ended, outliving the command that started it;
 *   - the UML broker (backend/uml/uml.c): owns the kernel's serial line;
 *   - the child that gives a running UML lab a directory (backend/uml/jail.c):
 *     joins the kernel's mount (and user) namespace, which cannot be left,
 *     for one bind mount;
 *   - doctor's probe of user namespaces (backend/doctor.c): a child that
 *     tries unshare(CLONE_NEWUSER) and exits.
 * And `ikelab exec` on a host lab execs the user's command in place, after
 * entering the peer's namespaces (backend/status.c): no child at all.
 * Each of those lines says "spawn.h: ..."; `make tree-test`
 * (tests/tree/check.sh) finds every other fork, exec*, system and popen in
 * lab/ and fails.
 */
#ifndef IKELAB_SPAWN_H
#define IKELAB_SPAWN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/util.h"

/* A NULL-terminated argument vector that owns its strings. */
struct argv {
	char **v;
	size_t n, cap;
};
void argv_add(struct argv *a, const char *s);
void argv_addf(struct argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append every string of a NULL-terminated list. */
void argv_addv(struct argv *a, char *const *v);
void argv_free(struct argv *a);

/* What each of the child's stdin, stdout and stderr is. */
enum spawn_io {
	SPAWN_NULL = 0, /* /dev/null (the default: nothing leaks in or out) */
	SPAWN_INHERIT,  /* ours */
	SPAWN_FD,       /* the descriptor given in fd[] (the caller keeps it) */
	SPAWN_PIPE,     /* a pipe; our end in spawn_proc.fd[] */
	SPAWN_CAPTURE,  /* a pipe read into spawn_proc.out / .err while waiting */
	SPAWN_TO_OUT,   /* stderr only: wherever stdout goes */
};

struct spawn_opts {
	enum spawn_io io[3]; /* stdin, stdout, stderr */
	int fd[3];           /* for SPAWN_FD */
	bool enter_netns;    /* setns() into netns_fd first */
	int netns_fd;
	bool new_session; /* setsid(): signals to our group do not reach it */
	bool search_path; /* argv[0] without '/' is looked up in PATH */
	bool keep_fds;    /* descriptors above 2 stay open across exec */
	/* Non-zero: the signal the child gets when we die (PR_SET_PDEATHSIG,
	 * set first thing after the fork; a child whose parent died before
	 * that exits at once with status 126), for helpers that must not
	 * outlive a controller killed with SIGKILL. */
	int death_signal;
	const char *cwd; /* working directory of the child, or NULL */
	/* Runs in the child after the rest, just before exec; non-zero makes
	 * the child exit with status 126. Async-signal-safe calls only. */
	int (*before_exec)(void *ctx);
	/* Runs here, in the parent, as soon as the child exists and before
	 * spawn_start waits for its exec: the place to record the pid where a
	 * later `down` finds it and then let a before_exec barrier go. -1
	 * (with err_msg()) kills the child and fails the start. */
	int (*after_fork)(pid_t pid, void *ctx);
	void *ctx;
};

struct spawn_proc {
	pid_t pid;
	int fd[3];              /* our ends of SPAWN_PIPE / SPAWN_CAPTURE, else -1 */
	bool capture[3];        /* fd[i] is read by spawn_wait */
	struct strbuf out, err; /* captured output */
	char *name;             /* argv[0], for messages */
	int status;             /* wait status once spawn_wait returned */
	bool reaped;
	bool timed_out; /* spawn_wait killed it at its deadline */
};

/* Start argv[0] (an absolute path, or a name looked up in PATH with
 * search_path). -1 with err_msg() when it could not be started: the
 * program is missing or not executable, a pipe or the fork failed. */
int spawn_start(struct spawn_proc *p, char *const argv[], const struct spawn_opts *o);

/* Wait for the child to end, reading captured output meanwhile, for at
 * most timeout_ms (then SIGKILL, and it is an error). 0 when it exited
 * with status 0; otherwise -1 and err_msg() says how it ended. */
int spawn_wait(struct spawn_proc *p, int timeout_ms);

/* spawn_start + spawn_wait + spawn_proc_free. out/err, when not NULL,
 * receive what the child wrote there (they set SPAWN_CAPTURE). */
int spawn_run(char *const argv[], const struct spawn_opts *o, int timeout_ms, struct strbuf *out,
	      struct strbuf *err);

/* Close our ends, free captured output, and reap the child if it is still
 * there (SIGKILL first): no zombie and no descriptor outlives the proc. */
void spawn_proc_free(struct spawn_proc *p);

/* "exited with status 2", "was killed by signal 9 (Killed)". */
void spawn_describe(int status, char *buf, size_t len);

#endif

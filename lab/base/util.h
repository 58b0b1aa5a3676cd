/*
 * util.h - small helpers shared by every module: memory that cannot fail
 * silently, files, clocks, and process identity.
 */
#ifndef IKELAB_UTIL_H
#define IKELAB_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/file.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation failures end the process: the controller cannot do anything
 * useful without memory, and a half-handled OOM is worse than a clear exit. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Growable string buffer. */
struct strbuf {
	char *buf;
	size_t len, cap;
};
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_add(struct strbuf *sb, const void *data, size_t len);
void sb_free(struct strbuf *sb);

/* Files and directories are created through base/file.h (write_file,
 * mkdir_p, file_create), included here since every module writes some. */

/* Read a whole file; *out is NUL-terminated. */
int read_file(const char *path, char **out, size_t *len);
/* The same for a file someone else may have planted (a run directory the
 * UML guest writes into): no symlink followed, nothing but a regular file
 * of at most `max` bytes (no FIFO to block on, no /dev/zero). */
int read_file_untrusted(const char *path, size_t max, char **out, size_t *len);
/* The last `lines` lines of a file (allocated), or NULL if it is empty or
 * cannot be read. */
char *file_tail(const char *path, int lines);
/* Remove a tree; missing paths are not an error. Does not cross mounts. */
int rm_rf(const char *path);
bool path_exists(const char *path);
/* Absolute path of a file that must exist. */
char *abs_path(const char *path);
/* Directory holding the running ikelab binary (build/). */
const char *self_exe(void);

int64_t mono_ns(void);
int64_t wall_ns(void);
void sleep_ms(long ms);

/* A process is identified by pid and its start time (field 22 of
 * /proc/PID/stat), so a recycled pid is never mistaken for ours. */
struct proc_id {
	pid_t pid;
	unsigned long long start;
};
int proc_id_of(pid_t pid, struct proc_id *id);
bool proc_alive(const struct proc_id *id);
/* A pidfd (*fd, the caller closes it) on the recorded process if it is
 * still that process and alive: 1; 0 when it is gone or its pid now names
 * another process; -1 with err_msg() when pidfd_open fails otherwise.
 * Whatever is checked after this (exe, command line) is checked on the
 * process the pidfd will signal, or on one that cannot be signalled. */
int proc_pidfd(const struct proc_id *id, int *fd);
/* Signal through a pidfd; a process that ended meanwhile is no error. */
int proc_pidfd_signal(int fd, pid_t pid, int sig);
/* Signal a recorded process only if it is still the same process (checked
 * and signalled through one pidfd). */
int proc_kill(const struct proc_id *id, int sig);
/* TERM, wait up to grace_ms, then KILL, through one pidfd. Returns 0 once
 * it is gone (or was never there). */
int proc_stop(const struct proc_id *id, long grace_ms);

/* stdin, stdout and stderr onto /dev/null: for processes that outlive the
 * command that forked them, so that `ikelab up | tail` does not wait for
 * them to end. */
void devnull_stdio(void);

/* Timestamped progress on stderr when IKELAB_TRACE is set (also passed
 * into user-mode Linux), for finding where time goes. */
void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Names that end up in paths, netlink and mount calls. */
bool name_valid(const char *s, size_t max_len);

/* The 95 % Wilson score interval of k successes in n trials: [*lo, *hi]
 * within [0, 1]; [0, 1] when n is 0 (nothing is known). */
void wilson_interval(unsigned k, unsigned n, double *lo, double *hi);

#endif

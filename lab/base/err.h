/*
 * err.h - one error message per failure.
 *
 * A failing function records why in a thread-local buffer and returns -1.
 * Callers that add context wrap the message ("loading peers/x.yaml: ..."),
 * so the command line prints exactly one line that reads from the outermost
 * action down to the system call that failed.
 */
#ifndef IKELAB_ERR_H
#define IKELAB_ERR_H

#include <stdarg.h>

#define ERR_MSG_MAX 2048

/* Replace the message; returns -1 so callers can `return err_set(...)`. */
int err_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like err_set, with ": <strerror(errno)>" appended. */
int err_sys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prefix "<context>: " to the current message. */
int err_wrap(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *err_msg(void);
void err_clear(void);

/* For best-effort work done while a failure is being reported (copying a
 * run's evidence, taking a lab down): it may fail and clear errors of its
 * own without losing the message the caller is about to print. */
struct err_saved {
	char msg[ERR_MSG_MAX];
};
void err_save(struct err_saved *s);
void err_restore(const struct err_saved *s);

#endif

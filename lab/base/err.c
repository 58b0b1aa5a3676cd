#include "base/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char err_buf[ERR_MSG_MAX];

static void err_vset(const char *fmt, va_list ap)
{
	vsnprintf(err_buf, sizeof(err_buf), fmt, ap);
}

int err_set(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(fmt, ap);
	va_end(ap);
	return -1;
}

int err_sys(const char *fmt, ...)
{
	int saved = errno;
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	err_vset(fmt, ap);
	va_end(ap);
	len = strlen(err_buf);
	snprintf(err_buf + len, sizeof(err_buf) - len, ": %s", strerror(saved));
	errno = saved;
	return -1;
}

int err_wrap(const char *fmt, ...)
{
	char prefix[ERR_MSG_MAX];
	char old[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err_buf, sizeof(old));
	/* Truncation keeps the outer context, which is the more useful end. */
	strncpy(err_buf, prefix, sizeof(err_buf) - 1);
	err_buf[sizeof(err_buf) - 1] = '\0';
	strncat(err_buf, ": ", sizeof(err_buf) - strlen(err_buf) - 1);
	strncat(err_buf, old, sizeof(err_buf) - strlen(err_buf) - 1);
	return -1;
}

const char *err_msg(void)
{
	return err_buf[0] ? err_buf : "unknown error";
}

void err_clear(void)
{
	err_buf[0] = '\0';
}

void err_save(struct err_saved *s)
{
	memcpy(s->msg, err_buf, sizeof(s->msg));
}

void err_restore(const struct err_saved *s)
{
	memcpy(err_buf, s->msg, sizeof(err_buf));
}

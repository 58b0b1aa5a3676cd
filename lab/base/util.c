#include "base/util.h"
#include "base/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void oom(void)
{
	fputs("ikelab: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		oom();
	return d;
}

char *xasprintf(const char *fmt, ...)
{
	char *s;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		oom();
	return s;
}

static void sb_grow(struct strbuf *sb, size_t extra)
{
	if (sb->len + extra + 1 <= sb->cap)
		return;
	sb->cap = (sb->len + extra + 1) * 2;
	sb->buf = xrealloc(sb->buf, sb->cap);
}

void sb_add(struct strbuf *sb, const void *data, size_t len)
{
	sb_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_grow(sb, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

static int read_fd(int fd, const char *path, char **out, size_t *lenp)
{
	struct strbuf sb = { 0 };
	char chunk[8192];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_sys("read %s", path);
			close(fd);
			sb_free(&sb);
			return -1;
		}
		if (n == 0)
			break;
		sb_add(&sb, chunk, (size_t)n);
	}
	close(fd);
	if (!sb.buf)
		sb_add(&sb, "", 0);
	*out = sb.buf;
	if (lenp)
		*lenp = sb.len;
	return 0;
}

int read_file(const char *path, char **out, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_sys("open %s", path);
	return read_fd(fd, path, out, lenp);
}

int read_file_untrusted(const char *path, size_t max, char **out, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return err_sys("open %s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return err_set("%s is not a regular file of at most %zu bytes", path, max);
	}
	return read_fd(fd, path, out, lenp);
}

static int rm_rf_at(int parent, const char *name, dev_t dev)
{
	struct stat st, now;
	DIR *d;
	int fd;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_sys("stat %s", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
			return err_sys("unlink %s", name);
		return 0;
	}
	/* Never descend into something mounted below us: a bind mount that
	 * survived would otherwise have its source emptied. */
	if (st.st_dev != dev)
		return err_set("%s is a mount point; unmount it first", name);
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_sys("open %s", name);
	/* The directory opened is the one checked, not one renamed into
	 * its place meanwhile (from another mount, say). */
	if (fstat(fd, &now) < 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
		close(fd);
		return err_set("%s changed while it was being removed", name);
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err_sys("opendir %s", name);
	}
	for (struct dirent *e; (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (rm_rf_at(dirfd(d), e->d_name, dev) < 0) {
			err_wrap("%s", name);
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return err_sys("rmdir %s", name);
	return 0;
}

int rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : err_sys("stat %s", path);
	return rm_rf_at(AT_FDCWD, path, st.st_dev);
}

void devnull_stdio(void)
{
	int null = open("/dev/null", O_RDWR);

	if (null < 0)
		return;
	for (int i = 0; i < 3; i++)
		if (null != i)
			dup2(null, i);
	if (null > 2)
		close(null);
}

bool path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

char *abs_path(const char *path)
{
	char *r = realpath(path, NULL);

	if (!r) {
		err_sys("%s", path);
		return NULL;
	}
	return r;
}

const char *self_exe(void)
{
	static char path[PATH_MAX];

	if (!path[0]) {
		ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

		if (n < 0)
			return "ikelab";
		path[n] = '\0';
	}
	return path;
}

int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int proc_id_of(pid_t pid, struct proc_id *id)
{
	char path[64], *buf, *p;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_file(path, &buf, NULL) < 0)
		return -1;
	/* The command name may hold spaces and parentheses; fields start
	 * after the last ')'. */
	p = strrchr(buf, ')');
	if (!p) {
		free(buf);
		return err_set("%s: unexpected format", path);
	}
	/* p is field 2's end; each space found starts the next field. */
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p) {
		free(buf);
		return err_set("%s: unexpected format", path);
	}
	id->pid = pid;
	id->start = strtoull(p + 1, NULL, 10);
	free(buf);
	return 0;
}

static bool proc_is_zombie(pid_t pid)
{
	char path[64], *buf, *p;
	bool z = false;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_file(path, &buf, NULL) < 0)
		return false;
	p = strrchr(buf, ')');
	if (p && p[1] == ' ')
		z = p[2] == 'Z' || p[2] == 'X';
	free(buf);
	return z;
}

bool proc_alive(const struct proc_id *id)
{
	struct proc_id now;

	if (id->pid <= 0)
		return false;
	if (proc_id_of(id->pid, &now) < 0) {
		err_clear();
		return false;
	}
	return now.start == id->start && !proc_is_zombie(id->pid);
}

/* The start time is read AFTER the pidfd is open: if the pid was recycled
 * before the open, the start time differs and we let go; if it is recycled
 * after, the pidfd still names the process we checked, and a signal
 * through it reaches that one or none. */
int proc_pidfd(const struct proc_id *id, int *fd)
{
	if (id->pid <= 0)
		return 0;
	*fd = pidfd_open(id->pid, 0);
	if (*fd < 0)
		return errno == ESRCH ? 0 : err_sys("pidfd_open %d", (int)id->pid);
	if (!proc_alive(id)) {
		close(*fd);
		*fd = -1;
		return 0;
	}
	return 1;
}

/* Through the pidfd: ESRCH means it ended since it was checked. */
int proc_pidfd_signal(int fd, pid_t pid, int sig)
{
	if (pidfd_send_signal(fd, sig, NULL, 0) < 0 && errno != ESRCH)
		return err_sys("signal %d to process %d", sig, (int)pid);
	return 0;
}

int proc_kill(const struct proc_id *id, int sig)
{
	int fd, r = proc_pidfd(id, &fd);

	if (r <= 0)
		return r;
	r = proc_pidfd_signal(fd, id->pid, sig);
	close(fd);
	return r;
}

/* A pidfd turns readable when its process ends (a zombie counts as
 * ended, as in proc_alive). */
static bool pidfd_wait_exit(int fd, long ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int64_t deadline = mono_ns() + ms * 1000000LL;
	long left = ms;

	for (;;) {
		int n = poll(&p, 1, (int)left);

		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR)
			return false;
		left = (long)((deadline - mono_ns()) / 1000000);
		if (left <= 0)
			return false;
	}
}

/* One pidfd for the whole stop: TERM and KILL reach the process that was
 * checked once, even if its pid is reused while we wait. */
int proc_stop(const struct proc_id *id, long grace_ms)
{
	int fd, r = proc_pidfd(id, &fd);

	if (r <= 0)
		return r;
	r = proc_pidfd_signal(fd, id->pid, SIGTERM);
	if (r == 0 && !pidfd_wait_exit(fd, grace_ms)) {
		r = proc_pidfd_signal(fd, id->pid, SIGKILL);
		if (r == 0 && !pidfd_wait_exit(fd, 2000))
			r = err_set("process %d did not exit after SIGKILL", (int)id->pid);
	}
	close(fd);
	return r;
}

bool name_valid(const char *s, size_t max_len)
{
	size_t n = 0;

	if (!s || !*s)
		return false;
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
		return false;
	for (; s[n]; n++) {
		char c = s[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return n <= max_len;
}

void trace(const char *fmt, ...)
{
	static int64_t t0;
	static int on = -1;
	va_list ap;

	if (on < 0)
		on = getenv("IKELAB_TRACE") != NULL;
	if (!on)
		return;
	if (!t0)
		t0 = mono_ns();
	fprintf(stderr, "[%8.3f] ", (double)(mono_ns() - t0) / 1e9);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

char *file_tail(const char *path, int lines)
{
	char *text = NULL, *out;
	const char *start;
	size_t len = 0;
	int n = 0;

	if (read_file(path, &text, &len) < 0 || len == 0) {
		err_clear();
		free(text);
		return NULL;
	}
	start = text + len;
	while (start > text && n <= lines)
		if (*--start == '\n' && start + 1 < text + len)
			n++;
	if (*start == '\n')
		start++;
	out = xstrdup(start);
	free(text);
	return out;
}

void wilson_interval(unsigned k, unsigned n, double *lo, double *hi)
{
	const double z = 1.959964;
	double p, d, c, w;

	*lo = 0;
	*hi = 1;
	if (!n)
		return;
	p = (double)k / n;
	d = 1 + z * z / n;
	c = p + z * z / (2.0 * n);
	w = z * sqrt(p * (1 - p) / n + z * z / (4.0 * n * n));
	*lo = (c - w) / d < 0 ? 0 : (c - w) / d;
	*hi = (c + w) / d > 1 ? 1 : (c + w) / d;
}

#include "backend/uml/remote.h"
#include "backend/uml/jail.h"
#include "backend/uml/chan.h"
#include "base/err.h"
#include "base/util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* In RUNDIR/host, which the kernel sees read-only (jail.h): root inside
 * cannot swap the socket for a symlink to another one that connect()
 * would follow. */
char *broker_socket_path(const char *labdir)
{
	return xasprintf("%s/" JAIL_HOST_DIR "/broker.sock", labdir);
}

/* ---- the broker's end of the socket --------------------------------------- */

/* The directory that holds the broker's socket is what keeps other users
 * out: it must be ours and closed to everyone else (claim_dir makes it
 * 0700). */
static int socket_dir_private(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	struct stat st;
	int r = 0;

	if (slash)
		*slash = '\0';
	if (lstat(slash ? dir : ".", &st) < 0)
		r = err_sys("stat %s", dir);
	else if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
		r = err_set("%s: the broker's socket needs a directory of uid %u with mode 0700, "
			    "not one of uid %u with mode %04o",
			    dir, (unsigned)geteuid(), (unsigned)st.st_uid,
			    (unsigned)(st.st_mode & 07777));
	free(dir);
	return r;
}

/* The socket is 0600 from the moment it exists (umask around bind: a
 * chmod after it would leave a window), in a 0700 directory; the broker
 * also checks each peer's uid (broker_peer_allowed). */
int broker_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set("socket path too long: %s", path);
	if (socket_dir_private(path) < 0)
		return -1;
	strcpy(sa.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_sys("socket");
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0) {
		err_sys("listen on %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Whoever connects runs commands as root inside the kernel: only our own
 * uid may (SO_PEERCRED: the peer's credentials when it connected). A
 * refusal goes to broker.log. */
bool broker_peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		fprintf(stderr, "ikelab broker: refused a client: SO_PEERCRED: %s\n",
			strerror(errno));
		return false;
	}
	if (cred.uid == geteuid())
		return true;
	fprintf(stderr,
		"ikelab broker: refused a client of uid %u (pid %d): only uid %u may use this "
		"lab\n",
		(unsigned)cred.uid, (int)cred.pid, (unsigned)geteuid());
	return false;
}

/* ---- our end --------------------------------------------------------------- */

static int broker_connect(const char *labdir, int timeout_ms)
{
	char *path = broker_socket_path(labdir);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		err_set("socket path too long: %s", path);
		free(path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	for (;;) {
		/* Non-blocking: a broker that does not accept (stopped, or
		 * its backlog full) makes connect fail with EAGAIN, not wait. */
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			free(path);
			return err_sys("socket");
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		close(fd);
		if ((errno != ENOENT && errno != ECONNREFUSED && errno != EAGAIN) ||
		    mono_ns() >= deadline) {
			err_sys("connect to the lab's user-mode Linux broker at %s", path);
			free(path);
			return -1;
		}
		sleep_ms(20);
	}
	free(path);
	return fd;
}

struct relay {
	struct chan ch;
	bool stdin_open;
	bool tty;
	struct termios saved;
	bool raw;
	int sigfd;
	int status;       /* -1 until EXIT */
	int64_t deadline; /* mono_ns; 0: none (the caller's choice) */
	int64_t grace;    /* mono_ns: we forwarded a stop; 0: none */
};

/* After forwarding INT, TERM, HUP or QUIT, the command inside has this
 * long to end: a kernel that is stopped or wedged never answers, and the
 * user asked us to stop. */
#define REMOTE_STOP_GRACE_MS 30000

static void tty_raw(struct relay *r)
{
	struct termios t;

	if (!r->tty || tcgetattr(0, &r->saved) < 0)
		return;
	t = r->saved;
	cfmakeraw(&t);
	if (tcsetattr(0, TCSANOW, &t) == 0)
		r->raw = true;
}

static void tty_restore(struct relay *r)
{
	if (r->raw)
		tcsetattr(0, TCSANOW, &r->saved);
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static int handle_frame(struct relay *r, const struct chan_frame *f)
{
	switch (f->type) {
	case CHAN_STDOUT:
		write_all(1, f->data, f->len);
		return 0;
	case CHAN_STDERR:
		write_all(2, f->data, f->len);
		return 0;
	case CHAN_EXIT:
		if (f->len != 4)
			return err_set("malformed EXIT frame");
		r->status = (int)chan_u32(f->data);
		return 0;
	case CHAN_ERROR:
		return err_set("%.*s", (int)f->len, (const char *)f->data);
	default:
		return 0;
	}
}

static void forward_signal(struct relay *r)
{
	struct signalfd_siginfo si;
	uint8_t buf[4];

	if (read(r->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGWINCH) {
		struct winsize ws;

		if (ioctl(0, TIOCGWINSZ, &ws) == 0) {
			uint8_t w[4] = { ws.ws_row >> 8, ws.ws_row & 0xff, ws.ws_col >> 8,
					 ws.ws_col & 0xff };

			chan_put(&r->ch, CHAN_WINCH, 0, w, sizeof(w));
		}
		return;
	}
	chan_put_u32(buf, si.ssi_signo);
	chan_put(&r->ch, CHAN_SIGNAL, 0, buf, sizeof(buf));
	if (!r->grace)
		r->grace = mono_ns() + (int64_t)REMOTE_STOP_GRACE_MS * 1000000;
}

static void forward_stdin(struct relay *r)
{
	uint8_t buf[16384];
	ssize_t n = read(0, buf, sizeof(buf));

	if (n > 0) {
		chan_put(&r->ch, CHAN_STDIN, 0, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	r->stdin_open = false;
	chan_put(&r->ch, CHAN_STDIN_EOF, 0, NULL, 0);
}

/* How long poll may wait: until the earlier of the caller's deadline and
 * the grace after a forwarded stop, or for ever when there is neither;
 * -2 when one has passed. */
static int relay_wait_ms(const struct relay *r)
{
	int64_t now = mono_ns(), until = 0;

	if (r->deadline)
		until = r->deadline;
	if (r->grace && (!until || r->grace < until))
		until = r->grace;
	if (!until)
		return -1;
	if (now >= until)
		return -2;
	return (int)((until - now + 999999) / 1000000);
}

static int relay_expired(const struct relay *r)
{
	if (r->grace && mono_ns() >= r->grace)
		return err_set("the command inside the lab's user-mode Linux did not end within "
			       "%d ms of the signal we forwarded (is its kernel stopped?)",
			       REMOTE_STOP_GRACE_MS);
	return err_set("no answer from the lab's user-mode Linux before the deadline (is its "
		       "kernel stopped or wedged?)");
}

static int relay_loop(struct relay *r)
{
	while (r->status < 0) {
		struct pollfd p[3] = {
			{ r->ch.fd, POLLIN | (chan_pending(&r->ch) ? POLLOUT : 0), 0 },
			{ r->sigfd, POLLIN, 0 },
			{ r->stdin_open ? 0 : -1, POLLIN, 0 },
		};
		struct chan_frame f;
		int n, wait_ms = relay_wait_ms(r);

		if (wait_ms == -2)
			return relay_expired(r);
		if (poll(p, 3, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			return err_sys("poll");
		}
		if (p[1].revents)
			forward_signal(r);
		if (p[2].revents)
			forward_stdin(r);
		if (chan_flush(&r->ch) < 0)
			return err_wrap("lost the lab's user-mode Linux broker");
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (chan_fill(&r->ch) < 0)
				return -1;
			while ((n = chan_next(&r->ch, &f)) > 0)
				if (handle_frame(r, &f) < 0)
					return -1;
			if (n < 0)
				return -1;
			if (r->ch.eof && r->status < 0)
				return err_set("the lab's user-mode Linux closed the session "
					       "without an exit status");
		}
	}
	return 0;
}

int remote_run(const char *labdir, char *const argv[], int flags, int timeout_ms)
{
	return remote_run_within(labdir, argv, flags, timeout_ms, 0);
}

int remote_run_within(const char *labdir, char *const argv[], int flags, int timeout_ms,
		      int deadline_ms)
{
	struct chan_open o = { 0 };
	struct relay r = { .stdin_open = flags & REMOTE_STDIN, .status = -1, .sigfd = -1 };
	char cwd[4096];
	sigset_t mask;
	int fd, rc;

	if (deadline_ms > 0)
		r.deadline = mono_ns() + (int64_t)deadline_ms * 1000000;
	fd = broker_connect(labdir, timeout_ms);
	if (fd < 0)
		return -1;
	chan_init(&r.ch, fd);
	if (!getcwd(cwd, sizeof(cwd)))
		strcpy(cwd, "/");
	o.cwd = cwd;
	o.argv = (char **)argv;
	r.tty = (flags & REMOTE_TTY) && isatty(0) && isatty(1);
	if (r.tty) {
		struct winsize ws;

		o.flags |= CHAN_OPEN_TTY;
		if (ioctl(0, TIOCGWINSZ, &ws) == 0) {
			o.rows = ws.ws_row;
			o.cols = ws.ws_col;
		}
	}
	chan_put_open(&r.ch, 0, &o);
	if (!r.stdin_open)
		chan_put(&r.ch, CHAN_STDIN_EOF, 0, NULL, 0);

	/* Signals become frames; the command inside decides what they do. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	r.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	tty_raw(&r);
	rc = relay_loop(&r);
	tty_restore(&r);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
	if (r.sigfd >= 0)
		close(r.sigfd);
	chan_free(&r.ch);
	if (rc < 0)
		return -1;
	if (WIFEXITED(r.status))
		return WEXITSTATUS(r.status);
	return 128 + WTERMSIG(r.status);
}

int remote_halt(const char *labdir)
{
	struct chan ch;
	int fd = broker_connect(labdir, 2000);

	if (fd < 0)
		return -1;
	chan_init(&ch, fd);
	chan_put(&ch, CHAN_HALT, 0, NULL, 0);
	if (chan_drain(&ch, 2000) < 0) {
		chan_free(&ch);
		return -1;
	}
	chan_free(&ch);
	return 0;
}

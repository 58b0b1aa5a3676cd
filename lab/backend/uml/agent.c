/*
 * agent.c - PID 1 inside a lab's user-mode Linux kernel.
 *
 * It turns the host's read-only root into a writable-but-throwaway root
 * (an overlay with a tmpfs on top), makes the lab's run directory the
 * host's own again, loads the kernel modules the lab needs, and then serves
 * the serial line: each CHAN_OPEN runs one ikelab command, whose output,
 * exit status and signals travel as frames (chan.h).
 */
#include "backend/uml/agent.h"
#include "backend/uml/chan.h"
#include "backend/uml/residue.h"
#include "kernel/netns.h"
#include "base/file.h"
#include "base/err.h"
#include "backend/uml/uml.h"
#include "base/spawn.h"
#include "base/util.h"
#include "backend/uml/warm.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <libkmod.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define SERIAL "/dev/ttyS1"
#define HOSTFS_MAGIC 0x00c0ffee
/* The overlay's layers, on the tmpfs the agent mounts at the guest's own
 * /tmp before anything else runs (no other user exists in the guest). */
#define NEWROOT "/tmp/.ikelab/root"
#define UPPER "/tmp/.ikelab/upper"
#define WORK "/tmp/.ikelab/work"
#define MAX_SESSIONS 64
#define DRAIN_MS 300 /* output a command's children may still write */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ikelab agent: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

static int mnt(const char *src, const char *dst, const char *type, unsigned long flags,
	       const char *data)
{
	if (dir_mountpoint(dst) < 0)
		return -1;
	if (mount(src, dst, type, flags, data) < 0)
		return err_sys("mount %s on %s (%s)", src ? src : type, dst, type ? type : "bind");
	return 0;
}

static int insmod_path(const char *path)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);
	struct kmod_module *m;
	int r;

	if (!ctx)
		return err_set("kmod_new failed");
	r = kmod_module_new_from_path(ctx, path, &m);
	if (r == 0) {
		r = kmod_module_insert_module(m, 0, NULL);
		kmod_module_unref(m);
	}
	kmod_unref(ctx);
	if (r < 0 && r != -EEXIST)
		return err_set("insmod %s: %s", path, strerror(-r));
	return 0;
}

static int upper_fd = -1; /* the overlay's upper layer, out of sight after the chroot */

/* The overlay keeps every write inside UML in memory, so the host's files
 * are never touched, and /lib/modules can point at UML's modules. */
static int make_root(const char *release)
{
	char *ko = xasprintf("%s/%s/kernel/fs/overlayfs/overlay.ko", UML_MODULES_BASE, release);
	int r = insmod_path(ko);

	free(ko);
	if (r < 0)
		return -1;
	if (mnt("tmpfs", "/tmp", "tmpfs", 0, "mode=0755") < 0 || mkdir_p(UPPER, 0755) < 0 ||
	    mkdir_p(WORK, 0755) < 0 ||
	    mnt("overlay", NEWROOT, "overlay", 0, "lowerdir=/,upperdir=" UPPER ",workdir=" WORK) <
		    0)
		return -1;
	/* Kept for residue.h: what runs write into the root shows here. */
	upper_fd = open(UPPER, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (mount("/dev", NEWROOT "/dev", NULL, MS_MOVE, NULL) < 0 ||
	    mount("/proc", NEWROOT "/proc", NULL, MS_MOVE, NULL) < 0 ||
	    mount("/sys", NEWROOT "/sys", NULL, MS_MOVE, NULL) < 0)
		return err_sys("move /dev, /proc, /sys into the new root");
	if (chdir(NEWROOT) < 0 || mount(NEWROOT, "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0)
		return err_sys("switch to the overlay root");
	return 0;
}

static int share_dir(const char *path);

/* Writable host directories, at the same paths as on the host. */
int agent_share_dir(const char *path)
{
	struct statfs fs;

	/* Already the host's (the run directory, or shared before). */
	if (statfs(path, &fs) == 0 && fs.f_type == HOSTFS_MAGIC)
		return 0;
	return share_dir(path);
}

static int share_dir(const char *path)
{
	char opts[PATH_MAX + 8];

	snprintf(opts, sizeof(opts), "%s", path);
	if (dir_mountpoint(path) < 0)
		return -1;
	if (mount("none", path, "hostfs", 0, opts) < 0)
		return err_sys("mount host directory %s", path);
	return 0;
}

/* /tmp stays the overlay's: the host's files there (a source tree cloned
 * into /tmp, say) remain visible, and writes stay in memory. /run gets a
 * fresh tmpfs: the lab's namespaces inside are not the host's. */
static int setup_mounts(int ndirs, char **dirs)
{
	if (mnt("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0 ||
	    mnt("devpts", "/dev/pts", "devpts", 0, "newinstance,ptmxmode=0666") < 0 ||
	    mnt("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777") < 0)
		return -1;
	for (int i = 0; i < ndirs; i++)
		if (share_dir(dirs[i]) < 0)
			return -1;
	return 0;
}

/* What the first lab would otherwise leave to the next, made at boot as a
 * host has it: /run/netns a shared mount point (netns.h), and the lock
 * file iptables creates on first use (the fault wire's). */
static int lab_ready(void)
{
	int fd;

	if (netns_dir_prepare() < 0)
		return -1;
	fd = file_create("/run/xtables.lock", 0600, FILE_NEW);
	if (fd < 0 && errno != EEXIST)
		return -1;
	if (fd >= 0)
		close(fd);
	err_clear();
	return 0;
}

/* The overlay's upper layer, read-only at RESIDUE_UPPER, and the kernel's
 * state as booted: what a reused kernel is compared with (residue.h). A
 * kernel where this fails still runs; its runs are not compared. */
static void residue_setup(const char *labdir)
{
	char src[32];

	snprintf(src, sizeof(src), "/proc/self/fd/%d", upper_fd);
	if (upper_fd < 0 || lab_ready() < 0 || mkdir_p(RESIDUE_DIR, 0700) < 0 ||
	    dir_mountpoint(RESIDUE_UPPER) < 0 ||
	    mount(src, RESIDUE_UPPER, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, RESIDUE_UPPER, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0 ||
	    residue_baseline(labdir) < 0)
		say("no baseline for reuse: %s", err_msg()[0] ? err_msg() : strerror(errno));
	err_clear();
	if (upper_fd >= 0)
		close(upper_fd);
	upper_fd = -1;
}

/* The kernel's own module requests exec /sbin/modprobe, which looks in
 * /lib/modules/RELEASE: point it at the UML package's modules. */
static int setup_modules(const char *release)
{
	char *dir = xasprintf("/lib/modules/%s", release);
	char *target = xasprintf("%s/%s", UML_MODULES_BASE, release);
	int r = 0;

	if (mkdir_p("/lib/modules", 0755) < 0 || (file_symlink(target, dir) < 0 && errno != EEXIST))
		r = -1;
	else
		err_clear();
	free(dir);
	free(target);
	return r;
}

/* hostfs shows the host's owners: the run directory and --out folders
 * belong to the host user who runs the kernel, root or not. The host's
 * controller checked them (base/file.h); in here, with no other users,
 * that user's directories are ours, for the agent and the commands it
 * runs (cmd/main.c reads IKELAB_HOST_UID). */
static void host_user(const char *labdir)
{
	struct stat st;
	char uid[16];

	if (stat(labdir, &st) < 0)
		return;
	file_trust_uid(st.st_uid);
	snprintf(uid, sizeof(uid), "%u", (unsigned)st.st_uid);
	setenv("IKELAB_HOST_UID", uid, 1);
}

/* Before any command runs: see warm.h. */
static int warm_up(const char *labdir)
{
	struct warm_stats st;
	bool cold = getenv("IKELAB_UML_COLD") != NULL;

	if (warm_kernel(labdir, cold, &st) < 0)
		return -1;
	say("%s%d modules in %.0f ms, %d ESP transforms in %.0f ms (%d, %d failed)",
	    cold ? "cold kernel (IKELAB_UML_COLD): " : "", st.modules, st.modules_ms, st.transforms,
	    st.transforms_ms, st.modules_failed, st.transforms_failed);
	return 0;
}

/* ---- sessions ---------------------------------------------------------- */

struct session {
	uint32_t id;
	pid_t pid;
	int in, out, err;  /* our ends; -1 once closed */
	struct strbuf inq; /* stdin not yet written */
	bool in_eof;
	bool detached; /* client gone: discard output */
	bool exited;
	int status;
	int64_t exit_ns;
};

struct agent {
	struct chan serial;
	int sigfd;
	struct session *s[MAX_SESSIONS];
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* What spawn_start does not do for a session's child; it runs there
 * between fork and exec, so async-signal-safe calls only. */
struct session_child {
	int tty;           /* the pty's slave (now stdio too), or -1 */
	struct winsize ws; /* the client's terminal, if it said */
	const char *cwd;   /* the client's directory; "/" when missing here */
};

static int session_child_setup(void *ctx)
{
	const struct session_child *k = ctx;
	sigset_t none;

	/* The agent blocks SIGCHLD for its signalfd; commands start clean. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (k->tty >= 0) {
		/* Its own session (spawn's setsid) takes the pty as its
		 * controlling terminal. */
		ioctl(k->tty, TIOCSCTTY, 0);
		if (k->ws.ws_row && k->ws.ws_col)
			ioctl(k->tty, TIOCSWINSZ, &k->ws);
	}
	/* The client's directory may not exist in here; with neither, the
	 * child exits with status 126 (spawn's for a failed hook). */
	if (chdir(k->cwd) < 0 && chdir("/") < 0)
		return 1;
	return 0;
}

/*
 * The session's command: ikelab itself, with the client's arguments, in a
 * session of its own, stdio on the session's pipes or pty. TERM=xterm for a
 * terminal goes into our own environment around the fork (this process has
 * no threads; the child may not call setenv), and back to what it was.
 */
static int session_spawn(const struct chan_open *o, int in, int out, int err, int tty, pid_t *pid)
{
	struct session_child k = { .tty = tty,
				   .cwd = o->cwd,
				   .ws = { .ws_row = o->rows, .ws_col = o->cols } };
	struct spawn_opts so = { .io = { SPAWN_FD, SPAWN_FD, SPAWN_FD },
				 .fd = { in, out, err },
				 .new_session = true,
				 .before_exec = session_child_setup,
				 .ctx = &k };
	char *term = getenv("TERM") ? xstrdup(getenv("TERM")) : NULL;
	struct argv argv = { 0 };
	struct spawn_proc p;
	int r;

	argv_add(&argv, self_exe());
	argv_addv(&argv, o->argv);
	if (tty >= 0)
		setenv("TERM", "xterm", 1);
	r = spawn_start(&p, argv.v, &so);
	if (tty >= 0 && term)
		setenv("TERM", term, 1);
	else if (tty >= 0)
		unsetenv("TERM");
	free(term);
	argv_free(&argv);
	if (r < 0)
		return -1;
	*pid = p.pid;
	/* reap() waits for it (PID 1 reaps every process): the proc is
	 * released without a kill or a wait. */
	p.reaped = true;
	spawn_proc_free(&p);
	return 0;
}

static int open_pty(int *master, int *slave)
{
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0 || grantpt(*master) < 0 || unlockpt(*master) < 0)
		return err_sys("open a pseudo-terminal");
	*slave = open(ptsname(*master), O_RDWR | O_NOCTTY);
	if (*slave < 0)
		return err_sys("open %s", ptsname(*master));
	return 0;
}

static void close_pair(int p[2])
{
	close_fd(&p[0]);
	close_fd(&p[1]);
}

static int session_start(struct agent *a, uint32_t id, const struct chan_open *o)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 }, master = -1, slave = -1;
	struct session *s;
	int slot = -1, r;
	pid_t pid;

	for (int i = 0; i < MAX_SESSIONS && slot < 0; i++)
		if (!a->s[i])
			slot = i;
	if (slot < 0)
		return err_set("too many sessions");
	if (o->flags & CHAN_OPEN_TTY) {
		r = open_pty(&master, &slave);
		if (r == 0)
			r = session_spawn(o, slave, slave, slave, slave, &pid);
	} else if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
		   pipe2(er, O_CLOEXEC) < 0) {
		r = err_sys("pipe");
	} else {
		r = session_spawn(o, in[0], out[1], er[1], -1, &pid);
	}
	if (r < 0) {
		close_fd(&master);
		close_fd(&slave);
		close_pair(in);
		close_pair(out);
		close_pair(er);
		return -1;
	}
	s = xcalloc(1, sizeof(*s));
	s->id = id;
	s->pid = pid;
	if (master >= 0) {
		close(slave);
		s->in = master;
		s->out = dup(master);
		s->err = -1;
	} else {
		close(in[0]);
		close(out[1]);
		close(er[1]);
		s->in = in[1];
		s->out = out[0];
		s->err = er[0];
	}
	fcntl(s->in, F_SETFL, O_NONBLOCK);
	a->s[slot] = s;
	return 0;
}

static struct session *session_find(struct agent *a, uint32_t id)
{
	for (int i = 0; i < MAX_SESSIONS; i++)
		if (a->s[i] && a->s[i]->id == id)
			return a->s[i];
	return NULL;
}

static void halt_now(void)
{
	say("powering off");
	kill(-1, SIGTERM);
	for (int i = 0; i < 40 && waitpid(-1, NULL, WNOHANG) >= 0; i++)
		sleep_ms(50);
	kill(-1, SIGKILL);
	sync();
	reboot(RB_POWER_OFF);
	_exit(0);
}

static void handle_frame(struct agent *a, const struct chan_frame *f)
{
	struct session *s = session_find(a, f->session);
	struct chan_open o;

	switch (f->type) {
	case CHAN_OPEN:
		if (chan_parse_open(f, &o) < 0 || session_start(a, f->session, &o) < 0) {
			const char *m = err_msg();

			chan_put(&a->serial, CHAN_ERROR, f->session, m, strlen(m));
		}
		chan_open_free(&o);
		break;
	case CHAN_STDIN:
		if (s && s->in >= 0)
			sb_add(&s->inq, f->data, f->len);
		break;
	case CHAN_STDIN_EOF:
		if (s)
			s->in_eof = true;
		break;
	case CHAN_SIGNAL:
		if (s && !s->exited && f->len == 4)
			kill(-s->pid, (int)chan_u32(f->data));
		break;
	case CHAN_WINCH:
		if (s && s->in >= 0 && f->len == 4) {
			struct winsize ws = {
				.ws_row = (unsigned short)(f->data[0] << 8 | f->data[1]),
				.ws_col = (unsigned short)(f->data[2] << 8 | f->data[3])
			};

			ioctl(s->in, TIOCSWINSZ, &ws);
		}
		break;
	case CHAN_CLOSE:
		if (s) {
			s->detached = true;
			if (!s->exited)
				kill(-s->pid, SIGHUP);
		}
		break;
	case CHAN_HALT:
		chan_drain(&a->serial, 1000);
		halt_now();
		break;
	default:
		break;
	}
}

static void pump_output(struct agent *a, struct session *s, int *fd, uint8_t type)
{
	uint8_t buf[32768];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n > 0) {
		if (!s->detached)
			chan_put(&a->serial, type, s->id, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	/* EOF, or EIO from a pty whose last user left. */
	if (s->in == *fd)
		s->in = -1;
	close_fd(fd);
}

static void pump_input(struct session *s)
{
	while (s->in >= 0 && s->inq.len > 0) {
		ssize_t n = write(s->in, s->inq.buf, s->inq.len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			s->inq.len = 0;
			break;
		}
		memmove(s->inq.buf, s->inq.buf + n, s->inq.len - (size_t)n);
		s->inq.len -= (size_t)n;
	}
	/* A pty's master stays open: it carries the output too. */
	if (s->in_eof && s->inq.len == 0 && s->in >= 0 && s->in != s->out && s->err >= 0)
		close_fd(&s->in);
}

static void session_finish(struct agent *a, int i)
{
	struct session *s = a->s[i];
	uint8_t st[4];

	if (!s->detached) {
		chan_put_u32(st, (uint32_t)s->status);
		chan_put(&a->serial, CHAN_EXIT, s->id, st, sizeof(st));
	}
	if (s->in == s->out)
		s->in = -1;
	close_fd(&s->in);
	close_fd(&s->out);
	close_fd(&s->err);
	sb_free(&s->inq);
	free(s);
	a->s[i] = NULL;
}

static void reap(struct agent *a)
{
	struct signalfd_siginfo si;
	int status;
	pid_t pid;

	while (read(a->sigfd, &si, sizeof(si)) == sizeof(si))
		;
	/* PID 1 reaps everything: charons whose `up` exited, and so on. */
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (int i = 0; i < MAX_SESSIONS; i++)
			if (a->s[i] && a->s[i]->pid == pid) {
				a->s[i]->exited = true;
				a->s[i]->status = status;
				a->s[i]->exit_ns = mono_ns();
			}
}

static void agent_loop(struct agent *a)
{
	for (;;) {
		struct pollfd p[2 + 3 * MAX_SESSIONS];
		int map[2 + 3 * MAX_SESSIONS][2];
		struct chan_frame f;
		int n = 2, r;

		p[0] = (struct pollfd){ a->serial.fd,
					POLLIN | (chan_pending(&a->serial) ? POLLOUT : 0), 0 };
		p[1] = (struct pollfd){ a->sigfd, POLLIN, 0 };
		for (int i = 0; i < MAX_SESSIONS; i++) {
			struct session *s = a->s[i];

			if (!s)
				continue;
			if (s->out >= 0) {
				map[n][0] = i, map[n][1] = 1;
				p[n++] = (struct pollfd){ s->out, POLLIN, 0 };
			}
			if (s->err >= 0) {
				map[n][0] = i, map[n][1] = 2;
				p[n++] = (struct pollfd){ s->err, POLLIN, 0 };
			}
			if (s->in >= 0 && s->inq.len && s->in != s->out) {
				map[n][0] = i, map[n][1] = 0;
				p[n++] = (struct pollfd){ s->in, POLLOUT, 0 };
			}
		}
		if (poll(p, (nfds_t)n, 100) < 0 && errno != EINTR)
			continue;
		if (p[1].revents)
			reap(a);
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (chan_fill(&a->serial) < 0)
				say("%s", err_msg());
			while ((r = chan_next(&a->serial, &f)) > 0)
				handle_frame(a, &f);
			if (r < 0)
				say("%s", err_msg());
		}
		for (int k = 2; k < n; k++) {
			struct session *s = a->s[map[k][0]];

			if (!s || !p[k].revents)
				continue;
			if (map[k][1] == 1 && s->out >= 0)
				pump_output(a, s, &s->out, CHAN_STDOUT);
			else if (map[k][1] == 2 && s->err >= 0)
				pump_output(a, s, &s->err, CHAN_STDERR);
		}
		for (int i = 0; i < MAX_SESSIONS; i++) {
			struct session *s = a->s[i];

			if (!s)
				continue;
			pump_input(s);
			if (s->exited && ((s->out < 0 && s->err < 0) ||
					  mono_ns() - s->exit_ns > DRAIN_MS * 1000000LL))
				session_finish(a, i);
		}
		chan_flush(&a->serial);
	}
}

static int open_serial(void)
{
	struct termios t;
	int fd = open(SERIAL, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return err_sys("open %s", SERIAL);
	/* Frames are binary: no echo, no line editing, no CR/LF mangling. */
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

int agent_main(int argc, char **argv)
{
	struct agent a = { 0 };
	bool trace_on;
	struct utsname u;
	char base[PATH_MAX];
	sigset_t mask;
	int fd, ndirs = 0;

	if (getpid() != 1 || argc < 3) {
		fprintf(stderr, "ikelab: uml-init is PID 1 inside a lab's user-mode Linux kernel, "
				"started by that kernel as init; it is not run by hand\n");
		return 2;
	}
	/* UML appends its own parameters (root=98:0) after ours: the
	 * directories we passed are the absolute paths. */
	for (int i = 2; i < argc; i++)
		if (argv[i][0] == '/')
			argv[ndirs++ + 2] = argv[i];
	uname(&u);
	if (mnt("proc", "/proc", "proc", 0, NULL) < 0 ||
	    mnt("sysfs", "/sys", "sysfs", 0, NULL) < 0 || make_root(u.release) < 0 ||
	    setup_mounts(ndirs, argv + 2) < 0 || setup_modules(u.release) < 0 ||
	    warm_up(argv[2]) < 0 || (fd = open_serial()) < 0) {
		say("boot failed: %s", err_msg());
		reboot(RB_POWER_OFF);
		return 1;
	}
	residue_setup(argv[2]);
	snprintf(base, sizeof(base), "%s", argv[2]);
	trace_on = getenv("IKELAB_TRACE") != NULL;
	clearenv();
	host_user(base);
	if (trace_on)
		setenv("IKELAB_TRACE", "1", 1);
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", "/root", 1);
	setenv("TERM", "dumb", 1);
	setenv("IKELAB_INSIDE_UML", "1", 1);
	setenv("IKELAB_RUN", dirname(base), 1);
	sethostname("ikelab", 6);

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	a.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);
	chan_init(&a.serial, fd);
	chan_put(&a.serial, CHAN_HELLO, 0, u.release, strlen(u.release));
	say("ready (kernel %s)", u.release);
	agent_loop(&a);
	return 0;
}

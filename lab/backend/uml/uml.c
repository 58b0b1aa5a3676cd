/*
 * uml.c - host side of the user-mode Linux backend: finding the kernel,
 * booting it under a broker, and taking it down. It is over 800 lines
 * since the kernels kept for a nightly's lab slots (uml_pool_run) came:
 * the broker's loop is the part to move to a file of its own next.
 */
#include "backend/uml/uml.h"
#include "backend/uml/chan.h"
#include "backend/uml/jail.h"
#include "backend/uml/umlproc.h"
#include "base/err.h"
#include "base/home.h"
#include "base/json.h"
#include "backend/uml/remote.h"
#include "backend/state.h"
#include "base/spawn.h"
#include "base/util.h"

#include <cpuid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define BOOT_TIMEOUT_MS 60000 /* kernel up and agent answering */
#define HALT_TIMEOUT_MS 15000
#define DOWN_INNER_MS 20000 /* down inside: its lock wait, charons stopped */
#define UML_MEM "512M"
#define UML_MEM_DIR "mem" /* in the run directory: TMPDIR of the kernel */
#define MAX_CLIENTS 64

const char *uml_kernel(void)
{
	const char *k = getenv("IKELAB_UML");

	if (!k || !*k)
		k = UML_KERNEL_DEFAULT;
	if (access(k, X_OK) < 0) {
		err_sys("user-mode Linux kernel %s", k);
		err_wrap("install Debian's user-mode-linux package (make deps) or set IKELAB_UML");
		return NULL;
	}
	return k;
}

char *uml_modules_release(void)
{
	DIR *d = opendir(UML_MODULES_BASE);
	char *found = NULL;
	struct dirent *e;

	if (!d)
		return NULL;
	/* Debian ships exactly one release per package version; the kernel
	 * itself confirms it at boot (uname -r inside). */
	while ((e = readdir(d)))
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9') {
			free(found);
			found = xstrdup(e->d_name);
		}
	closedir(d);
	return found;
}

bool uml_needs_fpfix(void)
{
	unsigned a, b, c, d;

	/* UML 6.1 restores 832 bytes of XSAVE state; anything bigger
	 * (AVX-512, AMX) makes the host refuse. */
	if (!__get_cpuid_count(0xd, 0, &a, &b, &c, &d))
		return false;
	return c > 832;
}

/* The mark of a UML lab lives where the guest cannot remove it. */
bool uml_is_lab(const char *labdir)
{
	char *path = umlproc_host_file(labdir, "uml.json");
	struct stat st;
	bool r = lstat(path, &st) == 0 && S_ISREG(st.st_mode);

	free(path);
	return r;
}

/* ---- the broker -------------------------------------------------------- */

struct client {
	struct chan ch;
	uint32_t session;
	bool closing; /* flush what is queued, then close */
};

struct broker {
	const char *labdir;
	struct chan serial;
	int listen_fd;
	int sigfd;
	pid_t uml;
	bool ready;
	bool halting;
	int64_t boot_deadline, halt_deadline;
	struct client *clients[MAX_CLIENTS];
	uint32_t next_session;
};

static void client_drop(struct broker *b, int i, bool tell_agent)
{
	struct client *c = b->clients[i];

	if (tell_agent)
		chan_put(&b->serial, CHAN_CLOSE, c->session, NULL, 0);
	chan_free(&c->ch);
	free(c);
	b->clients[i] = NULL;
}

static struct client *client_by_session(struct broker *b, uint32_t session)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (b->clients[i] && b->clients[i]->session == session)
			return b->clients[i];
	return NULL;
}

static void broker_accept(struct broker *b)
{
	int fd = accept4(b->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (!broker_peer_allowed(fd)) {
		close(fd);
		return;
	}
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (b->clients[i])
			continue;
		b->clients[i] = xcalloc(1, sizeof(struct client));
		chan_init(&b->clients[i]->ch, fd);
		b->clients[i]->session = ++b->next_session;
		return;
	}
	close(fd);
}

/* Frames from a client go to the agent under the client's session. */
static void broker_from_client(struct broker *b, int i)
{
	struct client *c = b->clients[i];
	struct chan_frame f;
	int n;

	if (chan_fill(&c->ch) < 0) {
		client_drop(b, i, true);
		return;
	}
	while ((n = chan_next(&c->ch, &f)) > 0) {
		if (f.type == CHAN_HALT) {
			b->halting = true;
			b->halt_deadline = mono_ns() + (int64_t)HALT_TIMEOUT_MS * 1000000;
		}
		chan_put(&b->serial, f.type, c->session, f.data, f.len);
	}
	if (n < 0 || c->ch.eof)
		client_drop(b, i, true);
}

static void broker_from_agent(struct broker *b)
{
	struct chan_frame f;
	int n;

	if (chan_fill(&b->serial) < 0)
		return;
	while ((n = chan_next(&b->serial, &f)) > 0) {
		struct client *c;

		if (f.type == CHAN_HELLO) {
			b->ready = true;
			fprintf(stderr, "ikelab broker: agent up, kernel %.*s\n", (int)f.len,
				f.data);
			continue;
		}
		c = client_by_session(b, f.session);
		if (!c)
			continue;
		chan_put(&c->ch, f.type, 0, f.data, f.len);
		if (f.type == CHAN_EXIT)
			c->closing = true;
	}
	if (n < 0)
		fprintf(stderr, "ikelab broker: %s\n", err_msg());
}

static void broker_tell_all(struct broker *b, const char *msg)
{
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (!b->clients[i])
			continue;
		chan_put(&b->clients[i]->ch, CHAN_ERROR, 0, msg, strlen(msg));
		chan_drain(&b->clients[i]->ch, 500);
		client_drop(b, i, false);
	}
}

static bool broker_reap(struct broker *b, int *uml_status)
{
	struct signalfd_siginfo si;
	bool uml_gone = false;
	int status;
	pid_t pid;

	while (read(b->sigfd, &si, sizeof(si)) == sizeof(si))
		;
	/* As subreaper we also collect UML's orphaned helpers. */
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (pid == b->uml) {
			uml_gone = true;
			*uml_status = status;
		}
	return uml_gone;
}

static int broker_poll(struct broker *b)
{
	struct pollfd p[3 + MAX_CLIENTS];
	int idx[MAX_CLIENTS], n = 3;
	/* While booting or halting, wake up to check the deadlines. */
	int wait_ms = (!b->ready || b->halting) ? 100 : -1;

	p[0] = (struct pollfd){ b->sigfd, POLLIN, 0 };
	p[1] = (struct pollfd){ b->serial.fd, POLLIN | (chan_pending(&b->serial) ? POLLOUT : 0),
				0 };
	/* Clients wait in the backlog until the agent is up. */
	p[2] = (struct pollfd){ b->ready ? b->listen_fd : -1, POLLIN, 0 };
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = b->clients[i];

		idx[i] = -1;
		if (!c)
			continue;
		idx[i] = n;
		p[n++] = (struct pollfd){ c->ch.fd,
					  (c->closing ? 0 : POLLIN) |
						  (chan_pending(&c->ch) ? POLLOUT : 0),
					  0 };
	}
	if (poll(p, (nfds_t)n, wait_ms) < 0 && errno != EINTR)
		return err_sys("poll");
	if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
		broker_from_agent(b);
	if (p[2].revents & POLLIN)
		broker_accept(b);
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (idx[i] < 0 || !b->clients[i])
			continue;
		if (p[idx[i]].revents & (POLLIN | POLLHUP | POLLERR) && !b->clients[i]->closing)
			broker_from_client(b, i);
		if (!b->clients[i])
			continue;
		if (chan_flush(&b->clients[i]->ch) < 0 ||
		    (b->clients[i]->closing && !chan_pending(&b->clients[i]->ch)))
			client_drop(b, i, false);
	}
	chan_flush(&b->serial);
	return 0;
}

/* Only while the kernel is not reaped: until then its pid, and so the
 * group id it leads, cannot be reused, and the group is the kernel's. */
static void kill_group(pid_t pgid)
{
	if (pgid > 1)
		kill(-pgid, SIGKILL);
}

static int broker_loop(struct broker *b)
{
	int status = 0;

	for (;;) {
		if (broker_poll(b) < 0)
			break;
		if (broker_reap(b, &status))
			break;
		if (!b->ready && mono_ns() > b->boot_deadline) {
			broker_tell_all(b, "user-mode Linux did not start its agent in time");
			fprintf(stderr, "ikelab broker: no agent after %d ms, killing the kernel\n",
				BOOT_TIMEOUT_MS);
			kill_group(b->uml);
		}
		if (b->halting && mono_ns() > b->halt_deadline) {
			fprintf(stderr, "ikelab broker: kernel did not power off, killing it\n");
			kill_group(b->uml);
		}
	}
	if (WIFSIGNALED(status))
		fprintf(stderr, "ikelab broker: user-mode Linux killed by signal %d\n",
			WTERMSIG(status));
	else
		fprintf(stderr, "ikelab broker: user-mode Linux exited with status %d\n",
			WEXITSTATUS(status));
	{
		char *msg = xasprintf(
			"user-mode Linux of this lab stopped; its console log is %s/" JAIL_HOST_DIR
			"/uml.log",
			b->labdir);

		broker_tell_all(b, msg);
		free(msg);
	}
	/* Helpers of the kernel that outlived it share its process group. */
	umlproc_kill_orphans(b->uml);
	while (waitpid(-1, NULL, 0) > 0)
		;
	return 0;
}

static char **boot_argv(const char *kernel, const char *labdir, const char *name, int logfd,
			int serialfd, const char *const rw_dirs[])
{
	char **argv = xcalloc(32, sizeof(char *));
	int n = 0;

	argv[n++] = xstrdup(kernel);
	argv[n++] = xstrdup("mem=" UML_MEM);
	argv[n++] = xasprintf("umid=ikelab-%s", name);
	argv[n++] = xasprintf("uml_dir=%s/uml", labdir);
	argv[n++] = xstrdup("rootfstype=hostfs");
	argv[n++] = xstrdup("rootflags=/");
	argv[n++] = xstrdup("ro");
	/* Two built-ins that cost a lab's boot more than half of its kernel
	 * time and that no lab uses: Debian's kernel times four RAID6
	 * syndrome routines at boot (0.8 s at HZ=100) for btrfs and md
	 * RAID6, and makes 256 legacy BSD ptys (0.3 s) where sessions use
	 * /dev/pts. The kernel reaches init in 0.2 s instead of 1.3. A lab
	 * that used btrfs RAID5/6 or md RAID456 would crash this kernel: the
	 * RAID6 routine stays unchosen. */
	argv[n++] = xstrdup("initcall_blacklist=raid6_select_algo");
	argv[n++] = xstrdup("pty.legacy_count=0");
	argv[n++] = xstrdup("con=null");
	argv[n++] = xasprintf("con0=null,fd:%d", logfd);
	argv[n++] = xstrdup("ssl=null");
	argv[n++] = xasprintf("ssl1=fd:%d", serialfd);
	/* IKELAB_UML_INNER: the binary PID 1 and the commands inside run.
	 * A sanitizer build cannot run under UML (its shadow memory does not
	 * fit UML's address space), so tests with one name a plain build. */
	argv[n++] = xasprintf("init=%s", getenv("IKELAB_UML_INNER") && *getenv("IKELAB_UML_INNER")
						 ? getenv("IKELAB_UML_INNER")
						 : self_exe());
	/* The kernel hands NAME=VALUE parameters to init as environment. */
	if (getenv("IKELAB_TRACE"))
		argv[n++] = xstrdup("IKELAB_TRACE=1");
	if (getenv("IKELAB_UML_COLD"))
		argv[n++] = xstrdup("IKELAB_UML_COLD=1");
	argv[n++] = xstrdup("--");
	argv[n++] = xstrdup("uml-init");
	argv[n++] = xstrdup(labdir);
	for (int i = 0; rw_dirs && rw_dirs[i] && n < 30; i++)
		argv[n++] = xstrdup(rw_dirs[i]);
	return argv;
}

static char *fpfix_path(void)
{
	return home_helper("uml-fpfix.so");
}

/* The environment the kernel execs with, set here in the broker (a
 * process of its own that execs nothing else) before the fork, since the
 * child may not call setenv. NULL, or why the kernel cannot start
 * (allocated). */
static char *uml_child_env(const char *labdir)
{
	bool needs = uml_needs_fpfix();
	char *shim = needs ? fpfix_path() : NULL, *missing = NULL;

	if (needs && !shim)
		missing = xasprintf("ikelab: %s; this CPU needs the uml-fpfix shim\n", err_msg());
	else if (shim && !path_exists(shim))
		missing = xasprintf("ikelab: %s is missing (run make); this CPU needs it\n", shim);
	else if (shim)
		setenv("LD_PRELOAD", shim, 1);
	free(shim);
	/* UML keeps its memory in a file under TMPDIR (unlinked as soon as
	 * it is made): in the jail only the run directory is writable, and
	 * down removes it with the rest. */
	{
		char *tmp = xasprintf("%s/" UML_MEM_DIR, labdir);

		setenv("TMPDIR", tmp, 1);
		free(tmp);
	}
	return missing;
}

/* The kernel's process: in a process group of its own (its helpers join
 * it), killed with the broker, holding the serial line and its log across
 * exec, and in a mount namespace where RUNDIR/host is read-only (jail.h).
 * Async-signal-safe calls only. */
struct uml_start {
	int go[2];
	int logfd, serialfd;
	const char *labdir;
	char *hostdir; /* RUNDIR/host */
	char *exe;     /* the kernel binary, resolved: what down checks */
	bool jailed;   /* not IKELAB_UML_UNJAILED */
};

static void write_str(int fd, const char *s)
{
	(void)!write(fd, s, strlen(s));
}

static int uml_before_exec(void *ctx)
{
	struct uml_start *u = ctx;
	char go;

	setpgid(0, 0);
	/* If the broker dies, the kernel goes with it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (read(u->go[0], &go, 1) != 1)
		return 1;
	if (u->jailed && (jail_protect(u->hostdir) != 0 || jail_restrict() != 0)) {
		write_str(u->logfd, "ikelab: cannot jail user-mode Linux (unshare, mount, "
				    "capability bounding set or seccomp failed)\n");
		return 1;
	}
	fcntl(u->logfd, F_SETFD, 0);
	fcntl(u->serialfd, F_SETFD, 0);
	return 0;
}

/* The kernel execs only once uml.json names it, with the binary down
 * checks it against, so that `down` finds it and its process group even if
 * the broker dies the next moment. */
static int uml_after_fork(pid_t pid, void *ctx)
{
	struct uml_start *u = ctx;
	struct proc_id id;

	setpgid(pid, pid);
	if (proc_id_of(pid, &id) < 0 ||
	    umlproc_json_update(u->labdir, "uml", umlproc_kernel_json(&id, u->exe)) < 0)
		return -1;
	if (write(u->go[1], "g", 1) != 1)
		return err_sys("let the kernel go");
	return 0;
}

static int broker_start_uml(struct broker *b, const char *name, const char *const rw_dirs[])
{
	const char *kernel = uml_kernel();
	char *log = umlproc_host_file(b->labdir, "uml.log");
	struct uml_start u = { .go = { -1, -1 },
			       .labdir = b->labdir,
			       .hostdir = xasprintf("%s/" JAIL_HOST_DIR, b->labdir),
			       .exe = kernel ? realpath(kernel, NULL) : NULL,
			       .jailed = !jail_disabled() };
	struct spawn_opts o = { .io = { SPAWN_NULL, SPAWN_FD, SPAWN_FD },
				.keep_fds = true,
				.before_exec = uml_before_exec,
				.after_fork = uml_after_fork,
				.ctx = &u };
	struct spawn_proc p;
	char **argv, *missing;
	int sp[2], r;

	u.logfd = file_create(log, 0644, FILE_APPEND);
	free(log);
	if (!kernel || !u.exe || u.logfd < 0) {
		if (kernel)
			err_sys("user-mode Linux kernel %s, or its console log", kernel);
		free(u.hostdir);
		free(u.exe);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0 ||
	    pipe2(u.go, O_CLOEXEC) < 0)
		return err_sys("socketpair");
	dup2(u.logfd, 2);
	missing = uml_child_env(b->labdir);
	if (missing) {
		(void)!write(u.logfd, missing, strlen(missing));
		return err_set("%s", missing);
	}
	u.serialfd = sp[1];
	o.fd[1] = o.fd[2] = u.logfd;
	argv = boot_argv(kernel, b->labdir, name, u.logfd, sp[1], rw_dirs);
	r = spawn_start(&p, argv, &o);
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
	close(u.go[0]);
	close(u.go[1]);
	close(sp[1]);
	close(u.logfd);
	free(u.hostdir);
	free(u.exe);
	if (r < 0) {
		close(sp[0]);
		return -1;
	}
	/* The broker reaps the kernel itself (its SIGCHLD loop). */
	b->uml = p.pid;
	p.reaped = true;
	spawn_proc_free(&p);
	chan_init(&b->serial, sp[0]);
	return 0;
}

/* The broker's mount namespace, where the kernel starts (jail.h): only
 * the run directory and the lab's --out directories are writable. The
 * broker works from its run directory, which down checks too. */
static int broker_jail(const char *labdir, const char *const rw_dirs[])
{
	const char *writable[32] = { labdir };
	int n = 1;

	for (int i = 0; rw_dirs && rw_dirs[i] && n < 31; i++)
		writable[n++] = rw_dirs[i];
	writable[n] = NULL;
	if (jail_disabled())
		fprintf(stderr,
			"ikelab: warning: IKELAB_UML_UNJAILED=1: root inside the lab in %s "
			"can write any host file\n",
			labdir);
	else if (jail_enter(writable) < 0)
		return err_wrap(
			"keeping the host read-only for user-mode Linux (IKELAB_UML_UNJAILED=1 "
			"runs it without, unsafe)");
	if (chdir(labdir) < 0)
		return err_sys("chdir %s", labdir);
	return 0;
}

static void broker_main(const char *labdir, const char *name, const char *const rw_dirs[],
			int ready_fd)
{
	struct broker b = { .labdir = labdir, .listen_fd = -1 };
	struct proc_id self;
	sigset_t mask;
	char *sock;

	setsid();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* What down checks before it signals us (umlproc.h). */
	prctl(PR_SET_NAME, UMLPROC_BROKER_COMM);
	signal(SIGPIPE, SIG_IGN);
	if (broker_jail(labdir, rw_dirs) < 0 || proc_id_of(getpid(), &self) < 0 ||
	    umlproc_json_update(labdir, "broker", state_proc_json(&self)) < 0) {
		if (write(ready_fd, err_msg(), strlen(err_msg())) < 0)
			_exit(2);
		_exit(1);
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	b.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	sock = broker_socket_path(labdir);
	b.listen_fd = broker_listen(sock);
	free(sock);
	b.boot_deadline = mono_ns() + (int64_t)BOOT_TIMEOUT_MS * 1000000;
	if (b.sigfd < 0 || b.listen_fd < 0 || broker_start_uml(&b, name, rw_dirs) < 0) {
		const char *msg = err_msg();

		if (write(ready_fd, msg, strlen(msg)) < 0)
			_exit(2);
		_exit(1);
	}
	close(ready_fd);
	/* Let go of the caller's terminal or pipe, but keep what goes wrong
	 * in here (a sanitizer's report, above all) in RUNDIR/host/broker.log. */
	devnull_stdio();
	{
		char *log = umlproc_host_file(labdir, "broker.log");
		int fd = file_create(log, 0644, FILE_APPEND);

		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		free(log);
	}
	broker_loop(&b);
	_exit(0);
}

/* Fork the broker; returns once it has started the kernel (or failed). */
static int start_broker(const char *labdir, const char *name, const char *const rw_dirs[])
{
	char msg[ERR_MSG_MAX];
	int pfd[2];
	pid_t pid;
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return err_sys("pipe");
	pid = fork(); /* spawn.h: no exec, the broker runs ikelab's own code */
	if (pid < 0)
		return err_sys("fork");
	if (pid == 0) {
		close(pfd[0]);
		/* A second fork: the broker must not be our child, or our
		 * exit would leave it a zombie-to-be of a shell. */
		pid = fork(); /* spawn.h: no exec, the broker */
		if (pid != 0)
			_exit(pid < 0 ? 1 : 0);
		broker_main(labdir, name, rw_dirs, pfd[1]);
	}
	close(pfd[1]);
	waitpid(pid, NULL, 0);
	n = read(pfd[0], msg, sizeof(msg) - 1);
	close(pfd[0]);
	if (n > 0) {
		msg[n] = '\0';
		return err_set("starting user-mode Linux: %s", msg);
	}
	return 0;
}

/* ---- up and down --------------------------------------------------------- */

/* The host's records (read-only inside) and the kernel's scratch; the
 * directory's absolute path, as the kernel's uml_dir= and the broker's
 * working directory name it for down. Takes dir. */
static int run_subdirs(char *dir, char **dirp)
{
	char *host = xasprintf("%s/" JAIL_HOST_DIR, dir), *mem = xasprintf("%s/" UML_MEM_DIR, dir);
	int r = 0;

	if (dir_create(host, 0700) < 0 || dir_create(mem, 0700) < 0)
		r = -1;
	*dirp = r == 0 ? realpath(dir, NULL) : NULL;
	if (r == 0 && !*dirp)
		r = err_sys("realpath %s", dir);
	free(host);
	free(mem);
	free(dir);
	return r;
}

static int claim_dir(const char *name, char **dirp)
{
	char *dir = state_dir(name);

	if (state_base_ensure() < 0) {
		free(dir);
		return -1;
	}
	if (dir_create(dir, 0700) < 0) {
		int e = errno;

		if (e == EEXIST)
			err_set("lab '%s' already exists (%s); take it down first with "
				"'ikelab down --name %s'",
				name, dir, name);
		else
			err_sys("create %s", dir);
		free(dir);
		return -1;
	}
	return run_subdirs(dir, dirp);
}

/* The console's last lines, and the broker's own log when it has one. */
static char *console_tail(const char *dir, int lines)
{
	char *log = umlproc_host_file(dir, "uml.log"), *tail = file_tail(log, lines);
	char *blog = umlproc_host_file(dir, "broker.log"), *btail = file_tail(blog, lines), *out;

	if (btail && *btail)
		out = xasprintf("%s\n--- last lines of %s ---\n%s", tail ? tail : "(empty)", blog,
				btail);
	else
		out = xstrdup(tail ? tail : "(empty)");
	free(tail);
	free(btail);
	free(log);
	free(blog);
	return out;
}

/* Claim the lab's run directory, start its broker and kernel; *dirp is
 * the directory. On failure everything is taken down again. */
static int boot(const char *name, const char *const rw_dirs[], char **dirp)
{
	char saved[ERR_MSG_MAX];

	if (!uml_kernel() || claim_dir(name, dirp) < 0)
		return -1;
	if (umlproc_json_update(*dirp, "phase", json_string("booting")) == 0 &&
	    start_broker(*dirp, name, rw_dirs) == 0)
		return 0;
	snprintf(saved, sizeof(saved), "%s", err_msg());
	free(*dirp);
	*dirp = NULL;
	uml_down(name);
	err_set("%s", saved);
	return -1;
}

/* Take the kernel down after a failure, keeping the first error and the
 * console's last lines (the run directory and its log are about to go). */
static void down_after(const char *name, const char *dir, int rc)
{
	char saved[ERR_MSG_MAX];

	snprintf(saved, sizeof(saved), "%s", rc < 0 ? err_msg() : "");
	if (rc < 0) {
		char *tail = console_tail(dir, 12);

		snprintf(saved + strlen(saved), sizeof(saved) - strlen(saved),
			 "\n--- last lines of the user-mode Linux console ---\n%s", tail);
		free(tail);
	}
	if (!getenv("IKELAB_KEEP_FAILED"))
		uml_down(name);
	if (rc < 0)
		err_set("%s", saved);
}

int uml_boot_and_run(const char *name, char *const inner[], const char *const rw_dirs[], bool keep)
{
	char *dir;
	int rc;

	if (boot(name, rw_dirs, &dir) < 0)
		return -1;
	rc = remote_run(dir, inner, 0, BOOT_TIMEOUT_MS);
	if (rc == 0 && keep)
		umlproc_json_update(dir, "phase", json_string("up"));
	else
		down_after(name, dir, rc);
	free(dir);
	return rc;
}

/* The kept kernel NAME, when it is the pool kernel that shares RW: a lab
 * of that name booted for anything else (or by a night that is gone,
 * whose pid came round again) is not reused. Its directory, or NULL. */
static char *pool_of(const char *name, const char *rw, bool *other)
{
	char *dir = state_dir(name), *real = uml_is_lab(dir) ? realpath(dir, NULL) : NULL;
	json_t *doc = real ? umlproc_json_load(real) : NULL;

	*other = real && (!doc || strcmp(jget_str_or(doc, "phase", ""), "pool") ||
			  strcmp(jget_str_or(doc, "pool_rw", ""), rw));
	json_decref(doc);
	free(dir);
	if (*other) {
		free(real);
		return NULL;
	}
	return real;
}

int uml_pool_run(const char *name, char *const inner[], const char *const rw_dirs[], bool *booted)
{
	const char *rw = rw_dirs[0] ? rw_dirs[0] : "";
	bool other;
	char *dir = pool_of(name, rw, &other);
	int rc;

	*booted = false;
	if (other)
		return err_set("lab '%s' exists and is not the kernel of this lab slot; take it "
			       "down with 'ikelab down --name %s'",
			       name, name);
	if (!dir) {
		if (boot(name, rw_dirs, &dir) < 0)
			return -1;
		*booted = true;
		umlproc_json_update(dir, "pool_rw", json_string(rw));
		umlproc_json_update(dir, "phase", json_string("pool"));
	}
	rc = remote_run(dir, inner, 0, BOOT_TIMEOUT_MS);
	/* A lab error may be the kernel's: the next run gets a fresh one. */
	if (rc < 0 || rc == 2)
		down_after(name, dir, rc);
	free(dir);
	return rc;
}

int uml_down(const char *name)
{
	struct umlproc_lab lab = { .name = name, .dir = umlproc_lab_dir(name) };
	json_t *doc;
	int64_t deadline;
	int r = 0;

	if (!lab.dir)
		return -1;
	doc = umlproc_json_load(lab.dir);
	lab.doc = doc ? doc : (doc = json_object());
	if (!umlproc_gone(&lab)) {
		char *const inner[] = { "down", "--name", (char *)name, NULL };

		/* charon first, gracefully, then the kernel. */
		if (state_exists(lab.dir) &&
		    remote_run_within(lab.dir, inner, 0, 5000, DOWN_INNER_MS) != 0)
			err_clear();
		remote_halt(lab.dir);
		err_clear();
		deadline = mono_ns() + (int64_t)HALT_TIMEOUT_MS * 1000000;
		while (!umlproc_gone(&lab) && mono_ns() < deadline)
			sleep_ms(20);
	}
	umlproc_kill(&lab);
	deadline = mono_ns() + 3000LL * 1000000;
	while (!umlproc_gone(&lab) && mono_ns() < deadline)
		sleep_ms(20);
	if (!umlproc_gone(&lab))
		r = err_set("lab '%s': user-mode Linux processes survived SIGKILL", name);
	json_decref(doc);
	if (r == 0 && rm_rf(lab.dir) < 0)
		r = err_wrap("lab '%s'", name);
	free((char *)lab.dir);
	return r;
}

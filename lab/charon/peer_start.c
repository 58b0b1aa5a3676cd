/*
 * peer_start.c - starting a peer's charon (see peer.h): the peer's view
 * (its network namespace, private mounts and environment), the keeper that
 * outlives the controller and records how charon ended, and running the
 * binary for its version. peer.c renders the configuration and talks to
 * the running charon.
 */
#include "charon/peer.h"
#include "base/json.h"
#include "base/err.h"
#include "base/spawn.h"
#include "kernel/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the peer's view: namespaces and mounts ---------------------------- */

/* What the peer's view binds where, worked out before a fork: the child
 * that sets the view up for charon may not allocate. */
struct peer_view {
	char conf[PATH_MAX];    /* DIR/run/strongswan.conf on /etc/strongswan.conf */
	char swanctl[PATH_MAX]; /* DIR/swanctl on /etc/swanctl */
	char run[PATH_MAX];     /* DIR/run on /run */
};

/* The steps of view_mount, for view_error. */
enum view_step {
	VIEW_OK,
	VIEW_UNSHARE,
	VIEW_SLAVE,
	VIEW_CONF,
	VIEW_SWANCTL,
	VIEW_RUN
};

static void view_paths(struct peer_view *v, const char *dir)
{
	snprintf(v->conf, sizeof(v->conf), "%s/run/strongswan.conf", dir);
	snprintf(v->swanctl, sizeof(v->swanctl), "%s/swanctl", dir);
	snprintf(v->run, sizeof(v->run), "%s/run", dir);
}

static bool bind_if_present(const char *src, const char *dst)
{
	return access(dst, F_OK) != 0 || mount(src, dst, NULL, MS_BIND, NULL) == 0;
}

/* A mount namespace of our own with the peer's files bound in: VIEW_OK, or
 * the step that failed with errno set. Async-signal-safe. */
static enum view_step view_mount(const struct peer_view *v)
{
	if (unshare(CLONE_NEWNS) < 0)
		return VIEW_UNSHARE;
	/* Our binds must not leak back into the parent's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return VIEW_SLAVE;
	if (!bind_if_present(v->conf, "/etc/strongswan.conf"))
		return VIEW_CONF;
	if (!bind_if_present(v->swanctl, "/etc/swanctl"))
		return VIEW_SWANCTL;
	/* Last: the lab directory itself usually lives under /run, and is
	 * hidden from here on. All charon needs is in the private /run. */
	if (mount(v->run, "/run", NULL, MS_BIND, NULL) < 0)
		return VIEW_RUN;
	return VIEW_OK;
}

/* err_sys() for a failed step, errno as the step left it. */
static int view_error(const struct peer_view *v, enum view_step step)
{
	switch (step) {
	case VIEW_UNSHARE:
		return err_sys("unshare(CLONE_NEWNS)");
	case VIEW_SLAVE:
		return err_sys("make / a slave mount");
	case VIEW_CONF:
		return err_sys("bind %s on %s", v->conf, "/etc/strongswan.conf");
	case VIEW_SWANCTL:
		return err_sys("bind %s on %s", v->swanctl, "/etc/swanctl");
	default:
		return err_sys("bind %s on /run", v->run);
	}
}

int peer_enter(const char *dir, int nsfd)
{
	struct peer_view v;
	enum view_step step;

	if (setns(nsfd, CLONE_NEWNET) < 0)
		return err_sys("setns(CLONE_NEWNET)");
	view_paths(&v, dir);
	step = view_mount(&v);
	if (step != VIEW_OK)
		return view_error(&v, step);
	if (setenv("STRONGSWAN_CONF", "/run/strongswan.conf", 1) < 0)
		return err_sys("setenv");
	return 0;
}

/* ---- starting charon ------------------------------------------------- */

/*
 * Three processes start a charon: the controller, the keeper it forks
 * (below), and the keeper's child, which spawn_start() starts and which
 * becomes charon. The child says its own pid to the controller and waits in
 * charon_before_exec until the controller has recorded it: the keeper cannot
 * relay, since spawn_start() returns only once the child has exec'd.
 */
struct charon_start {
	struct peer_view view;
	char out[PATH_MAX]; /* DIR/charon.out: charon's stdout and stderr */
	pid_t keeper;
	int gofd;     /* the controller's go (one byte) */
	int infofd;   /* our pid, to the controller */
	int reportfd; /* how far the hook got, to the keeper */
};

/* What the hook tells the keeper: it got the go (pid), or which step failed. */
enum start_step {
	START_GO = 1,
	START_OUT,
	START_VIEW
};
struct start_report {
	int step; /* enum start_step */
	int view; /* enum view_step, for START_VIEW */
	int err;  /* errno */
	pid_t pid;
};

static void start_report(const struct charon_start *s, int step, int view)
{
	struct start_report r = { step, view, errno, getpid() };

	(void)!write(s->reportfd, &r, sizeof(r));
}

/*
 * In charon's process between fork and exec, after spawn_start() entered
 * the peer's network namespace, made a session of its own, reset the
 * priority and pointed stdin at /dev/null: async-signal-safe calls only.
 * Where it fails it exits itself rather than return (spawn would exit 126):
 * 125 when the go never comes, 127 when charon.out or the peer's view
 * cannot be set up, the statuses charon.exit has always shown.
 */
static int charon_before_exec(void *ctx)
{
	const struct charon_start *s = ctx;
	pid_t self = getpid();
	enum view_step step;
	char go;
	int fd;

	/* Wait until our pid is recorded; if the controller gave up or the
	 * keeper died first, so do we. */
	if (write(s->infofd, &self, sizeof(self)) != sizeof(self) || read(s->gofd, &go, 1) != 1 ||
	    getppid() != s->keeper)
		_exit(125);
	start_report(s, START_GO, 0);
	fd = file_append_fd(s->out, 0644);
	if (fd < 0) {
		start_report(s, START_OUT, 0);
		_exit(127);
	}
	step = view_mount(&s->view);
	if (step != VIEW_OK) {
		start_report(s, START_VIEW, step);
		_exit(127);
	}
	dup2(fd, 1);
	dup2(fd, 2);
	signal(SIGHUP, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	return 0;
}

static void write_exit(const char *dir, pid_t pid, int status)
{
	char how[128], *path = xasprintf("%s/charon.exit", dir), *text;
	json_t *j;

	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "was killed by signal %d (%s)%s", WTERMSIG(status),
			 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
	j = json_pack("{s:i, s:s, s:i, s:i, s:I}", "pid", (int)pid, "how", how, "signal",
		      WIFSIGNALED(status) ? WTERMSIG(status) : 0, "exit_status",
		      WIFEXITED(status) ? WEXITSTATUS(status) : -1, "wall_ns",
		      (json_int_t)wall_ns());
	text = json_dumps(j, JSON_COMPACT);
	write_file(path, text, strlen(text), 0644);
	free(text);
	free(path);
	json_decref(j);
}

/* The keeper's last word to the controller, then its end. */
static void __attribute__((noreturn)) keeper_fail(int errfd)
{
	const char *msg = err_msg();

	(void)!write(errfd, msg, strlen(msg));
	_exit(1);
}

/* What the hook reported: the last report, and whether the go came. */
static bool start_reports(int fd, struct start_report *last)
{
	struct start_report r;
	bool went = false;

	memset(last, 0, sizeof(*last));
	while (read(fd, &r, sizeof(r)) == sizeof(r)) {
		went = went || r.step == START_GO;
		*last = r;
	}
	return went;
}

/*
 * Start charon's process with spawn_start() and learn how far it got: 0
 * once charon runs (*pid), or -1 with err_msg() and *status; *went says
 * whether the controller had recorded it. *status is a wait status for
 * charon.exit: the child exits 127 when it cannot set up the peer's view,
 * and so does spawn's child when exec fails (spawn_start reaps that one
 * itself, so the status is not observed but known).
 */
static int keeper_start(const struct peer *p, struct charon_start *s, int nsfd, pid_t *pid,
			int *status, bool *went)
{
	char *const argv[] = {
		(char *)(p->profile->charon ? p->profile->charon : PROFILE_DEFAULT_CHARON), NULL
	};
	struct spawn_opts o = { .enter_netns = true,
				.netns_fd = nsfd,
				.new_session = true,
				.before_exec = charon_before_exec,
				.ctx = s };
	struct spawn_proc proc;
	struct start_report last;
	int rep[2], r;

	*went = false;
	if (pipe2(rep, O_CLOEXEC) < 0)
		return err_sys("pipe");
	s->reportfd = rep[1];
	r = spawn_start(&proc, argv, &o);
	close(rep[1]);
	*went = start_reports(rep[0], &last);
	close(rep[0]);
	*pid = last.pid;
	*status = W_EXITCODE(127, 0);
	if (r < 0)
		return -1;
	if (*went && last.step == START_GO) {
		/* charon runs: the keeper waits for it, without a deadline. */
		proc.reaped = true;
		*pid = proc.pid;
		spawn_proc_free(&proc);
		return 0;
	}
	while (waitpid(proc.pid, status, 0) < 0 && errno == EINTR)
		;
	proc.reaped = true;
	spawn_proc_free(&proc);
	errno = last.err;
	if (!*went) {
		char how[128];

		spawn_describe(*status, how, sizeof(how));
		return err_set("charon's process %s before its pid was recorded", how);
	}
	if (last.step == START_OUT)
		return err_sys("open %s", s->out);
	return view_error(&s->view, (enum view_step)last.view);
}

/*
 * The keeper is charon's parent for charon's whole life. It knows how
 * charon ended -- a crash, a signal, an exit status -- and writes it to
 * DIR/charon.exit, which a recorder or `status` can then report. It holds
 * none of the controller's descriptors (the run directory's lock above all).
 * It is a fork that never execs (spawn.h): charon is its child, started
 * with spawn_start(); why charon could not start goes to the controller on
 * errfd, which closes (EOF: charon runs) once charon has exec'd.
 */
static void keeper(const struct peer *p, int nsfd, int gofd, int infofd, int errfd)
{
	struct charon_start s = { .keeper = getpid(), .gofd = gofd, .infofd = infofd };
	int status, r;
	bool went;
	pid_t c;

	setsid();
	prctl(PR_SET_NAME, "ikelab-keeper");
	/* A charon started by a recording controller (a restart) runs at the
	 * default priority, not the recorder's (recorder.c: REC_NICE). */
	setpriority(PRIO_PROCESS, 0, 0);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	/* Not the controller's stdout either: `ikelab up | tail` would wait
	 * for charon's end. */
	devnull_stdio();
	for (int i = 3; i < 1024; i++)
		if (i != nsfd && i != gofd && i != infofd && i != errfd)
			close(i);
	view_paths(&s.view, p->dir);
	snprintf(s.out, sizeof(s.out), "%s/charon.out", p->dir);
	/* charon's environment is ours; the keeper never looks at it. Its
	 * log's timestamps in UTC, the recorder's clock, so that the judge
	 * can place each line in the run (logs expectations). */
	if (setenv("STRONGSWAN_CONF", "/run/strongswan.conf", 1) < 0 ||
	    setenv("TZ", "UTC", 1) < 0) {
		err_sys("setenv");
		keeper_fail(errfd);
	}
	r = keeper_start(p, &s, nsfd, &c, &status, &went);
	close(gofd);
	close(infofd);
	close(nsfd);
	if (!went)
		keeper_fail(errfd);
	if (r < 0) {
		const char *msg = err_msg();

		(void)!write(errfd, msg, strlen(msg));
	}
	close(errfd);
	while (r == 0 && waitpid(c, &status, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	write_exit(p->dir, c, status);
	_exit(0);
}

static int pipes(int fds[][2], int n)
{
	for (int i = 0; i < n; i++)
		if (pipe2(fds[i], O_CLOEXEC) < 0) {
			while (i-- > 0) {
				close(fds[i][0]);
				close(fds[i][1]);
			}
			return err_sys("pipe");
		}
	return 0;
}

/* Why the keeper gave up before charon's pid reached us: what it wrote on
 * the exec pipe on its way out (it has closed the info pipe, so that read
 * cannot wait long). */
static int keeper_failed(int errfd)
{
	char msg[ERR_MSG_MAX];
	ssize_t n;

	do
		n = read(errfd, msg, sizeof(msg) - 1);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return err_set("the keeper process could not fork charon");
	msg[n] = '\0';
	return err_set("%s", msg);
}

int peer_spawn(struct peer *p, peer_record_fn record, void *ctx)
{
	int fd[3][2], nsfd; /* go (us -> charon), info (charon -> us), errors (keeper -> us) */
	char *exitfile = xasprintf("%s/charon.exit", p->dir);
	pid_t k, c = -1;
	ssize_t n;

	p->exec_fd = -1;
	unlink(exitfile);
	free(exitfile);
	nsfd = netns_open(p->netns);
	if (nsfd < 0)
		return -1;
	if (pipes(fd, 3) < 0) {
		close(nsfd);
		return -1;
	}
	k = fork(); /* spawn.h: no exec, the keeper */
	if (k == 0) {
		close(fd[0][1]);
		close(fd[1][0]);
		close(fd[2][0]);
		keeper(p, nsfd, fd[0][0], fd[1][1], fd[2][1]);
	}
	close(fd[0][0]);
	close(fd[1][1]);
	close(fd[2][1]);
	close(nsfd);
	if (k > 0) {
		do
			n = read(fd[1][0], &c, sizeof(c));
		while (n < 0 && errno == EINTR);
		if (n != sizeof(c))
			c = -1;
	}
	close(fd[1][0]);
	/* Both pids are on record before charon may exec. */
	if (k < 0 || c <= 0 || proc_id_of(k, &p->keeper) < 0 || proc_id_of(c, &p->charon) < 0 ||
	    record(ctx, p) < 0 || write(fd[0][1], "g", 1) != 1) {
		if (k < 0)
			err_sys("fork");
		else if (c <= 0)
			keeper_failed(fd[2][0]);
		if (k > 0) {
			kill(k, SIGKILL);
			waitpid(k, NULL, 0);
		}
		close(fd[0][1]);
		close(fd[2][0]);
		return err_wrap("peer %s: starting charon", p->name);
	}
	close(fd[0][1]);
	/* The keeper is not ours to wait for: it lives as long as charon. */
	p->exec_fd = fd[2][0];
	return 0;
}

int peer_spawn_wait(struct peer *p)
{
	char msg[ERR_MSG_MAX];
	ssize_t n;

	if (p->exec_fd < 0)
		return 0;
	/* EOF without a message: charon exec'd (the keeper closes its end
	 * once spawn_start returned and the hook reported no failure). */
	n = read(p->exec_fd, msg, sizeof(msg) - 1);
	close(p->exec_fd);
	p->exec_fd = -1;
	if (n > 0) {
		msg[n] = '\0';
		return err_set("peer %s: starting charon: %s", p->name, msg);
	}
	return 0;
}

char *peer_exit_reason(const char *dir)
{
	char *path = xasprintf("%s/charon.exit", dir), *how = NULL;
	json_t *j = json_load_file(path, 0, NULL);

	free(path);
	if (j && jget_str(j, "how"))
		how = xstrdup(jget_str(j, "how"));
	json_decref(j);
	return how;
}

/* `charon --version`, for doctor and the lab's record of what ran. At most
 * 5 s: a binary that never answers must not hang doctor. Its stderr stays
 * ours, so that a loader's complaint is seen. Its exit status does not
 * matter, what it printed does (err_msg() says how it ended, if badly). */
char *charon_version(const char *binary)
{
	char *const argv[] = { (char *)binary, "--version", NULL };
	struct spawn_opts o = { .io = { SPAWN_NULL, SPAWN_CAPTURE, SPAWN_INHERIT } };
	struct strbuf out = { 0 };
	char *v, *r = NULL;

	spawn_run(argv, &o, 5000, &out, NULL);
	/* "Linux strongSwan 5.9.8" (or "U5.9.8/K6.1" on older builds) */
	v = out.buf ? strstr(out.buf, "strongSwan ") : NULL;
	if (v) {
		v += strlen("strongSwan ");
		if (*v == 'U')
			v++;
		v[strcspn(v, "/ \n")] = '\0';
		r = xstrdup(v);
	}
	sb_free(&out);
	return r;
}

/*
 * peer_start.c - starting a peer's charon (see peer.h): the peer's view
 * (its network namespace, private mounts and environment), the keeper that
 * outlives the controller and records how charon ended, and running the
 * binary for its version. peer.c renders the configuration and talks to
 * the running charon.
 */
#include "charon/peer.h"
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

static int bind_if_present(const char *src, const char *dst)
{
	if (!path_exists(dst))
		return 0;
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
		return err_sys("bind %s on %s", src, dst);
	return 0;
}

int peer_enter(const char *dir, int nsfd)
{
	char src[PATH_MAX];

	if (setns(nsfd, CLONE_NEWNET) < 0)
		return err_sys("setns(CLONE_NEWNET)");
	if (unshare(CLONE_NEWNS) < 0)
		return err_sys("unshare(CLONE_NEWNS)");
	/* Our binds must not leak back into the parent's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return err_sys("make / a slave mount");
	snprintf(src, sizeof(src), "%s/run/strongswan.conf", dir);
	if (bind_if_present(src, "/etc/strongswan.conf") < 0)
		return -1;
	snprintf(src, sizeof(src), "%s/swanctl", dir);
	if (bind_if_present(src, "/etc/swanctl") < 0)
		return -1;
	/* Last: the lab directory itself usually lives under /run, and is
	 * hidden from here on. All charon needs is in the private /run. */
	snprintf(src, sizeof(src), "%s/run", dir);
	if (mount(src, "/run", NULL, MS_BIND, NULL) < 0)
		return err_sys("bind %s on /run", src);
	if (setenv("STRONGSWAN_CONF", "/run/strongswan.conf", 1) < 0)
		return err_sys("setenv");
	return 0;
}

/* ---- starting charon ------------------------------------------------- */

static void child_fail(int errfd)
{
	const char *msg = err_msg();

	if (write(errfd, msg, strlen(msg)) < 0)
		_exit(126);
	_exit(127);
}

static void charon_child(const struct peer *p, int nsfd, int gofd, int errfd)
{
	char go, *out;
	int fd;

	/* Wait until our pid is recorded; if the keeper died first, so do we. */
	if (read(gofd, &go, 1) != 1)
		_exit(125);
	close(gofd);
	setsid();
	out = xasprintf("%s/charon.out", p->dir);
	fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		err_sys("open %s", out);
		child_fail(errfd);
	}
	if (peer_enter(p->dir, nsfd) < 0)
		child_fail(errfd);
	dup2(fd, 1);
	dup2(fd, 2);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0)
		dup2(fd, 0);
	for (int i = 3; i < 1024; i++)
		if (i != errfd)
			close(i);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	execl(p->profile->charon ? p->profile->charon : PROFILE_DEFAULT_CHARON, "charon", (char *)NULL);
	err_sys("exec %s", p->profile->charon ? p->profile->charon : PROFILE_DEFAULT_CHARON);
	child_fail(errfd);
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
	j = json_pack("{s:i, s:s, s:i, s:i, s:I}", "pid", (int)pid, "how", how,
		      "signal", WIFSIGNALED(status) ? WTERMSIG(status) : 0,
		      "exit_status", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		      "wall_ns", (json_int_t)wall_ns());
	text = json_dumps(j, JSON_COMPACT);
	write_file(path, text, strlen(text), 0644);
	free(text);
	free(path);
	json_decref(j);
}

/*
 * The keeper is charon's parent for charon's whole life. It knows how
 * charon ended -- a crash, a signal, an exit status -- and writes it to
 * DIR/charon.exit, which a recorder or `status` can then report. It holds
 * none of the controller's descriptors (the run directory's lock above all).
 */
static void keeper(const struct peer *p, int nsfd, int gofd, int infofd, int errfd)
{
	int cgo[2], status;
	char go;
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
	if (pipe2(cgo, O_CLOEXEC) < 0)
		_exit(1);
	c = fork();
	if (c == 0) {
		close(cgo[1]);
		close(gofd);
		close(infofd);
		charon_child(p, nsfd, cgo[0], errfd);
	}
	close(cgo[0]);
	close(errfd);
	close(nsfd);
	if (write(infofd, &c, sizeof(c)) != sizeof(c) || c < 0 || read(gofd, &go, 1) != 1) {
		if (c > 0) {
			kill(c, SIGKILL);
			waitpid(c, NULL, 0);
		}
		_exit(1);
	}
	close(infofd);
	close(gofd);
	if (write(cgo[1], "g", 1) != 1)
		_exit(1);
	close(cgo[1]);
	while (waitpid(c, &status, 0) < 0)
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

int peer_spawn(struct peer *p, peer_record_fn record, void *ctx)
{
	int fd[3][2], nsfd;     /* go (us -> keeper), info (keeper -> us), exec errors */
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
	k = fork();
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
			err_set("the keeper process could not fork charon");
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
	/* EOF without a message: exec succeeded (the pipe is close-on-exec). */
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
	if (j && json_string_value(json_object_get(j, "how")))
		how = xstrdup(json_string_value(json_object_get(j, "how")));
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

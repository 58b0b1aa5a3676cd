/*
 * spawn.c - the one way ikelab starts another program (see spawn.h).
 */
#include "base/spawn.h"
#include "base/err.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CAPTURE_MAX (256 * 1024) /* what we keep of a child's output */

/* ---- argv ------------------------------------------------------------------ */

void argv_add(struct argv *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 8;
		a->v = xrealloc(a->v, a->cap * sizeof(char *));
	}
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

void argv_addf(struct argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s) {
		fprintf(stderr, "ikelab: out of memory\n");
		abort();
	}
	argv_add(a, s);
	free(s);
}

void argv_addv(struct argv *a, char *const *v)
{
	for (; v && *v; v++)
		argv_add(a, *v);
}

void argv_free(struct argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* ---- the status ---------------------------------------------------------- */

void spawn_describe(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)%s", WTERMSIG(status),
			 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
	else if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(buf, len, "ended with wait status 0x%x", (unsigned)status);
}

/* ---- starting ----------------------------------------------------------------- */

/* The program's path, decided before the fork (no PATH walk in the child). */
static char *resolve(const char *prog, bool search)
{
	const char *path = getenv("PATH");
	struct stat st;

	if (strchr(prog, '/') || !search)
		return xstrdup(prog);
	/* PATH first; then where root's tools live, which a user's PATH may
	 * lack (iptables-legacy is in /usr/sbin). */
	for (int pass = 0; pass < 2; pass++) {
		const char *p = pass ? "/usr/local/sbin:/usr/sbin:/sbin" : path ? path : "";

		while (*p) {
			size_t len = strcspn(p, ":");
			char *cand =
				xasprintf("%.*s/%s", (int)(len ? len : 1), len ? p : ".", prog);

			if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
				return cand;
			free(cand);
			p += len + (p[len] ? 1 : 0);
		}
	}
	return NULL;
}

/* Pipes for the SPAWN_PIPE / SPAWN_CAPTURE streams: ours[i] stays here,
 * theirs[i] goes to the child. */
static int make_pipes(const struct spawn_opts *o, int ours[3], int theirs[3])
{
	for (int i = 0; i < 3; i++) {
		int p[2];

		ours[i] = theirs[i] = -1;
		if (o->io[i] != SPAWN_PIPE && o->io[i] != SPAWN_CAPTURE)
			continue;
		if (pipe2(p, O_CLOEXEC) < 0)
			return err_sys("pipe");
		ours[i] = i == 0 ? p[1] : p[0];
		theirs[i] = i == 0 ? p[0] : p[1];
	}
	return 0;
}

static void close_all(int fds[3])
{
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

/*
 * The child, between fork and exec: async-signal-safe calls only. A
 * failure writes one errno value on errpipe and exits 127, so that the
 * parent can say what went wrong instead of "exited with status 127".
 */
static void __attribute__((noreturn))
child(const char *exe, char *const argv[], const struct spawn_opts *o, int theirs[3], int null,
      int errpipe, pid_t parent)
{
	int step = 0;

	struct sigaction dfl = { .sa_handler = SIG_DFL };
	struct sched_param sp = { .sched_priority = 0 };
	sigset_t none;

	/* The program starts clean whatever state the controller is in: no
	 * blocked or ignored signals (a signalfd's mask, the agent's ignored
	 * SIGPIPE), the default policy and priority (not the scheduler's
	 * SCHED_FIFO bursts, not the recorder's nice value). */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	/* Once the signal acts by default; checked after the prctl: a parent
	 * gone before it sent no signal. */
	if (o->death_signal &&
	    (prctl(PR_SET_PDEATHSIG, o->death_signal) < 0 || getppid() != parent))
		_exit(126);
	sched_setscheduler(0, SCHED_OTHER, &sp);
	setpriority(PRIO_PROCESS, 0, 0);
	if (o->new_session)
		setsid();
	if (o->enter_netns && setns(o->netns_fd, CLONE_NEWNET) < 0)
		goto fail;
	step = 4;
	if (o->cwd && chdir(o->cwd) < 0)
		goto fail;
	step = 1;
	for (int i = 0; i < 3; i++) {
		int fd = null;

		if (o->io[i] == SPAWN_INHERIT)
			continue;
		if (o->io[i] == SPAWN_FD)
			fd = o->fd[i];
		else if (o->io[i] == SPAWN_PIPE || o->io[i] == SPAWN_CAPTURE)
			fd = theirs[i];
		else if (o->io[i] == SPAWN_TO_OUT && i == 2)
			fd = 1;
		if (dup2(fd, i) < 0)
			goto fail;
	}
	/* Nothing else of ours leaks into the program, unless asked. */
	if (!o->keep_fds)
		close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	step = 2;
	if (o->before_exec && o->before_exec(o->ctx) != 0)
		_exit(126);
	step = 3;
	execv(exe, argv);
fail : {
	int msg[2] = { step, errno };

	(void)!write(errpipe, msg, sizeof(msg));
}
	_exit(127);
}

/* What the child reported before it could exec, if anything. */
static int child_error(int errpipe, const char *name)
{
	static const char *const steps[] = { "enter its network namespace", "set up its stdio", "",
					     "exec", "enter its working directory" };
	int msg[2];
	ssize_t n;

	do
		n = read(errpipe, msg, sizeof(msg));
	while (n < 0 && errno == EINTR);
	if (n != sizeof(msg) || msg[0] < 0 || msg[0] > 4)
		return 0;
	errno = msg[1];
	return err_sys("%s: cannot %s", name, steps[msg[0]]);
}

int spawn_start(struct spawn_proc *p, char *const argv[], const struct spawn_opts *o)
{
	static const struct spawn_opts none = { .io = { SPAWN_NULL, SPAWN_NULL, SPAWN_NULL } };
	int theirs[3], ep[2] = { -1, -1 }, null = -1;
	pid_t parent;
	char *exe;

	memset(p, 0, sizeof(*p));
	p->fd[0] = p->fd[1] = p->fd[2] = -1;
	p->pid = -1;
	if (!o)
		o = &none;
	p->name = xstrdup(argv[0]);
	exe = resolve(argv[0], o->search_path);
	if (!exe) {
		err_set("%s: not found in PATH", argv[0]);
		spawn_proc_free(p);
		return -1;
	}
	if (make_pipes(o, p->fd, theirs) < 0 || pipe2(ep, O_CLOEXEC) < 0 ||
	    (null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		err_sys("%s: pipes for the child", p->name);
		goto fail;
	}
	parent = getpid();
	p->pid = fork();
	if (p->pid < 0) {
		err_sys("%s: fork", p->name);
		goto fail;
	}
	if (p->pid == 0)
		child(exe, argv, o, theirs, null, ep[1], parent);
	close_all(theirs);
	close(ep[1]);
	close(null);
	free(exe);
	if (o->after_fork && o->after_fork(p->pid, o->ctx) < 0) {
		err_wrap("%s", p->name);
		close(ep[0]);
		spawn_proc_free(p);
		return -1;
	}
	if (child_error(ep[0], p->name) < 0) {
		close(ep[0]);
		spawn_proc_free(p);
		return -1;
	}
	close(ep[0]);
	for (int i = 0; i < 3; i++)
		if (p->fd[i] >= 0 && o->io[i] == SPAWN_CAPTURE) {
			p->capture[i] = true;
			fcntl(p->fd[i], F_SETFL, O_NONBLOCK);
		}
	return 0;
fail:
	close_all(theirs);
	if (ep[0] >= 0)
		close(ep[0]);
	if (ep[1] >= 0)
		close(ep[1]);
	if (null >= 0)
		close(null);
	free(exe);
	spawn_proc_free(p);
	return -1;
}

/* ---- waiting -------------------------------------------------------------------- */

static void capture(struct spawn_proc *p, int i)
{
	char buf[8192];
	struct strbuf *sb = i == 1 ? &p->out : &p->err;
	ssize_t n = read(p->fd[i], buf, sizeof(buf));

	if (n > 0 && sb->len < CAPTURE_MAX)
		sb_add(sb, buf, (size_t)n);
	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
		close(p->fd[i]);
		p->fd[i] = -1;
	}
}

/* Captured output until both pipes close or the deadline passes. */
static void drain(struct spawn_proc *p, int64_t deadline)
{
	while ((p->capture[1] && p->fd[1] >= 0) || (p->capture[2] && p->fd[2] >= 0)) {
		struct pollfd pf[2];
		int idx[2], n = 0;
		int64_t left = (deadline - mono_ns()) / 1000000;

		if (left <= 0)
			return;
		for (int i = 1; i < 3; i++)
			if (p->fd[i] >= 0 && p->capture[i]) {
				pf[n] = (struct pollfd){ p->fd[i], POLLIN, 0 };
				idx[n++] = i;
			}
		if (poll(pf, (nfds_t)n, (int)left) < 0 && errno != EINTR)
			return;
		for (int k = 0; k < n; k++)
			if (pf[k].revents)
				capture(p, idx[k]);
	}
}

/* The child's exit, polled until the deadline: a child that closed its
 * output may still be running. */
static int reap_until(struct spawn_proc *p, int64_t deadline)
{
	for (;;) {
		pid_t r = waitpid(p->pid, &p->status, WNOHANG);

		if (r == p->pid) {
			p->reaped = true;
			return 1;
		}
		if (r < 0 && errno != EINTR)
			return err_sys("waitpid %s", p->name);
		if (mono_ns() >= deadline)
			return 0;
		sleep_ms(5);
	}
}

/* The last non-empty line of what the child said on stderr, if captured. */
static const char *last_words(const struct spawn_proc *p, char *buf, size_t len)
{
	const struct strbuf *sb = p->err.len ? &p->err : &p->out;
	size_t end = sb->len, start;

	while (end > 0 && (sb->buf[end - 1] == '\n' || sb->buf[end - 1] == ' '))
		end--;
	start = end;
	while (start > 0 && sb->buf[start - 1] != '\n')
		start--;
	snprintf(buf, len, "%.*s", (int)(end - start), end > start ? sb->buf + start : "");
	return buf;
}

int spawn_wait(struct spawn_proc *p, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	char how[128], said[512];
	int r;

	if (p->pid <= 0 || p->reaped)
		return err_set("%s: no child to wait for", p->name ? p->name : "spawn");
	drain(p, deadline);
	r = reap_until(p, deadline);
	if (r < 0)
		return -1;
	if (r == 0) {
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
			;
		p->reaped = true;
		p->timed_out = true;
		return err_set("%s did not finish within %.1f s and was killed", p->name,
			       timeout_ms / 1000.0);
	}
	if (WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0)
		return 0;
	spawn_describe(p->status, how, sizeof(how));
	if (*last_words(p, said, sizeof(said)))
		return err_set("%s %s: %s", p->name, how, said);
	return err_set("%s %s", p->name, how);
}

int spawn_run(char *const argv[], const struct spawn_opts *o, int timeout_ms, struct strbuf *out,
	      struct strbuf *err)
{
	struct spawn_opts opts = o ? *o : (struct spawn_opts){ 0 };
	struct spawn_proc p;
	int r;

	if (out)
		opts.io[1] = SPAWN_CAPTURE;
	if (err)
		opts.io[2] = SPAWN_CAPTURE;
	if (spawn_start(&p, argv, &opts) < 0)
		return -1;
	r = spawn_wait(&p, timeout_ms);
	if (out && p.out.len)
		sb_add(out, p.out.buf, p.out.len);
	if (err && p.err.len)
		sb_add(err, p.err.buf, p.err.len);
	spawn_proc_free(&p);
	return r;
}

void spawn_proc_free(struct spawn_proc *p)
{
	for (int i = 0; i < 3; i++)
		if (p->fd[i] >= 0) {
			close(p->fd[i]);
			p->fd[i] = -1;
		}
	if (p->pid > 0 && !p->reaped) {
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
			;
		p->reaped = true;
	}
	sb_free(&p->out);
	sb_free(&p->err);
	free(p->name);
	p->name = NULL;
}

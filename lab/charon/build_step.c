/*
 * build_step.c - one step of a charon build (build-internal.h): a program
 * started through spawn.h in a process group of its own, its output in the
 * step's log, a deadline, progress on stderr, and ^C that stops the whole
 * group instead of leaving a make running in the cache.
 */
#include "charon/build-internal.h"
#include "base/err.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

volatile sig_atomic_t cb_interrupted;

static void on_signal(int sig)
{
	cb_interrupted = sig;
}

void cb_signals(bool install)
{
	static struct sigaction old[3];
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on_signal };

	for (size_t i = 0; i < ARRAY_LEN(sigs); i++)
		if (install)
			sigaction(sigs[i], &sa, &old[i]);
		else
			sigaction(sigs[i], &old[i], NULL);
	if (install)
		cb_interrupted = 0;
}

void cb_say(const struct cb *c, const char *fmt, ...)
{
	va_list ap;

	if (c->o->quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* In the step's process before exec: a group of its own (a terminal's ^C
 * reaches ikelab, which stops the group), and it dies with ikelab. */
static int step_child(void *ctx)
{
	(void)ctx;
	if (setpgid(0, 0) < 0)
		return -1;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	return 0;
}

/* The line of the log that says most: the last one with "error:" in it,
 * else the last line (allocated, or NULL). */
static char *telling_line(const char *log)
{
	char *text = NULL, *err = NULL, *last = NULL, *line, *save = NULL;

	if (read_file(log, &text, NULL) < 0) {
		err_clear();
		return NULL;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "error:"))
			err = line;
		last = line;
	}
	line = err ? xstrdup(err) : last ? xstrdup(last) : NULL;
	free(text);
	return line;
}

/* Stop the step's whole group: TERM, a moment, then KILL, and only then
 * reap the leader: while it is unreaped its pid, which names the group,
 * cannot be reused, so the group signalled is always the step's. */
static void stop_group(pid_t pid)
{
	siginfo_t info;
	int st;

	kill(-pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		info.si_pid = 0;
		if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    info.si_pid == pid)
			break;
		sleep_ms(100);
	}
	kill(-pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

static void live(const struct cb *c, const char *name, double secs)
{
	if (!c->o->quiet && isatty(2))
		fprintf(stderr, "\r  %-10s %4.0f s ...", name, secs);
}

/* Wait with progress and a deadline: the wait status, or -1 (timed out,
 * interrupted: the group is stopped) with *why set. */
static int step_wait(const struct cb *c, const char *name, pid_t pid, int timeout_s, int64_t t0,
		     const char **why)
{
	int st, tick = 0;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		double secs = (double)(mono_ns() - t0) / 1e9;

		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR) {
			*why = "could not be waited for";
			stop_group(pid);
			return -1;
		}
		if (cb_interrupted || secs > timeout_s) {
			*why = cb_interrupted ? "was interrupted" : "ran past its deadline";
			stop_group(pid);
			return -1;
		}
		/* Short steps (git) end within a tick or two; the live line
		 * changes once a second. */
		if (++tick % 20 == 0)
			live(c, name, secs);
		sleep_ms(50);
	}
}

static void log_header(int fd, char *const argv[], const char *cwd)
{
	dprintf(fd, "$ cd %s &&", cwd ? cwd : ".");
	for (size_t i = 0; argv[i]; i++)
		dprintf(fd, " %s", argv[i]);
	dprintf(fd, "\n");
}

static int step_fail(const char *name, const char *how, const char *log)
{
	char *line = telling_line(log);

	err_set("step '%s' %s; its log: %s%s%s", name, how, log, line ? "; it says: " : "",
		line ? line : "");
	free(line);
	return -1;
}

int cb_step(const struct cb *c, const char *name, char *const argv[], const char *cwd,
	    const char *log, int timeout_s, double *secs)
{
	struct spawn_opts o = { .io = { SPAWN_NULL, SPAWN_FD, SPAWN_TO_OUT },
				.search_path = true,
				.cwd = cwd,
				.before_exec = step_child };
	struct spawn_proc p;
	const char *why = NULL;
	char how[128];
	int64_t t0 = mono_ns();
	int st;

	o.fd[1] = file_create(log, 0644, FILE_APPEND);
	if (o.fd[1] < 0)
		return err_sys("step '%s': open %s", name, log);
	log_header(o.fd[1], argv, cwd);
	if (spawn_start(&p, argv, &o) < 0) {
		close(o.fd[1]);
		return err_wrap("step '%s'", name);
	}
	close(o.fd[1]);
	st = step_wait(c, name, p.pid, timeout_s, t0, &why);
	p.reaped = true;
	spawn_proc_free(&p);
	*secs = (double)(mono_ns() - t0) / 1e9;
	if (!c->o->quiet && isatty(2))
		fprintf(stderr, "\r\033[K");
	if (why)
		return step_fail(name, why, log);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		spawn_describe(st, how, sizeof(how));
		return step_fail(name, how, log);
	}
	return 0;
}

/*
 * plot.c - render a run directory (docs/run-directory.md) with gnuplot.
 *
 * Everything gnuplot needs is written next to the run: timeline.gp, which
 * can be rerun by hand from the run directory, and its data under .plot/.
 * Reading the run and writing the data is plot_data.c, the script
 * plot_script.c (plot-internal.h says what they share); this file runs
 * the steps and gnuplot.
 */
#include "judge/plot.h"
#include "judge/plot-internal.h"
#include "base/err.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define GNUPLOT_TIMEOUT_MS 20000
#define GNUPLOT_OUT_MAX 1400

/* ---- running gnuplot ---------------------------------------------------- */

static char *find_in_path(const char *name)
{
	const char *p = getenv("PATH");
	struct stat st;

	if (!p || !*p)
		p = "/usr/local/bin:/usr/bin:/bin";
	for (;;) {
		size_t len = strcspn(p, ":");
		char *cand = len ? xasprintf("%.*s/%s", (int)len, p, name) : xasprintf("./%s", name);

		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (!p[len])
			return NULL;
		p += len + 1;
	}
}

static void __attribute__((noreturn)) exec_gnuplot(const char *dir, const char *exe, int out)
{
	static const char msg[] = "cannot start gnuplot in the run directory\n";
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null >= 0 && chdir(dir) == 0 && dup2(null, 0) == 0 && dup2(out, 1) == 1 &&
	    dup2(out, 2) == 2)
		execl(exe, "gnuplot", "-d", "timeline.gp", (char *)NULL);
	(void)!write(out, msg, sizeof(msg) - 1);
	_exit(127);
}

/* Read the child's output until it closes, keeping the start; returns
 * 1 if the deadline passed first. */
static int drain(int fd, struct strbuf *out, int64_t deadline)
{
	char buf[4096];

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int64_t left = (deadline - mono_ns()) / 1000000;
		ssize_t n;
		int ready;

		if (left <= 0)
			return 1;
		ready = poll(&pfd, 1, (int)left);
		if (ready < 0 && errno != EINTR)
			return err_sys("poll");
		if (ready <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return err_sys("read gnuplot output");
		if (n == 0)
			return 0;
		if (out->len < GNUPLOT_OUT_MAX)
			sb_add(out, buf, (size_t)n);
	}
}

/* gnuplot's complaint on one line: drop blank lines and its ^ pointers. */
static char *one_line(const char *text)
{
	struct strbuf sb = { 0 };
	char *copy = xstrdup(text), *cur = copy, *line;

	while ((line = plot_next_line(&cur))) {
		line += strspn(line, " \t");
		if (!line[strspn(line, " \t^")])
			continue;
		sb_addf(&sb, "%s%s", sb.len ? "; " : "", line);
	}
	free(copy);
	if (!sb.buf)
		sb_addf(&sb, "no output");
	return sb.buf;
}

static int gnuplot_failed(const char *script, const char *how, const struct strbuf *out)
{
	char *said = one_line(out->buf ? out->buf : "");

	err_set("gnuplot %s on %s: %s", how, script, said);
	free(said);
	return -1;
}

static void gnuplot_killed(const char *script, int sig, const struct strbuf *out)
{
	char *how = xasprintf("was killed by signal %d (%s)", sig, strsignal(sig));

	gnuplot_failed(script, how, out);
	free(how);
}

static int run_gnuplot(const struct run *r)
{
	char *exe = find_in_path("gnuplot"), *script = plot_run_path(r, "timeline.gp");
	struct strbuf out = { 0 };
	int pfd[2], status, timed_out, rc = -1;
	pid_t pid;

	if (!exe) {
		free(script);
		return err_set("gnuplot is not installed (not found in PATH); "
			       "install it with: apt-get install gnuplot-nox");
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		err_sys("pipe");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		err_sys("fork");
		close(pfd[0]);
		close(pfd[1]);
		goto out;
	}
	if (pid == 0)
		exec_gnuplot(r->dir, exe, pfd[1]);
	close(pfd[1]);
	timed_out = drain(pfd[0], &out, mono_ns() + (int64_t)GNUPLOT_TIMEOUT_MS * 1000000);
	close(pfd[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			err_sys("waitpid gnuplot");
			goto out;
		}
	if (timed_out > 0)
		err_set("gnuplot did not finish %s within %d s and was killed", script,
			GNUPLOT_TIMEOUT_MS / 1000);
	else if (timed_out < 0)
		err_wrap("running gnuplot on %s", script);
	else if (WIFSIGNALED(status))
		gnuplot_killed(script, WTERMSIG(status), &out);
	else if (WEXITSTATUS(status))
		gnuplot_failed(script, "failed", &out);
	else
		rc = 0;
out:
	sb_free(&out);
	free(exe);
	free(script);
	return rc;
}

static const char *const outputs[] = { "timeline.svg", "timeline.png" };

/* A failed render must not leave an older picture looking current. */
static int remove_outputs(const struct run *r)
{
	for (size_t i = 0; i < ARRAY_LEN(outputs); i++) {
		char *path = plot_run_path(r, outputs[i]);
		int rc = unlink(path) < 0 && errno != ENOENT ? err_sys("remove %s", path) : 0;

		free(path);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int check_outputs(const struct run *r)
{
	struct stat st;

	for (size_t i = 0; i < ARRAY_LEN(outputs); i++) {
		char *path = plot_run_path(r, outputs[i]);
		int rc = stat(path, &st) < 0 || st.st_size == 0 ?
			 err_set("gnuplot succeeded but wrote no %s", path) : 0;

		free(path);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- plot_run ----------------------------------------------------------- */

int plot_run(const char *run_dir)
{
	struct run r = { .duplicates = -1 };
	struct strbuf sb = { 0 };
	char *path = NULL;
	size_t len = strlen(run_dir);
	int rc = -1;

	/* Trailing slashes would double up in every path we print. */
	while (len > 1 && run_dir[len - 1] == '/')
		len--;
	r.dir = xasprintf("%.*s", (int)len, run_dir);
	if (plot_load(&r) < 0 || plot_write_data(&r) < 0)
		goto out;
	plot_script(&sb, &r);
	path = plot_run_path(&r, "timeline.gp");
	if (write_file(path, sb.buf, sb.len, 0644) < 0 || remove_outputs(&r) < 0 ||
	    run_gnuplot(&r) < 0 || check_outputs(&r) < 0)
		goto out;
	rc = 0;
out:
	free(path);
	sb_free(&sb);
	plot_run_free(&r);
	return rc;
}

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
#include "base/spawn.h"
#include "base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define GNUPLOT_TIMEOUT_MS 20000

/* ---- running gnuplot ---------------------------------------------------- */

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

/*
 * gnuplot -d NAME in DIR, where the script's relative paths (.plot/,
 * timeline.svg) lead; -d: gnuplot's defaults, no ~/.gnuplot. What it says
 * on stdout and stderr, in the order said, is the message when it fails.
 */
int plot_gnuplot(const char *dir, const char *name)
{
	struct spawn_opts o = { .io = { SPAWN_NULL, SPAWN_CAPTURE, SPAWN_TO_OUT },
				.search_path = true,
				.cwd = dir };
	char *script = xasprintf("%s/%s", dir, name);
	struct argv a = { 0 };
	struct spawn_proc p;
	int rc = -1;

	argv_addv(&a, (char *const[]){ "gnuplot", "-d", (char *)name, NULL });
	if (spawn_start(&p, a.v, &o) < 0) {
		if (strstr(err_msg(), "not found in PATH"))
			err_set("gnuplot is not installed (not found in PATH); "
				"install it with: apt-get install gnuplot-nox");
		else
			err_wrap("running gnuplot on %s", script);
		goto out;
	}
	if (spawn_wait(&p, GNUPLOT_TIMEOUT_MS) == 0)
		rc = 0;
	else if (p.timed_out)
		err_set("gnuplot did not finish %s within %d s and was killed", script,
			GNUPLOT_TIMEOUT_MS / 1000);
	else if (!p.reaped)
		err_wrap("running gnuplot on %s", script);
	else if (WIFSIGNALED(p.status))
		gnuplot_killed(script, WTERMSIG(p.status), &p.out);
	else
		gnuplot_failed(script, "failed", &p.out);
	spawn_proc_free(&p);
out:
	argv_free(&a);
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
		int rc = stat(path, &st) < 0 || st.st_size == 0
				 ? err_set("gnuplot succeeded but wrote no %s", path)
				 : 0;

		free(path);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- plot_run ----------------------------------------------------------- */

/* The run's files may be a guest's (a user-mode Linux run writes its
 * directory through hostfs): plot_load reads them with read_file_beneath,
 * so a link or FIFO planted there is refused, and gnuplot is handed only
 * files written here (timeline.gp, .plot/ *.dat, in a directory that
 * passed dir_ours), never a name of the run's. */
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
	/* gnuplot writes timeline.svg and .png there by name. */
	if (plot_load(&r) < 0 || dir_ours(r.dir) < 0 || plot_write_data(&r) < 0)
		goto out;
	plot_script(&sb, &r);
	path = plot_run_path(&r, "timeline.gp");
	if (write_file(path, sb.buf, sb.len, 0644) < 0 || remove_outputs(&r) < 0 ||
	    plot_gnuplot(r.dir, "timeline.gp") < 0 || check_outputs(&r) < 0)
		goto out;
	rc = 0;
out:
	free(path);
	sb_free(&sb);
	plot_run_free(&r);
	return rc;
}

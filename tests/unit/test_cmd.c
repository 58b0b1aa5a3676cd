/* The command table and its parser: every invocation the README, the
 * Makefile, the scripts, the tests and ikelab itself use still parses; an
 * option a command does not take is refused with the ones it does; help
 * and the overview come from the table. No lab is built: nothing here runs
 * a command's handler, except help, version and the internal roles' refusal.
 *
 * The table is main.c's own (static), so main.c is compiled into this test
 * with its main() renamed -- before check.h, whose fail() macro would
 * rename the command line's fail(). */
int ikelab_main(int argc, char **argv);
#define main ikelab_main
#include "cmd/main.c"
#undef main

#include <check.h>
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/util.h"

#define MAX_ARGS 32

/* "ikelab" and the words of line (split at spaces; no quoting). The
 * strings live in buf. */
static int split(const char *line, char *buf, size_t len, char **argv)
{
	int argc = 0;

	snprintf(buf, len, "%s", line);
	argv[argc++] = "ikelab";
	for (char *w = strtok(buf, " "); w && argc < MAX_ARGS - 1; w = strtok(NULL, " "))
		argv[argc++] = w;
	argv[argc] = NULL;
	return argc;
}

/* cmd_parse on line; c is the caller's to cli_free. */
static int parse_line(const char *line, struct cli *c, char *buf, size_t len, char **argv)
{
	int argc = split(line, buf, len, argv);

	err_clear();
	return cmd_parse(commands, argc, argv, c);
}

/* ikelab_main on line, its stdout into out (allocated) and stderr
 * discarded. Returns the exit status. */
static int run_line(const char *line, char **out)
{
	char buf[1024], *argv[MAX_ARGS], path[] = "/tmp/test_cmd.XXXXXX";
	int argc = split(line, buf, sizeof(buf), argv);
	int fd = mkstemp(path), null = open("/dev/null", O_WRONLY);
	int saved_out = dup(1), saved_err = dup(2), rc;

	ck_assert_int_ge(fd, 0);
	fflush(stdout);
	fflush(stderr);
	dup2(fd, 1);
	dup2(null, 2);
	rc = ikelab_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	close(null);
	close(fd);
	if (read_file(path, out, NULL) < 0)
		*out = xstrdup("");
	unlink(path);
	return rc;
}

static const struct {
	const char *line;
	const char *cmd;
} invocations[] = {
	/* README.md */
	{ "up", "up" },
	{ "up --peers peers/child-rekey-10s.yaml", "up" },
	{ "exec alice -- ping -c 3 -I 10.1.0.1 10.2.0.1", "exec" },
	{ "exec alice -- swanctl --list-sas", "exec" },
	{ "exec --name LAB alice -- swanctl --list-sas", "exec" },
	{ "status", "status" },
	{ "down", "down" },
	{ "record --duration 60 --traffic 1000 --out runs/rekey", "record" },
	{ "plot runs/rekey", "plot" },
	{ "run scenarios/X.yaml --seeds 10", "run" },
	{ "nightly --seeds 3 --jobs 2", "nightly" },
	{ "shrink RUN_DIR", "shrink" },
	{ "doctor", "doctor" },
	{ "charon build 6.0.3", "charon" },
	{ "charon build 6.0.6", "charon" },
	{ "up --charon 6.0.6", "up" },
	{ "exec alice -- swanctl --version", "exec" },
	{ "charon build HEAD --source ~/src/strongswan", "charon" },
	{ "up --charon 6.0.3", "up" },
	{ "run scenarios/X.yaml --charon git:3b902ea5", "run" },
	{ "nightly --charon 6.0.6 --seeds 1", "nightly" },
	/* Makefile, scripts/bench.sh */
	{ "nightly --seeds 3 --jobs 2 --charon /opt/charon --baseline base.json", "nightly" },
	{ "bench up --rounds 5", "bench" },
	{ "bench esp", "bench" },
	{ "bench record --duration 60", "bench" },
	{ "bench first-sa --rounds 5", "bench" },
	{ "nightly a.yaml b.yaml --seeds 4 --jobs 2 --out /tmp/j2", "nightly" },
	/* tests/integration, tests/stress */
	{ "up --name t01 --kernel host", "up" },
	{ "up --name t03 --charon /nonexistent/charon", "up" },
	{ "up --name t03 --topology missing.yaml", "up" },
	{ "up --name t03 --kernel sideways", "up" },
	{ "status --name t01 --json", "status" },
	{ "doctor --json", "doctor" },
	{ "down --all", "down" },
	{ "down --name t01", "down" },
	{ "exec --name t01 bob -- sh -c exit", "exec" },
	{ "record --name t06 --duration 2 --rate 1000 --out /tmp/fast", "record" },
	{ "record --name t06 --duration 20 --traffic 200 --out /tmp/rec", "record" },
	{ "run s.yaml --seed 1 --out /tmp/again", "run" },
	{ "run s.yaml --kernel uml --name t07 --out /tmp/run", "run" },
	{ "shrink /tmp/run/seed-1 --seeds 1", "shrink" },
	{ "nightly a.yaml b.yaml --seeds 1 --jobs 2 --out /tmp/all", "nightly" },
	{ "charon build 6.0.6", "charon" },
	{ "up --name hb-t12 --charon 6.0.6", "up" },
	{ "exec --name hb-t12 alice -- swanctl --version", "exec" },
	{ "run s.yaml --charon 6.0.6 --name hb-t12r --out /tmp/run", "run" },
	/* ikelab itself: the UML inner commands, nightly's and shrink's runs,
	 * bench's inner halves */
	{ "up --kernel host --name lab --topology /t.yaml --peers /p.yaml --charon /c", "up" },
	{ "run /s.yaml --kernel host --out /o --name run1 --seeds 1 --seed 7 --charon /c", "run" },
	{ "run s.yaml --seed 7 --seeds 1 --out /tmp/.seed-7 --name n1-1 --charon /c", "run" },
	{ "run s.yaml --seeds 1 --out /o --name shrink1-0 --seed 9", "run" },
	{ "bench first-sa --out /o", "bench" },
	/* --trust (README's SECURITY section), and passed on by ikelab itself */
	{ "up --trust --peers mine.yaml", "up" },
	{ "run s.yaml --trust", "run" },
	{ "nightly a.yaml --trust --seeds 1", "nightly" },
	{ "shrink RUN_DIR --trust", "shrink" },
	{ "up --kernel host --name lab --topology /t.yaml --peers /p.yaml --trust", "up" },
	{ "run /s.yaml --kernel host --out /o --name run1 --seeds 1 --trust", "run" },
	{ "run s.yaml --seed 7 --seeds 1 --out /tmp/.seed-7 --name n1-1 --trust", "run" },
	{ "run s.yaml --seeds 1 --out /o --name shrink1-0 --seed 9 --trust", "run" },
	/* the command line's own rules */
	{ "--name other exec alice -- true", "exec" },
	{ "--kernel host --seeds 2 run s.yaml", "run" },
	{ "help", "help" },
	{ "help up", "help" },
	{ "", "help" },
	{ "version", "version" },
	{ "--version", "version" },
	{ "--version --charon /c", "version" },
};

START_TEST(test_every_invocation)
{
	for (size_t i = 0; i < ARRAY_LEN(invocations); i++) {
		char buf[1024], *argv[MAX_ARGS];
		struct cli c;
		int r = parse_line(invocations[i].line, &c, buf, sizeof(buf), argv);

		ck_assert_msg(r == 0, "'%s': %s", invocations[i].line, err_msg());
		ck_assert_msg(!c.help, "'%s' taken as help", invocations[i].line);
		ck_assert_str_eq(c.cmd->name, invocations[i].cmd);
		cli_free(&c);
	}
}
END_TEST

/* What the handlers get. */
START_TEST(test_values)
{
	char buf[1024], *argv[MAX_ARGS];
	struct cli c;

	ck_assert_int_eq(parse_line("--name L exec alice -- swanctl --list-sas --help", &c, buf,
				    sizeof(buf), argv),
			 0);
	ck_assert_str_eq(c.name, "L");
	ck_assert_int_eq(c.npos, 1);
	ck_assert_str_eq(c.pos[0], "alice");
	ck_assert_str_eq(c.rest[0], "swanctl");
	ck_assert_str_eq(c.rest[1], "--list-sas");
	ck_assert_str_eq(c.rest[2], "--help");
	ck_assert (!c.help)
		;
	/* Forwarding to a UML lab sends what followed the program name. */
	ck_assert_str_eq(c.argv[0], "--name");
	cli_free(&c);

	ck_assert_int_eq(parse_line("record --duration 5 --rate 2 --traffic 9 --grace 1 --out d",
				    &c, buf, sizeof(buf), argv),
			 0);
	ck_assert_str_eq(c.name, "lab");
	ck_assert_str_eq(c.duration, "5");
	ck_assert_str_eq(c.rate, "2");
	ck_assert_str_eq(c.traffic, "9");
	ck_assert_str_eq(c.grace, "1");
	ck_assert_str_eq(c.out, "d");
	ck_assert_ptr_null(c.rest);
	cli_free(&c);

	ck_assert_int_eq(parse_line("run s.yaml --trust", &c, buf, sizeof(buf), argv), 0);
	ck_assert (c.trust)
		;
	ck_assert_int_eq(c.npos, 1);
	cli_free(&c);
	ck_assert_int_eq(parse_line("run s.yaml", &c, buf, sizeof(buf), argv), 0);
	ck_assert (!c.trust)
		;
	cli_free(&c);

	/* nightly takes several versions, in order; the first is --charon's value. */
	ck_assert_int_eq(parse_line("nightly --charon 5.9.8 s.yaml --charon git:a5e80cf5", &c, buf,
				    sizeof(buf), argv),
			 0);
	ck_assert_int_eq(c.n_charons, 2);
	ck_assert_str_eq(c.charons[0], "5.9.8");
	ck_assert_str_eq(c.charons[1], "git:a5e80cf5");
	ck_assert_str_eq(c.charon, "5.9.8");
	ck_assert_int_eq(c.npos, 1);
	cli_free(&c);
	ck_assert_int_eq(parse_line("bisect s.yaml --good 5.9.14 --bad 6.0.0 --fixed --seeds 2", &c,
				    buf, sizeof(buf), argv),
			 0);
	ck_assert_str_eq(c.good, "5.9.14");
	ck_assert_str_eq(c.bad, "6.0.0");
	ck_assert (c.fixed)
		;
	cli_free(&c);

	ck_assert_int_eq(parse_line("down --all --name x", &c, buf, sizeof(buf), argv), 0);
	ck_assert (c.all)
		;
	ck_assert (!c.json)
		;
	cli_free(&c);
}
END_TEST

static const struct {
	const char *line;
	const char *msg;
} refused[] = {
	{ "plot RUN --jobs 3", "unknown option '--jobs' (plot takes no options)" },
	{ "up --json", "unknown option '--json' (up takes: --name, --topology, --peers, --kernel, "
		       "--charon, --trust)" },
	{ "status --seeds 2", "unknown option '--seeds' (status takes: --name, --json)" },
	{ "--jobs 2 shrink RUN",
	  "unknown option '--jobs' (shrink takes: --charon, --seeds, --out, --trust, "
	  "--budget, --reproduces, --scenario, --signature)" },
	{ "nightly --name x",
	  "unknown option '--name' (nightly takes: --charon, --seeds, --jobs, "
	  "--baseline, --out, --trust, --full-duration, --shard, --budget, --fresh)" },
	/* Only commands that load scenario, profile or topology files. */
	{ "status --trust", "unknown option '--trust' (status takes: --name, --json)" },
	{ "record --trust", "unknown option '--trust' (record takes: --name, --duration, --rate, "
			    "--traffic, --grace, --out)" },
	{ "record --bogus", "unknown option '--bogus' (record takes: --name, --duration, --rate, "
			    "--traffic, --grace, --out)" },
	{ "doctor -x", "unknown option '-x' (doctor takes: --json)" },
	{ "up --version", "unknown option '--version' (up takes: --name, --topology, --peers, "
			  "--kernel, --charon, --trust)" },
	{ "up --name", "option --name needs a value" },
	{ "run s.yaml --seeds --out d", "option --seeds needs a value" },
	{ "frobnicate", "unknown command 'frobnicate' (see 'ikelab --help')" },
	{ "charon build 6.0.3 --name x", "unknown option '--name' (charon takes: --source)" },
	{ "--json", "unknown option '--json' without a command (see 'ikelab --help')" },
	/* Given twice: the last silently winning would hide a typo. */
	{ "run s.yaml --seed 1 --seed 2", "option --seed given twice (run takes it once)" },
	{ "up --charon 6.0.3 --charon 5.9.8", "option --charon given twice (up takes it once)" },
	{ "bisect s.yaml --good a --good b --bad c",
	  "option --good given twice (bisect takes it once)" },
};

START_TEST(test_refused)
{
	for (size_t i = 0; i < ARRAY_LEN(refused); i++) {
		char buf[1024], *argv[MAX_ARGS], *out;
		struct cli c;

		ck_assert_msg(parse_line(refused[i].line, &c, buf, sizeof(buf), argv) == -1,
			      "'%s' parsed", refused[i].line);
		ck_assert_str_eq(err_msg(), refused[i].msg);
		cli_free(&c);
		/* A usage error: exit status 1, nothing on stdout. */
		ck_assert_int_eq(run_line(refused[i].line, &out), 1);
		ck_assert_str_eq(out, "");
		free(out);
	}
}
END_TEST

START_TEST(test_help)
{
	char buf[1024], *argv[MAX_ARGS], *out;
	struct cli c;

	/* --help wins over whatever else is wrong on the line. */
	ck_assert_int_eq(parse_line("plot RUN --jobs 3 --help", &c, buf, sizeof(buf), argv), 0);
	ck_assert (c.help)
		;
	ck_assert_str_eq(c.cmd->name, "plot");
	cli_free(&c);
	ck_assert_int_eq(parse_line("-h", &c, buf, sizeof(buf), argv), 0);
	ck_assert (c.help)
		;
	ck_assert_ptr_null(c.cmd);
	cli_free(&c);

	ck_assert_int_eq(run_line("help plot", &out), 0);
	ck_assert_str_eq(out, "usage: ikelab plot RUN_DIR\n\n"
			      "timeline.svg and timeline.png of a recorded run\n");
	free(out);
	ck_assert_int_eq(run_line("record --help", &out), 0);
	ck_assert (!strncmp(out, "usage: ikelab record [--name LAB] [--duration S]", 48))
		;
	ck_assert_ptr_nonnull(strstr(out, "  --grace S "));
	free(out);
	ck_assert_int_eq(run_line("--help", &out), 0);
	ck_assert (!strncmp(out, "usage: ikelab COMMAND [options]\n", 32))
		;
	free(out);
	ck_assert_int_eq(run_line("help frobnicate", &out), 1);
	free(out);
}
END_TEST

/* Every command that is not internal, once, one line each, none wider
 * than a terminal. */
START_TEST(test_overview)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cmd_overview(commands, f);
	fclose(f);
	for (const struct command *c = commands; c->name; c++) {
		char *at = xasprintf("\n  %-8s ", c->name);

		if (c->flags & CMD_INTERNAL)
			ck_assert_msg(!strstr(text, c->name), "%s shown", c->name);
		else
			ck_assert_msg(strstr(text, at), "%s not shown", c->name);
		free(at);
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		ck_assert_msg(strlen(line) <= 79, "too wide: %s", line);
	free(text);
}
END_TEST

/* Whether usage names opt ("--seed" is not in "--seeds N"). */
static bool mentions(const char *usage, const char *opt)
{
	for (const char *at = strstr(usage, opt); at; at = strstr(at + 1, opt))
		if (!isalpha((unsigned char)at[strlen(opt)]))
			return true;
	return false;
}

/* The usage line names exactly the options the command takes. */
START_TEST(test_table_consistent)
{
	for (const struct command *c = commands; c->name; c++) {
		const char *p = c->usage;

		ck_assert_msg(!(c->flags & CMD_INTERNAL) == !c->role, "%s: role", c->name);
		ck_assert_msg(!c->run != !c->role, "%s: one handler", c->name);
		ck_assert_ptr_eq(cmd_find(commands, c->name), c);
		ck_assert_msg(!strchr(c->summary, '\n'), "%s: summary on one line", c->name);
		ck_assert_msg(strlen(c->summary) <= 68 || c->flags & CMD_INTERNAL,
			      "%s: summary too long for the overview", c->name);
		ck_assert_msg(!strchr(c->usage, '\n'), "%s: usage on one line", c->name);
		for (opt_t bit = 1; bit <= OPT_SOURCE; bit <<= 1) {
			const char *opt = cmd_opt_names(bit);

			ck_assert_msg(mentions(c->usage, opt) == !!(c->opts & bit), "%s: %s",
				      c->name, opt);
		}
		while ((p = strstr(p, "--"))) {
			size_t n = strspn(p, "-abcdefghijklmnopqrstuvwxyz");
			char *opt = xasprintf("%.*s", (int)n, p);

			if (n > 2)
				ck_assert_msg(strstr(cmd_opt_names(c->opts), opt),
					      "%s: %s in usage", c->name, opt);
			free(opt);
			p += n;
		}
		if (c->help)
			for (const char *l = c->help; *l; l += strcspn(l, "\n") + 1)
				ck_assert_msg(strcspn(l, "\n") <= 79, "%s: help too wide", c->name);
	}
}
END_TEST

/* The internal roles are chosen by argv before any parsing, and started
 * by hand they say what they are and exit non-zero. */
START_TEST(test_roles)
{
	char *init[] = { "ikelab", "uml-init", NULL };
	char *modprobe[] = { WARM_MODPROBE, "-q", "--", "xfrm_user", NULL };
	char *later[] = { "ikelab", "--name", "x", "uml-init", NULL };
	char *up[] = { "ikelab", "up", NULL };
	char *out;

	ck_assert_str_eq(cmd_role(commands, 2, init)->name, "uml-init");
	ck_assert_str_eq(cmd_role(commands, 4, modprobe)->name, WARM_MODPROBE);
	ck_assert_ptr_null(cmd_role(commands, 4, later));
	ck_assert_ptr_null(cmd_role(commands, 2, up));
	/* Not PID 1 here. */
	ck_assert_int_eq(run_line("uml-init /run/ikelab/lab", &out), 2);
	free(out);
	ck_assert_int_eq(run_line("--name x uml-init", &out), 2);
	free(out);
	ck_assert_int_eq(run_line(WARM_MODPROBE, &out), 2);
	free(out);
	ck_assert_int_eq(run_line("help uml-init", &out), 0);
	ck_assert_ptr_nonnull(strstr(out, "internal, not a command"));
	free(out);
	ck_assert_int_eq(run_line("manpage extra", &out), 1);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

/* ikelab(1): every command that is not internal as a subsection, no
 * role; every line that starts with a dot is one of the man(7) macros the
 * page uses; options' hyphens are \-, the page is the same twice. */
static char *man_page(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cmd_man(commands, f);
	fclose(f);
	return text;
}

static bool man_macro(const char *line)
{
	static const char *const ok[] = { ".TH ", ".SH ", ".SS ", ".TP", ".PP",   ".B ",
					  ".BR ", ".I ",  ".IR ", ".br", ".\\\" " };

	for (size_t i = 0; i < ARRAY_LEN(ok); i++)
		if (!strncmp(line, ok[i], strlen(ok[i])))
			return true;
	return false;
}

START_TEST(test_man)
{
	char *text = man_page(), *again = man_page(), *line, *save = NULL;

	ck_assert_str_eq(text, again);
	ck_assert_ptr_nonnull(strstr(text, "\n.TH IKELAB 1 \"\" \"ikelab " IKELAB_VERSION "\""));
	for (const struct command *c = commands; c->name; c++) {
		char *at = xasprintf("\n.SS \"ikelab %s\"\n", c->name);

		ck_assert_msg(!strstr(text, at) == !!(c->flags & CMD_INTERNAL), "%s", c->name);
		free(at);
	}
	ck_assert_ptr_nonnull(strstr(text, "\n.TP\n\\fB\\-\\-grace S\\fR\nhow long a duplicate"));
	ck_assert_ptr_nonnull(
		strstr(text, "\n.TP\n\\fBrecord [\\-\\-duration S]\\fR\nthe recorder"));
	ck_assert_ptr_nonnull(strstr(text, "user-mode Linux"));
	ck_assert_ptr_null(strstr(text, "\n'"));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		ck_assert_msg(line[0] != '.' || man_macro(line), "not a macro: %s", line);
	free(text);
	free(again);
}
END_TEST

START_TEST(test_version)
{
	char *out;

	ck_assert_int_eq(run_line("--version --charon /nonexistent/charon", &out), 0);
	ck_assert_str_eq(
		out,
		"ikelab " IKELAB_VERSION "\n"
		"charon /nonexistent/charon: missing (make deps installs strongswan-charon)\n");
	free(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cmd");
	TCase *tc = tcase_create("cmd");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_every_invocation);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_overview);
	tcase_add_test(tc, test_table_consistent);
	tcase_add_test(tc, test_roles);
	tcase_add_test(tc, test_man);
	tcase_add_test(tc, test_version);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

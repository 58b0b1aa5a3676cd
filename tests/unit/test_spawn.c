/* The one way ikelab starts a program: argv, stdio, deadlines, hooks and
 * the message a failure leaves, on real child processes. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/err.h"
#include "base/spawn.h"
#include "base/util.h"

static int sh(const char *script, int timeout_ms, struct strbuf *out, struct strbuf *err)
{
	char *const argv[] = { "/bin/sh", "-c", (char *)script, NULL };

	return spawn_run(argv, NULL, timeout_ms, out, err);
}

START_TEST(test_argv_builder)
{
	struct argv a = { 0 };

	for (int i = 0; i < 20; i++)
		argv_addf(&a, "arg%d", i);
	argv_add(&a, "with space; rm -rf /");
	ck_assert_uint_eq(a.n, 21);
	ck_assert_str_eq(a.v[3], "arg3");
	ck_assert_str_eq(a.v[20], "with space; rm -rf /");
	ck_assert_ptr_null(a.v[21]);
	argv_free(&a);
	ck_assert_ptr_null(a.v);
}
END_TEST

/* An argument is one argument: nothing a shell would split or expand. */
START_TEST(test_no_shell)
{
	struct strbuf out = { 0 };
	struct argv a = { 0 };

	argv_add(&a, "/bin/echo");
	argv_add(&a, "$HOME; `id` * two words");
	ck_assert_int_eq(spawn_run(a.v, NULL, 5000, &out, NULL), 0);
	ck_assert_str_eq(out.buf, "$HOME; `id` * two words\n");
	sb_free(&out);
	argv_free(&a);
}
END_TEST

START_TEST(test_exit_status_message)
{
	struct strbuf err = { 0 };

	ck_assert_int_eq(
		sh("echo warming up >&2; echo 'bad rule: no chain' >&2; exit 3", 5000, NULL, &err),
		-1);
	ck_assert_str_eq(err_msg(), "/bin/sh exited with status 3: bad rule: no chain");
	ck_assert_ptr_nonnull(strstr(err.buf, "warming up"));
	sb_free(&err);
	ck_assert_int_eq(sh("kill -9 $$", 5000, NULL, NULL), -1);
	ck_assert_str_eq(err_msg(), "/bin/sh was killed by signal 9 (Killed)");
	ck_assert_int_eq(sh("exit 0", 5000, NULL, NULL), 0);
}
END_TEST

/* A child that outlives its deadline is killed, and reaped. */
START_TEST(test_deadline)
{
	int64_t t0 = mono_ns();

	ck_assert_int_eq(sh("sleep 30", 300, NULL, NULL), -1);
	ck_assert (mono_ns() - t0 < 5000000000LL)
		;
	ck_assert_ptr_nonnull(strstr(err_msg(), "did not finish within 0.3 s and was killed"));
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
}
END_TEST

/* Closing its output is not the end of a child: the wait goes on. */
START_TEST(test_closed_output_still_waited)
{
	struct strbuf out = { 0 };

	ck_assert_int_eq(sh("echo early; exec >&-; sleep 0.3; exit 4", 5000, &out, NULL), -1);
	ck_assert_str_eq(out.buf, "early\n");
	ck_assert_ptr_nonnull(strstr(err_msg(), "exited with status 4"));
	sb_free(&out);
}
END_TEST

START_TEST(test_not_found)
{
	char *const argv[] = { "no-such-program-ikelab", NULL };
	char *const abs[] = { "/nonexistent/ikelab-program", NULL };
	struct spawn_opts o = { .search_path = true };

	ck_assert_int_eq(spawn_run(argv, &o, 1000, NULL, NULL), -1);
	ck_assert_str_eq(err_msg(), "no-such-program-ikelab: not found in PATH");
	ck_assert_int_eq(spawn_run(abs, NULL, 1000, NULL, NULL), -1);
	ck_assert_str_eq(err_msg(),
			 "/nonexistent/ikelab-program: cannot exec: No such file or directory");
}
END_TEST

static int refuse(void *ctx)
{
	(void)ctx;
	return 1;
}

static int write_marker(void *ctx)
{
	return write(*(int *)ctx, "hook", 4) == 4 ? 0 : 1;
}

START_TEST(test_before_exec)
{
	char *const argv[] = { "/bin/true", NULL };
	struct spawn_opts o = { .before_exec = refuse };
	int p[2];
	char buf[8] = "";

	ck_assert_int_eq(spawn_run(argv, &o, 5000, NULL, NULL), -1);
	ck_assert_str_eq(err_msg(), "/bin/true exited with status 126");
	ck_assert_int_eq(pipe(p), 0);
	o.before_exec = write_marker;
	o.ctx = &p[1];
	ck_assert_int_eq(spawn_run(argv, &o, 5000, NULL, NULL), 0);
	close(p[1]);
	ck_assert_int_eq(read(p[0], buf, sizeof(buf) - 1), 4);
	ck_assert_str_eq(buf, "hook");
	close(p[0]);
}
END_TEST

/* The barrier charon and the UML kernel need: the child execs only once
 * the parent has seen (and recorded) its pid. */
struct barrier {
	int go[2];
	pid_t seen;
};

static int wait_go(void *ctx)
{
	struct barrier *b = ctx;
	char c;

	return read(b->go[0], &c, 1) == 1 ? 0 : 1;
}

static int record_pid(pid_t pid, void *ctx)
{
	struct barrier *b = ctx;

	b->seen = pid;
	return write(b->go[1], "g", 1) == 1 ? 0 : err_set("go");
}

static int refuse_pid(pid_t pid, void *ctx)
{
	(void)pid;
	(void)ctx;
	return err_set("cannot record the pid");
}

START_TEST(test_after_fork_barrier)
{
	char *const argv[] = { "/bin/sh", "-c", "echo $$", NULL };
	struct barrier b = { .seen = 0 };
	struct spawn_opts o = { .io = { SPAWN_NULL, SPAWN_CAPTURE, SPAWN_NULL },
				.before_exec = wait_go,
				.after_fork = record_pid,
				.ctx = &b };
	struct spawn_proc p;

	ck_assert_int_eq(pipe(b.go), 0);
	ck_assert_int_eq(spawn_start(&p, argv, &o), 0);
	ck_assert_int_eq(b.seen, p.pid);
	ck_assert_int_eq(spawn_wait(&p, 5000), 0);
	ck_assert_int_eq(atoi(p.out.buf), b.seen);
	spawn_proc_free(&p);
	/* A parent that cannot record the child kills it: nothing runs. */
	o.after_fork = refuse_pid;
	ck_assert_int_eq(spawn_start(&p, argv, &o), -1);
	ck_assert_str_eq(err_msg(), "/bin/sh: cannot record the pid");
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	close(b.go[0]);
	close(b.go[1]);
}
END_TEST

/* stdin from a pipe we write, stderr with stdout, nothing else leaked. */
START_TEST(test_stdio)
{
	char *const argv[] = { "/bin/sh", "-c",
			       "read x; echo got $x; echo oops >&2; ls /proc/self/fd", NULL };
	struct spawn_opts o = { .io = { SPAWN_PIPE, SPAWN_CAPTURE, SPAWN_TO_OUT } };
	struct spawn_proc p;
	int leak = open("/dev/null", O_RDONLY); /* without O_CLOEXEC */

	ck_assert_int_ge(leak, 3);
	ck_assert_int_eq(spawn_start(&p, argv, &o), 0);
	ck_assert_int_eq(write(p.fd[0], "hello\n", 6), 6);
	close(p.fd[0]);
	p.fd[0] = -1;
	ck_assert_int_eq(spawn_wait(&p, 5000), 0);
	ck_assert_ptr_nonnull(strstr(p.out.buf, "got hello\noops\n"));
	/* 0, 1, 2 and ls's own directory descriptor: nothing of ours. */
	ck_assert_ptr_nonnull(strstr(p.out.buf, "oops\n0\n1\n2\n3\n"));
	ck_assert_ptr_null(strstr(p.out.buf, "\n4\n"));
	spawn_proc_free(&p);
	close(leak);
}
END_TEST

/* Freeing a proc that is still running kills and reaps it. */
START_TEST(test_free_reaps)
{
	char *const argv[] = { "/bin/sleep", "30", NULL };
	struct spawn_proc p;
	pid_t pid;

	ck_assert_int_eq(spawn_start(&p, argv, NULL), 0);
	pid = p.pid;
	spawn_proc_free(&p);
	ck_assert_int_eq(kill(pid, 0), -1);
}
END_TEST

/* Whatever the controller blocked or ignored, the program starts clean. */
START_TEST(test_clean_signals)
{
	sigset_t term;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, NULL);
	signal(SIGHUP, SIG_IGN);
	ck_assert_int_eq(sh("kill -TERM $$; sleep 2", 5000, NULL, NULL), -1);
	ck_assert_str_eq(err_msg(), "/bin/sh was killed by signal 15 (Terminated)");
	ck_assert_int_eq(sh("kill -HUP $$; sleep 2", 5000, NULL, NULL), -1);
	ck_assert_str_eq(err_msg(), "/bin/sh was killed by signal 1 (Hangup)");
}
END_TEST

START_TEST(test_describe)
{
	char buf[128];

	spawn_describe(2 << 8, buf, sizeof(buf));
	ck_assert_str_eq(buf, "exited with status 2");
	spawn_describe(SIGTERM, buf, sizeof(buf));
	ck_assert_str_eq(buf, "was killed by signal 15 (Terminated)");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spawn");
	TCase *tc = tcase_create("spawn");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_argv_builder);
	tcase_add_test(tc, test_no_shell);
	tcase_add_test(tc, test_exit_status_message);
	tcase_add_test(tc, test_deadline);
	tcase_add_test(tc, test_closed_output_still_waited);
	tcase_add_test(tc, test_not_found);
	tcase_add_test(tc, test_before_exec);
	tcase_add_test(tc, test_stdio);
	tcase_add_test(tc, test_free_reaps);
	tcase_add_test(tc, test_clean_signals);
	tcase_add_test(tc, test_after_fork_barrier);
	tcase_add_test(tc, test_describe);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

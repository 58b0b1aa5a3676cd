/* Recorded processes (pid and start time) are signalled only while they
 * are still the process recorded, through a pidfd: a pid that names
 * another process by now is left alone (issue 11, finding 5). */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/err.h"
#include "base/util.h"

/* struct clone_args of clone3(2), up to set_tid_size (CLONE_ARGS_SIZE_VER1). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size;
};

/* A child that waits for signals, once check's own handlers (TERM kills
 * its process group) are gone from it and, with ignore_term, TERM ignored. */
static pid_t idle_child_ex(bool ignore_term)
{
	int p[2];
	char c;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		signal(SIGTERM, ignore_term ? SIG_IGN : SIG_DFL);
		signal(SIGALRM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		(void)!write(p[1], "r", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

static pid_t idle_child(void)
{
	return idle_child_ex(false);
}

/* A child with exactly this pid (clone3 with set_tid: root only), so that
 * a recorded pid really is recycled; 0 where that is not allowed. Only
 * raw system calls run in it: glibc's own view of the child is stale. */
static pid_t child_at(pid_t want)
{
	pid_t tid = want;
	struct clone3_args a = { .exit_signal = SIGCHLD,
				 .set_tid = (uint64_t)(uintptr_t)&tid,
				 .set_tid_size = 1 };
	long r = syscall(SYS_clone3, &a, sizeof(a));

	if (r == 0)
		for (;;)
			syscall(SYS_pause);
	return r > 0 ? (pid_t)r : 0;
}

static bool still_running(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
}

static void reap_killed(pid_t pid, int sig)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert (WIFSIGNALED(st))
		;
	ck_assert_int_eq(WTERMSIG(st), sig);
}

/* A dead and reaped process's record: proc_kill and proc_stop do nothing
 * and say so with 0 -- also when its pid belongs to a new process. */
START_TEST(test_recycled_pid_left_alone)
{
	pid_t old = idle_child(), other;
	struct proc_id rec;

	ck_assert_int_eq(proc_id_of(old, &rec), 0);
	kill(old, SIGKILL);
	reap_killed(old, SIGKILL);
	ck_assert (!proc_alive(&rec))
		;
	ck_assert_int_eq(proc_kill(&rec, SIGKILL), 0);
	ck_assert_int_eq(proc_stop(&rec, 100), 0);
	/* Start times are in clock ticks: let one pass, then reuse the pid
	 * (or, without the privilege, point the record at another process,
	 * which is what a recycled pid looks like from the record). */
	sleep_ms(30);
	other = child_at(old);
	if (!other) {
		other = idle_child();
		rec.pid = other;
	}
	ck_assert_int_eq(proc_kill(&rec, SIGKILL), 0);
	ck_assert_int_eq(proc_stop(&rec, 100), 0);
	ck_assert (still_running(other))
		;
	kill(other, SIGKILL);
	reap_killed(other, SIGKILL);
}
END_TEST

/* The process a pidfd was checked on is the one signalled: once the pid
 * names another process, the signal reaches no one. */
START_TEST(test_pidfd_outlives_pid)
{
	pid_t pid = idle_child(), other;
	struct proc_id rec;
	int fd;

	ck_assert_int_eq(proc_id_of(pid, &rec), 0);
	ck_assert_int_eq(proc_pidfd(&rec, &fd), 1);
	kill(pid, SIGKILL);
	reap_killed(pid, SIGKILL);
	other = child_at(pid);
	if (!other)
		return; /* not root: the pid cannot be reused on purpose */
	ck_assert_int_eq(proc_pidfd_signal(fd, pid, SIGKILL), 0);
	ck_assert (still_running(other))
		;
	close(fd);
	kill(other, SIGKILL);
	reap_killed(other, SIGKILL);
}
END_TEST

START_TEST(test_live_process_signalled)
{
	pid_t pid = idle_child();
	struct proc_id rec;

	ck_assert_int_eq(proc_id_of(pid, &rec), 0);
	ck_assert (proc_alive(&rec))
		;
	ck_assert_int_eq(proc_kill(&rec, SIGTERM), 0);
	reap_killed(pid, SIGTERM);
}
END_TEST

/* TERM ignored: KILL after the grace period, and 0 once it is gone. */
START_TEST(test_stop_escalates)
{
	pid_t pid = idle_child_ex(true);
	struct proc_id rec;
	int64_t t0;

	ck_assert_int_eq(proc_id_of(pid, &rec), 0);
	t0 = mono_ns();
	ck_assert_int_eq(proc_stop(&rec, 200), 0);
	ck_assert_int_ge(mono_ns() - t0, 190 * 1000000LL);
	reap_killed(pid, SIGKILL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proc");
	TCase *tc = tcase_create("proc");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_recycled_pid_left_alone);
	tcase_add_test(tc, test_pidfd_outlives_pid);
	tcase_add_test(tc, test_live_process_signalled);
	tcase_add_test(tc, test_stop_escalates);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

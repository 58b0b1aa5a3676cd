/* A UML lab's kernel and helpers are signalled only when they check out
 * as the lab's: the binary recorded, the lab's umid and uml_dir among the
 * arguments, in the kernel's process group (issue 11, finding 5). A shell
 * stands in for the kernel: its forked subshell keeps its binary and
 * arguments, as UML's helpers do. */
#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/state.h"
#include "backend/uml/umlproc.h"
#include "base/util.h"

#define DIR_A "/nonexistent/ikelab-test/run-a"

/* A process group led by `sh -c SCRIPT sh umid=ikelab-t uml_dir=DIR/uml`
 * with one forked helper, which waits on a pipe that the test holds; the
 * leader's pid. */
static pid_t fake_kernel(const char *dir, int *hold)
{
	int ready[2], block[2];
	char c, umldir[PATH_MAX];
	pid_t pid;

	snprintf(umldir, sizeof(umldir), "uml_dir=%s/uml", dir);
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(block), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGTERM, SIG_DFL);
		dup2(ready[1], 3);
		dup2(block[0], 4);
		execl("/bin/sh", "sh", "-c",
		      "(echo r >&3; exec 3>&-; read x <&4) & exec 3>&-; wait", "sh",
		      "umid=ikelab-t", umldir, (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	close(block[0]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1); /* the helper runs */
	close(ready[0]);
	*hold = block[1];
	return pid;
}

/* Processes of the group that are not zombies. */
static int live_in_group(pid_t pgid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		struct proc_id id;
		pid_t pid = (pid_t)atoi(e->d_name);

		if (pid > 1 && getpgid(pid) == pgid && proc_id_of(pid, &id) == 0 && proc_alive(&id))
			n++;
	}
	closedir(d);
	return n;
}

static json_t *record_of(pid_t kernel, const char *exe)
{
	struct proc_id id;
	json_t *doc = json_object();

	ck_assert_int_eq(proc_id_of(kernel, &id), 0);
	json_object_set_new(doc, "uml", umlproc_kernel_json(&id, exe));
	return doc;
}

static void kill_group_and_reap(pid_t pgid)
{
	kill(-pgid, SIGKILL);
	waitpid(pgid, NULL, 0);
}

START_TEST(test_lab_kernel_and_helper_killed)
{
	int hold;
	pid_t k = fake_kernel(DIR_A, &hold);
	char *exe = realpath("/bin/sh", NULL);
	json_t *doc = record_of(k, exe);
	struct umlproc_lab lab = { .name = "t", .dir = DIR_A, .doc = doc };
	int st;

	ck_assert_int_eq(live_in_group(k), 2);
	ck_assert (!umlproc_gone(&lab))
		;
	umlproc_kill(&lab);
	ck_assert_int_eq(waitpid(k, &st, 0), k);
	ck_assert (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		;
	sleep_ms(100); /* the helper, reparented, reaped by init */
	ck_assert_int_eq(live_in_group(k), 0);
	ck_assert (umlproc_gone(&lab))
		;
	close(hold);
	json_decref(doc);
	free(exe);
}
END_TEST

/* Another run directory, another lab name, another binary: not the lab's. */
START_TEST(test_other_processes_left_alone)
{
	int hold;
	pid_t k = fake_kernel(DIR_A, &hold);
	char *exe = realpath("/bin/sh", NULL);
	json_t *doc = record_of(k, exe), *wrong_exe = record_of(k, "/usr/bin/linux.uml");
	struct umlproc_lab other_dir = { .name = "t", .dir = DIR_A "x", .doc = doc };
	struct umlproc_lab other_name = { .name = "u", .dir = DIR_A, .doc = doc };
	struct umlproc_lab other_exe = { .name = "t", .dir = DIR_A, .doc = wrong_exe };

	umlproc_kill(&other_dir);
	umlproc_kill(&other_name);
	umlproc_kill(&other_exe);
	sleep_ms(100);
	ck_assert_int_eq(live_in_group(k), 2);
	ck_assert (umlproc_gone(&other_dir))
		;
	kill_group_and_reap(k);
	close(hold);
	json_decref(doc);
	json_decref(wrong_exe);
	free(exe);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("umlproc");
	TCase *tc = tcase_create("umlproc");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_lab_kernel_and_helper_killed);
	tcase_add_test(tc, test_other_processes_left_alone);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Where labs live: the run directories' base must be private to the user
 * who runs ikelab (issue 11, finding 6). Each test runs in its own forked
 * process (libcheck's default), so the base that state.c computes once
 * per process is computed afresh from the IKELAB_RUN each test sets. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/state.h"
#include "base/err.h"
#include "base/util.h"

#define NOBODY 65534

static char top[] = "/tmp/ikelab-test-state.XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(top));
}

static void teardown(void)
{
	rm_rf(top);
}

/* A directory under the test's own private one, with the given mode
 * (whatever the umask). */
static char *dir_with_mode(const char *name, mode_t mode)
{
	char *d = xasprintf("%s/%s", top, name);

	ck_assert_int_eq(mkdir(d, 0700), 0);
	ck_assert_int_eq(chmod(d, mode), 0);
	return d;
}

/* Claiming a lab under IKELAB_RUN=base: -1 and a message holding each of
 * the expected pieces, and no lab directory made. */
static void claim_refused(const char *base, const char *want1, const char *want2)
{
	struct lab_state st;
	char *lab = xasprintf("%s/t", base);

	setenv("IKELAB_RUN", base, 1);
	ck_assert_int_eq(state_claim(&st, "t", "host"), -1);
	ck_assert_msg(strstr(err_msg(), want1), "'%s' does not say '%s'", err_msg(), want1);
	ck_assert_msg(strstr(err_msg(), want2), "'%s' does not say '%s'", err_msg(), want2);
	ck_assert_msg(!path_exists(lab), "%s was created", lab);
	state_close(&st);
	free(lab);
}

START_TEST(test_private_base_accepted)
{
	char *base = dir_with_mode("run", 0700);
	struct lab_state st;

	setenv("IKELAB_RUN", base, 1);
	ck_assert_msg(state_claim(&st, "t", "host") == 0, "%s", err_msg());
	state_close(&st);
	ck_assert_int_eq(state_peek(&st, "t"), 0);
	state_close(&st);
	free(base);
}
END_TEST

START_TEST(test_world_writable_base)
{
	char *base = dir_with_mode("run", 0777);

	claim_refused(base, base, "writable by group or others (mode 0777)");
	free(base);
}
END_TEST

START_TEST(test_group_writable_base)
{
	char *base = dir_with_mode("run", 0770);

	claim_refused(base, base, "writable by group or others (mode 0770)");
	free(base);
}
END_TEST

/* Another user made it first (as with /tmp/ikelab-UID): whatever lab.json
 * or uml.json it holds is theirs. */
START_TEST(test_base_of_another_user)
{
	char *base = dir_with_mode("run", 0700), *want;

	if (geteuid() != 0)
		return; /* only root can give a directory away */
	ck_assert_int_eq(chown(base, NOBODY, NOBODY), 0);
	want = xasprintf("owned by uid %d, not by uid 0", NOBODY);
	claim_refused(base, base, want);
	free(want);
	free(base);
}
END_TEST

START_TEST(test_symlinked_base)
{
	char *real = dir_with_mode("real", 0700), *link = xasprintf("%s/link", top);

	ck_assert_int_eq(symlink(real, link), 0);
	claim_refused(link, link, "is a symbolic link");
	free(real);
	free(link);
}
END_TEST

/* A private base in a directory where others can rename it away. */
START_TEST(test_unsafe_parent)
{
	char *open = dir_with_mode("open", 0777), *base = xasprintf("%s/run", open);

	ck_assert_int_eq(mkdir(base, 0700), 0);
	claim_refused(base, open, "without the sticky bit");
	free(open);
	free(base);
}
END_TEST

/* A missing base is created, private. */
START_TEST(test_missing_base_created_0700)
{
	char *base = xasprintf("%s/new/run", top);
	struct stat st;

	umask(0);
	setenv("IKELAB_RUN", base, 1);
	ck_assert_msg(state_base_ensure() == 0, "%s", err_msg());
	ck_assert_int_eq(stat(base, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	free(base);
}
END_TEST

/* Without IKELAB_RUN, a user other than root keeps labs under
 * XDG_RUNTIME_DIR (created 0700 there), not in /tmp. */
START_TEST(test_xdg_runtime_dir_preferred)
{
	char *xdg = dir_with_mode("xdg", 0700), *want = xasprintf("%s/ikelab", xdg);
	struct stat st;

	if (geteuid() != 0)
		return;
	ck_assert_int_eq(chmod(top, 0755), 0);
	ck_assert_int_eq(chown(xdg, NOBODY, NOBODY), 0);
	unsetenv("IKELAB_RUN");
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	ck_assert_int_eq(seteuid(NOBODY), 0);
	ck_assert_str_eq(state_base_dir(), want);
	ck_assert_msg(state_base_ensure() == 0, "%s", err_msg());
	ck_assert_int_eq(stat(want, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_uint_eq(st.st_uid, NOBODY);
	ck_assert_int_eq(seteuid(0), 0);
	free(xdg);
	free(want);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("base");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_private_base_accepted);
	tcase_add_test(tc, test_world_writable_base);
	tcase_add_test(tc, test_group_writable_base);
	tcase_add_test(tc, test_base_of_another_user);
	tcase_add_test(tc, test_symlinked_base);
	tcase_add_test(tc, test_unsafe_parent);
	tcase_add_test(tc, test_missing_base_created_0700);
	tcase_add_test(tc, test_xdg_runtime_dir_preferred);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

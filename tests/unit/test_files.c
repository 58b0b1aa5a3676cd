/* The one way ikelab creates files and directories (base/file.h): a link or
 * file planted at the name or at the temporary name is never followed or
 * truncated, and a directory someone else owns or may write is refused.
 * And the way it reads what a guest may have planted (read_file_beneath,
 * json_load_beneath): no link below the trusted directory followed, no
 * FIFO waited for, nothing outside it or too big read; each test both with
 * openat2 and with the walk used without it. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "base/util.h"

#define NOBODY 65534
#define SCRATCH_TAG "files"
#include "scratch.h"

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static const char *slurp(const char *path)
{
	static char *text;

	free(text);
	text = NULL;
	if (read_file(path, &text, NULL) < 0)
		return "(unreadable)";
	return text;
}

static bool is_link(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static bool has(const char *needle)
{
	return strstr(err_msg(), needle) != NULL;
}

/* ---- files -------------------------------------------------------------- */

/* A link at the target is replaced, never written through; the mode is
 * what was asked, whatever the umask. */
START_TEST(test_write_file_link_at_target)
{
	umask(077);
	put(at("victim"), "precious");
	ck_assert_int_eq(symlink(at("victim"), at("out")), 0);
	ck_assert_int_eq(write_file(at("out"), "new", 3, 0640), 0);
	ck_assert_str_eq(slurp(at("victim")), "precious");
	CHECK(!is_link(at("out")));
	ck_assert_str_eq(slurp(at("out")), "new");
	ck_assert_uint_eq(mode_of(at("out")), 0640);
}
END_TEST

/* The temporary name write_file used before (PATH.tmp.PID) is no longer
 * opened: a link planted there leads nowhere. */
START_TEST(test_write_file_old_tmp_name)
{
	char *old = xasprintf("%s.tmp.%d", at("out"), (int)getpid());

	put(at("victim"), "precious");
	ck_assert_int_eq(symlink(at("victim"), old), 0);
	ck_assert_int_eq(write_file(at("out"), "new", 3, 0644), 0);
	ck_assert_str_eq(slurp(at("victim")), "precious");
	ck_assert_str_eq(slurp(at("out")), "new");
	free(old);
}
END_TEST

static int fills;

static void predictable(unsigned char *buf, size_t len)
{
	memset(buf, fills++ ? 0x22 : 0x11, len);
}

static void always_same(unsigned char *buf, size_t len)
{
	memset(buf, 0x11, len);
}

/* A link planted at the very temporary name that comes next is not
 * followed: the next random name is taken instead. */
START_TEST(test_write_file_link_at_tmp_name)
{
	char *tmp = xstrdup(at("out.tmp.1111111111111111"));

	put(at("victim"), "precious");
	ck_assert_int_eq(symlink(at("victim"), tmp), 0);
	file_test_random(predictable);
	ck_assert_int_eq(write_file(at("out"), "new", 3, 0644), 0);
	ck_assert_str_eq(slurp(at("victim")), "precious");
	ck_assert_str_eq(slurp(at("out")), "new");
	CHECK(is_link(tmp));
	CHECK(!path_exists(at("out.tmp.2222222222222222")));

	/* Every name taken: an error, and still nothing written through. */
	file_test_random(always_same);
	ck_assert_int_eq(write_file(at("out"), "newer", 5, 0644), -1);
	CHECK(has("random names were taken"));
	ck_assert_str_eq(slurp(at("victim")), "precious");
	ck_assert_str_eq(slurp(at("out")), "new");
	file_test_random(NULL);
	free(tmp);
}
END_TEST

/* FILE_NEW: whatever is at the name stays as it was. */
START_TEST(test_new_is_exclusive)
{
	put(at("keep"), "kept");
	ck_assert_int_eq(file_create(at("keep"), 0644, FILE_NEW), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_str_eq(slurp(at("keep")), "kept");

	/* A dangling link: its target is not created either. */
	ck_assert_int_eq(symlink(at("ghost"), at("dangling")), 0);
	ck_assert_int_eq(file_create(at("dangling"), 0644, FILE_NEW), -1);
	CHECK(!path_exists(at("ghost")));

	{
		int fd = file_create(at("fresh"), 0600, FILE_NEW);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, "x", 1), 1);
		close(fd);
		ck_assert_uint_eq(mode_of(at("fresh")), 0600);
	}
}
END_TEST

/* FILE_REPLACE truncates by replacing the name: another hard link of the
 * old file keeps its content. */
START_TEST(test_replace_does_not_truncate)
{
	int fd;

	put(at("victim"), "precious");
	ck_assert_int_eq(link(at("victim"), at("out")), 0);
	fd = file_create(at("out"), 0644, FILE_REPLACE);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	close(fd);
	ck_assert_str_eq(slurp(at("victim")), "precious");
	ck_assert_str_eq(slurp(at("out")), "x");

	ck_assert_int_eq(symlink(at("victim"), at("link")), 0);
	fd = file_create(at("link"), 0644, FILE_REPLACE);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_str_eq(slurp(at("victim")), "precious");
	CHECK(!is_link(at("link")));
}
END_TEST

/* FILE_APPEND: our own regular file, or a new one; never a link, a file
 * with other links, a FIFO, or someone else's file. */
START_TEST(test_append)
{
	FILE *f;
	int fd;

	for (int i = 0; i < 2; i++) {
		f = file_fopen(at("log"), 0600, FILE_APPEND);
		ck_assert_ptr_nonnull(f);
		fprintf(f, "line %d\n", i);
		fclose(f);
	}
	ck_assert_str_eq(slurp(at("log")), "line 0\nline 1\n");
	ck_assert_uint_eq(mode_of(at("log")), 0600);

	put(at("victim"), "precious");
	ck_assert_int_eq(symlink(at("victim"), at("link")), 0);
	ck_assert_int_eq(file_create(at("link"), 0644, FILE_APPEND), -1);
	CHECK(has("is a symbolic link"));
	ck_assert_int_eq(file_append_fd(at("link"), 0644), -1);
	ck_assert_int_eq(errno, ELOOP);

	ck_assert_int_eq(link(at("victim"), at("hard")), 0);
	ck_assert_int_eq(file_create(at("hard"), 0644, FILE_APPEND), -1);
	CHECK(has("other hard links"));

	ck_assert_int_eq(mkfifo(at("fifo"), 0600), 0);
	ck_assert_int_eq(file_create(at("fifo"), 0644, FILE_APPEND), -1);
	ck_assert_str_eq(slurp(at("victim")), "precious");

	if (geteuid() == 0) {
		put(at("theirs"), "theirs");
		ck_assert_int_eq(chown(at("theirs"), NOBODY, NOBODY), 0);
		ck_assert_int_eq(file_create(at("theirs"), 0644, FILE_APPEND), -1);
		CHECK(has("belongs to another user"));
		ck_assert_str_eq(slurp(at("theirs")), "theirs");
	}
	fd = file_create(at("new.log"), 0644, FILE_APPEND);
	ck_assert_int_ge(fd, 0);
	close(fd);
}
END_TEST

START_TEST(test_fopen_new_and_replace)
{
	FILE *f = file_fopen(at("a.csv"), 0644, FILE_NEW);

	ck_assert_ptr_nonnull(f);
	fputs("t,x\n", f);
	fclose(f);
	ck_assert_ptr_null(file_fopen(at("a.csv"), 0644, FILE_NEW));
	f = file_fopen(at("a.csv"), 0644, FILE_REPLACE);
	ck_assert_ptr_nonnull(f);
	CHECK(fcntl(fileno(f), F_GETFD) & FD_CLOEXEC);
	fputs("t,y\n", f);
	fclose(f);
	ck_assert_str_eq(slurp(at("a.csv")), "t,y\n");
}
END_TEST

/* ---- directories -------------------------------------------------------- */

START_TEST(test_mkdir_p_makes_private_dirs)
{
	umask(0);
	ck_assert_int_eq(mkdir_p(at("a/b/c"), 0700), 0);
	ck_assert_uint_eq(mode_of(at("a/b/c")), 0700);
	ck_assert_uint_eq(mode_of(at("a")), 0755);
	/* Never writable by others, whatever was asked. */
	ck_assert_int_eq(mkdir_p(at("open"), 0777), 0);
	ck_assert_uint_eq(mode_of(at("open")), 0755);
	/* Again: an existing directory of ours is fine. */
	ck_assert_int_eq(mkdir_p(at("a/b/c/"), 0700), 0);
	/* Relative to the current directory, with . and .. on the way. */
	ck_assert_int_eq(chdir(scratch_dir), 0);
	ck_assert_int_eq(mkdir_p("./rel/../rel2/x", 0755), 0);
	CHECK(path_exists(at("rel2/x")));
}
END_TEST

/* The directory itself: not a link, not writable by group or others. */
START_TEST(test_mkdir_p_refuses_final)
{
	static const mode_t bad[] = { 0777, 0775, 0757, 01777 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(mkdir(at("out"), 0700), 0);
		ck_assert_int_eq(chmod(at("out"), bad[i]), 0);
		ck_assert_int_eq(mkdir_p(at("out"), 0755), -1);
		CHECK(has("writable by"));
		CHECK(has("chmod go-w"));
		ck_assert_int_eq(dir_ours(at("out")), -1);
		ck_assert_int_eq(rmdir(at("out")), 0);
	}
	ck_assert_int_eq(mkdir(at("real"), 0755), 0);
	ck_assert_int_eq(symlink(at("real"), at("out")), 0);
	ck_assert_int_eq(mkdir_p(at("out"), 0755), -1);
	CHECK(has("is a symbolic link"));
	ck_assert_int_eq(dir_ours(at("out")), -1);
	put(at("file"), "");
	ck_assert_int_eq(mkdir_p(at("file"), 0755), -1);
	CHECK(has("Not a directory"));
	ck_assert_int_eq(dir_ours(at("missing")), -1);
	CHECK(!path_exists(at("missing")));
}
END_TEST

/* On the way: writable by others only with the sticky bit (as /tmp), and
 * nothing is created below a directory that fails. */
START_TEST(test_mkdir_p_intermediate)
{
	ck_assert_int_eq(mkdir(at("shared"), 0700), 0);
	ck_assert_int_eq(chmod(at("shared"), 01777), 0);
	ck_assert_int_eq(mkdir_p(at("shared/mine/out"), 0755), 0);

	ck_assert_int_eq(mkdir(at("open"), 0700), 0);
	ck_assert_int_eq(chmod(at("open"), 0777), 0);
	ck_assert_int_eq(mkdir_p(at("open/out"), 0755), -1);
	CHECK(has("on its way is writable by group and others"));
	CHECK(!path_exists(at("open/out")));

	/* A link on the way is followed, and where it leads is checked. */
	ck_assert_int_eq(mkdir(at("open/inner"), 0755), 0);
	ck_assert_int_eq(symlink(at("open/inner"), at("via")), 0);
	ck_assert_int_eq(mkdir_p(at("via/out"), 0755), -1);
	CHECK(!path_exists(at("open/inner/out")));
	ck_assert_int_eq(symlink("shared/mine", at("rel")), 0);
	ck_assert_int_eq(mkdir_p(at("rel/out2"), 0755), 0);
	CHECK(path_exists(at("shared/mine/out2")));
}
END_TEST

/* Another user's directory, as the last or on the way: refused, unless it
 * is the user sudo ran us for or one trusted by file_trust_uid. */
START_TEST(test_mkdir_p_owner)
{
	if (geteuid() != 0)
		return; /* chown needs root; make test runs as root */
	unsetenv("SUDO_UID");
	ck_assert_int_eq(mkdir(at("theirs"), 0755), 0);
	ck_assert_int_eq(chown(at("theirs"), NOBODY, NOBODY), 0);
	ck_assert_int_eq(mkdir_p(at("theirs"), 0755), -1);
	CHECK(has("it is owned by uid 65534"));
	ck_assert_int_eq(mkdir_p(at("theirs/out"), 0755), -1);
	CHECK(has("on its way is owned by uid 65534"));
	CHECK(!path_exists(at("theirs/out")));
	/* A sticky directory of someone else's: they may still rename. */
	ck_assert_int_eq(chmod(at("theirs"), 01777), 0);
	ck_assert_int_eq(mkdir_p(at("theirs/out"), 0755), -1);

	setenv("SUDO_UID", "65534", 1);
	ck_assert_int_eq(chmod(at("theirs"), 0755), 0);
	ck_assert_int_eq(mkdir_p(at("theirs/out"), 0755), 0);
	unsetenv("SUDO_UID");
	ck_assert_int_eq(mkdir_p(at("theirs/out"), 0755), -1);
	file_trust_uid(NOBODY);
	ck_assert_int_eq(mkdir_p(at("theirs/out"), 0755), 0);
}
END_TEST

START_TEST(test_dir_create_exclusive)
{
	ck_assert_int_eq(dir_create(at("lab"), 0700), 0);
	ck_assert_uint_eq(mode_of(at("lab")), 0700);
	ck_assert_int_eq(dir_create(at("lab"), 0700), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(symlink(at("lab"), at("link")), 0);
	ck_assert_int_eq(dir_create(at("link"), 0700), -1);
	ck_assert_int_eq(errno, EEXIST);

	ck_assert_int_eq(mkdir(at("open"), 0700), 0);
	ck_assert_int_eq(chmod(at("open"), 0777), 0);
	ck_assert_int_eq(dir_create(at("open/lab"), 0700), -1);
	CHECK(!path_exists(at("open/lab")));
}
END_TEST

/* Inside user-mode Linux: any existing directory will do, not a link. */
START_TEST(test_dir_mountpoint)
{
	ck_assert_int_eq(mkdir(at("shm"), 0700), 0);
	ck_assert_int_eq(chmod(at("shm"), 01777), 0);
	ck_assert_int_eq(dir_mountpoint(at("shm")), 0);
	ck_assert_int_eq(dir_mountpoint(at("new/mnt")), 0);
	ck_assert_int_eq(symlink(at("shm"), at("link")), 0);
	ck_assert_int_eq(dir_mountpoint(at("link")), -1);
	ck_assert_int_eq(file_symlink("x", at("link")), -1);
	ck_assert_int_eq(errno, EEXIST);
}
END_TEST

/* ---- reading below a trusted directory ------------------------------------ */

/* Read REL below the scratch directory, as loop test _i says (0: openat2,
 * 1: the walk without it); a FIFO must not make this wait: the alarm
 * ends the test. */
static int beneath(int how, const char *rel, size_t max, char **text)
{
	size_t len;
	int r;

	file_test_no_openat2(how == 1);
	alarm(2);
	*text = NULL;
	r = read_file_beneath(scratch_dir, rel, max, text, &len);
	alarm(0);
	if (r == 0)
		ck_assert_uint_eq(len, strlen(*text));
	return r;
}

START_TEST(test_beneath_regular)
{
	char *text;

	ck_assert_int_eq(mkdir(at("run"), 0755), 0);
	ck_assert_int_eq(mkdir(at("run/seed-1"), 0755), 0);
	put(at("run/seed-1/summary.json"), "{\"result\": \"pass\"}\n");
	ck_assert_int_eq(beneath(_i, "run/seed-1/summary.json", 64, &text), 0);
	ck_assert_str_eq(text, "{\"result\": \"pass\"}\n");
	free(text);
	put(at("empty"), "");
	ck_assert_int_eq(beneath(_i, "empty", 64, &text), 0);
	ck_assert_str_eq(text, "");
	free(text);
	ck_assert_int_eq(beneath(_i, "missing", 64, &text), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(beneath(_i, "run/nothing/summary.json", 64, &text), -1);
	ck_assert_int_eq(errno, ENOENT);
	CHECK(has("run/nothing/summary.json"));
}
END_TEST

/* summary.json -> a file outside: refused, the file it names not read. */
START_TEST(test_beneath_link_last)
{
	char *text;

	put(at("secret"), "root's secret");
	ck_assert_int_eq(mkdir(at("run"), 0755), 0);
	ck_assert_int_eq(symlink(at("secret"), at("run/summary.json")), 0);
	ck_assert_int_eq(beneath(_i, "run/summary.json", 64, &text), -1);
	ck_assert_int_eq(errno, ELOOP);
	CHECK(has("refusing ") && has("run/summary.json: a symbolic link"));
	ck_assert_ptr_null(text);
	/* Even one that stays inside the directory. */
	ck_assert_int_eq(symlink("../secret", at("run/inside")), 0);
	ck_assert_int_eq(beneath(_i, "run/inside", 64, &text), -1);
	ck_assert_int_eq(errno, ELOOP);
}
END_TEST

/* seed-N -> elsewhere: the directory on the way is a link, refused. */
START_TEST(test_beneath_link_dir)
{
	char *text;

	ck_assert_int_eq(mkdir(at("elsewhere"), 0755), 0);
	put(at("elsewhere/report.txt"), "not the run's");
	ck_assert_int_eq(mkdir(at("sc"), 0755), 0);
	ck_assert_int_eq(symlink(at("elsewhere"), at("sc/seed-1")), 0);
	ck_assert_int_eq(beneath(_i, "sc/seed-1/report.txt", 64, &text), -1);
	ck_assert_int_eq(errno, ELOOP);
	CHECK(has("sc/seed-1/report.txt: a symbolic link"));
	ck_assert_int_eq(symlink("/etc", at("etc")), 0);
	ck_assert_int_eq(beneath(_i, "etc/hostname", 1 << 20, &text), -1);
	ck_assert_int_eq(errno, ELOOP);
}
END_TEST

/* A FIFO nobody writes: refused at once, as the last name or on the way. */
START_TEST(test_beneath_fifo)
{
	int64_t t0 = mono_ns();
	char *text;

	ck_assert_int_eq(mkfifo(at("summary.json"), 0644), 0);
	ck_assert_int_eq(beneath(_i, "summary.json", 64, &text), -1);
	ck_assert_int_eq(errno, EINVAL);
	CHECK(has("summary.json: it is a FIFO, not a regular file"));
	ck_assert_int_eq(beneath(_i, "summary.json/x", 64, &text), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	ck_assert_int_eq(mkdir(at("d"), 0755), 0);
	ck_assert_int_eq(beneath(_i, "d", 64, &text), -1);
	CHECK(has("it is a directory"));
	ck_assert_int_lt(mono_ns() - t0, 1000000000);
}
END_TEST

/* Nothing outside the directory: "..", however deep, and absolute names. */
START_TEST(test_beneath_dotdot)
{
	char *base = xstrdup(at("run")), *text;

	put(at("secret"), "root's secret");
	ck_assert_int_eq(mkdir(base, 0755), 0);
	ck_assert_int_eq(mkdir(at("run/a"), 0755), 0);
	file_test_no_openat2(_i == 1);
	ck_assert_int_eq(read_file_beneath(base, "../secret", 64, &text, NULL), -1);
	ck_assert_int_eq(errno, EXDEV);
	CHECK(has("leads out of"));
	ck_assert_int_eq(read_file_beneath(base, "a/../../secret", 64, &text, NULL), -1);
	ck_assert_int_eq(errno, EXDEV);
	ck_assert_int_eq(read_file_beneath(base, at("secret"), 64, &text, NULL), -1);
	ck_assert_int_eq(errno, EXDEV);
	ck_assert_int_eq(read_file_beneath(base, "a/..", 64, &text, NULL), -1);
	ck_assert_int_eq(errno, EXDEV);
	free(base);
}
END_TEST

/* A file over the cap is refused, one at it read. */
START_TEST(test_beneath_oversized)
{
	char big[101], *text;

	memset(big, 'x', 100);
	big[100] = '\0';
	put(at("big"), big);
	ck_assert_int_eq(beneath(_i, "big", 99, &text), -1);
	ck_assert_int_eq(errno, EFBIG);
	CHECK(has("more than the 99 bytes"));
	ck_assert_int_eq(beneath(_i, "big", 100, &text), 0);
	ck_assert_str_eq(text, big);
	free(text);
}
END_TEST

/* A mount below the directory is not crossed (root only: it mounts a
 * tmpfs, in a mount namespace of this test's own). */
START_TEST(test_beneath_mount)
{
	char *text;

	ck_assert_int_eq(mkdir(at("m"), 0755), 0);
	if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("none", at("m"), "tmpfs", 0, "size=64k") < 0)
		return; /* make test runs as root */
	put(at("m/file"), "another file system");
	ck_assert_int_eq(beneath(_i, "m/file", 64, &text), -1);
	ck_assert_int_eq(errno, EXDEV);
	CHECK(has("across a mount point"));
	ck_assert_int_eq(umount2(at("m"), MNT_DETACH), 0);
}
END_TEST

/* JSON the same way, with the line and column of a syntax error. */
START_TEST(test_json_beneath)
{
	json_t *j;

	file_test_no_openat2(_i == 1);
	put(at("ok.json"), "{\"result\": \"fail\"}");
	j = json_load_beneath(scratch_dir, "ok.json", 64);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(jget_str(j, "result"), "fail");
	json_decref(j);
	put(at("bad.json"), "{\n  \"result\": }\n");
	ck_assert_ptr_null(json_load_beneath(scratch_dir, "bad.json", 64));
	ck_assert_int_eq(errno, EBADMSG);
	CHECK(has("/bad.json:2:"));
	ck_assert_int_eq(mkfifo(at("fifo.json"), 0644), 0);
	alarm(2);
	ck_assert_ptr_null(json_load_beneath(scratch_dir, "fifo.json", 64));
	alarm(0);
	CHECK(has("a FIFO"));
	ck_assert_ptr_null(json_load_beneath(scratch_dir, "none.json", 64));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("files");
	TCase *tc = tcase_create("files");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, scratch, cleanup);
	tcase_add_test(tc, test_write_file_link_at_target);
	tcase_add_test(tc, test_write_file_old_tmp_name);
	tcase_add_test(tc, test_write_file_link_at_tmp_name);
	tcase_add_test(tc, test_new_is_exclusive);
	tcase_add_test(tc, test_replace_does_not_truncate);
	tcase_add_test(tc, test_append);
	tcase_add_test(tc, test_fopen_new_and_replace);
	tcase_add_test(tc, test_mkdir_p_makes_private_dirs);
	tcase_add_test(tc, test_mkdir_p_refuses_final);
	tcase_add_test(tc, test_mkdir_p_intermediate);
	tcase_add_test(tc, test_mkdir_p_owner);
	tcase_add_test(tc, test_dir_create_exclusive);
	tcase_add_test(tc, test_dir_mountpoint);
	tcase_add_loop_test(tc, test_beneath_regular, 0, 2);
	tcase_add_loop_test(tc, test_beneath_link_last, 0, 2);
	tcase_add_loop_test(tc, test_beneath_link_dir, 0, 2);
	tcase_add_loop_test(tc, test_beneath_fifo, 0, 2);
	tcase_add_loop_test(tc, test_beneath_dotdot, 0, 2);
	tcase_add_loop_test(tc, test_beneath_oversized, 0, 2);
	tcase_add_loop_test(tc, test_beneath_mount, 0, 2);
	tcase_add_loop_test(tc, test_json_beneath, 0, 2);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

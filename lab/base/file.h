/*
 * file.h - the one way ikelab creates files and directories.
 *
 * ikelab runs as root and writes into directories it is given (--out,
 * IKELAB_RUN, a run directory to plot), so every file is created here, in
 * a way a planted name cannot redirect: O_CREAT always with O_EXCL and
 * O_NOFOLLOW, so a symbolic link or a hard link someone left at the name is
 * never opened, followed or truncated. A file that replaces another is
 * written under a random temporary name (getrandom, not the pid) beside it
 * and renamed over it, which replaces the name and never writes into what
 * it pointed to. Logs are appended to only when they are regular files of
 * ours with a single link.
 *
 * Directories a command writes below (the run directory, --out) are ours:
 * mkdir_p and dir_ours walk the path one component at a time from / and
 * refuse, naming the directory and why, a final directory that is a
 * symbolic link, is owned by another user or is writable by group or
 * others, and an intermediate one owned by another user or writable by
 * others without the sticky bit (/tmp is fine: nobody can rename what we
 * own in it). Symbolic links on the way are followed only when they sit in
 * a directory that passed, and where they lead is walked and checked the
 * same way. "Another user" is anyone but root, us, the user sudo ran us for
 * (SUDO_UID: they can be root anyway) and one uid the caller adds
 * (file_trust_uid: inside user-mode Linux, the host user whose directories
 * hostfs shows). Below a directory that passed nobody else can swap a
 * name, so the paths built inside it are safe to use as paths.
 *
 * Files someone else may have written are read here too: what a user-mode
 * Linux guest (root inside it) left in a run or --out directory the host
 * shares with it, read back by the host (nightly, shrink, bisect, bench,
 * plot). read_file_beneath opens a name below a directory the caller
 * trusts without following any symbolic link below it, leaving it or
 * crossing a mount (openat2 with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|
 * RESOLVE_NO_XDEV, else a walk one component at a time), without waiting
 * on a FIFO (O_NONBLOCK), and reads only a regular file up to a size cap.
 *
 * `make tree-test` (tests/tree/check.sh) fails when a .c file of lab/ or
 * probes/ other than file.c opens with O_CREAT or O_TRUNC, fopens for
 * writing, or calls creat, mkdir, symlink, link, mkstemp or json_dump_file.
 * docs/audit.md lists every caller and why its directory is safe.
 */
#ifndef IKELAB_BASE_FILE_H
#define IKELAB_BASE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

enum file_how {
	FILE_NEW,     /* exclusive: anything at PATH (file, link) is EEXIST */
	FILE_REPLACE, /* a new file renamed over PATH at once (truncation without writing
		       * into what was there) */
	FILE_APPEND,  /* PATH's end when it is a regular file of ours with one link,
		       * else a new file */
};

/* A descriptor open for writing (O_CLOEXEC) on a file made as HOW says,
 * with exactly MODE (whatever the umask), or -1 with err_msg() naming PATH. */
int file_create(const char *path, mode_t mode, enum file_how how);

/* file_create as a stdio stream ("w", or "a" for FILE_APPEND; closed on
 * exec). NULL with err_msg(). The caller fcloses it. */
FILE *file_fopen(const char *path, mode_t mode, enum file_how how);

/* FILE_APPEND for a child between fork and exec: only async-signal-safe
 * calls, no message; the descriptor, or -1 with errno (ELOOP for a link,
 * EMLINK for a file with other links, EPERM for someone else's file). */
int file_append_fd(const char *path, mode_t mode);

/* Write LEN bytes as PATH's new content atomically: a temporary file, then
 * rename. MODE exactly. */
int write_file(const char *path, const void *data, size_t len, mode_t mode);

/* PATH and its missing parents (made 0755; PATH itself MODE), then the
 * checks above. 0, or -1 with err_msg(). */
int mkdir_p(const char *path, mode_t mode);

/* The checks of mkdir_p on a directory that must exist already (a run
 * directory given to `ikelab plot`, say); creates nothing. */
int dir_ours(const char *path);

/* One new directory, exclusively (an existing name is an error, with errno
 * EEXIST kept for the caller), in a parent that passes mkdir_p's checks. */
int dir_create(const char *path, mode_t mode);

/* A mount point inside user-mode Linux (agent.c): created if missing, an
 * existing directory accepted whatever its owner and mode, since the mount
 * covers it and the kernel has no other users; a symbolic link refused,
 * since mount would follow it. */
int dir_mountpoint(const char *path);

/* A symbolic link at PATH to TARGET; never replaces anything (errno
 * EEXIST kept). */
int file_symlink(const char *target, const char *path);

/* REL below DIR read whole (*out NUL-terminated, allocated; *len without
 * the NUL, when LEN is not NULL), for a file someone else may have made:
 * DIR itself is the caller's to trust (made or checked by it, or named by
 * the user), but no symbolic link below it is followed (not even as a
 * directory on the way), REL may not be absolute or hold "..", nothing on
 * another file system is reached, a FIFO or device is opened without
 * blocking and refused, and so is a file of more than MAX bytes. 0, or -1
 * with err_msg() naming DIR/REL and why, errno ENOENT when REL (or a
 * directory on its way) does not exist, ELOOP for a link, EXDEV for a way
 * out of DIR, EINVAL for what is not a regular file, EFBIG when too big. */
int read_file_beneath(const char *dir, const char *rel, size_t max, char **out, size_t *len);

/* The directory REL below SRC copied to DST/REL, which must not exist
 * (its parents are made as mkdir_p makes them): SRC/REL is opened as
 * read_file_beneath opens a file, and below it only directories on its
 * file system and regular files are copied, each opened without following
 * a link and created exclusively; anything else (a link, a FIFO, a device,
 * a directory deeper than 16) is left out and counted in *SKIPPED. For
 * trees someone else made: the shards of a night, merged. 0, or -1 with
 * err_msg(). */
int tree_copy_beneath(const char *src, const char *rel, const char *dst, unsigned *skipped);

/* Trust directories and files owned by UID as our own (see above). */
void file_trust_uid(uid_t uid);

/* Tests only: where temporary names take their random bytes (NULL:
 * getrandom), so that a test can plant a link at the next name. */
void file_test_random(void (*fill)(unsigned char *buf, size_t len));

/* Tests only: read_file_beneath without openat2, as on kernels before 5.6
 * or under a seccomp filter that refuses it (its component-by-component
 * walk). */
void file_test_no_openat2(bool off);

#endif

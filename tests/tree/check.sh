#!/bin/bash
# The tree keeps the shape issue 10 gave it (make tree-test, in make test):
#  - README's layout section names every folder under lab/, and every
#    lab/ folder it names exists;
#  - programs are started only through lab/base/spawn.c: no fork, exec*,
#    system or popen elsewhere in lab/, except the forks that never exec
#    and the exec of `ikelab exec` itself, which spawn.h names and whose
#    lines say "spawn.h: ...";
#  - files and directories are created only through lab/base/file.c (no
#    O_CREAT, mkdir, symlink or fopen "w" elsewhere in lab/ or probes/);
#  - docs/audit.md names every lab/ file that creates files, signals
#    processes, starts programs or removes files, in that kind's table;
#  - no .c file over 800 lines unless its first comment says why ("over
#    800 lines" in it);
#  - the flags the code needs survive `make CFLAGS=...`;
#  - every shell script has a shebang, and the ones run as programs their
#    run bit.
set -u
cd "$(dirname "$0")/../.." || exit 2
failed=0
fail() {
	echo "FAIL [tree] $*" >&2
	failed=1
}

# ---- README's map of lab/ --------------------------------------------------
layout=$(sed -n '/^## Layout/,/^## /p' README.md)
[ -n "$layout" ] || fail "README.md has no '## Layout' section"
for d in $(find lab -mindepth 1 -type d | sort); do
	grep -q "\`$d/\`" <<<"$layout" || fail "README's layout does not name $d/"
done
for d in $(grep -o '`lab/[a-z/_-]*/`' <<<"$layout" | tr -d '`' | sort -u); do
	[ -d "$d" ] || fail "README's layout names $d, which does not exist"
done

# ---- one way to start a program ----------------------------------------------
# The forks that never exec and the exec that replaces `ikelab exec` itself,
# each named in spawn.h, carry a "spawn.h:" comment on their line.
hits=$(grep -nE '\b(fork|vfork|execl|execlp|execle|execv|execvp|execvpe|execve|fexecve|system|popen|posix_spawnp?)[[:space:]]*\(' \
	$(find lab -name '*.c' ! -name 'uml-fpfix.c') |
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*|//)' |
	grep -v '^lab/base/spawn.c:' | grep -v 'spawn\.h: ' || true)
[ -z "$hits" ] || fail "programs started outside lab/base/spawn.c (use spawn.h):
$hits"
for role in keeper broker 'ikelab exec'; do
	grep -q "$role" lab/base/spawn.h || fail "spawn.h does not name the $role fork"
done

# ---- one way to create a file ------------------------------------------------
# Files and directories are created only in lab/base/file.c, exclusively and
# without following links (base/file.h): no O_CREAT, O_TRUNC, creat, mkdir,
# symlink, link, mkfifo, mkstemp, tmpfile, freopen, json_dump_file, nor an
# fopen for writing, anywhere else in lab/ or probes/. mkdtemp is allowed: it
# makes a new 0700 directory under a random name, exclusively.
code_lines() {	# files...: their lines with file:line:, comment lines dropped
	grep -nE "$pattern" "$@" | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*|//)' || true
}
pattern='\bO_(CREAT|TRUNC|TMPFILE)\b|\b(creat|mkdir|mkdirat|symlink|symlinkat|link|linkat|mkfifo|mkfifoat|mknod|mknodat|mkstemps?|mkostemps?|tmpfile|tmpnam|tempnam|freopen|json_dump_file)[[:space:]]*\(|\bfopen[[:space:]]*\(.*,[[:space:]]*"[^"]*[wa+][^"]*"[[:space:]]*\)'
hits=$(code_lines $(find lab probes -name '*.c' ! -path lab/base/file.c))
[ -z "$hits" ] || fail "files created outside lab/base/file.c (use base/file.h: file_create, file_fopen, write_file, mkdir_p):
$hits"

# ---- docs/audit.md names every file that creates, signals, starts, removes --
# One table per kind; a lab/ file that does one of these and is not named in
# its table fails, so the audit cannot silently drift from the code.
audit_section() {	# heading
	sed -n "/^## $1/,/^## /p" docs/audit.md
}
audit_kind() {	# heading pattern
	local section pattern=$2 f
	section=$(audit_section "$1")
	[ -n "$section" ] || { fail "docs/audit.md has no '## $1' section"; return; }
	for f in $(code_lines $(find lab -name '*.c') | cut -d: -f1 | sort -u); do
		grep -qF "$f" <<<"$section" || fail "docs/audit.md's '$1' table does not name $f"
	done
}
if [ -f docs/audit.md ]; then
	audit_kind 'Files and directories' '\bO_CREAT\b|\bbind\(|\b(file_create|file_fopen|file_append_fd|write_file|mkdir_p|dir_ours|dir_create|dir_mountpoint|file_symlink|tree_copy_beneath|mkdtemp|rename)[[:space:]]*\('
	audit_kind 'Signals' '\b(kill|killpg|tgkill|tkill|sigqueue|pidfd_send_signal|proc_kill|proc_stop)[[:space:]]*\('
	audit_kind 'Programs' '\b(spawn_start|spawn_run)[[:space:]]*\(|spawn\.h: '
	audit_kind 'Removals' '\b(rm_rf|unlink|unlinkat|rmdir|umount2?)[[:space:]]*\('
else
	fail "docs/audit.md is missing"
fi

# ---- file sizes ----------------------------------------------------------------
for f in $(find lab probes -name '*.c'); do
	n=$(wc -l <"$f")
	[ "$n" -le 800 ] && continue
	sed -n '1,/\*\//p' "$f" | grep -q 'over 800 lines' ||
		fail "$f has $n lines and its first comment does not say why it is over 800 lines"
done

# ---- build flags -----------------------------------------------------------------
flags=$(make -s -n -B CFLAGS=-O0 build/lab/base/err.o 2>/dev/null | grep -- '-c -o')
for f in -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Ilab -O0; do
	grep -q -- "$f" <<<"$flags" || fail "make CFLAGS=-O0 compiles without $f: $flags"
done

# ---- shell scripts -------------------------------------------------------------------
for f in $(git ls-files '*.sh' '.ci/run'); do
	head -1 "$f" | grep -q '^#!/bin/\(ba\)\?sh' || fail "$f has no shebang"
	case $f in
	*/lib.sh) ;;
	*) [ -x "$f" ] || fail "$f is not executable" ;;
	esac
done

[ "$failed" -eq 0 ] && echo "tree: layout, spawn, file creation, audit, sizes, flags and scripts as they should be"
exit $failed

#!/bin/bash
# The man pages of `make man` (make man-test, in make test):
#  - each renders as man(1) shows it at 80 columns, and through groff
#    with every warning on, without a single warning (a table wider than
#    the page, a line that cannot be broken, an unknown macro);
#  - ikelab(1) has every command of `ikelab help`'s overview, and no
#    internal role;
#  - each page has its NAME and DESCRIPTION sections.
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
dir=$BUILD/man
failed=0
fail() {
	echo "FAIL [man] $*" >&2
	failed=1
}

# Every table rendered whole: man runs tbl only for a page whose first
# line asks for it (else a table's text vanishes without a warning), each
# table's header rule is drawn, and the first word of each table's last
# row is on the page (groff 1.22.4's tbl once dropped the rows of a text
# block that crossed a page: docs/man/man.lua).
tables() {	# page text
	local n rules word
	n=$(grep -c '^\.TS' "$1")
	[ "$n" -eq 0 ] && return
	head -1 "$1" | grep -qF "'\\\" t" || fail "$1 has tables but no '\\\" t line for tbl"
	rules=$(grep -c '^ *─\+$' <<<"$2")
	[ "$rules" -eq "$n" ] || fail "$1: $n tables, $rules header rules rendered"
	for word in $(awk '/^\.TS/ { last = "" } /^T\{$/ { row = NR + 1 }
			NR == row { last = $1 } /^\.TE/ { print last }' "$1" |
		sed 's/\\f\[[A-Z]*\]//g; s/\\-/-/g; s/,$//'); do
		grep -qF -- "$word" <<<"$2" || fail "$1: a table's last row ('$word') is not on the page"
	done
}

# man(1) formats for the terminal it is given, not for a pipe's.
export MANWIDTH=80 LC_ALL=C.UTF-8
unset MANPAGER PAGER MAN_KEEP_FORMATTING

for page in ikelab.1 ikelab-scenario.5 ikelab-topology.5 ikelab-profile.5; do
	p=$dir/$page
	[ -s "$p" ] || { fail "$p is missing (make man)"; continue; }
	warn=$(man --warnings=w -l "$p" 2>&1 >/dev/null)
	[ -z "$warn" ] || fail "$page: man --warnings:
$warn"
	warn=$(groff -man -t -ww -z -Tutf8 "$p" 2>&1)
	[ -z "$warn" ] || fail "$page: groff -ww:
$warn"
	text=$(man -l "$p" 2>/dev/null)
	for s in NAME DESCRIPTION; do
		grep -q "^$s\$" <<<"$text" || fail "$page has no $s section"
	done
	name=${page%.*}
	grep -A1 '^NAME$' <<<"$text" | grep -q "^ *$name - ." ||
		fail "$page: its NAME is not '$name - ...'"
	tables "$p" "$text"
done

# Every command of the overview, as a subsection of its own.
commands=$("$BUILD/ikelab" help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p; s/^  \([a-z][a-z-]*\)$/\1/p')
[ -n "$commands" ] || fail "no commands in '$BUILD/ikelab help'"
for c in $commands; do
	grep -qx ".SS \"ikelab $c\"" "$dir/ikelab.1" || fail "ikelab.1 has no section for '$c'"
done
for c in $(grep -o '^\.SS "ikelab [a-z-]*"' "$dir/ikelab.1" | sed 's/.* \(.*\)"/\1/'); do
	grep -qx "$c" <<<"$commands" || fail "ikelab.1 has '$c', which 'ikelab help' does not list"
done

[ "$failed" -eq 0 ] && echo "man: $(wc -w <<<"$commands") commands in ikelab.1, four pages without a warning"
exit $failed

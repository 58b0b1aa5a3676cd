#!/bin/sh
# make install-test (and make stress): ikelab installed into a temporary
# DESTDIR and used from there with the repository hidden.
#
# `make install DESTDIR=D PREFIX=/usr/local`, then, in a private mount
# namespace where an empty tmpfs lies over the repository (so nothing can
# be found there by accident, not by the binary, not by user-mode Linux,
# whose host files are this namespace's), from an empty working directory:
# --version, `check` on every shipped file and the schema each names
# (resolved beside it), the completion script, the
# man pages through MANPATH, `up`,
# `ls`, `status`, `exec`, `down`, and one shipped scenario by the name the
# shipped tree gives it. Then `make uninstall` must leave no file behind.
set -eu
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
PREFIX=/usr/local
D=$(mktemp -d /tmp/ikelab-install.XXXXXX)
LAB=inst$$
trap 'rm -rf "$D"' EXIT

make -s install DESTDIR="$D/root" PREFIX=$PREFIX >/dev/null
mkdir "$D/work"

# Runs inside the private namespace: sh -c with the paths as arguments,
# no shell string built from them.
inside='set -eu
root=$1 repo=$2 work=$3 lab=$4 prefix=$5
mount -t tmpfs -o size=1m,mode=0755 ikelab-hidden "$repo"
[ -z "$(ls -A "$repo")" ] || { echo "the repository is not hidden" >&2; exit 1; }
bin=$root$prefix/bin/ikelab share=$root$prefix/share/ikelab
cd "$work"
fail() { echo "FAIL [install] $*" >&2; "$bin" down --name "$lab" >/dev/null 2>&1 || true; exit 1; }
"$bin" --version >/dev/null || fail "--version"
"$bin" check "$share"/scenarios/*.yaml "$share"/topologies/*.yaml "$share"/peers/*.yaml \
	>/dev/null || fail "check of the installed files"
for f in "$share"/*/*.yaml; do	# each names a schema that resolves beside it
	rel=$(sed -n "1s/^# yaml-language-server: [$]schema=//p" "$f")
	[ -n "$rel" ] && [ -f "$(dirname "$f")/$rel" ] || fail "$f: no schema at [$rel]"
done
bash -n "$root$prefix/share/bash-completion/completions/ikelab" || fail "completion script"
for page in ikelab ikelab-scenario ikelab-topology ikelab-profile; do
	MANPATH=$root$prefix/share/man man -w "$page" >/dev/null || fail "man $page"
done
MANPATH=$root$prefix/share/man MANWIDTH=80 man ikelab 2>&1 | grep -q "ikelab check" ||
	fail "man ikelab does not render the command table"
"$bin" completion files scenarios | grep -qx scenarios/uniqueness-race.yaml ||
	fail "completion does not list the installed scenarios"
"$bin" up --name "$lab" >up.log 2>&1 || { cat up.log >&2; fail "up"; }
"$bin" ls | grep -Eq "^$lab +uml .* up\$" || { "$bin" ls >&2; fail "ls does not show $lab up"; }
"$bin" status --name "$lab" | grep -q "alive" || fail "status"
"$bin" exec --name "$lab" alice -- ping -c 2 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null ||
	"$bin" exec --name "$lab" alice -- ping -c 2 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null ||
	fail "exec ping through the trap"
"$bin" exec --name "$lab" alice -- swanctl --list-sas | grep -q INSTALLED || fail "no CHILD_SA after ping"
"$bin" down --name "$lab" >/dev/null || fail "down"
! "$bin" ls | grep -q "^$lab " || fail "ls still shows $lab after down"
"$bin" run scenarios/uniqueness-race-control.yaml --seeds 1 --out run >run.log 2>&1 ||
	{ tail -20 run.log >&2; fail "the shipped scenario uniqueness-race-control"; }
grep -q "\"$share/scenarios/uniqueness-race-control.yaml\"" run/result.json ||
	fail "the run did not use the installed scenario"
'
unshare --mount --propagation private sh -c "$inside" inside "$D/root" "$ROOT" "$D/work" "$LAB" "$PREFIX"

# A tree others can write into is nobody's home: with share/ikelab
# writable by all, the binary finds no shipped files and no helpers there.
cp -a "$D/root$PREFIX" "$D/open"
chmod 0777 "$D/open/share/ikelab"
(cd "$D/work" && "$D/open/bin/ikelab" completion files scenarios) | grep -q . &&
	{ echo "FAIL [install] a share/ikelab writable by all was taken as ikelab's own" >&2; exit 1; }
rm -rf "$D/open"

make -s uninstall DESTDIR="$D/root" PREFIX=$PREFIX >/dev/null
left=$(find "$D/root" -type f)
[ -z "$left" ] || { echo "FAIL [install] uninstall left: $left" >&2; exit 1; }
echo "PASS [install] installed, used with the repository hidden, uninstalled"

#!/bin/bash
# Sourced by every integration test (not run on its own).
# Shared helpers for the integration tests: real labs, real charons, real
# kernels. Each test is a bash script that sources this file and exits
# non-zero on the first failed assertion.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
IKELAB=${IKELAB:-"$ROOT/build/ikelab"}
export IKELAB_RUN=${IKELAB_RUN:-/run/ikelab}
TEST=$(basename "$0" .sh)
WORK=$(mktemp -d "/tmp/ikelab-$TEST.XXXXXX")
LABS=""

# Labs a test brings up are taken down however it ends.
cleanup() {
	for l in $LABS; do
		[ -e "$IKELAB_RUN/$l" ] && "$IKELAB" down --name "$l" >/dev/null 2>&1
	done
	rm -rf "$WORK"
	return 0
}
trap cleanup EXIT

up() {	# lab [options...]
	local lab=$1
	shift
	local st
	LABS="$LABS $lab"
	# Through a pipe, as in `ikelab up | tail`: nothing the lab leaves
	# running may hold the pipe open.
	set +e
	"$IKELAB" up --name "$lab" "$@" 2>&1 | timeout 120 cat >"$WORK/up.$lab"
	st=("${PIPESTATUS[@]}")
	set -e
	[ "${st[1]}" -ne 124 ] || fail "up $lab returned, but what it left running holds its output open"
	[ "${st[0]}" -eq 0 ] || { cat "$WORK/up.$lab" >&2; fail "up $lab"; }
}

# Traffic from FROM's protected address to the other peer's, until the first
# reply (at most 10 s): the trap fires on the first packet, and under
# user-mode Linux the IKE_SA takes about a second to establish.
tunnel() {	# lab [alice|bob]
	local from=${2:-alice} src=10.1.0.1 dst=10.2.0.1
	[ "$from" = bob ] && { src=10.2.0.1; dst=10.1.0.1; }
	"$IKELAB" exec --name "$1" "$from" -- ping -c 1 -i 0.2 -w 10 -W 1 -I $src $dst >/dev/null ||
		{ diag "$IKELAB_RUN/$1"; return 1; }
}

# What the peers' charons were doing when traffic found no tunnel: the
# slowest step of each charon.log with the lines around it, and modules
# the kernel loaded on demand. DIR: a lab's or a run's directory.
diag() {	# dir...
	echo "  [$TEST] what the lab saw:" >&2
	python3 "$ROOT/tests/integration/slowstep.py" "$@" >&2 || true
}

# Modules the lab's user-mode Linux kernel loaded on demand since boot
# (RUNDIR/module-requests.log): each is a first-use cost the boot's
# warm-up missed, a delay no real host has. Host-kernel labs have no log.
assert_no_module_requests() {	# lab-or-run-dir what
	local log="$1/module-requests.log"

	[ -e "$log" ] || return 0
	[ ! -s "$log" ] || { cat "$log" >&2; fail "$2: the kernel loaded modules on demand (above)"; }
}

fail() {
	echo "FAIL [$TEST]: $*" >&2
	exit 1
}

note() {
	echo "  [$TEST] $*"
}

assert_eq() {	# expected actual what
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

# Run a command that must fail with exactly one line on stderr.
expect_one_line_error() {
	local out="$WORK/err" rc=0

	"$@" >"$WORK/out" 2>"$out" || rc=$?
	[ "$rc" -ne 0 ] || fail "'$*' succeeded, expected an error"
	[ "$(wc -l <"$out")" -eq 1 ] || { cat "$out" >&2; fail "'$*' printed $(wc -l <"$out") lines on stderr, expected 1"; }
	note "refused ($rc): $(cat "$out")"
}

# JSON field from `ikelab status --json`: jpath LAB 'python expression on d'
status_json() {
	"$IKELAB" status --name "$1" --json
}

jq_py() {	# file expression
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

peer_count() {	# lab peer field
	status_json "$1" >"$WORK/status.json"
	jq_py "$WORK/status.json" "[p for p in d['peers'] if p['name']=='$2'][0]['counts']['$3']"
}

# What the host's own network namespace looks like; compared before/after.
host_snapshot() {
	{
		ip -d link show | sed -E 's/ (qlen|numtxqueues|numrxqueues|gso_max_[a-z_]+|gro_max_[a-z_]+|tso_max_[a-z_]+) [0-9]+//g'
		ip addr show
		ip route show table all
		ip rule show
		ip xfrm state 2>&1
		ip xfrm policy 2>&1
	}
}

# Nothing of lab $1 may remain on the host: run directory, namespaces,
# mounts, user-mode Linux processes.
assert_no_leftovers() {
	local lab=$1 p

	[ ! -e "$IKELAB_RUN/$lab" ] || fail "run directory $IKELAB_RUN/$lab still exists"
	if ls /run/netns 2>/dev/null | grep -qx "$lab-.*"; then
		fail "namespaces left: $(ls /run/netns | grep -x "$lab-.*" | tr '\n' ' ')"
	fi
	! grep -q "$IKELAB_RUN/$lab[/ ]" /proc/self/mountinfo || fail "mounts left under $IKELAB_RUN/$lab"
	for p in /proc/[0-9]*; do
		if { grep -q "^State:.*Z" "$p/status"; } 2>/dev/null; then
			continue
		fi
		if { tr '\0' ' ' <"$p/cmdline" | grep -q "umid=ikelab-$lab "; } 2>/dev/null; then
			fail "user-mode Linux process ${p#/proc/} of lab $lab still runs"
		fi
		# A peer's processes have the peer's run directory on /run.
		if { grep -q "/$lab/[a-z0-9_]*/run /run " "$p/mountinfo"; } 2>/dev/null; then
			fail "process ${p#/proc/} ($(cat $p/comm 2>/dev/null)) still runs in a peer of $lab"
		fi
	done
	return 0
}

# Charon pids of a host-backend lab, from its state file.
recorded_pids() {
	python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
for n in d.get('nodes',{}).values():
    c=n.get('charon')
    if c: print(c['pid'])" "$IKELAB_RUN/$1/lab.json"
}

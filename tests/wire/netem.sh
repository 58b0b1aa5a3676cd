#!/bin/bash
# netem on a link (lab/kernel/netem.c) on the real kernel: two scratch namespaces
# a -- b, delay, jitter and loss set through libnl-route, checked against
# what iproute2's tc reads back and against ping's round trip, then cleared.
#
# The kernel needs sch_netem. These machines' own kernel has none: there
# this test FAILS (it does not skip) after the checks that need no netem;
# run it under user-mode Linux, or any kernel with netem. Same scratch
# arrangement as tests/wire/run.sh: nothing outlives it, the host's own
# namespace is never touched.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
P=ikelab-wiretest

fail() {
	echo "FAIL [netem]: $*" >&2
	exit 1
}

note() {
	echo "  [netem] $*"
}

if [ "${1:-}" != --in-scratch ]; then
	[ "$(id -u)" -eq 0 ] || fail "needs root (network namespaces, qdiscs)"
	for c in ip tc ping pkg-config "${CC:-cc}"; do
		command -v "$c" >/dev/null || fail "$c is needed (make test-deps)"
	done
	out=$(unshare -m -n true 2>&1) || fail "unshare -m -n does not work here: $out"
	exec unshare -m -n --propagation private bash "$0" --in-scratch
fi

WORK=$(mktemp -d /tmp/$P.XXXXXX)
cleanup() {
	ip netns del $P-na 2>/dev/null || true
	ip netns del $P-nb 2>/dev/null || true
	umount /run/netns 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

SAN=""
[ -z "${SANITIZE:-}" ] || SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# shellcheck disable=SC2086,SC2046
"${CC:-cc}" -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter -O1 -g $SAN -I"$ROOT/lab" \
	-o "$WORK/wiretest" "$ROOT/tests/wire/wiretest.c" "$ROOT"/lab/{wire,netem,err,util,net,netns}.c \
	$(pkg-config --cflags --libs libnl-3.0 libnl-route-3.0 libnl-nf-3.0) -lm ||
	fail "building the driver failed"

mkdir -p /run/netns
mount -t tmpfs ikelab-wiretest /run/netns || fail "mount a tmpfs on /run/netns"
ip netns add $P-na
ip netns add $P-nb
ip link add va netns $P-na type veth peer name vb netns $P-nb
ip -n $P-na addr add 10.0.9.1/24 dev va
ip -n $P-nb addr add 10.0.9.2/24 dev vb
ip -n $P-na link set va up
ip -n $P-nb link set vb up

netem() {	# DELAY_MS JITTER_MS LOSS_PCT | clear, on a's va
	"$WORK/wiretest" netem $P-na va "$@"
}

qdisc() {
	tc -n $P-na qdisc show dev va
}

# Average ping round trip a -> b in ms, or "lost".
rtt() {
	local out
	out=$(ip netns exec $P-na ping -q -n -c 5 -i 0.2 -W 2 10.0.9.2 2>&1) || { echo lost; return; }
	echo "$out" | sed -nE 's|.* = [0-9.]+/([0-9.]+)/.*|\1|p'
}

within() {	# value low high
	[ "$1" != lost ] && awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'
}

refused() {	# expected-text command...: must fail, naming it
	local want=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || fail "'$*' succeeded"
	case "$out" in *"$want"*) ;; *) fail "'$*': '$out' does not say '$want'" ;; esac
	note "refused: $out"
}

note "without netem: clearing, refusals"
netem clear || fail "clear with the default qdisc in place"
refused "link nosuch" "$WORK/wiretest" netem $P-na nosuch 10 0 0
refused "loss" netem 10 0 150
refused "at most" netem 300000 0 0
# pfifo: built into every kernel, unlike most other kinds.
tc -n $P-na qdisc add dev va root pfifo limit 100 || fail "tc cannot add pfifo"
refused "root qdisc is pfifo" netem clear
qdisc | grep -q "^qdisc pfifo" || fail "clear removed a pfifo qdisc: $(qdisc)"
tc -n $P-na qdisc del dev va root
base=$(rtt)
within "$base" 0 20 || fail "ping without netem: $base ms"

note "delay 100 ms"
out=$(netem 100 0 0 2>&1) || fail "netem_set: $out -- this kernel cannot run netem (no sch_netem); \
run this test under user-mode Linux or a kernel with netem"
qdisc | grep -qE "^qdisc netem .* delay 100(\.0)?ms( |$)" || fail "tc reads back: $(qdisc)"
slow=$(rtt)
within "$slow" 100 130 || fail "ping with 100 ms on va: $slow ms (without: $base ms)"
note "ping RTT $base ms -> $slow ms; tc: $(qdisc)"

note "replace: delay 30 ms, jitter 10 ms, loss 2.5%"
netem 30 10 2.5 || fail "netem_set 30 10 2.5"
qdisc | grep -qE "^qdisc netem .* delay 30(\.0)?ms +10(\.0)?ms.* loss 2\.5%" || fail "tc reads back: $(qdisc)"
[ "$(qdisc | grep -c '^qdisc')" -eq 1 ] || fail "more than one qdisc: $(qdisc)"
note "tc: $(qdisc)"

note "loss 100%"
netem 0 0 100 || fail "netem_set 0 0 100"
qdisc | grep -qE "^qdisc netem .* loss 100%" || fail "tc reads back: $(qdisc)"
[ "$(rtt)" = lost ] || fail "ping passed a link with 100% loss"

note "clear"
netem clear || fail "netem_clear"
qdisc | grep -q netem && fail "netem still there: $(qdisc)"
netem clear || fail "clearing twice"
after=$(rtt)
within "$after" 0 20 || fail "ping after clear: $after ms"
note "ping RTT after clear $after ms"
echo "netem: all checks passed"

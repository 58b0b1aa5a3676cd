#!/bin/bash
# The IKE fault wire (lab/kernel/wire.c) on the real kernel: three scratch network
# namespaces a -- r -- b, the wire on r's FORWARD path through NFQUEUE, fake
# IKE messages timed from a to b and back (tests/wire/check.py).
#
# Everything runs in a private mount and network namespace of its own with
# a tmpfs on /run/netns: the namespaces it makes vanish with it however it
# ends, and the host's own namespace is never touched. Needs root, unshare,
# iptables-legacy with the NFQUEUE target, nfnetlink_queue, python3 and a C
# compiler with libnl; without them it fails, it does not skip.
#
#   CC=clang SANITIZE=1 bash tests/wire/run.sh   # driver built with ASan/UBSan
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
P=ikelab-wiretest

fail() {
	echo "FAIL [wire]: $*" >&2
	exit 1
}

if [ "${1:-}" != --in-scratch ]; then
	[ "$(id -u)" -eq 0 ] || fail "needs root (network namespaces, iptables, NFQUEUE)"
	for c in python3 iptables-legacy ip pkg-config "${CC:-cc}"; do
		command -v "$c" >/dev/null || fail "$c is needed (make test-deps)"
	done
	out=$(unshare -m -n true 2>&1) || fail "unshare -m -n does not work here: $out"
	exec unshare -m -n --propagation private bash "$0" --in-scratch
fi

WORK=$(mktemp -d /tmp/$P.XXXXXX)
cleanup() {
	for n in a r b; do
		ip netns del $P-$n 2>/dev/null || true
	done
	umount /run/netns 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

SAN=""
[ -z "${SANITIZE:-}" ] || SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# shellcheck disable=SC2086,SC2046
"${CC:-cc}" -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter -O1 -g $SAN -I"$ROOT/lab" \
	-o "$WORK/wiretest" "$ROOT/tests/wire/wiretest.c" "$ROOT"/lab/kernel/{wire,wire_parse,netem,net,netns}.c \
	"$ROOT"/lab/base/{err,util,spawn,file}.c \
	$(pkg-config --cflags --libs libnl-3.0 libnl-route-3.0 libnl-nf-3.0) -lm ||
	fail "building the driver failed"

# Namespaces under a private /run/netns: they die with this mount namespace.
mkdir -p /run/netns
mount -t tmpfs ikelab-wiretest /run/netns || fail "mount a tmpfs on /run/netns"
for n in a r b; do
	ip netns add $P-$n || fail "ip netns add $P-$n"
	ip -n $P-$n link set lo up
done
ip link add va netns $P-a type veth peer name ra netns $P-r
ip link add vb netns $P-b type veth peer name rb netns $P-r
ip -n $P-a addr add 10.0.1.2/24 dev va
ip -n $P-r addr add 10.0.1.1/24 dev ra
ip -n $P-r addr add 10.0.2.1/24 dev rb
ip -n $P-b addr add 10.0.2.2/24 dev vb
ip -n $P-a link set va up
ip -n $P-b link set vb up
ip -n $P-r link set ra up
ip -n $P-r link set rb up
ip -n $P-a route add default via 10.0.1.1
ip -n $P-b route add default via 10.0.2.1
ip netns exec $P-r sysctl -qw net.ipv4.ip_forward=1
ip netns exec $P-a ping -c 1 -W 2 10.0.2.2 >/dev/null || fail "a cannot reach b through r"
out=$(ip netns exec $P-r iptables-legacy -w -A FORWARD -p udp -m multiport --ports 500,4500 \
	-j NFQUEUE --queue-num 7 --queue-bypass 2>&1) ||
	fail "this kernel cannot run the wire: iptables-legacy NFQUEUE rule refused: $out"
ip netns exec $P-r iptables-legacy -w -F FORWARD

timeout -s KILL 60 python3 "$ROOT/tests/wire/check.py" "$WORK/wiretest"

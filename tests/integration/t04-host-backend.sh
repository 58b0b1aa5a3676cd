#!/bin/bash
# The host backend on this machine's own kernel: namespaces under
# /run/netns that `ip netns exec` can enter, charons with trap policies,
# and a down that removes them. Where the kernel can hold ESP SAs the ping
# gets through; where it cannot (these machines), the IKE_SA still comes up.
. "$(dirname "$0")/lib.sh"
LAB=it-host
[ "$(id -u)" -eq 0 ] || fail "the host backend needs root"

host_snapshot >"$WORK/host.before"
up $LAB --kernel host
grep -q "'$LAB' is up" "$WORK/up.$LAB" || fail "up output"
ip netns list | grep -q "^$LAB-alice" || fail "no /run/netns/$LAB-alice"
# iproute2's convention works on our namespaces.
ip netns exec $LAB-alice ip -o addr show dev lo | grep -q 10.1.0.1/16 || fail "ip netns exec into $LAB-alice"
ip netns exec $LAB-bob ip xfrm policy | grep -q "src 10.2.0.0/16 dst 10.1.0.0/16" || fail "bob's trap policy"
recorded_pids $LAB >"$WORK/pids"
assert_eq 2 "$(wc -l <"$WORK/pids")" "recorded charon pids"
# Each charon has its own private /run.
"$IKELAB" exec --name $LAB alice -- cat /run/charon.pid >"$WORK/alice.pid"
assert_eq "$(head -1 "$WORK/pids")" "$(cat "$WORK/alice.pid")" "alice's /run/charon.pid"

esp=$("$IKELAB" doctor --json | python3 -c "import json,sys; print(json.load(sys.stdin)['host_esp_sa']['ok'])")
"$IKELAB" exec --name $LAB alice -- ping -c 4 -i 0.5 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1 || true
sleep 0.5
assert_eq 1 "$(peer_count $LAB alice ike_established)" "alice IKE_SAs"
assert_eq 1 "$(peer_count $LAB bob ike_established)" "bob IKE_SAs"
if [ "$esp" = True ]; then
	assert_eq 1 "$(peer_count $LAB alice child_installed)" "alice CHILD_SAs"
	note "host kernel holds ESP SAs: tunnel up"
else
	note "host kernel has no ESP: IKE_SA established, CHILD_SA cannot install (as expected)"
fi

# A short recording here, on the host, where a sanitizer build of the
# controller (make stress) also checks the recorder's netlink dumps for leaks.
"$IKELAB" record --name $LAB --duration 3 --out "$WORK/rec" >"$WORK/rec.out" 2>&1 ||
	{ cat "$WORK/rec.out"; fail "record on the host backend"; }
grep -q '"verdict": *"ok"' "$WORK/rec/summary.json" || fail "recording's verdict"

"$IKELAB" down --name $LAB >/dev/null || fail "down"
while read -r pid; do
	[ ! -d /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status || fail "charon $pid survived down"
done <"$WORK/pids"
assert_no_leftovers $LAB
host_snapshot >"$WORK/host.after"
diff -u "$WORK/host.before" "$WORK/host.after" || fail "the host's own namespace changed"
note "namespaces, charons and run dir gone; host namespace unchanged"

#!/bin/bash
# What a lab may touch, as README's SECURITY section says (issue 11): one
# check per finding of the audit, each failing on the code before its fix.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || fail "these checks need root"

# ---- 3. a failed up removes no namespace it does not own --------------------
# The user's own namespace with the name the lab would use.
LAB=it-sec
ip netns add $LAB-alice || fail "ip netns add $LAB-alice"
trap 'ip netns del $LAB-alice 2>/dev/null || true; cleanup' EXIT
rc=0
"$IKELAB" up --name $LAB --kernel host >"$WORK/up.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "up succeeded over the user's namespace $LAB-alice"
ip netns list | grep -q "^$LAB-alice" || fail "the failed up removed the user's $LAB-alice"
grep -q "network namespace $LAB-alice exists and is not this lab's" "$WORK/up.out" ||
	{ cat "$WORK/up.out"; fail "up does not say whose namespace is in the way"; }
[ ! -e "$IKELAB_RUN/$LAB" ] || "$IKELAB" down --name $LAB >/dev/null 2>&1
ip netns list | grep -q "^$LAB-alice" || fail "down removed the user's $LAB-alice"
ip netns del $LAB-alice
note "up over the user's namespace: refused, and the namespace survived up and down"

# Another lab of the same name under another IKELAB_RUN: the second up
# fails and the first lab keeps its namespaces.
LABS="$LABS $LAB"
up $LAB --kernel host
other=$(mktemp -d "$WORK/run2.XXXXXX")
rc=0
IKELAB_RUN=$other "$IKELAB" up --name $LAB --kernel host >"$WORK/up2.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a second lab $LAB under another IKELAB_RUN came up"
IKELAB_RUN=$other "$IKELAB" down --name $LAB >/dev/null 2>&1 || true
for n in alice bob; do
	ip netns list | grep -q "^$LAB-$n" || fail "the second lab removed the first's $LAB-$n"
done
"$IKELAB" status --name $LAB >/dev/null || fail "the first lab no longer answers"
"$IKELAB" down --name $LAB >/dev/null || fail "down"
assert_no_leftovers $LAB
note "a second lab of the same name elsewhere: refused, the first lab untouched"

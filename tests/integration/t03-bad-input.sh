#!/bin/bash
# Bad input gets one clear line, a non-zero exit, and builds nothing.
. "$(dirname "$0")/lib.sh"
LAB=it-bad

printf 'name: x\nnodes:\n  - name: alice\n    role: peer\n    protected_addr: 10.1.0.1/16\n    colour: red\n' >"$WORK/unknown-field.yaml"
printf 'name: x\nnodes: [\n' >"$WORK/malformed.yaml"
printf 'name: p\nike:\n  rekey_time: 10x\n' >"$WORK/bad-duration.yaml"

expect_one_line_error "$IKELAB" up --name $LAB --topology "$WORK/unknown-field.yaml"
grep -q "unknown-field.yaml:6:5: nodes\[0\]: unknown key 'colour'" "$WORK/err" || fail "position of the unknown key"
expect_one_line_error "$IKELAB" up --name $LAB --topology "$WORK/malformed.yaml"
grep -q "malformed.yaml:3:1: " "$WORK/err" || fail "position of the syntax error"
expect_one_line_error "$IKELAB" up --name $LAB --peers "$WORK/bad-duration.yaml"
grep -q "bad-duration.yaml:3:15: ike.rekey_time" "$WORK/err" || fail "position of the bad duration"
expect_one_line_error "$IKELAB" up --name $LAB --topology "$WORK/missing.yaml"
expect_one_line_error "$IKELAB" up --name $LAB --charon /nonexistent/charon
grep -q "/nonexistent/charon" "$WORK/err" || fail "missing charon not named"
expect_one_line_error "$IKELAB" up --name 'bad/name'
expect_one_line_error "$IKELAB" up --name $LAB --kernel sideways
expect_one_line_error "$IKELAB" down --name it-does-not-exist
expect_one_line_error "$IKELAB" status --name it-does-not-exist
expect_one_line_error "$IKELAB" frobnicate
[ ! -e "$IKELAB_RUN/$LAB" ] || fail "a refused up left $IKELAB_RUN/$LAB behind"
assert_no_leftovers $LAB

# Errors on a running lab: an unknown peer, a second up.
up $LAB
expect_one_line_error "$IKELAB" exec --name $LAB carol -- true
grep -q "no peer named 'carol'" "$WORK/err" || fail "unknown peer not named"
expect_one_line_error "$IKELAB" up --name $LAB
grep -q "already exists" "$WORK/err" || fail "second up not refused as such"
assert_eq 0 "$(peer_count $LAB alice ike_sas)" "the running lab after a refused second up"
jq_py "$WORK/status.json" "d['peers'][0]['charon']['alive']" | grep -q True || fail "charon died after a refused second up"
"$IKELAB" down --name $LAB >/dev/null || fail "down"
assert_no_leftovers $LAB

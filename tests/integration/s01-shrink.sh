#!/bin/bash
# Shrinking a failing run: the uniqueness race (both peers' trap policies
# fire within 200 us: two IKE_SAs, duplicate CHILD_SAs, on every seed)
# padded with actions that have nothing to do with it, long after the
# duplicates formed, and with background traffic. Traffic from both peers
# at once is itself the race, so it starts too late for duplicates to last
# past the grace before the run ends. `ikelab shrink` must take the
# padding away and leave a scenario that loads from anywhere and still
# reproduces. Runs that cannot be shrunk are refused.
. "$(dirname "$0")/lib.sh"
LAB=it-shrink
LABS="$LAB $LAB-again"
RUN="$WORK/run"

cat >"$WORK/padded.yaml" <<EOF
name: shrink-padded
description: "uniqueness-race with irrelevant actions around it: strongSwan #2446"
expect: reproduces
topology: $ROOT/topologies/two-peer.yaml
profile: $ROOT/peers/auto-route.yaml
duration: 9s
seed: 1
traffic:
  pps: 20
  start: 8000
schedule:
  - at: 1000
    jitter: 100
    action: traffic
    op: burst
    peer: both
    skew_us: 200
    order: random
  - at: 4500
    action: install
    peer: bob
  - at: 5000
    action: rekey
    peer: alice
    child: net
  - at: 5500
    action: traffic
    op: burst
    peer: alice
    packets: 5
  - at: 6500
    action: initiate
    peer: bob
expectations:
  max_ike_per_peer: 1
  max_child_per_ts: 1
EOF

entries() {	# scenario file: its schedule entries (scenario_save writes at first)
	grep -c -- '^- at: ' "$1" || true
}

labs_now() {
	ls "$IKELAB_RUN" 2>/dev/null | grep '^shrink' || true
}

"$IKELAB" run "$WORK/padded.yaml" --out "$RUN" --name $LAB >"$WORK/run.out" 2>&1 ||
	{ cat "$WORK/run.out"; fail "the padded race did not reproduce"; }
grep -q '"scenario_file": "'"$WORK/padded.yaml"'"' "$RUN/seed-1/summary.json" ||
	fail "summary.json does not name the scenario file"

# Not shrinkable: a run whose bug did not show, and no run at all.
cp -r "$RUN/seed-1" "$WORK/held"
sed -i 's/"result": "reproduced"/"result": "not-reproduced"/' "$WORK/held/summary.json"
expect_one_line_error "$IKELAB" shrink "$WORK/held"
assert_eq 1 "$(rc=0; "$IKELAB" shrink "$WORK/held" 2>/dev/null || rc=$?; echo $rc)" "exit status, not shrinkable"
grep -q "did not reproduce its bug" "$WORK/err" || fail "the refusal does not say why"
[ ! -e "$WORK/held/shrunk.yaml" ] || fail "a refused run got a shrunk.yaml"
expect_one_line_error "$IKELAB" shrink "$WORK"

before=$(labs_now)
start=$(date +%s)
"$IKELAB" shrink "$RUN/seed-1" --seeds 1 >"$WORK/shrink.out" 2>&1 ||
	{ cat "$WORK/shrink.out"; fail "shrink"; }
note "shrink: $(( $(date +%s) - start )) s, $(tail -2 "$WORK/shrink.out" | head -1)"
assert_eq "$before" "$(labs_now)" "labs left by the candidates' runs"
SHRUNK="$RUN/seed-1/shrunk.yaml"
[ -s "$SHRUNK" ] || fail "no shrunk.yaml"
# One line per candidate, each accepted or rejected, the original first.
grep -q '^#0   the original, as shrink writes it: accepted' "$WORK/shrink.out" ||
	{ cat "$WORK/shrink.out"; fail "the original was not tried first"; }
[ "$(grep -c '^#[0-9]' "$WORK/shrink.out")" -eq "$(ls "$RUN/seed-1/shrink/"*.yaml | wc -l)" ] ||
	fail "not one line per candidate file"

# Smaller, and says where it came from and what went.
n0=$(grep -c -- '^  - at: ' "$WORK/padded.yaml")
n1=$(entries "$SHRUNK")
note "schedule entries: $n0 -> $n1"
[ "$n1" -ge 1 ] && [ "$n1" -lt "$n0" ] || { cat "$SHRUNK"; fail "schedule not shrunk ($n0 -> $n1)"; }
head -1 "$SHRUNK" | grep -q "^# Shrunk by ikelab shrink from $WORK/padded.yaml$" ||
	fail "shrunk.yaml does not start with where it came from"
for want in "seed 1: reproduced; violated: max_ike_per_peer, max_child_per_ts" \
	"(run $RUN/seed-1, seed 1" "Removed schedule entries" "Duration: 9s -> " \
	"Traffic: 20 pps from 8000 ms -> "; do
	grep -qF "$want" "$SHRUNK" || { cat "$SHRUNK"; fail "comment lacks '$want'"; }
done
grep -q "^  action: traffic$" "$SHRUNK" && grep -q "^  skew_us: 200$" "$SHRUNK" ||
	{ cat "$SHRUNK"; fail "the race itself was shrunk away"; }
grep -q "^topology: $(realpath "$ROOT/topologies/two-peer.yaml")$" "$SHRUNK" || fail "topology path not absolute"

# It loads from anywhere, and still reproduces.
(cd / && "$IKELAB" run "$SHRUNK" --out "$WORK/again" --name $LAB-again) >"$WORK/again.out" 2>&1 ||
	{ cat "$WORK/again.out"; fail "the shrunk scenario does not reproduce"; }
grep -q "reproduced in 1 of 1 seed" "$WORK/again.out" || fail "rerun: $(tail -1 "$WORK/again.out")"
note "the shrunk scenario reproduces, run from /"
for l in $LABS; do
	assert_no_leftovers "$l"
done

#!/bin/bash
# Kernels reused between runs. Under user-mode Linux the nightly boots one
# kernel per lab slot and runs its runs in it one after the other, each
# building its lab afresh; `--fresh` boots one per run. The verdicts of the
# same seeds must be the same either way, the reused kernels must have run
# more than one run each, and every run must have found its kernel as
# booted and left it so (summary.json's "kernel"). A kernel that still
# holds a lab -- namespaces, charons, their files -- is refused before a
# run builds anything in it, naming what it holds, and taken down.
. "$(dirname "$0")/lib.sh"
SC=("$ROOT/scenarios/uniqueness-race.yaml" "$ROOT/scenarios/uniqueness-race-control.yaml")

for how in reuse fresh; do
	flag=()
	[ $how = fresh ] && flag=(--fresh)
	start=$(date +%s)
	"$IKELAB" nightly "${SC[@]}" --seeds 3 --jobs 2 "${flag[@]}" --out "$WORK/$how" >"$WORK/$how.out" 2>&1 ||
		{ cat "$WORK/$how.out"; fail "the night with $how kernels"; }
	note "$how kernels: 6 runs in $(( $(date +%s) - start )) s"
done
ls -a "$WORK/reuse" | grep -q '^\.kernel' && fail "the slots' directories are left in --out"
ls "$IKELAB_RUN" 2>/dev/null | grep -q -- '-k[0-9]' && fail "a slot's kernel is left: $(ls "$IKELAB_RUN")"
python3 - "$WORK/reuse" "$WORK/fresh" <<'PY' || fail "reused and fresh kernels differ"
import json, sys
def runs(d):
    s = json.load(open(f"{d}/summary.json"))
    out = {}
    for sc in s["scenarios"]:
        for r in sc["seeds"]:
            k = json.load(open(f"{d}/{r['dir']}/summary.json")).get("kernel")
            out[(sc["name"], r["seed"])] = (r["result"], k)
    return out
reuse, fresh = runs(sys.argv[1]), runs(sys.argv[2])
assert {k: v[0] for k, v in reuse.items()} == {k: v[0] for k, v in fresh.items()}, (reuse, fresh)
before = sorted(k["runs_before"] for _, k in reuse.values())
assert before.count(0) <= 2 and max(before) >= 2, before
assert all(k["residue_after"] is None and k["checked"] for _, k in reuse.values()), reuse
assert all(k["runs_before"] == 0 for _, k in fresh.values()), fresh
print("  ok: the same verdicts for the same seeds; runs before each run in a reused kernel:", before)
PY

# A kernel that holds a lab: `up` inside the slot's kernel, then a run there.
POOL=it-reuse
mkdir -p "$WORK/pool"
"$IKELAB" uml-pool $POOL "$WORK/pool" -- up --name $POOL --kernel host >"$WORK/up.out" 2>&1 ||
	{ cat "$WORK/up.out"; fail "up in a slot's kernel"; }
rc=0
"$IKELAB" uml-pool $POOL "$WORK/pool" -- run "${SC[0]}" --kernel host --name $POOL --out "$WORK/pool/t1" \
	>"$WORK/dirty.out" 2>&1 || rc=$?
assert_eq 2 "$rc" "exit status of a run in a kernel that holds a lab"
for what in "still holds what an earlier run left" "network namespace $POOL-alice" "process [0-9]* (charon)" \
	"nothing of this run was built"; do
	grep -q "$what" "$WORK/dirty.out" || { cat "$WORK/dirty.out"; fail "the refusal does not name: $what"; }
done
sed -n 's/.*\(still holds.\{0,160\}\).*/  [t15-reuse] refused: \1.../p' "$WORK/dirty.out" | head -1
[ ! -e "$IKELAB_RUN/$POOL" ] || fail "the kernel that held a lab was not taken down"

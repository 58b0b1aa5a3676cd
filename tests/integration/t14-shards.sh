#!/bin/bash
# A night split in three: `nightly --shard I/3` three times, then `nightly
# merge`, must give the night run unsplit -- the same scenarios in the same
# order, the same seeds with the same verdicts, the same totals -- with
# every run copied beside the merged reports. Shards of different nights,
# a missing shard and a directory that is no shard are refused in one line.
# Then `--budget`: as many runs as fit, each rate with its interval.
. "$(dirname "$0")/lib.sh"
SC=("$ROOT/scenarios/uniqueness-race.yaml" "$ROOT/scenarios/uniqueness-race-control.yaml"
	"$ROOT/scenarios/rekey-collision-control.yaml")

"$IKELAB" nightly "${SC[@]}" --seeds 1 --jobs 2 --out "$WORK/whole" >"$WORK/whole.out" 2>&1 ||
	{ cat "$WORK/whole.out"; fail "the unsplit night"; }
# Two shards at a time, one lab each, as two CI machines would.
for i in 1 2 3; do
	"$IKELAB" nightly "${SC[@]}" --seeds 1 --jobs 1 --shard $i/3 --out "$WORK/shard$i" \
		>"$WORK/shard$i.out" 2>&1 &
	[ $i = 2 ] && wait
done
wait
for i in 1 2 3; do
	grep -q "^nightly: shard $i of 3, 1 of 3 units" "$WORK/shard$i.out" ||
		{ cat "$WORK/shard$i.out"; fail "shard $i did not run one unit"; }
done
expect_one_line_error "$IKELAB" nightly merge "$WORK/shard1" "$WORK/shard2" --out "$WORK/part"
grep -q "shard 1 of 3, and 2 shards are given" "$WORK/err" || fail "a missing shard: $(cat "$WORK/err")"
expect_one_line_error "$IKELAB" nightly merge "$WORK/shard1" "$WORK/shard2" "$WORK/whole" --out "$WORK/bad"
grep -q "not a shard's" "$WORK/err" || fail "an unsplit night as a shard: $(cat "$WORK/err")"
expect_one_line_error "$IKELAB" nightly merge "$WORK/shard1" "$WORK/shard1" "$WORK/shard2" --out "$WORK/twice"
grep -q "given twice" "$WORK/err" || fail "a shard given twice: $(cat "$WORK/err")"
expect_one_line_error "$IKELAB" nightly merge "$WORK/shard1" --seeds 2 --out "$WORK/opts"

"$IKELAB" nightly merge "$WORK/shard3" "$WORK/shard1" "$WORK/shard2" --out "$WORK/merged" \
	>"$WORK/merge.out" 2>&1 || { cat "$WORK/merge.out"; fail "merge"; }
sed "s/^/  [$TEST] /" "$WORK/merge.out" | tail -4
python3 - "$WORK/whole" "$WORK/merged" <<'PY' || fail "the merged night differs from the unsplit one"
import json, os, sys
a, b = (json.load(open(f"{d}/summary.json")) for d in sys.argv[1:])
timing = {"wall_s", "started", "finished", "jobs", "hostname"}
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in timing}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
assert [s["name"] for s in a["scenarios"]] == [s["name"] for s in b["scenarios"]], "order"
for x, y in zip(a["scenarios"], b["scenarios"]):
    assert [(r["seed"], r["result"]) for r in x["seeds"]] == [(r["seed"], r["result"]) for r in y["seeds"]], x["name"]
    assert (x["status"], x["runs"], x["rate_ci95"]) == (y["status"], y["runs"], y["rate_ci95"]), x["name"]
    assert "unit" not in y
    for r in y["seeds"]:
        assert os.path.isfile(f"{sys.argv[2]}/{r['dir']}/summary.json"), r["dir"]
    assert y["plot"] and os.path.isfile(f"{sys.argv[2]}/{y['plot']}"), y["plot"]
a["totals"].pop("wall_s"); b["totals"].pop("wall_s")
assert a["totals"] == b["totals"], (a["totals"], b["totals"])
assert "shard" not in b and set(a) == set(b), set(a) ^ set(b)
assert b["jobs"] == 3
print("  ok: merged = unsplit:", ", ".join(f"{s['name']} {s['status']}" for s in b["scenarios"]))
PY
for f in junit.xml index.html; do [ -s "$WORK/merged/$f" ] || fail "merged $f missing"; done
[ "$(xmllint --xpath 'count(//testcase)' "$WORK/merged/junit.xml")" = 3 ] || fail "merged junit.xml"

# A budget of 20 s for one scenario, 2 labs: the first round, then more
# seeds while they are expected to end in time.
start=$(date +%s)
"$IKELAB" nightly "${SC[0]}" --budget 20s --jobs 2 --out "$WORK/budget" >"$WORK/budget.out" 2>&1 ||
	{ cat "$WORK/budget.out"; fail "the budget night"; }
took=$(( $(date +%s) - start ))
python3 - "$WORK/budget/summary.json" "$took" <<'PY' || { cat "$WORK/budget.out"; fail "budget"; }
import json, sys
d = json.load(open(sys.argv[1]))
s = d["scenarios"][0]
assert d["budget_s"] == 20 and d["seeds"] == 0, d
assert s["runs"] >= 3, s["runs"]
assert [r["seed"] for r in s["seeds"]] == list(range(1, s["runs"] + 1))
lo, hi = s["rate_ci95"]
assert 0 <= lo <= s["rate"] <= hi <= 1, s["rate_ci95"]
assert int(sys.argv[2]) < 20 + 30, sys.argv[2]
print(f"  ok: budget 20 s: {s['runs']} runs in {sys.argv[2]} s, rate {s['rate']:.2f} [{lo:.2f}, {hi:.2f}]")
PY
expect_one_line_error "$IKELAB" nightly "${SC[0]}" --budget 20s --seeds 3 --out "$WORK/both"
expect_one_line_error "$IKELAB" nightly "${SC[0]}" --budget soon --out "$WORK/soon"

#!/bin/bash
# A night split in three: `nightly --shard I/3` three times, then `nightly
# merge`, must give the night run unsplit -- a matrix of two scenarios on
# two versions: the same summary but for timings and what each run
# measured, so the same runs, seeds, verdicts, rates, matrix and totals --
# with every run copied beside the merged reports. A shard of another
# night, a missing or doubled shard and a directory that is no shard are
# refused in one line.
# Then `--budget`: as many runs as fit, each rate with its interval.
. "$(dirname "$0")/lib.sh"
SC=("$ROOT/scenarios/uniqueness-race.yaml" "$ROOT/scenarios/uniqueness-race-control.yaml")
# A matrix of two versions -- the same charon under two labels -- so that
# the merge puts rows of the matrix back together too.
CH=(--charon /usr/lib/ipsec/charon --charon /usr/lib/ipsec/charon)

"$IKELAB" nightly "${SC[@]}" "${CH[@]}" --seeds 1 --jobs 2 --out "$WORK/whole" >"$WORK/whole.out" 2>&1 ||
	{ cat "$WORK/whole.out"; fail "the unsplit night"; }
# Two shards at a time, one lab each, as two CI machines would.
for i in 1 2 3; do
	"$IKELAB" nightly "${SC[@]}" "${CH[@]}" --seeds 1 --jobs 1 --shard $i/3 --out "$WORK/shard$i" \
		>"$WORK/shard$i.out" 2>&1 &
	[ $i = 2 ] && wait
done
wait
units=0
for i in 1 2 3; do
	n=$(sed -n "s/^nightly: shard $i of 3, \([0-9]*\) of 4 units.*/\1/p" "$WORK/shard$i.out")
	[ -n "$n" ] || { cat "$WORK/shard$i.out"; fail "shard $i did not say what it runs"; }
	units=$((units + n))
done
assert_eq 4 "$units" "units over the three shards"
# A shard of another night: the same three shards' count, other seeds.
"$IKELAB" nightly "${SC[@]}" "${CH[@]}" --seeds 2 --jobs 1 --shard 3/3 --out "$WORK/other" \
	>"$WORK/other.out" 2>&1 || { cat "$WORK/other.out"; fail "a shard of another night"; }
expect_one_line_error "$IKELAB" nightly merge "$WORK/shard1" "$WORK/shard2" --out "$WORK/part"
grep -q "shard 1 of 3, and 2 shards are given" "$WORK/err" || fail "a missing shard: $(cat "$WORK/err")"
expect_one_line_error "$IKELAB" nightly merge "$WORK/shard1" "$WORK/shard2" "$WORK/whole" --out "$WORK/bad"
grep -q "not a shard's" "$WORK/err" || fail "an unsplit night as a shard: $(cat "$WORK/err")"
expect_one_line_error "$IKELAB" nightly merge "$WORK/shard1" "$WORK/shard1" "$WORK/shard2" --out "$WORK/twice"
grep -q "given twice" "$WORK/err" || fail "a shard given twice: $(cat "$WORK/err")"
expect_one_line_error "$IKELAB" nightly merge "$WORK/shard1" "$WORK/shard2" "$WORK/other" --out "$WORK/mixed"
grep -q "a shard of another night" "$WORK/err" || fail "a shard of another night: $(cat "$WORK/err")"
expect_one_line_error "$IKELAB" nightly merge "$WORK/shard1" --seeds 2 --out "$WORK/opts"
for d in part bad twice mixed opts; do
	[ ! -e "$WORK/$d" ] || [ -z "$(ls "$WORK/$d")" ] || fail "a refused merge wrote into $d"
done

"$IKELAB" nightly merge "$WORK/shard3" "$WORK/shard1" "$WORK/shard2" --out "$WORK/merged" \
	>"$WORK/merge.out" 2>&1 || { cat "$WORK/merge.out"; fail "merge"; }
sed "s/^/  [$TEST] /" "$WORK/merge.out" | tail -4
"$ROOT/tests/integration/night-same.py" "$WORK/whole" "$WORK/merged" ||
	fail "the merged night differs from the unsplit one"
python3 - "$WORK/merged/summary.json" <<'PY' || fail "the merged night's matrix"
import json, sys
b = json.load(open(sys.argv[1]))
assert len(b["matrix"]) == 2 and len(b["versions"]) == 2, b.keys()
assert b["jobs"] == 3
PY
for f in junit.xml index.html; do [ -s "$WORK/merged/$f" ] || fail "merged $f missing"; done
[ "$(xmllint --xpath 'count(//testcase)' "$WORK/merged/junit.xml")" = 4 ] || fail "merged junit.xml"
SC=("$ROOT/scenarios/uniqueness-race.yaml")

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

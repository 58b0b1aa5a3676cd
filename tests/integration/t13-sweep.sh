#!/bin/bash
# Values from the command line and sweeps: `run --set` replaces one value
# of a scenario, checked like the file's own, and the run directory says
# so; `ikelab sweep` runs the uniqueness race at two skews between the two
# peers' first packets -- 200 us, inside the race window, and 3 s, long
# after the first IKE_SA is up -- and must measure the bug on every run of
# the first and on none of the second, with Wilson intervals, as CSV, JSON
# and a plot. Bad values are refused before anything is built.
. "$(dirname "$0")/lib.sh"
SC="$ROOT/scenarios/uniqueness-race.yaml"

# Refused before anything is built: one line, no lab, no directory.
labs_before=$(ls "$IKELAB_RUN" 2>/dev/null | tr '\n' ' ')
expect_one_line_error "$IKELAB" run "$SC" --set 'schedule[0].skew_us=soon' --out "$WORK/bad-run"
grep -q 'uniqueness-race.yaml:[0-9]*:[0-9]*: schedule\[0\].skew_us: .soon. is not a decimal integer' \
	"$WORK/err" || fail "a bad --set value is not reported at its line: $(cat "$WORK/err")"
expect_one_line_error "$IKELAB" run "$SC" --set 'schedule[0].nothing=1' --out "$WORK/bad-run"
grep -q 'sets nothing there' "$WORK/err" || fail "--set of an absent key: $(cat "$WORK/err")"
expect_one_line_error "$IKELAB" sweep "$SC" --set 'schedule[0].skew_us=0..10/0' --out "$WORK/bad-sweep"
expect_one_line_error "$IKELAB" sweep "$SC" --set 'schedule[0].skew_us=100,later' --out "$WORK/bad-sweep"
grep -q "sweep value later: .*'later' is not a decimal integer" "$WORK/err" ||
	fail "a bad sweep value: $(cat "$WORK/err")"
for d in bad-run bad-sweep; do
	[ ! -e "$WORK/$d" ] || fail "a refused command made $d"
done
[ "$(ls "$IKELAB_RUN" 2>/dev/null | tr '\n' ' ')" = "$labs_before" ] || fail "a refused command left a lab"

# The sweep: 2 values x 2 seeds, 2 labs at a time.
"$IKELAB" sweep "$SC" --set 'schedule[0].skew_us=200,3000000' --seeds 2 --jobs 2 --out "$WORK/sweep" \
	>"$WORK/sweep.out" 2>&1 || { cat "$WORK/sweep.out"; fail "sweep"; }
grep -A3 '^schedule\[0\].skew_us' "$WORK/sweep.out" | sed "s/^/  [$TEST] /"
python3 - "$WORK/sweep" <<'PY' || { cat "$WORK/sweep.out"; fail "sweep results"; }
import csv, json, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(f"{d}/sweep.csv")))
assert [r["value"] for r in rows] == ["200", "3000000"], rows
near, far = rows
assert (near["runs"], near["bug_runs"], near["lab_errors"]) == ("2", "2", "0"), near
assert (far["runs"], far["bug_runs"], far["lab_errors"]) == ("2", "0", "0"), far
assert float(near["wilson_low"]) > 0.3 and float(far["wilson_high"]) < 0.7, rows
j = json.load(open(f"{d}/sweep.json"))
assert j["scenario"] == "uniqueness-race" and j["path"] == "schedule[0].skew_us", j
assert [v["set"] for v in j["values"]] == ["schedule[0].skew_us=200", "schedule[0].skew_us=3000000"]
# Each run was given its value, and its scenario copy has it.
night = json.load(open(f"{d}/summary.json"))
for sc, value in zip(night["scenarios"], ("200", "3000000")):
    for run in sc["seeds"]:
        s = json.load(open(f"{d}/{run['dir']}/summary.json"))
        assert s["set"] == [f"schedule[0].skew_us={value}"], s["set"]
        assert f"skew_us: {value}\n" in open(f"{d}/{run['dir']}/scenario.yaml").read()
assert open(f"{d}/sweep.png", "rb").read(8) == b"\x89PNG\r\n\x1a\n"
print("  ok: 2/2 at 200 us, 0/2 at 3 s; every run had its value; csv, json, png")
PY
for f in index.html junit.xml sweep.svg; do
	[ -s "$WORK/sweep/$f" ] || fail "sweep: no $f"
done
mkdir -p "$ROOT/build/test-artifacts" && cp "$WORK/sweep/sweep.png" "$ROOT/build/test-artifacts/sweep.png"

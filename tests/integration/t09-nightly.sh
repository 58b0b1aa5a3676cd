#!/bin/bash
# The nightly: two shipped scenarios, 3 seeds, 2 labs at a time; junit.xml
# that Jenkins' JUnit schema accepts, a summary.json with the right counts,
# an index.html that headless Chromium renders. Then against a baseline: a
# scenario that passed and now fails is a new failure, the reverse fixed.
. "$(dirname "$0")/lib.sh"
N1="$WORK/night1"
N2="$WORK/night2"

"$IKELAB" nightly "$ROOT/scenarios/uniqueness-race.yaml" "$ROOT/scenarios/uniqueness-race-control.yaml" \
	--seeds 3 --jobs 2 --out "$N1" >"$WORK/night1.out" || { cat "$WORK/night1.out"; fail "nightly"; }
sed "s/^/  [$TEST] /" "$WORK/night1.out" | tail -4
for f in junit.xml summary.json index.html; do
	[ -s "$N1/$f" ] || fail "$f missing"
done
xsd=$(bash "$ROOT/tests/report/jenkins-xsd.sh" "$ROOT/build") || fail "no JUnit schema"
xmllint --noout --schema "$xsd" "$N1/junit.xml" || fail "junit.xml does not validate against Jenkins' schema"
[ "$(xmllint --xpath 'string(/testsuites/@tests)' "$N1/junit.xml")" = 6 ] || fail "junit.xml: not 6 test cases"
[ "$(xmllint --xpath 'count(//testcase)' "$N1/junit.xml")" = 6 ] || fail "junit.xml: testcase count"
[ "$(xmllint --xpath 'string(/testsuites/@failures)' "$N1/junit.xml")" = 0 ] || fail "junit.xml: failures"
python3 - "$N1/summary.json" <<'PY' || fail "summary.json counts"
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in d["scenarios"]}
assert d["totals"] == {**d["totals"], "scenarios": 2, "met": 2, "runs": 6}, d["totals"]
r, c = s["uniqueness-race"], s["uniqueness-race-control"]
assert (r["runs"], r["as_expected"], r["status"]) == (3, 3, "pass"), r
assert (c["runs"], c["as_expected"], c["status"]) == (3, 3, "pass"), c
assert r["worst"]["max_ike"] == 2 and c["worst"]["max_ike"] == 1
assert r["time_to_first_duplicate_s"] and c["time_to_first_duplicate_s"] is None
assert [x["seed"] for x in r["seeds"]] == [1, 2, 3]
assert d["charon"]["version"] and "vici" in d["charon"]["plugins"]
print("  ok: counts, worst SA counts, time to first duplicate, charon", d["charon"]["version"])
PY
# Headless Chromium renders the page (look at night1/screenshot.png).
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
	--disable-component-update --disable-sync --user-data-dir="$WORK/chromium" --window-size=1400,1000 \
	--screenshot="$N1/screenshot.png" "file://$N1/index.html" >/dev/null 2>&1 || fail "chromium"
[ "$(stat -c %s "$N1/screenshot.png")" -gt 40000 ] || fail "the screenshot of index.html looks empty"
mkdir -p "$ROOT/build/test-artifacts" && cp "$N1/screenshot.png" "$ROOT/build/test-artifacts/nightly-index.png"

# Baseline: the control failed before and passes now (fixed); "doomed"
# passed before and fails now (a new failure). Both flip, so both get more
# seeds before they are named.
sed -e 's/^name: .*/name: doomed/' -e 's/^expect: clean/expect: reproduces/' \
	-e "s#\.\./#$ROOT/#" "$ROOT/scenarios/uniqueness-race-control.yaml" >"$WORK/doomed.yaml"
python3 - "$N1/summary.json" "$WORK/baseline.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["scenarios"] = [s for s in d["scenarios"] if s["name"] == "uniqueness-race-control"]
d["scenarios"][0]["status"] = "fail"
d["scenarios"].append({"name": "doomed", "status": "pass"})
json.dump(d, open(sys.argv[2], "w"))
PY
rc=0
"$IKELAB" nightly "$ROOT/scenarios/uniqueness-race-control.yaml" "$WORK/doomed.yaml" --seeds 1 --jobs 2 \
	--baseline "$WORK/baseline.json" --out "$N2" >"$WORK/night2.out" || rc=$?
assert_eq 1 "$rc" "exit status of a night with a new failure"
python3 - "$N2/summary.json" <<'PY' || fail "baseline comparison"
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["scenarios"]}
assert s["uniqueness-race-control"]["change"] == "fixed", s["uniqueness-race-control"]["change"]
assert s["doomed"]["change"] == "new-failure", s["doomed"]["change"]
assert s["doomed"]["reruns"] == 2 and s["doomed"]["runs"] == 3, s["doomed"]
print("  ok: fixed and new-failure, each after 2 more seeds")
PY
xmllint --noout --schema "$xsd" "$N2/junit.xml" || fail "junit.xml of night 2"
[ "$(xmllint --xpath 'string(/testsuites/@failures)' "$N2/junit.xml")" = 3 ] || fail "night 2: 3 failures expected"

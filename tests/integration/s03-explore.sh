#!/bin/bash
# ikelab explore on a short budget, one lab at a time, from the profile
# of strongSwan #2446's races (both ends trap): trials run to their ends
# and are judged, every trial with a finding counts once in each of its
# groups and the counts add up, and the reports say the same; the same seed draws the same schedule again, byte for byte,
# and another seed another; a known list (an id, or the findings.json of
# an earlier night) makes a group known, which then neither fails the
# JUnit report nor the exit status; and nothing of the labs is left.
. "$(dirname "$0")/lib.sh"
A="$WORK/a"
B="$WORK/b"
PROFILE="$ROOT/peers/auto-route.yaml"

explore() {	# out options...
	out=$1
	shift
	"$IKELAB" explore --profile "$PROFILE" --jobs 1 --shrink-budget 0 --out "$out" "$@" \
		>"$out.out" 2>&1
}

# A budget: trials while one fits.
rc=0
explore "$A" --budget 100 --seed 11 || rc=$?
[ "$rc" -le 1 ] || { cat "$A.out"; fail "explore exited $rc"; }
grep -q '^\[ *1 ' "$A.out" || { cat "$A.out"; fail "no progress line per trial"; }

python3 - "$A" "$rc" <<'EOF' || fail "findings.json is not what the trials found"
import json, os, sys
out, rc = sys.argv[1], int(sys.argv[2])
f = json.load(open(os.path.join(out, "findings.json")))
t, groups, trials = f["trials"], f["groups"], f["trials_list"]
assert t["run"] == len(trials) >= 2, t
assert t["lab_errors"] == 0, t
assert 80 <= f["wall_s"] <= 400, f["wall_s"]
ids = [g["id"] for g in groups]
assert len(ids) == len(set(ids)), ids
# A trial counts once in each of its groups, and the counts add up.
found = [tr for tr in trials if tr["groups"]]
assert len(found) == t["failed"], (t, found)
assert sum(len(tr["groups"]) for tr in found) == sum(g["count"] for g in groups), (t, groups)
for tr in found:
    assert len(set(tr["groups"])) == len(tr["groups"]) and set(tr["groups"]) <= set(ids), tr
    assert tr["seed"] >= 11
for g in groups:
    assert g["count"] == len([tr for tr in found if g["id"] in tr["groups"]]), g
    assert g["first_seed"] == min(s for s in g["seeds"]), g
    assert os.path.isdir(os.path.join(out, g["run"])), g["run"]
    assert os.path.isfile(os.path.join(out, g["run"], "timeline.png")), g["run"]
    parts = g["signature"].split(" | ")
    assert len(parts) == 4 and parts[0] == g["invariant"] and parts[1] == g["phase"], g
assert (rc == 1) == any(not g["known"] for g in groups), (rc, groups)
# #2446's profile on both ends: the uniqueness race shows in trials.
assert any(g["invariant"] in ("dup-ike", "dup-child") for g in groups), groups
print("explore: %d trials, %d with a finding, %d groups" % (t["run"], t["failed"], len(groups)))
EOF
note "$(tail -4 "$A.out" | head -1)"
python3 -c "import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])" "$A/junit.xml" ||
	fail "junit.xml does not parse"

# explore sig: any run directory's findings, as the trials were grouped.
python3 - "$A" "$IKELAB" <<'EOF' || fail "explore sig does not give the trials' groups"
import json, os, subprocess, sys
out, ikelab = sys.argv[1], sys.argv[2]
trials = json.load(open(os.path.join(out, "findings.json")))["trials_list"]
for tr in [tr for tr in trials if tr["groups"]][:3]:
    p = subprocess.run([ikelab, "explore", "sig", os.path.join(out, tr["run"])],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    ids = [l.split()[0] for l in p.stdout.splitlines()[1:] if not l.startswith(" ")]
    assert sorted(set(ids)) == sorted(tr["groups"]), (ids, tr, p.stdout)
p = subprocess.run([ikelab, "explore", "sig", os.path.join(out, "no-such-run")],
                   capture_output=True, text=True)
assert p.returncode == 1 and "no-such-run" in p.stderr, p
EOF
note "explore sig gives each trial's groups"

# The same seed draws the same schedule; the next seed another.
rc=0
explore "$B" --trials 1 --seed 11 || rc=$?
[ "$rc" -le 1 ] || { cat "$B.out"; fail "explore --trials 1 exited $rc"; }
cmp "$A/scenarios/trial-11.yaml" "$B/scenarios/trial-11.yaml" ||
	fail "seed 11 drew two different schedules"
cmp -s "$A/scenarios/trial-11.yaml" "$A/scenarios/trial-12.yaml" &&
	fail "seeds 11 and 12 drew the same schedule"
[ "$(ls "$B/scenarios")" = "trial-11.yaml" ] || fail "--trials 1 ran $(ls "$B/scenarios")"
note "seed 11 drew the same schedule twice"

# A known list: the first group by id, then all of them by findings.json.
first=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["groups"][0]["id"])' \
	"$A/findings.json")
printf '# known races\n%s  the first group\n' "$first" >"$WORK/known.txt"
"$IKELAB" explore merge "$A" --known "$WORK/known.txt" --out "$WORK/k1" >"$WORK/k1.out" 2>&1 ||
	true # 1: other groups are new
python3 - "$WORK/k1" "$first" <<'EOF' || fail "--known by id did not make its group known"
import json, sys, xml.dom.minidom
f = json.load(open(sys.argv[1] + "/findings.json"))
for g in f["groups"]:
    assert g["known"] == (g["id"] == sys.argv[2]), g
doc = xml.dom.minidom.parse(sys.argv[1] + "/junit.xml")
for case in doc.getElementsByTagName("testcase"):
    if sys.argv[2] in case.getAttribute("name"):
        assert not case.getElementsByTagName("failure"), case.toxml()
EOF
"$IKELAB" explore merge "$A" --known "$A/findings.json" --out "$WORK/k2" >"$WORK/k2.out" 2>&1 ||
	{ cat "$WORK/k2.out"; fail "every group known, and still a failure"; }
grep -q ', 0 new$' "$WORK/k2.out" || { cat "$WORK/k2.out"; fail "a known group counted as new"; }
python3 -c "import xml.dom.minidom,sys; d=xml.dom.minidom.parse(sys.argv[1]); \
assert not d.getElementsByTagName('failure'), d.toxml()" "$WORK/k2/junit.xml" ||
	fail "junit.xml fails a known group"
note "known by id and by findings.json: not new, not failures"

printf 'not an id\n' >"$WORK/bad.txt"
"$IKELAB" explore merge "$A" --known "$WORK/bad.txt" --out "$WORK/k3" >"$WORK/k3.out" 2>&1 &&
	fail "a bad known list was taken"
grep -q "bad.txt:1: neither a group id" "$WORK/k3.out" || { cat "$WORK/k3.out"; fail "bad list: no FILE:LINE"; }

"$IKELAB" ls >"$WORK/ls.out" 2>&1 || true
if grep -q '^n[0-9]' "$WORK/ls.out"; then
	cat "$WORK/ls.out"
	fail "explore left a lab"
fi

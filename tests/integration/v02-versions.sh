#!/bin/bash
# strongSwan versions side by side, as CI has it: `make version-test`
# (after v01-charon-build, which builds the release into the cache the two
# share, IKELAB_TEST_CACHE; without it, a cold cache of this test's own),
# outside `make test` for its length (about 10 minutes on 2 cores).
#
# 1. `ikelab bisect --fixed` over three commits around a5e80cf5 "libcharon:
#    Enable make_before_break option by default" with reauth-default-loss
#    (a profile that leaves make_before_break unset: break-before-make loses
#    a whole exchange of traffic): it must name a5e80cf5, and started again
#    on its directory it must give the same answer without running anything.
# 2. One nightly of the shipped scenarios of races fixed after 5.9.8 and
#    of the uniqueness race, with their controls, on Debian's 5.9.8 and on a
#    release built from the shared history: both versions in summary.json,
#    junit.xml and index.html, and every race a release up to it fixed
#    "fixed in" it (reauth-default-loss, half-open-leak, reqid-shared-dpd,
#    rekey-collision-events, reload-empty-ike). VERSIONS_RELEASE picks it (default 6.0.0, the release
#    v01-charon-build built).
. "$(dirname "$0")/lib.sh"
export XDG_CACHE_HOME=${IKELAB_TEST_CACHE:-"$WORK/cache"}
RELEASE=${VERSIONS_RELEASE:-6.0.0}
SCENARIO="$ROOT/scenarios/reauth-default-loss.yaml"

jq_or_fail() { # FILE EXPR MESSAGE: python3 reads FILE as JSON and EXPR must hold
	python3 - "$1" "$2" <<'EOF' || fail "$3"
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval("(" + sys.argv[2] + ")", {"d": d}) else 1)
EOF
}

# ---- bisect -------------------------------------------------------------------
t0=$(date +%s)
"$IKELAB" bisect "$SCENARIO" --fixed --bad e69e7c86 --good f462e4b9 --seeds 2 \
	--out "$WORK/bisect" >"$WORK/bisect.out" 2>"$WORK/bisect.err" || {
	tail -40 "$WORK/bisect.out" "$WORK/bisect.err"
	fail "bisect exited with $?"
}
grep -q "^first fixed commit: a5e80cf5" "$WORK/bisect.out" ||
	{ cat "$WORK/bisect.out"; fail "bisect did not name a5e80cf5"; }
jq_or_fail "$WORK/bisect/bisect.json" \
	'd["result"]["commit"].startswith("a5e80cf5") and d["result"]["looking_for"] == "fix"' \
	"bisect.json does not name a5e80cf5"
jq_or_fail "$WORK/bisect/bisect.json" \
	'[s["verdict"] for s in d["steps"] if s["role"] == "bad end"] == ["bad"] and
	 [s["verdict"] for s in d["steps"] if s["role"] == "good end"] == ["good"]' \
	"the ends were not judged bad and good"
grep -q "is luck with probability" "$WORK/bisect/report.txt" || fail "report.txt says nothing of luck"
[ ! -e "$WORK/bisect/repo.git" ] || fail "the bisect left its clone behind"
steps=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["steps"]))' \
	"$WORK/bisect/bisect.json")
note "bisect named a5e80cf5 after judging $steps commits in $(($(date +%s) - t0)) s:" \
	"$(grep -E '^  (bad end|good end|step) ' "$WORK/bisect.out" | awk '{ printf "%s%s", s, $0; s = ";" }')"

# Again on its directory: the verdicts are replayed, nothing runs.
t0=$(date +%s)
"$IKELAB" bisect "$SCENARIO" --fixed --bad e69e7c86 --good f462e4b9 --seeds 2 \
	--out "$WORK/bisect" >"$WORK/again.out" 2>&1 || { cat "$WORK/again.out"; fail "bisect again"; }
grep -q "^bisect: going on from" "$WORK/again.out" || fail "the second bisect did not resume"
grep -q "^first fixed commit: a5e80cf5" "$WORK/again.out" || fail "the resumed bisect changed its answer"
! grep -q "^    seed " "$WORK/again.out" || fail "the resumed bisect ran the scenario again"
note "resumed: the same answer in $(($(date +%s) - t0)) s, no run repeated"

# Another bisect's directory is refused.
if "$IKELAB" bisect "$SCENARIO" --fixed --bad e69e7c86 --good f462e4b9 --seeds 3 \
	--out "$WORK/bisect" >"$WORK/other.out" 2>&1; then
	fail "a bisect with other arguments went on in the same directory"
fi
grep -q "holds another bisect" "$WORK/other.out" || fail "no reason given: $(cat "$WORK/other.out")"

# ---- a nightly on two versions -----------------------------------------------
t0=$(date +%s)
rc=0
# The races fixed after 5.9.8 (make nightly-versions' scenarios) and the
# uniqueness race, a reproduction no release fixed, each with its control.
SCEN=()
for s in uniqueness-race reauth-default-loss half-open-leak reqid-shared-dpd \
	rekey-collision-events reload-empty-ike; do
	SCEN+=("$ROOT/scenarios/$s.yaml")
	[ ! -e "$ROOT/scenarios/$s-control.yaml" ] || SCEN+=("$ROOT/scenarios/$s-control.yaml")
done
"$IKELAB" nightly "${SCEN[@]}" --charon /usr/lib/ipsec/charon --charon "$RELEASE" --seeds 1 --jobs 2 \
	--out "$WORK/night" >"$WORK/night.out" 2>"$WORK/night.err" || rc=$?
[ "$rc" -le 1 ] || { tail -30 "$WORK/night.out" "$WORK/night.err"; fail "nightly exited with $rc"; }
S="$WORK/night/summary.json"
[ -s "$S" ] || { tail -30 "$WORK/night.out" "$WORK/night.err"; fail "the nightly wrote no summary.json"; }
# What the night found, scenario by scenario, in the log before any check.
python3 - "$S" <<'EOF' | sed "s/^/  [$TEST] /"
import json, sys
d = json.load(open(sys.argv[1]))
for m in d["matrix"]:
    print(m["name"] + ": " + m["verdict"] + " -- " + ", ".join(
        f'{c["version"]} {c["status"]} (bug in {c["bug_runs"]} of {c["runs"]}, {c["lab_errors"]} lab errors)'
        for c in m["cells"]))
EOF
jq_or_fail "$S" '[v["version"] for v in d["versions"]] == ["5.9.8", "'"$RELEASE"'"]' \
	"summary.json does not list 5.9.8 and $RELEASE"
jq_or_fail "$S" 'len(d["matrix"]) * 2 == len(d["scenarios"]) and
	all(len(m["cells"]) == 2 for m in d["matrix"])' "the matrix is not every scenario on both"
# Every race the shipped scenarios reproduce that a release before it
# fixed (the fixing commits: the scenarios' cites).
for fixed in reauth-default-loss half-open-leak reqid-shared-dpd rekey-collision-events \
	reload-empty-ike; do
	jq_or_fail "$S" '[m["verdict"] for m in d["matrix"] if m["name"] == "'"$fixed"'"] ==
		["fixed in '"$RELEASE"'"]' "$fixed is not 'fixed in $RELEASE'"
done
jq_or_fail "$S" '[m["verdict"] for m in d["matrix"] if m["name"] == "uniqueness-race"] == ["same"]' \
	"uniqueness-race is not the same on 5.9.8 and $RELEASE"
jq_or_fail "$S" 'all(s["result"] != "lab-error" for sc in d["scenarios"] for s in sc["seeds"])' \
	"a run of the nightly was a lab error"
for v in 5.9.8 "$RELEASE"; do
	grep -q "on $v" "$WORK/night/junit.xml" || fail "junit.xml has no suite on $v"
	grep -q "$v" "$WORK/night/index.html" || fail "index.html does not name $v"
done
grep -q "fixed in $RELEASE" "$WORK/night/index.html" || fail "index.html does not say fixed in $RELEASE"
note "nightly of $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["matrix"]))' "$S")" \
	"scenarios on 5.9.8 and $RELEASE in $(($(date +%s) - t0)) s (exit $rc):" \
	"$(python3 -c 'import json,sys; print("; ".join(m["name"] + ": " + m["verdict"] for m in json.load(open(sys.argv[1]))["matrix"]))' "$S")"

#!/bin/bash
# Scenarios: every shipped reproduction shows its bug on the first seed and
# every control passes; one seed always gives one schedule; a malformed
# scenario is refused before anything is built.
. "$(dirname "$0")/lib.sh"
OUT="$WORK/runs"

# Refused before anything is built: one line, non-zero, no lab, no run dir.
labs_before=$(ls "$IKELAB_RUN" 2>/dev/null | tr '\n' ' ')
bad() {	# name yaml-body expected-text
	printf '%s' "$2" >"$WORK/$1.yaml"
	expect_one_line_error "$IKELAB" run "$WORK/$1.yaml" --out "$WORK/bad-$1"
	grep -q "$3" "$WORK/err" || fail "$1: message does not say '$3'"
	[ ! -e "$WORK/bad-$1" ] || fail "$1: a run directory was made"
}
head="name: bad
topology: $ROOT/topologies/two-peer.yaml
profile: $ROOT/peers/auto-route.yaml
duration: 5s
"
bad unknown-action "$head
schedule:
  - at: 100
    action: explode
    peer: alice
" "/unknown-action.yaml:[0-9]*:[0-9]*: schedule\[0\].action: .explode. is not one of"
bad too-late "$head
schedule:
  - at: 9000
    action: initiate
    peer: alice
" "schedule\[0\].at"
bad no-router "$head
faults:
  - name: slow
    router: wan
    action: drop
" "no router named 'wan'"
bad no-peer "$head
schedule:
  - at: 100
    action: initiate
    peer: carol
" "carol"
[ "$(ls "$IKELAB_RUN" 2>/dev/null | tr '\n' ' ')" = "$labs_before" ] ||
	fail "a refused scenario left a lab: $(ls "$IKELAB_RUN")"

# Every reproduction on its first seed, every control: the shipped
# scenarios as one night with one seed, two labs at a time.
"$IKELAB" nightly "$ROOT"/scenarios/*.yaml --seeds 1 --jobs 2 --out "$OUT/all" >"$WORK/all.out" 2>&1 || {
	cat "$WORK/all.out"; fail "a shipped scenario did not do what it expects on its first seed"; }
grep '^\[' "$WORK/all.out" | sed "s/^/  [$TEST] /"
python3 - "$OUT/all/summary.json" <<'PY' || fail "shipped scenarios"
import json, sys
d = json.load(open(sys.argv[1]))
names = {s["name"]: s for s in d["scenarios"]}
bases = ("uniqueness-race", "hard-expire-acquire", "rekey-collision", "reauth-mbb-loss",
         "ike-accumulation", "half-open-leak", "reqid-shared-dpd", "rekey-collision-events",
         "reload-empty-ike")
for base in bases:
    for n in (base, base + "-control"):
        assert names[n]["as_expected"] == 1, (n, names[n]["seeds"])
print(f"  ok: {len(bases)} reproductions and their {len(bases)} controls, first seed each")
PY
# inject: alice's requests left from another port than charon's (it holds
# 500), the router's from 500; bob counted all five half-open for good.
python3 - "$OUT/all" <<'PY' || fail "inject"
import glob, json, sys
d = glob.glob(f"{sys.argv[1]}/half-open-leak/seed-1/")[0]
s = json.load(open(d + "summary.json"))
assert s["peers"]["bob"]["stats"]["ikesas.half-open"] == 5, s["peers"]["bob"]["stats"]
inj = [json.loads(l) for l in open(d + "events.jsonl") if '"inject"' in l]
assert [e.get("sport") == 500 for e in inj] == [False, True], inj
assert [len(e["sent_spi_i"]) for e in inj] == [3, 2] and all("error" not in e for e in inj), inj
print(f"  ok: half-open-leak: 5 half-open IKE_SAs on bob at the end, injected from ports "
      f"{inj[0]['sport']} and {inj[1]['sport']}")
PY
# Early verdicts: a reproduction whose duplicate outlasted the grace, or
# whose acquire came, stops there (hard-expire-acquire with a response the
# wire still delays); a clean run that passes lasts its whole duration.
python3 - "$OUT/all" <<'PY' || { diag "$OUT/all"; fail "early verdicts"; }
import glob, json, sys
def summary(name):
    return json.load(open(glob.glob(f"{sys.argv[1]}/{name}/seed-1/summary.json")[0]))
for name, why in (("uniqueness-race", ("max_ike_per_peer", "max_child_per_ts")),
                  ("reqid-shared-dpd", ("unique_reqids",)),
                  ("hard-expire-acquire", ("max_acquires_during_rekey", "max_child_per_ts"))):
    s = summary(name)
    e = s["ended_early"]
    assert e and e["expectation"] in why and e["at"] < e["planned_s"], (name, e)
    assert s["duration_s"] < e["planned_s"] - 1, (name, s["duration_s"])
    print(f"  ok: {name} ended at {e['at']:.1f} s of {e['planned_s']:.0f} s ({e['expectation']})")
for d in glob.glob(sys.argv[1] + "/*-control/seed-1/"):
    s = json.load(open(d + "summary.json"))
    assert s["ended_early"] is None and s["result"] == "pass", (d, s["ended_early"])
print("  ok: every control ran to its end")
PY
# Every run measured the race, not the kernel's start-up: no module loaded
# on demand in any run, and the recorder kept up: at most 5 % of ticks
# missed in the median run, and at most 15 % in most clean runs (a first SA
# stalling the kernel for 2 s, issue 9, misses 17-33 % of every run's
# ticks, controls included). One clean run over 15 % is the host's: a
# clean clone's host stalled both lab slots' kernels at once for 5 s,
# 26 of a control's 172 ticks. Single runs are not held to 5 %: on 5.9.8
# races keep charon's list-sas waiting -- reauth-mbb-loss missed 15 % of
# its ticks in one clean-clone run, reauth-default-loss 28-43 % in 2 of 4
# seeds, each sample as slow as the gap (charon, not the kernel or the
# machine), and the clean rekey-collision, whose collision is handled,
# 6.1 % (8 of 131) in another.
python3 - "$OUT/all" <<'PY' || { diag "$OUT/all"; fail "a run measured its own kernel's start-up"; }
import glob, json, os, statistics, sys
worst, shares, clean, over = (0, ""), [], 0, []
for d in sorted(glob.glob(sys.argv[1] + "/*/seed-*/")):
    log = d + "module-requests.log"
    assert not os.path.exists(log) or not os.path.getsize(log), (d, open(log).read())
    s = json.load(open(d + "summary.json"))
    share = s["missed_ticks"] / (s["duration_s"] * s["rate_hz"])
    shares.append(share)
    if s.get("expect") == "reproduces":
        continue
    clean += 1
    if share > 0.15:
        over.append(f"{d}: {s['missed_ticks']} ticks missed, {100 * share:.1f} %")
    worst = max(worst, (share, d))
assert len(over) <= 1, f"{len(over)} of {clean} clean runs that missed over 15 %: " + "; ".join(over)
median = statistics.median(shares)
assert median <= 0.05, f"the median run missed {100 * median:.1f} % of its ticks"
print(f"  ok: no module loaded on demand; the median run missed {100 * median:.1f} % of its ticks, "
      f"a clean run at most {100 * worst[0]:.1f} %")
PY

# Same seed, same schedule; another seed, another one. The second run of
# seed 1 records to the end (--full-duration), verdict unchanged.
"$IKELAB" run "$ROOT/scenarios/uniqueness-race.yaml" --seed 1 --full-duration --out "$OUT/again" \
	>/dev/null || fail "uniqueness-race again"
cmp "$OUT/all/uniqueness-race/seed-1/schedule.json" "$OUT/again/seed-1/schedule.json" ||
	fail "two runs of seed 1 wrote different schedules"
python3 - "$OUT/again/seed-1/summary.json" <<'PY' || fail "--full-duration"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["ended_early"] is None and s["duration_s"] >= 10 and s["result"] == "reproduced", s
print(f"  ok: --full-duration: {s['duration_s']:.1f} s, reproduced")
PY
"$IKELAB" run "$ROOT/scenarios/uniqueness-race.yaml" --seed 2 --out "$OUT/other" >/dev/null ||
	fail "uniqueness-race seed 2"
! cmp -s "$OUT/all/uniqueness-race/seed-1/schedule.json" "$OUT/other/seed-2/schedule.json" ||
	fail "seeds 1 and 2 gave the same schedule (the scenario has jitter)"
note "seed 1 twice: identical schedule.json; seed 2: a different one"

# netem on a lab link, under user-mode Linux: the IKE_SA takes 0.6 s longer.
setup_time() {	# run dir -> seconds from alice's initiate to her IKE_SA up
	python3 - "$1" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1] + "/events.jsonl")]
start = [e["t"] for e in ev if e["source"] == "schedule" and e["kind"] == "initiate"][0]
up = [e["t"] for e in ev if e["kind"] == "ike-updown" and e["peer"] == "alice" and e.get("up")][0]
err = [e for e in ev if e["source"] == "schedule" and e.get("error")]
assert not err, err
print(f"{up - start:.3f}")
PY
}
for s in netem-delay netem-none; do
	"$IKELAB" run "$ROOT/tests/integration/scenarios/$s.yaml" --out "$OUT/$s" >/dev/null || fail "$s"
done
slow=$(setup_time "$OUT/netem-delay/seed-1") || { diag "$OUT/netem-delay"; fail "netem-delay events"; }
fast=$(setup_time "$OUT/netem-none/seed-1") || { diag "$OUT/netem-none"; fail "netem-none events"; }
python3 -c "import sys; sys.exit(0 if $slow - $fast >= 0.55 else 1)" ||
	fail "300 ms of netem made IKE setup only $slow s instead of $fast s"
note "IKE_SA setup ${fast} s plain, ${slow} s with 300 ms netem on wan:eth1"

#!/bin/bash
# Recording a lab: a 60-second run with CHILD_SA rekeys every 6-10 s and
# probe traffic both ways; a duplicate forced by hand; a plot; a charon
# killed mid-recording.
. "$(dirname "$0")/lib.sh"
LAB=it-record
RUN="$WORK/run"

up $LAB --peers "$ROOT/peers/child-rekey-10s.yaml"
tunnel $LAB || fail "tunnel"
# The machine's own CPU accounting around the recording: a virtual machine
# whose host takes its CPUs away (steal) misses ticks whatever the recorder
# does, so the share stolen is measured, reported, and taken into account.
head -1 /proc/stat >"$WORK/stat.before"
"$IKELAB" record --name $LAB --duration 60 --traffic 500 --out "$RUN" >"$WORK/record.out" ||
	{ cat "$WORK/record.out"; fail "record"; }
head -1 /proc/stat >"$WORK/stat.after"
for f in events.jsonl timeline.csv traffic.csv summary.json; do
	[ -s "$RUN/$f" ] || fail "$f missing or empty"
done
python3 - "$RUN" "$IKELAB_RUN/$LAB" "$WORK" <<'PY' || fail "recorded run does not hold up"
import csv, json, re, sys, datetime
run, labdir, work = sys.argv[1], sys.argv[2], sys.argv[3]
# cpu user nice system idle iowait irq softirq steal ...: jiffies
a, b = ([int(x) for x in open(f"{work}/stat.{w}").read().split()[1:9]] for w in ("before", "after"))
stolen = (b[7] - a[7]) / max(1, sum(b) - sum(a))
print(f"  the host took {100 * stolen:.1f} % of this machine's CPU time during the recording")
s = json.load(open(f"{run}/summary.json"))
ev = [json.loads(l) for l in open(f"{run}/events.jsonl")]
rows = list(csv.DictReader(open(f"{run}/timeline.csv")))
def check(cond, what):
    if not cond:
        print("FAIL:", what); sys.exit(1)
check(s["verdict"] == "ok", f"verdict {s['verdict']} {s['lab_error']}")
# Ticks are judged only when the host left the machine its CPUs: beyond
# 5 % steal, a missed tick says nothing about the recorder.
calm = stolen <= 0.05
if not calm:
    print(f"  not judged: samples and missed ticks ({s['samples']} samples, "
          f"{s['missed_ticks']} ticks missed), with {100 * stolen:.1f} % of the CPU stolen")
check(not calm or s["samples"] > 540, f"only {s['samples']} samples in 60 s at 10 Hz")
# Every tick is a sample or a missed tick (the probes' drain at the end
# makes the run a little longer than 60 s).
check(abs(s["missed_ticks"] + s["samples"] - s["duration_s"] * 10) <= 3,
      f"{s['samples']} samples and {s['missed_ticks']} missed ticks in {s['duration_s']:.1f} s at 10 Hz")
# The recorder keeps up: at most 5 % of the ticks pass without a sample.
# Usually 0-1 %; 3.3 % (20 of 611) seen once in make stress on an idle
# machine, with 500 pps and rekey collisions on one UML CPU. A kernel or
# recorder that stalls (issue 9: a first SA holding the xfrm lock for 2 s)
# misses 17-33 %.
check(not calm or s["missed_ticks"] <= 0.05 * s["duration_s"] * 10,
      f"{s['missed_ticks']} of {s['duration_s'] * 10:.0f} ticks missed (more than 5 %)")
# A stall (a VICI call waiting on a busy charon) would be seconds; the
# single UML CPU shared with both charons and the probes makes up to
# ~0.25 s now and then here, 0.67 s seen once on a CI machine.
check(s["max_sample_gap_s"] < 1.5, f"sample gap {s['max_sample_gap_s']} s")
check(0 < s["slowest_sample_s"] <= s["max_sample_gap_s"] + 0.2, "slowest_sample_s out of range")
collided = {}
for peer in ("alice", "bob"):
    mine = [r for r in rows if r["peer"] == peer]
    # One IKE_SA throughout.
    odd = [(r["t"], r["ike"], r["ike_established"], r["busy"]) for r in mine
           if r["ike"] != "1" or r["ike_established"] != "1"]
    check(not odd, f"{peer}: not exactly one IKE_SA in every sample: (t, ike, established, busy) {odd[:8]}")
    # CHILD_SAs 1 -> 2 -> 1 around rekeys, never more than one installed.
    child = [int(r["child"]) for r in mine]
    check(max(child) >= 2 and min(child) == 1, f"{peer}: CHILD_SAs never went 1 -> 2 -> 1")
    # Both ends rekey at a random point 6-10 s in, so now and then they
    # start the same rekey together (RFC 7296 2.8.1). strongSwan 5.9.8 then
    # briefly installs both new SAs and drops the redundant one without a
    # child-updown: an event-only ledger mismatch, as in rekey-collision.yaml.
    collided[peer] = "rekey collision" in open(f"{labdir}/{peer}/run/charon.log").read()
    check(max(int(r["child_installed"]) for r in mine) == 1 or collided[peer],
          f"{peer}: two CHILD_SAs installed at once")
    rekeys = [e for e in ev if e["peer"] == peer and e["kind"] == "child-rekey"]
    check(len(rekeys) >= 5, f"{peer}: only {len(rekeys)} CHILD_SA rekeys in 60 s")
    # Every rekey charon logged during the run is in events.jsonl.
    t0 = datetime.datetime.fromisoformat(ev[0]["wall"].rstrip("Z"))
    t1 = datetime.datetime.fromisoformat(ev[-1]["wall"].rstrip("Z"))
    logged = set()
    for line in open(f"{labdir}/{peer}/run/charon.log"):
        m = re.match(r"(\S+ \S+) .*CHILD_SA \S+\{(\d+)\} state change: REKEYING => REKEYED", line)
        if not m:
            continue
        when = datetime.datetime.fromisoformat(m.group(1)) - (datetime.datetime.now() - datetime.datetime.utcnow())
        if t0 < when < t1:
            logged.add(int(m.group(2)))
    recorded = {e["old_id"] for e in rekeys}
    check(logged <= recorded, f"{peer}: rekeys in charon.log not in events.jsonl: {sorted(logged - recorded)}")
    check(len(logged) >= len(recorded) - 1, f"{peer}: events {sorted(recorded)} vs log {sorted(logged)}")
check(not s["duplicates"], f"duplicates in a clean run: {s['duplicates']}")
# The ledger agrees with the samples, or says why not.
for m in s["ledger"]["details"]:
    explained = m["detail"]["what"] == "duplicate-event" or (
        m["detail"]["what"] == "event-only" and m["detail"]["sa"] == "child" and
        (collided["alice"] or collided["bob"]))
    check(explained and m["detail"]["explain"], f"unexplained ledger mismatch {m}")
for d in ("alice>bob", "bob>alice"):
    t = s["traffic"][d]
    check(t["tx"] > 25000 and t["rx"] > 0.99 * t["tx"], f"{d}: traffic {t}")
print(f"  ok: {len(rows)//2} samples per peer, {s['peers']['alice']['child_rekeys']} rekeys on alice, "
      f"lost {s['traffic']['alice>bob']['lost']}+{s['traffic']['bob>alice']['lost']}, "
      f"ledger mismatches {s['ledger']['mismatches']}")
PY

# The plot of a run exists and is not trivial.
"$IKELAB" plot "$RUN" >/dev/null || fail "plot"
head -c 8 "$RUN/timeline.png" | od -An -tx1 | grep -q "89 50 4e 47 0d 0a 1a 0a" || fail "timeline.png is not a PNG"
[ "$(stat -c %s "$RUN/timeline.png")" -gt 20000 ] || fail "timeline.png is tiny"
grep -q "<svg" "$RUN/timeline.svg" && grep -q "alice" "$RUN/timeline.svg" || fail "timeline.svg"
"$IKELAB" down --name $LAB >/dev/null

# A duplicate forced by hand: with reuse_ikesa off, every initiate over VICI
# makes a new IKE_SA with its own CHILD_SA for the same traffic selectors.
# The recording leaves the second one more than the 2 s grace even when
# the host takes a quarter of the CPU and each `exec` into the kernel
# takes seconds (28 % steal on a clean clone once left it too little at
# 9 s).
printf 'name: no-reuse\nbase: %s/peers/auto-route.yaml\nsettings:\n  reuse_ikesa: false\n' "$ROOT" >"$WORK/no-reuse.yaml"
up $LAB --peers "$WORK/no-reuse.yaml"
"$IKELAB" record --name $LAB --duration 15 --out "$WORK/dup" >"$WORK/dup.out" &
rec=$!
sleep 2
for i in 1 2; do
	"$IKELAB" exec --name $LAB alice -- swanctl --initiate --child net >/dev/null || fail "initiate $i"
done
wait $rec || fail "record of the duplicate"
python3 - "$WORK/dup/summary.json" <<'PY' || fail "forced duplicate not reported"
import json, sys
s = json.load(open(sys.argv[1]))
kinds = {(d["peer"], d["kind"]) for d in s["duplicates"]}
assert ("alice", "ike") in kinds and ("alice", "child") in kinds, s["duplicates"]
assert s["peers"]["alice"]["max_ike_established"] == 2, s["peers"]["alice"]
print("  ok: duplicates", sorted(kinds))
PY

# Asked for more samples than the lab can take (1000 Hz under UML), the
# recorder says so on stderr, and the summary counts the missed ticks.
"$IKELAB" record --name $LAB --duration 2 --rate 1000 --out "$WORK/fast" >/dev/null 2>"$WORK/fast.err" ||
	{ cat "$WORK/fast.err"; fail "record at 1000 Hz"; }
grep -q "warning: lab '$LAB': [0-9]* of [0-9]* sampling ticks at 1000 Hz passed without a sample" "$WORK/fast.err" ||
	{ cat "$WORK/fast.err"; fail "no warning about missed samples at 1000 Hz"; }
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); assert s['missed_ticks'] > 200, s['missed_ticks']" \
	"$WORK/fast/summary.json" || fail "missed_ticks at 1000 Hz"
note "1000 Hz: $(grep -o "[0-9]* of [0-9]* sampling ticks" "$WORK/fast.err") missed, and said so"

# A charon killed during the recording ends it as a lab error that names
# the peer and the signal, not as a clean timeline.
"$IKELAB" record --name $LAB --duration 30 --out "$WORK/killed" >"$WORK/killed.out" 2>&1 &
rec=$!
sleep 2
"$IKELAB" exec --name $LAB bob -- sh -c 'kill -KILL $(cat /run/charon.pid)'
rc=0
wait $rec || rc=$?
assert_eq 2 "$rc" "exit status of a record whose charon died"
grep -q "charon of bob (pid [0-9]*) was killed by signal 9" "$WORK/killed.out" ||
	{ cat "$WORK/killed.out"; fail "the lab error does not name bob and the signal"; }
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); assert s['verdict']=='lab-error' and 'bob' in s['lab_error'], s" \
	"$WORK/killed/summary.json" || fail "summary verdict"
note "killed charon: $(grep -o "charon of bob.*" "$WORK/killed.out" | head -1)"
"$IKELAB" down --name $LAB >/dev/null
assert_no_leftovers $LAB

#!/bin/bash
# Four labs at once, each recording, with traffic in two of them: counts,
# files and processes stay per lab. Then two controllers race to bring up
# one name: one wins, the other says so.
. "$(dirname "$0")/../integration/lib.sh"
LABS_ALL="cc1 cc2 cc3 cc4"

for l in $LABS_ALL; do
	LABS="$LABS $l"
	"$IKELAB" up --name $l >"$WORK/up.$l" 2>&1 &
done
wait
for l in $LABS_ALL; do
	grep -q "is up" "$WORK/up.$l" || { cat "$WORK/up.$l"; fail "up $l"; }
done
# Tunnels in cc1 and cc3 only.
for l in cc1 cc3; do
	tunnel $l || fail "ping in $l"
done
for l in $LABS_ALL; do
	traffic=$([ $l = cc1 ] || [ $l = cc3 ] && echo "--traffic 300" || echo "")
	"$IKELAB" record --name $l --duration 20 $traffic --out "$WORK/rec.$l" >"$WORK/rec.$l.out" 2>&1 &
done
wait
python3 - "$WORK" <<'PY' || fail "cross-talk between the labs"
import json, sys
w = sys.argv[1]
for lab in ("cc1", "cc2", "cc3", "cc4"):
    s = json.load(open(f"{w}/rec.{lab}/summary.json"))
    assert s["verdict"] == "ok" and s["lab"] == lab, (lab, s["verdict"], s["lab_error"])
    want = 1 if lab in ("cc1", "cc3") else 0
    for peer, p in s["peers"].items():
        assert p["max_ike"] == want, (lab, peer, p["max_ike"])
        assert p["acquires"] == 0, (lab, peer, "acquires", p["acquires"])
    if want:
        t = s["traffic"]["alice>bob"]
        assert t["tx"] > 4000 and t["lost"] == 0, (lab, t)
    else:
        assert not s["traffic"], (lab, s["traffic"])
    # Four UML kernels share two cores: the recorders keep up, no stalls.
    assert s["missed_ticks"] < 0.10 * s["duration_s"] * s["rate_hz"], (lab, s["missed_ticks"])
    assert s["max_sample_gap_s"] < 2.0, (lab, s["max_sample_gap_s"])
print("  ok: 4 labs recorded side by side; SAs and traffic only where they were made")
PY
# Each lab's user-mode Linux is its own set of processes.
for l in $LABS_ALL; do
	n=$(for p in /proc/[0-9]*; do { tr '\0' ' ' <"$p/cmdline" | grep -q "umid=ikelab-$l "; } 2>/dev/null && echo x; done | wc -l)
	[ "$n" -ge 2 ] || fail "$l has $n user-mode Linux processes"
done
for l in $LABS_ALL; do
	"$IKELAB" down --name $l >/dev/null || fail "down $l"
	assert_no_leftovers $l
done

# Two controllers race for one name.
LABS="$LABS race"
"$IKELAB" up --name race >"$WORK/race1" 2>&1 & a=$!
"$IKELAB" up --name race >"$WORK/race2" 2>&1 & b=$!
ra=0; rb=0
wait $a || ra=$?
wait $b || rb=$?
[ $((ra == 0)) -ne $((rb == 0)) ] || fail "racing ups: exits $ra and $rb (one must win)"
cat "$WORK/race1" "$WORK/race2" | grep -q "already exists" || fail "the loser did not say the lab exists"
"$IKELAB" status --name race >/dev/null || fail "the winner's lab does not answer"
"$IKELAB" down --name race >/dev/null || fail "down race"
assert_no_leftovers race
note "two ups of one name: one won, the other said 'already exists'"

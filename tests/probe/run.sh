#!/bin/bash
# Test ikelab-probe on the real kernel, in a scratch network namespace:
# two probes on 127.0.0.1 and 127.0.0.2 (both on lo) as two peers, loss
# made with iptables-legacy and checked against the rules' own counters,
# a restarted sender, a parent that dies, and a scripted sender that
# reorders, duplicates and restarts on purpose. Needs root, unshare -n,
# iptables-legacy and python3; without them it fails, it does not skip.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# PROBE=build/asan/ikelab-probe runs the same checks on a sanitizer build.
PROBE=${PROBE:-$ROOT/build/ikelab-probe}
A=127.0.0.1
B=127.0.0.2
PORT=7000
export RATE=2000

fail() {
	echo "FAIL [probe]: $*" >&2
	exit 1
}

note() {
	echo "  [probe] $*"
}

# Everything below runs in a namespace of its own, never the host's.
if [ "${1:-}" != --in-scratch-netns ]; then
	[ -x "$PROBE" ] || fail "$PROBE is missing: run make first"
	command -v python3 >/dev/null || fail "python3 is needed (make test-deps)"
	command -v iptables-legacy >/dev/null || fail "iptables-legacy is needed (package iptables)"
	out=$(unshare -n true 2>&1) || fail "unshare -n does not work here: $out"
	exec unshare -n bash "$0" --in-scratch-netns
fi
[ "$(ip -o link show | wc -l)" -eq 1 ] || fail "not a fresh network namespace"
ip link set lo up
out=$(iptables-legacy -w -L INPUT -n 2>&1) || fail "iptables-legacy does not work here: $out"

WORK=$(mktemp -d /tmp/ikelab-probe-test.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do
		kill -KILL "$p" 2>/dev/null || true
	done
	[ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

ipt() {
	iptables-legacy -w "$@" || fail "iptables-legacy $*"
}

# Packets a rule matched: the rule's own counter, read when traffic is over.
ipt_count() {	# table chain rule-number
	iptables-legacy -w -t "$1" -L "$2" "$3" -v -x -n | awk '{ print $1 }'
}

# probe NAME LOCAL REMOTE [options...]: start a probe, output in $WORK/NAME.
probe() {
	local name=$1 local_addr=$2 remote_addr=$3
	shift 3
	timeout -s KILL 30 "$PROBE" --local "$local_addr" --remote "$remote_addr" --port $PORT "$@" \
		>"$WORK/$name.out" 2>"$WORK/$name.err" &
	eval "PID_$name=$!"
	PIDS="$PIDS $!"
}

stop() {	# NAME: SIGTERM, as the recorder stops it, then finish
	local pid
	eval "pid=\$PID_$1"
	kill -TERM "$pid" 2>/dev/null || true
	finish "$1"
}

finish() {	# NAME: wait for a probe, which must exit 0
	local pid rc=0
	eval "pid=\$PID_$1"
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] || fail "probe $1 exited with $rc: $(cat "$WORK/$1.err")"
}

# check PHASE: run the Python checks below that follow "### PHASE", with the
# probes' outputs loaded as out["name"] (lists of dicts) and end["name"].
check() {
	python3 - "$1" "$WORK" "$@" <<'EOF' || fail "$1: checks failed"
import json, os, sys

phase, work = sys.argv[1], sys.argv[2]
vals = dict(a.split("=", 1) for a in sys.argv[4:])
out, end = {}, {}
for f in os.listdir(work):
    if f.endswith(".out"):
        n = f[:-4]
        out[n] = [json.loads(l) for l in open(os.path.join(work, f))]
        e = [l for l in out[n] if l["type"] == "end"]
        end[n] = e[0] if e else None

def lines(n, t):
    return [l for l in out[n] if l["type"] == t]

def expect(what, want, got):
    if want != got:
        print(f"FAIL [probe] {phase}: {what}: expected {want}, got {got}", file=sys.stderr)
        sys.exit(1)

def within(what, lo, hi, got):
    if not lo <= got <= hi:
        print(f"FAIL [probe] {phase}: {what}: expected {lo}..{hi}, got {got}", file=sys.stderr)
        sys.exit(1)

def consistent(n, interval_ns=100_000_000):
    """What every probe's output must satisfy, whatever happened."""
    e = end[n]
    if e is None:
        expect(f"{n}: an end line", True, False)
    expect(f"{n}: end is the last line", "end", out[n][-1]["type"])
    expect(f"{n}: sum of tx lines", e["tx_total"], sum(l["tx"] for l in lines(n, "tx")))
    expect(f"{n}: sum of txerr lines", e["txerr_total"], sum(l["txerr"] for l in lines(n, "tx")))
    rx = lines(n, "rx")
    expect(f"{n}: sum of rx+late lines", e["rx_total"], sum(l["rx"] + l["late"] for l in rx))
    expect(f"{n}: sum of dup lines", e["dup_total"], sum(l["dup"] for l in rx))
    expect(f"{n}: sum of reorder lines", e["reorder_total"], sum(l["reorder"] for l in rx))
    expect(f"{n}: sum of loss lines", e["lost_total"], sum(l["packets"] for l in lines(n, "loss")))
    for t in ("tx", "rx"):
        s = [l["start_ns"] for l in lines(n, t)]
        expect(f"{n}: {t} intervals contiguous", list(range(s[0], s[-1] + 1, interval_ns)), s)
    for l in lines(n, "loss"):
        expect(f"{n}: loss packets = last-first+1", l["last_seq"] - l["first_seq"] + 1, l["packets"])
        expect(f"{n}: loss start <= end", True, l["start_ns"] <= l["end_ns"])

def not_leading(n):
    return [l for l in lines(n, "loss") if l["first_seq"] != 1]

RATE = int(os.environ["RATE"])
exec(open(os.path.join(work, "checks.py")).read().split("### " + phase + "\n")[1].split("\n### ")[0])
EOF
}

cat >"$WORK/checks.py" <<'EOF'
### clean
for n in ("a", "b"):
    consistent(n)
    within(f"{n}: achieved pps", 0.99 * RATE, 1.01 * RATE, end[n]["achieved_pps"])
    expect(f"{n}: txerr", 0, end[n]["txerr_total"])
    expect(f"{n}: reorder", 0, end[n]["reorder_total"])
    expect(f"{n}: late", 0, end[n]["late_total"])
# a>b: b was listening before a started, so not a packet may be missing.
expect("a>b: rx == tx", end["a"]["tx_total"], end["b"]["rx_total"])
expect("a>b: highest seq", end["a"]["last_seq_sent"], end["b"]["highest_seq_rx"])
expect("a>b: loss lines", [], lines("b", "loss"))
expect("a>b: dup", 0, end["b"]["dup_total"])
tx = {l["start_ns"]: l["tx"] for l in lines("a", "tx")}
rx = {l["start_ns"]: l["rx"] for l in lines("b", "rx")}
expect("a>b: rx per interval == tx per interval", tx, {k: v for k, v in rx.items() if v or k in tx})
# b>a: b's first packets went out before a was listening (one leading
# gap); every 50th packet after that was duplicated by TEE.
expect("b>a: loss after the start", [], not_leading("a"))
expect("b>a: dup == TEE'd", int(vals["tee"]), end["a"]["dup_total"])
expect("b>a: rx == tx - leading loss + dups",
       end["b"]["tx_total"] - end["a"]["lost_total"] + end["a"]["dup_total"], end["a"]["rx_total"])

### loss
for n in ("a", "b"):
    consistent(n)
# a>b: everything dropped at b's INPUT for a second.
win = not_leading("b")
expect("a>b: one loss window", 1, len(win))
expect("a>b: lost == dropped by INPUT rule", int(vals["drop_in"]), win[0]["packets"])
expect("a>b: lost_total", int(vals["drop_in"]), end["b"]["lost_total"])
within("a>b: loss window length (s)", 0.9, 1.3, (win[0]["end_ns"] - win[0]["start_ns"]) / 1e9)
expect("a>b: rx == tx - lost", end["a"]["tx_total"] - int(vals["drop_in"]), end["b"]["rx_total"])
# b>a: every 10th dropped at a's INPUT, and b's own OUTPUT refusing for
# half a second (sendmmsg fails with EPERM: txerr, and b goes on).
# The nth rule may drop b's last packets, which a cannot tell from not sent:
# the tail is what b sent beyond the highest seq a saw.
tail = end["b"]["last_seq_sent"] - end["a"]["highest_seq_rx"]
lost = sum(l["packets"] for l in not_leading("a")) + tail
expect("b>a: txerr == refused by OUTPUT rule", int(vals["drop_out"]), end["b"]["txerr_total"])
within("b>a: txerr for 0.5 s", 0.8 * RATE / 2, 1.2 * RATE / 2, end["b"]["txerr_total"])
expect("b>a: lost == nth drops + txerr", int(vals["drop_nth"]) + int(vals["drop_out"]), lost)
expect("b>a: seqs used == tx + txerr", end["b"]["last_seq_sent"], end["b"]["tx_total"] + end["b"]["txerr_total"])
startup = end["a"]["lost_total"] - sum(l["packets"] for l in not_leading("a"))
expect("b>a: rx == tx - nth drops - startup loss", end["b"]["tx_total"] - int(vals["drop_nth"]) - startup,
       end["a"]["rx_total"])

### restart
for n in ("a1", "a2", "b"):
    consistent(n)
r = lines("b", "reset")
expect("b: resets", 1, len(r))
expect("b: reset names the new sender", end["a2"]["run_id"], r[0]["run_id"])
expect("b: reset names the old sender", end["a1"]["run_id"], r[0]["prev_run_id"])
expect("b: old sender's last seq", end["a1"]["last_seq_sent"], r[0]["prev_highest_seq_rx"])
expect("b: rx == both senders' tx", end["a1"]["tx_total"] + end["a2"]["tx_total"], end["b"]["rx_total"])
expect("b: highest seq is the new sender's", end["a2"]["last_seq_sent"], end["b"]["highest_seq_rx"])
expect("b: no loss", 0, end["b"]["lost_total"])

### orphan
consistent("orphan")

### random
consistent("r")
want = json.load(open(os.path.join(work, "random.want")))
e = end["r"]
expect("rx_total", want["rx"], e["rx_total"])
expect("dup_total", want["dup"], e["dup_total"])
expect("lost_total", want["lost"], e["lost_total"])
expect("highest_seq_rx", want["highest"], e["highest_seq_rx"])
expect("late_total", 0, e["late_total"])
within("reorder_total", 1, want["rx"], e["reorder_total"])
expect("loss windows", want["windows"],
       [[l["first_seq"], l["last_seq"], l["start_ns"], l["end_ns"]] for l in lines("r", "loss")])

### scripted
consistent("s")
e = end["s"]
expect("rx_total", 34, e["rx_total"])
expect("dup_total", 2, e["dup_total"])
expect("reorder_total", 2, e["reorder_total"])
expect("late_total", 1, e["late_total"])
expect("highest_seq_rx", 4, e["highest_seq_rx"])
t = {k: int(v) for k, v in vals.items()}
expect("loss windows", [
    dict(type="loss", start_ns=t["x12"], end_ns=t["x15"], packets=2, first_seq=13, last_seq=14),
    dict(type="loss", start_ns=t["x15"], end_ns=t["x20"], packets=4, first_seq=16, last_seq=19),
    dict(type="loss", start_ns=t["y5"], end_ns=t["y8"], packets=2, first_seq=6, last_seq=7),
    dict(type="loss", start_ns=t["y8"], end_ns=t["z4"], packets=3, first_seq=1, last_seq=3),
], lines("s", "loss"))
expect("resets", [
    dict(type="reset", run_id="2222222222222222", prev_run_id="1111111111111111", prev_highest_seq_rx=30),
    dict(type="reset", run_id="3333333333333333", prev_run_id="2222222222222222", prev_highest_seq_rx=8),
], lines("s", "reset"))
late = [l for l in lines("s", "rx") if l["late"]]
expect("the late packet counts in the interval it arrived in", True,
       len(late) == 1 and late[0]["start_ns"] > t["x30"])
EOF

bad_args() {	# expected-word args...: exit 2, one line naming it
	local want=$1 rc=0 err
	shift
	err=$("$PROBE" "$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" -eq 2 ] || fail "bad arguments '$*': exit $rc, not 2"
	[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "bad arguments '$*': not one line: $err"
	case "$err" in *"$want"*) ;; *) fail "bad arguments '$*': '$err' does not name $want" ;; esac
}

note "bad arguments"
bad_args --rate --local $A --remote $B --rate fast
bad_args --size --local $A --remote $B --size 31
bad_args --port --local $A --remote $B --port 70000
bad_args --remote --local $A --remote 1.2.3.x
bad_args --remote --local $A
bad_args --bogus --local $A --remote $B --bogus
bad_args "bind 10.9.9.9" --local 10.9.9.9 --remote $B

note "clean, both ways at $RATE pps for 2 s"
probe b $B $A --rate $RATE --duration 2 --grace-ms 500
sleep 0.2
probe a $A $B --rate $RATE --duration 2 --grace-ms 500
sleep 0.3
ipt -t mangle -A PREROUTING -p udp -d $A --dport $PORT -m statistic --mode nth --every 50 --packet 0 \
	-j TEE --gateway $A
finish a
finish b
check clean tee="$(ipt_count mangle PREROUTING 1)"
ipt -t mangle -F

note "loss: a>b dropped for 1 s, b>a every 10th and refused on output for 0.5 s"
rm -f "$WORK"/*.out
probe b $B $A --rate $RATE --duration 2.5 --grace-ms 500
sleep 0.2
probe a $A $B --rate $RATE --duration 2.5 --grace-ms 500
sleep 0.3
ipt -A INPUT -p udp -d $A --dport $PORT -m statistic --mode nth --every 10 --packet 0 -j DROP
sleep 0.5
ipt -A INPUT -p udp -d $B --dport $PORT -j DROP
ipt -A OUTPUT -p udp -d $A --dport $PORT -j DROP
sleep 0.5
# Windows end by an ACCEPT placed above the DROP: the DROP's counter stays
# exact, where reading it and deleting the rule would race with traffic.
ipt -I OUTPUT 1 -p udp -d $A --dport $PORT -j ACCEPT
sleep 0.5
ipt -I INPUT 1 -p udp -d $B --dport $PORT -j ACCEPT
finish a
finish b
check loss drop_in="$(ipt_count filter INPUT 3)" drop_nth="$(ipt_count filter INPUT 2)" \
	drop_out="$(ipt_count filter OUTPUT 2)"
ipt -F

note "restart: a stops and starts again while b listens"
rm -f "$WORK"/*.out
probe b $B $A --rate $RATE --grace-ms 500
sleep 0.2
probe a1 $A $B --rate $RATE --grace-ms 200
sleep 1
stop a1
probe a2 $A $B --rate $RATE --duration 1 --grace-ms 500
sleep 1.2
stop b
finish a2
check restart

note "a probe whose parent dies stops, with an end line"
rm -f "$WORK"/*.out
bash -c "'$PROBE' --local $A --remote $B --port $PORT --grace-ms 100 >'$WORK/orphan.out' &
	echo \$! >'$WORK/orphan.pid'; sleep 0.5"
pid=$(cat "$WORK/orphan.pid")
PIDS="$PIDS $pid"
for _ in $(seq 50); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$pid" 2>/dev/null && fail "the probe outlived its parent by 5 s"
check orphan

note "random sender: 20000 packets in 1.5 s, 5% lost, 1% doubled, shuffled"
rm -f "$WORK"/*.out
probe r $B 127.0.0.3 --rate 1 --grace-ms 200
sleep 0.2
python3 - $B $PORT "$WORK/random.want" <<'EOF' || fail "random sender failed"
import json, random, socket, struct, sys, time

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dst = (sys.argv[1], int(sys.argv[2]))
now = lambda: time.clock_gettime_ns(time.CLOCK_MONOTONIC)
N, STEP, RUN = 20000, 75_000, 0x4444444444444444
rnd = random.Random(int(sys.argv[2]))
base = now() + 10_000_000
sent = lambda seq: base + seq * STEP

# Lose 5% (never the first or last), double 1%, then move packets up to
# 30 places: what the receiver must make of it does not depend on order.
lost = set(rnd.sample(range(2, N), N // 20))
order = [(s + rnd.uniform(-30, 30), s) for s in range(1, N + 1) if s not in lost]
dups = rnd.sample([s for _, s in order], N // 100)
order += [(s + rnd.uniform(0, 30), s) for s in dups]
order.sort()
for pos, seq in order:
    while now() < sent(int(pos)):
        time.sleep(0.0005)
    sock.sendto(b"IKLP\x01\0\0\0" + struct.pack(">QQQ", seq, sent(seq), RUN), dst)

windows, first = [], None
for seq in range(2, N):
    if seq in lost and first is None:
        first = seq
    if seq in lost and seq + 1 not in lost:
        windows.append([first, seq, sent(first - 1), sent(seq + 1)])
        first = None
json.dump(dict(rx=len(order), dup=len(dups), lost=len(lost), highest=N, windows=windows),
          open(sys.argv[3], "w"))
EOF
sleep 0.3
stop r
check random

note "scripted sender: reorder, dup, late, gaps, restarts"
rm -f "$WORK"/*.out
probe s $B 127.0.0.3 --rate 1 --grace-ms 300
sleep 0.2
times=$(python3 - $B $PORT <<'EOF'
import socket, struct, sys, time

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dst = (sys.argv[1], int(sys.argv[2]))
now = lambda: time.clock_gettime_ns(time.CLOCK_MONOTONIC)
t = {}

def send(run, seq, sent):
    sock.sendto(b"IKLP\x01\0\0\0" + struct.pack(">QQQ", seq, sent, run), dst)
    time.sleep(0.002)	# one at a time: lo may not reorder them for us

X, Y, Z = 0x1111111111111111, 0x2222222222222222, 0x3333333333333333
base = now() - 100_000_000	# 1 ms per seq, all in the recent past
for seq in [*range(1, 11), 15, 20, 12, 11, *range(21, 31)]:
    t[f"x{seq}"] = base + seq * 1_000_000
    send(X, seq, t[f"x{seq}"])
send(X, 3, t["x3"])			# duplicate
send(X, 5, now() - 5_000_000_000)	# duplicate, and late
time.sleep(0.5)				# gaps 13-14 and 16-19 become final
base = now() - 100_000_000
for seq in [*range(1, 6), 8]:
    t[f"y{seq}"] = base + seq * 1_000_000
    send(Y, seq, t[f"y{seq}"])
    if seq == 5:
        send(X, 31, now())		# the old sender, still in flight
t["z4"] = now()
send(Z, 4, t["z4"])			# new sender; 1-3 never came
print(" ".join(f"{k}={v}" for k, v in t.items()))
EOF
) || fail "scripted sender failed"
sleep 0.1
stop s
# shellcheck disable=SC2086
check scripted $times

echo "probe: all checks passed"

#!/bin/bash
# A charon that crashes or hangs in the middle of a run, or never opens its
# VICI socket: found within a bounded time, named with the last lines of its
# log, and the run ends as a lab error (exit 2), never as a pass or a hang.
. "$(dirname "$0")/lib.sh"
SCEN="$ROOT/tests/integration/scenarios/steady.yaml"

fault_run() {	# name signal -> exit status, time from the fault to the end
	local name=$1 sig=$2 rc=0 t0 t1
	LABS="$LABS $name"
	"$IKELAB" run "$SCEN" --name "$name" --out "$WORK/$name" >"$WORK/$name.out" 2>&1 &
	local pid=$!
	sleep 8
	t0=$(date +%s.%N)
	"$IKELAB" exec --name "$name" bob -- sh -c "kill -$sig \$(cat /run/charon.pid)" ||
		fail "could not signal bob's charon"
	wait $pid || rc=$?
	t1=$(date +%s.%N)
	echo "$rc $(python3 -c "print(f'{$t1 - $t0:.1f}')")"
}

read rc secs <<EOF2
$(fault_run crash SEGV)
EOF2
assert_eq 2 "$rc" "exit status of a run whose charon crashed"
# charon's own SIGSEGV handler logs a backtrace and then abort()s, so the
# keeper sees signal 6 -- or 11 when the handler itself faults.
grep -Eq "charon of bob \(pid [0-9]*\) was killed by signal (11|6)" "$WORK/crash/seed-1/report.txt" ||
	{ cat "$WORK/crash.out"; fail "the crash is not named in the report"; }
grep -q "thread [0-9]* received 11" "$WORK/crash/seed-1/bob/charon.log" ||
	fail "bob's charon.log, kept in the run directory, does not show the SIGSEGV"
grep -q "last lines of .*charon.log" "$WORK/crash/seed-1/report.txt" || fail "no log lines in the report"
# Bounded, not fast: charon's own handler writes a backtrace first, then
# the run records 2 s more and takes its lab down. 8.1 and 13.6 s on two
# clean clones, 23.0 and 34.8 s with 11-12 % of the CPU stolen by the host.
python3 -c "assert $secs < 60" || fail "the crash took $secs s to end the run"
note "crash (SIGSEGV): lab error after $secs s, report names bob, the signal and his log"

read rc secs <<EOF2
$(fault_run hang STOP)
EOF2
assert_eq 2 "$rc" "exit status of a run whose charon hung"
grep -q "charon of bob (pid [0-9]*) is alive but did not answer" "$WORK/hang/seed-1/report.txt" ||
	{ cat "$WORK/hang.out"; fail "the hang is not named in the report"; }
python3 -c "assert $secs < 60" || fail "the hang took $secs s to end the run"
note "hang (SIGSTOP): lab error after $secs s"
for l in crash hang; do
	[ ! -e "$IKELAB_RUN/$l" ] || fail "the lab of the $l run is still there"
done

# A charon that never opens its VICI socket.
printf '#!/bin/sh\necho "fake charon: sleeping instead" >&2\nexec sleep 600\n' >"$WORK/fake-charon"
chmod +x "$WORK/fake-charon"
LABS="$LABS mute"
t0=$(date +%s)
rc=0
"$IKELAB" up --name mute --charon "$WORK/fake-charon" >"$WORK/mute.out" 2>&1 || rc=$?
secs=$(( $(date +%s) - t0 ))
[ "$rc" -ne 0 ] || fail "up with a charon that never answers succeeded"
grep -q "did not open its VICI socket within" "$WORK/mute.out" || { cat "$WORK/mute.out"; fail "message"; }
grep -q "fake charon: sleeping instead" "$WORK/mute.out" || fail "the charon's own output is not shown"
[ "$secs" -lt 40 ] || fail "up took $secs s to give up"
assert_no_leftovers mute
note "mute charon: up gave up after $secs s, naming the peer, with its output"

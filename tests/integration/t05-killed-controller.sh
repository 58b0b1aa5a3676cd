#!/bin/bash
# `down` cleans a lab whose controller was killed half-way through `up`,
# whatever the point, and the same name can be brought up again.
. "$(dirname "$0")/lib.sh"
LAB=it-killed
LABS=$LAB

for kernel in uml host; do
	for delay in 0.05 0.4 0.9 1.6; do
		"$IKELAB" up --name $LAB --kernel $kernel >/dev/null 2>&1 &
		pid=$!
		sleep $delay
		kill -9 $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
		"$IKELAB" down --name $LAB >/dev/null 2>&1 || true
		# A killed up may have finished nothing: down of nothing is fine.
		sleep 0.2
		assert_no_leftovers $LAB
	done
	note "$kernel: killed at 0.05, 0.4, 0.9 and 1.6 s; down left nothing"
done
up $LAB
"$IKELAB" down --name $LAB >/dev/null || fail "down after re-up"
assert_no_leftovers $LAB

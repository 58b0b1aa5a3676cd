#!/bin/bash
# Chaos: the controller killed at random points of up, record and run, on
# both kernels; for user-mode Linux also killed *inside* (SIGQUIT forwarded
# to the inner controller, which dies on the spot) and then outside before
# it can clean up. After each kill `ikelab down --all` must leave no
# namespace, mount, charon, keeper, probe, NFQUEUE rule, qdisc or UML
# process, and a new `up` of the same name must succeed.
#   CHAOS_KILLS=30 CHAOS_SEED=1 bash tests/stress/chaos.sh
. "$(dirname "$0")/../integration/lib.sh"
KILLS=${CHAOS_KILLS:-30}
RANDOM=${CHAOS_SEED:-1}
LAB=chaos
SCEN="$ROOT/scenarios/hard-expire-acquire.yaml"    # router, fault wire, traffic

# Processes a lab may start that are not found through its namespaces.
stray() {
	for p in /proc/[0-9]*; do
		if { grep -q "^State:.*Z" "$p/status"; } 2>/dev/null; then
			continue
		fi
		comm=$(cat "$p/comm" 2>/dev/null) || continue
		case "$comm" in
		ikelab-probe|ikelab-keeper|charon) echo "${p#/proc/} $comm" ;;
		esac
	done
}

survived=0
for i in $(seq "$KILLS"); do
	kernel=$([ $((i % 2)) -eq 0 ] && echo host || echo uml)
	kind=$(echo up record run | cut -d' ' -f$((i % 3 + 1)))
	delay_ms=$((RANDOM % 3000))
	inside=$([ "$kernel" = uml ] && [ $((RANDOM % 2)) -eq 0 ] && echo yes || echo no)
	case $kind in
	up)	"$IKELAB" up --name $LAB --kernel $kernel >/dev/null 2>&1 & ;;
	record)	"$IKELAB" up --name $LAB --kernel $kernel >/dev/null 2>&1 || fail "up before record ($kernel)"
		"$IKELAB" record --name $LAB --duration 20 --traffic 200 --out "$WORK/rec$i" >/dev/null 2>&1 & ;;
	run)	"$IKELAB" run "$SCEN" --kernel $kernel --name $LAB --out "$WORK/run$i" >/dev/null 2>&1 & ;;
	esac
	pid=$!
	sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
	if [ "$inside" = yes ]; then
		# Forwarded into the kernel: the inner controller dies there.
		kill -QUIT $pid 2>/dev/null || true
		sleep 0.$((RANDOM % 5))
	fi
	kill -KILL $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	"$IKELAB" down --all >"$WORK/down.out" 2>&1 || { cat "$WORK/down.out"; fail "down --all after kill $i"; }
	sleep 0.2
	assert_no_leftovers $LAB
	left=$(stray)
	[ -z "$left" ] || fail "kill $i ($kind on $kernel after ${delay_ms} ms): left running: $left"
	"$IKELAB" up --name $LAB --kernel $kernel >/dev/null 2>&1 || fail "up after kill $i ($kind, $kernel)"
	"$IKELAB" down --name $LAB >/dev/null || fail "down after the re-up of kill $i"
	assert_no_leftovers $LAB
	survived=$((survived + 1))
	note "kill $i: $kind on $kernel after ${delay_ms} ms$([ "$inside" = yes ] && echo ', inside first'): clean"
done
note "$survived of $KILLS kills left nothing behind"

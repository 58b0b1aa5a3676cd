#!/bin/sh
# Undo baseline-up.sh: stop its charons (found by the pid files in their
# private /run) and remove its namespaces.
dir=$1
name=$2
for p in alice bob; do
	f=$dir/$name-$p/run/charon.pid
	[ -f $f ] || continue
	pid=$(cat $f)
	kill $pid 2>/dev/null
	for i in $(seq 60); do [ -d /proc/$pid ] || break; sleep 0.05; done
done
ip netns del $name-alice 2>/dev/null
ip netns del $name-bob 2>/dev/null
rm -rf "$dir"
exit 0

#!/bin/sh
# make bench: every benchmark reports ikelab against a baseline measured in
# the same run, because absolute times drift on shared machines.
#
#   scripts/bench.sh                 every benchmark
#   scripts/bench.sh charon nightly  only these (make bench BENCH="charon")
# Benchmarks: up first-sa probe esp record charon nightly verdict
set -eu
cd "$(dirname "$0")/.."
IKELAB=build/ikelab

bench_up() {
	echo "== up: ikelab up vs. a shell script with ip/unshare/charon/swanctl (same kernel boot)"
	$IKELAB bench up --rounds ${ROUNDS:-5}
}

bench_first_sa() {
	echo "== first ESP SA of a fresh user-mode Linux kernel: warmed at boot vs. cold (as before), alternating"
	$IKELAB bench first-sa --rounds ${ROUNDS:-5}
}

bench_probe() {
	echo "== probe: ikelab-probe vs. raw sendmmsg/recvmmsg (ikelab-blast) on loopback, host kernel"
	scripts/bench-probe.sh
}

bench_esp() {
	echo "== probe through ESP vs. cleartext, same namespaces, same boot"
	$IKELAB bench esp
}

bench_record() {
	echo "== recorder overhead at 10 Hz on two peers"
	$IKELAB bench record --duration ${RECORD_SECONDS:-60}
}

bench_charon() {
	echo "== charon build from the shared history: cold (empty cache and ccache) vs. a neighbouring commit after it"
	cache=$(mktemp -d)
	ref=${BENCH_CHARON:-6.0.0}
	t0=$(date +%s%N)
	XDG_CACHE_HOME="$cache" $IKELAB charon build "$ref" >/dev/null 2>"$cache/cold.err" || { tail -5 "$cache/cold.err"; exit 1; }
	t1=$(date +%s%N)
	XDG_CACHE_HOME="$cache" $IKELAB charon build "git:$ref~1" >/dev/null 2>"$cache/near.err" || { tail -5 "$cache/near.err"; exit 1; }
	t2=$(date +%s%N)
	cold=$(((t1 - t0) / 1000000)) near=$(((t2 - t1) / 1000000))
	echo "cold build of $ref: $((cold / 1000)) s (goal: under 300 s); its parent commit after it: $((near / 1000)) s (goal: under 60 s)"
	echo "BENCH charon_build_cold_s=$((cold / 1000)) neighbour_s=$((near / 1000)) ratio=$(awk "BEGIN { printf \"%.2f\", $near / $cold }")"
	rm -rf "$cache"
}

bench_nightly() {
	echo "== nightly throughput under user-mode Linux: runs per hour with 1 and 2 labs at a time"
	tmp=$(mktemp -d)
	for jobs in 1 2; do
		$IKELAB nightly scenarios/uniqueness-race.yaml scenarios/uniqueness-race-control.yaml \
			--seeds ${NIGHTLY_SEEDS:-4} --jobs $jobs --out "$tmp/j$jobs" >/dev/null || true
	done
	python3 - "$tmp/j1/summary.json" "$tmp/j2/summary.json" <<-'PY'
	import json, sys
	rate = []
	for jobs, path in enumerate(sys.argv[1:], 1):
	    t = json.load(open(path))["totals"]
	    rate.append(t["runs"] * 3600 / t["wall_s"])
	    print(f"--jobs {jobs}: {t['runs']} runs in {t['wall_s']:.0f} s: {rate[-1]:.0f} runs per hour")
	print(f"BENCH nightly_runs_per_hour_j1={rate[0]:.0f} j2={rate[1]:.0f} ratio={rate[1] / rate[0]:.2f}")
	PY
	rm -rf "$tmp"
}

# A run counts only with its result: a lab that fails at once must not
# pass for a fast verdict. The ratio is on the seeds both modes ran.
bench_verdict() {
	runs=${VERDICT_RUNS:-20}
	[ "$runs" -ge 4 ] || { echo "bench.sh: VERDICT_RUNS must be at least 4" >&2; exit 2; }
	echo "== time to verdict: the wall time of one 'ikelab run' of uniqueness-race, $runs runs, against every 4th seed held to its end (--full-duration)"
	tmp=$(mktemp -d)
	for i in $(seq "$runs"); do
		for mode in early full; do
			[ $mode = early ] || [ $((i % 4)) = 0 ] || continue
			flag=; [ $mode = early ] || flag=--full-duration
			t0=$(date +%s%N)
			$IKELAB run scenarios/uniqueness-race.yaml --seed "$i" $flag --out "$tmp/$mode-$i" >/dev/null 2>&1 || true
			t1=$(date +%s%N)
			echo "$mode $i $(((t1 - t0) / 1000000)) $tmp/$mode-$i/result.json" >>"$tmp/walls"
		done
	done
	python3 - "$tmp/walls" <<-'PY' || { rm -rf "$tmp"; exit 1; }
	import json, statistics, sys
	walls, shown = {"early": {}, "full": {}}, {"early": 0, "full": 0}
	for line in open(sys.argv[1]):
	    mode, seed, ms, path = line.split()
	    try:
	        result = json.load(open(path))["seeds"][0]["result"]
	    except (OSError, ValueError, KeyError, IndexError):
	        sys.exit(f"bench verdict: seed {seed} ({mode}) gave no result ({path}): a lab error")
	    walls[mode][int(seed)] = int(ms) / 1000
	    shown[mode] += result == "reproduced"
	med = {m: statistics.median(w.values()) for m, w in walls.items()}
	for m, goal in (("early", "; goal: at most 6 s"), ("full", "")):
	    w = walls[m].values()
	    print(f"{m:5}: {shown[m]}/{len(w)} reproduced, median {med[m]:.2f} s "
	          f"(fastest {min(w):.2f}, slowest {max(w):.2f}){goal}")
	both = sorted(walls["full"])
	ratio = statistics.median(walls["early"][k] for k in both) / statistics.median(walls["full"][k] for k in both)
	print(f"BENCH verdict_median_s={med['early']:.2f} full_median_s={med['full']:.2f} "
	      f"ratio_same_seeds={ratio:.2f}")
	PY
	rm -rf "$tmp"
}

bench_reuse() {
	echo "== uniqueness-race trials: a kernel booted per run (--fresh) vs. one per lab slot reused, with 2 and 4 labs at a time on these cores"
	tmp=$(mktemp -d)
	for mode in fresh-j2 reuse-j2 reuse-j4; do
		flag=; [ "${mode%-*}" = reuse ] || flag=--fresh
		$IKELAB nightly scenarios/uniqueness-race.yaml --seeds ${REUSE_SEEDS:-20} --jobs "${mode#*-j}" $flag \
			--out "$tmp/$mode" >/dev/null || true
	done
	python3 - "$tmp" <<-'PY'
	import json, statistics, sys
	out = {}
	for mode in ("fresh-j2", "reuse-j2", "reuse-j4"):
	    d = json.load(open(f"{sys.argv[1]}/{mode}/summary.json"))
	    runs = d["scenarios"][0]["seeds"]
	    shown = sum(r["result"] == "reproduced" for r in runs)
	    out[mode] = (statistics.median(r["wall_s"] for r in runs), len(runs) * 3600 / d["totals"]["wall_s"])
	    print(f"{mode}: {shown}/{len(runs)} reproduced, median wall per run {out[mode][0]:.1f} s, "
	          f"{out[mode][1]:.0f} trials per hour")
	f, r2, r4 = (out[m][1] for m in ("fresh-j2", "reuse-j2", "reuse-j4"))
	print(f"BENCH reuse_trials_per_hour_j2={r2:.0f} j4={r4:.0f} fresh_j2={f:.0f} "
	      f"ratio_j2={r2 / f:.2f} ratio_j4={r4 / f:.2f}")
	PY
	rm -rf "$tmp"
}

# The acceptance of the trial rate work: the nightly of every shipped
# scenario, as before it (a kernel per run, every run to its end) and now.
# Before: a kernel per run, every run to its end, a lab per core (the
# default). Now: kernels reused, so that a lab's slot costs a core only
# while its charons start, and ALL_JOBS labs (4) share the 2 cores.
bench_all() {
	echo "== nightly of every shipped scenario, ${ALL_SEEDS:-10} seeds: before (--fresh --full-duration, 2 labs at a time) and now (${ALL_JOBS:-4} labs at a time)"
	tmp=$(mktemp -d)
	for mode in before now; do
		flag="--jobs ${ALL_JOBS:-4}"; [ $mode = now ] || flag="--jobs 2 --fresh --full-duration"
		# shellcheck disable=SC2086  # several flags
		$IKELAB nightly --seeds ${ALL_SEEDS:-10} $flag --out "$tmp/$mode" >/dev/null || true
	done
	python3 - "$tmp/before/summary.json" "$tmp/now/summary.json" <<-'PY'
	import json, sys
	rate = []
	for mode, path in zip(("before", "now"), sys.argv[1:]):
	    t = json.load(open(path))["totals"]
	    rate.append(t["runs"] * 3600 / t["wall_s"])
	    print(f"{mode:6}: {t['runs']} runs in {t['wall_s']:.0f} s: {rate[-1]:.0f} runs per hour, "
	          f"{t['met']} of {t['scenarios']} scenarios met their expectations")
	print(f"BENCH all_runs_per_hour={rate[1]:.0f} before={rate[0]:.0f} ratio={rate[1] / rate[0]:.2f}")
	PY
	rm -rf "$tmp"
}

# "all" takes most of an hour: only when named (make bench BENCH=all).
default="up first-sa probe esp record charon nightly verdict reuse"
all="$default all"
first=1
for b in ${*:-$default}; do
	case " $all " in
	*" $b "*) ;;
	*) echo "bench.sh: no benchmark '$b' (there are: $all)" >&2; exit 2 ;;
	esac
	[ $first = 1 ] || echo
	first=0
	"bench_$(echo "$b" | tr - _)"
done

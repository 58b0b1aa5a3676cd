#!/bin/sh
# bench-probe: what ikelab-probe can carry, against ikelab-blast (plain
# unpaced sendmmsg/recvmmsg, no bookkeeping) measured in the same run, on
# loopback in a scratch network namespace: 127.0.0.1 and 127.0.0.2 as two
# peers, one way and both ways at once. Then loss accounting at a rate the
# probe can sustain, where loopback must lose nothing. The last line is
#   BENCH probe_pps=... blast_pps=... ratio=...
# (both ways at once, received per direction, probe at --rate 0, best of
# two runs each).
set -eu
cd "$(dirname "$0")/.."
PROBE=build/ikelab-probe
BLAST=build/ikelab-blast

# Never the host's namespace: run again inside a new one.
if [ "${1:-}" != --in-scratch-netns ]; then
	for b in $PROBE $BLAST; do
		[ -x $b ] || { echo "bench-probe: $b is missing: run make" >&2; exit 1; }
	done
	exec unshare -n sh "$0" --in-scratch-netns
fi
[ "$(ip -o link show | wc -l)" -eq 1 ] || { echo "bench-probe: not a fresh namespace" >&2; exit 1; }
ip link set lo up

DUR=${DUR:-4}
A=127.0.0.1
B=127.0.0.2
W=$(mktemp -d /tmp/ikelab-bench-probe.XXXXXX)
trap 'rm -rf "$W"' EXIT

# Received pps of one output file: blast's own figure, or for the probe the
# mean over its full rx intervals (the first and last are partial).
rx_pps() {
	python3 - "$1" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
if lines[0]["type"] == "blast":
    print(round(lines[0]["rx_pps"]))
    sys.exit()
rx = [l for l in lines if l["type"] == "rx"]
busy = [i for i, l in enumerate(rx) if l["rx"]]
mid = rx[busy[0] + 1:busy[-1]]
ivl = rx[1]["start_ns"] - rx[0]["start_ns"]
print(round(sum(l["rx"] for l in mid) / (len(mid) * ivl / 1e9)) if mid else 0)
EOF
}

field() {	# file field: from the probe's end line
	python3 -c 'import json, sys
print([json.loads(l) for l in open(sys.argv[1])][-1][sys.argv[2]])' "$1" "$2"
}

# Loss a receiver saw of what the other side sent: gaps after the first
# received packet, and the tail it never saw. Startup gaps (first_seq 1:
# sent before this side was listening) do not count.
lost() {	# receiver-file sender-file
	python3 - "$1" "$2" <<'EOF'
import json, sys
rx, tx = ([json.loads(l) for l in open(f)] for f in sys.argv[1:3])
gaps = sum(l["packets"] for l in rx if l["type"] == "loss" and l["first_seq"] != 1)
print(gaps + tx[-1]["last_seq_sent"] - rx[-1]["highest_seq_rx"])
EOF
}

blast() {	# both|one
	if [ "$1" = both ]; then
		$BLAST --local $B --remote $A --duration "$DUR" >"$W/b" &
		$BLAST --local $A --remote $B --duration "$DUR" >"$W/a"
	else
		$BLAST --local $B --remote $A --duration "$DUR" --recv-only >"$W/b" &
		$BLAST --local $A --remote $B --duration "$DUR" --send-only >"$W/a"
	fi
	wait
}

probe() {	# both|one rate
	back=$2
	[ "$1" = one ] && back=1
	$PROBE --local $B --remote $A --rate "$back" --duration "$DUR" --grace-ms 500 >"$W/b" &
	$PROBE --local $A --remote $B --rate "$2" --duration "$DUR" --grace-ms 500 >"$W/a"
	wait
}

report() {	# label both|one
	ab=$(rx_pps "$W/b")
	if [ "$2" = both ]; then
		ba=$(rx_pps "$W/a")
		printf '%-30s a>b %8s pps   b>a %8s pps' "$1" "$ab" "$ba"
		eval "${3}_ab=$ab ${3}_ba=$ba"
	else
		printf '%-30s a>b %8s pps' "$1" "$ab"
		eval "${3}_ab=$ab"
	fi
	if [ "$(head -c 15 "$W/a")" != '{"type":"blast"' ]; then
		printf '   (sent %s pps' "$(field "$W/a" achieved_pps)"
		[ "$2" = both ] && printf ', %s pps' "$(field "$W/b" achieved_pps)"
		printf ')'
	fi
	echo
}

ratio() {
	python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.2f}")' "$1" "$2"
}

echo "== received pps per direction on loopback, $DUR s each ($(nproc) CPUs)"
blast one;		report "blast, one way" one blast1
probe one 0;		report "probe --rate 0, one way" one probe1
probe one 500000;	report "probe --rate 500000, one way" one fixed1
# Both ways is the headline: twice each, alternating, best of two, as four
# busy threads on a small shared machine make single runs noisy.
blast both;		report "blast, both ways" both blast2
probe both 0;		report "probe --rate 0, both ways" both probe2
blast both;		report "blast, both ways" both blast3
probe both 0;		report "probe --rate 0, both ways" both probe3
probe both 500000;	report "probe --rate 500000, both" both fixed2

best() {	# a b: the larger
	[ "$1" -gt "$2" ] && echo "$1" || echo "$2"
}
probe_pps=$(best $(((probe2_ab + probe2_ba) / 2)) $(((probe3_ab + probe3_ba) / 2)))
blast_pps=$(best $(((blast2_ab + blast2_ba) / 2)) $(((blast3_ab + blast3_ba) / 2)))

echo "== ratio probe/blast"
echo "one way:   $(ratio "$probe1_ab" "$blast1_ab")"
echo "both ways: $(ratio "$probe_pps" "$blast_pps") (best runs, mean of the two directions)"

echo "== loss accounting at 100000 pps both ways (loopback: expect 0)"
probe both 100000
lab=$(lost "$W/b" "$W/a")
lba=$(lost "$W/a" "$W/b")
echo "a>b lost $lab (receive queue overflows $(field "$W/b" rcvbuf_drops))," \
	"b>a lost $lba (receive queue overflows $(field "$W/a" rcvbuf_drops))," \
	"sent $(field "$W/a" achieved_pps) and $(field "$W/b" achieved_pps) pps"
[ "$lab" -eq 0 ] && [ "$lba" -eq 0 ] || echo "WARNING: loss on loopback at 100000 pps"

echo "BENCH probe_pps=$probe_pps blast_pps=$blast_pps ratio=$(ratio "$probe_pps" "$blast_pps")"

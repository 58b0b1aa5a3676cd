#!/bin/sh
# make bench: every benchmark reports ikelab against a baseline measured in
# the same run, because absolute times drift on shared machines.
set -eu
cd "$(dirname "$0")/.."
IKELAB=build/ikelab

echo "== up: ikelab up vs. a shell script with ip/unshare/charon/swanctl (same kernel boot)"
$IKELAB bench up --rounds ${ROUNDS:-5}

echo
echo "== probe: ikelab-probe vs. raw sendmmsg/recvmmsg (ikelab-blast) on loopback, host kernel"
sh scripts/bench-probe.sh

echo
echo "== probe through ESP vs. cleartext, same namespaces, same boot"
$IKELAB bench esp

echo
echo "== recorder overhead at 10 Hz on two peers"
$IKELAB bench record --duration ${RECORD_SECONDS:-60}

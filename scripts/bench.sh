#!/bin/sh
# make bench: every benchmark reports ikelab against a baseline measured in
# the same run, because absolute times drift on shared machines.
set -eu
cd "$(dirname "$0")/.."
IKELAB=build/ikelab

echo "== up: ikelab up vs. a shell script with ip/unshare/charon/swanctl (same kernel boot)"
$IKELAB bench up --rounds ${ROUNDS:-5}

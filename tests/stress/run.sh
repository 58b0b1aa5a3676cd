#!/bin/sh
# make stress: chaos kills, concurrent labs, a 10-minute recording, the
# fuzzers on a short budget, integration tests with an AddressSanitizer
# and LeakSanitizer build as the controller, and the shrink test.
#
# Two phases, for CI's clock. First, alone: chaos (it takes every lab on
# the host down after each kill), concurrency, and t06-record with the
# sanitizer build (it counts the recorder's ticks too). Then the 10-minute
# recording, which keeps one core busy with one user-mode Linux kernel
# and asks that the recorder keep its ticks, runs in the background while
# the rest runs beside it one thing at a time, on the other core: the
# other sanitizer integration tests, s01-shrink, s02-security, s03-explore
# (a short exploration, one lab at a time), the install test (make
# install-test), then each fuzzer alone
# (FUZZ_PAR=1). A recorder that fell behind because of its neighbour
# would show it in the long recording's own checks (missed ticks, gaps).
#
#   STRESS="chaos.sh ..."   only these of the first phase's tests, and no
#                           second phase (for running one by hand)
#   IKELAB_ASAN, IKELAB_PLAIN  the sanitizer build and the plain one
#                              (inside user-mode Linux the plain one runs)
cd "$(dirname "$0")" || exit 2
ROOT=$(cd ../.. && pwd)
failed=0

run() {	# name command...: run it, one PASS or FAIL line with its time
	name=$1
	shift
	start=$(date +%s)
	if "$@"; then
		echo "PASS $name ($(($(date +%s) - start)) s)"
	else
		echo "FAIL $name ($(($(date +%s) - start)) s)"
		failed=$((failed + 1))
	fi
}

for t in ${STRESS:-chaos.sh concurrency.sh}; do
	run "$t" "./$t"
done

asan() {	# tests...: integration tests, the sanitizer build as the controller
	env IKELAB="${IKELAB_ASAN:-$ROOT/build/asan/ikelab}" \
		IKELAB_UML_INNER="${IKELAB_PLAIN:-$ROOT/build/ikelab}" TESTS="$*" \
		../integration/run.sh
}

fuzz_regress() {	# quiet unless it fails
	out=$(sh "$ROOT/scripts/fuzz.sh" --regress 2>&1) || { echo "$out"; return 1; }
}

if [ -z "${STRESS:-}" ]; then
	run "t06-record, sanitizer build as the controller" asan t06-record.sh
	# The fuzzers built now, not while the recording runs.
	run "fuzz build and regressions" fuzz_regress
	log=$(mktemp /tmp/ikelab-long-record.XXXXXX)
	long_start=$(date +%s)
	./long-record.sh >"$log" 2>&1 &
	long=$!
	run "integration tests, sanitizer build as the controller" \
		asan t01-default-lab.sh t03-bad-input.sh t04-host-backend.sh t05-killed-controller.sh
	run "s01-shrink" env TESTS=s01-shrink.sh ../integration/run.sh
	run "s02-security" env TESTS=s02-security.sh ../integration/run.sh
	run "s03-explore" env TESTS=s03-explore.sh ../integration/run.sh
	run "install-test" "$ROOT/tests/install/run.sh"
	run "fuzzers, ${FUZZ_SECONDS:-30} s each, one at a time" env \
		FUZZ_SECONDS="${FUZZ_SECONDS:-30}" FUZZ_PAR=1 sh "$ROOT/scripts/fuzz.sh"
	if wait "$long"; then
		cat "$log"
		echo "PASS long-record.sh ($(($(date +%s) - long_start)) s)"
	else
		cat "$log"
		echo "FAIL long-record.sh ($(($(date +%s) - long_start)) s)"
		failed=$((failed + 1))
	fi
	rm -f "$log"
fi
echo "stress: $failed failed"
[ "$failed" -eq 0 ]

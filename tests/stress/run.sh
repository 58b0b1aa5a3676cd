#!/bin/sh
# make stress: the chaos, concurrency and long-recording tests, the fuzzers
# on a short budget, and integration tests with an AddressSanitizer and
# LeakSanitizer build as the controller.
cd "$(dirname "$0")" || exit 2
failed=0
for t in ${STRESS:-chaos.sh concurrency.sh long-record.sh}; do
	start=$(date +%s)
	if "./$t"; then
		echo "PASS $t ($(( $(date +%s) - start )) s)"
	else
		echo "FAIL $t ($(( $(date +%s) - start )) s)"
		failed=$((failed + 1))
	fi
done
echo "stress: $failed failed"
[ "$failed" -eq 0 ]

#!/bin/sh
# Run every integration test (tests/integration/t*.sh) in order; each brings
# up real labs. Prints one line per test with its time; exits non-zero if
# any failed.
cd "$(dirname "$0")" || exit 2
failed=0
total_start=$(date +%s)
for t in ${TESTS:-t*.sh}; do
	start=$(date +%s)
	if "./$t"; then
		echo "PASS $t ($(( $(date +%s) - start )) s)"
	else
		echo "FAIL $t ($(( $(date +%s) - start )) s)"
		failed=$((failed + 1))
	fi
done
echo "integration: $failed failed, $(( $(date +%s) - total_start )) s in all"
[ "$failed" -eq 0 ]

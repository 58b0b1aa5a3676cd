#!/bin/sh
# fuzz.sh - the libFuzzer harnesses in tests/fuzz/: the parsers that read
# what comes from outside the controller (VICI from charon, channel frames,
# queued packets, probe datagrams, YAML files).
#
#   sh scripts/fuzz.sh             build, then fuzz each target FUZZ_SECONDS
#                                  (default 60; FUZZ_PAR at a time) and report executions,
#                                  coverage and findings
#   sh scripts/fuzz.sh --regress   build, then run each harness once over its
#                                  seed corpus and its regression inputs
#
#   FUZZ_TARGETS="vici chan"       only these (default: every tests/fuzz/fuzz_*.c)
#   FUZZ_JOBS=N                    parallel compiles (default: every core)
#   FUZZ_PAR=N                     targets fuzzed at once (default: every core)
#   FUZZ_FLAGS="..."               more libFuzzer flags for the fuzzing runs
#
# Everything is built with clang, -fsanitize=fuzzer,address,undefined, into
# build/fuzz/ (the lab's sources except main.c, as a library). Fuzzing adds
# what it finds to build/fuzz/corpus/TARGET (tests/fuzz/corpus/TARGET stays
# as checked in) and writes crashing inputs to build/fuzz/artifacts/TARGET/;
# minimize one with
#   build/fuzz/fuzz_TARGET -minimize_crash=1 -runs=10000 FILE
# and keep it in tests/fuzz/regress/TARGET/ once the bug is fixed.
# Exit status: 0 when nothing was found, 1 otherwise.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=build/fuzz
MODE=fuzz
case "${1:-}" in
--regress) MODE=regress ;;
"") ;;
*) echo "usage: sh scripts/fuzz.sh [--regress]" >&2; exit 2 ;;
esac
SECONDS_EACH=${FUZZ_SECONDS:-60}
CC=${FUZZ_CC:-clang}
PKGS="libnl-3.0 libnl-route-3.0 libnl-xfrm-3.0 libnl-nf-3.0 libcyaml yaml-0.1 jansson libkmod"

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2
	exit 1
fi
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
	"$CC" -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
	echo "fuzz: $CC cannot link -fsanitize=fuzzer (apt-get install libclang-rt-14-dev)" >&2
	exit 1
fi

if [ -n "${FUZZ_TARGETS:-}" ]; then
	TARGETS=$FUZZ_TARGETS
else
	TARGETS=$(ls tests/fuzz/fuzz_*.c | sed 's|tests/fuzz/fuzz_||; s|\.c$||')
fi

# ---- build ------------------------------------------------------------------
# A makefile on stdin, so that only what changed is compiled again.
BINS=
for t in $TARGETS; do
	BINS="$BINS $OUT/fuzz_$t"
done
mkdir -p "$OUT"
make --no-print-directory -j"${FUZZ_JOBS:-$(nproc)}" -f - all <<EOF
CC := $CC
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
PKG_CFLAGS := $(pkg-config --cflags $PKGS)
PKG_LIBS := $(pkg-config --libs $PKGS)
CFLAGS := -std=gnu11 -D_GNU_SOURCE -O1 -g \$(SAN) \$(WARN) -MMD -MP -Ilab \$(PKG_CFLAGS)
SRCS := \$(filter-out lab/cmd/main.c lab/backend/uml/uml-fpfix.c,\$(shell find lab -name '*.c'))
OBJS := \$(SRCS:%.c=$OUT/obj/%.o)

all: $BINS
	@:

$OUT/obj/%.o: %.c
	@mkdir -p \$(dir \$@)
	@echo "  CC  \$<"
	@\$(CC) \$(CFLAGS) -fsanitize=fuzzer-no-link -c -o \$@ \$<

$OUT/libikelab.a: \$(OBJS)
	@rm -f \$@
	@ar rcs \$@ \$^

$OUT/fuzz_%: tests/fuzz/fuzz_%.c $OUT/libikelab.a
	@echo "  LD  \$@"
	@\$(CC) \$(CFLAGS) -MF $OUT/fuzz_\$*.d -DFUZZ_ROOT='"$ROOT"' -fsanitize=fuzzer \
		-o \$@ \$< $OUT/libikelab.a \$(PKG_LIBS) -lpthread -lm

-include \$(shell find $OUT -name '*.d')
EOF

# ---- run --------------------------------------------------------------------
# The file harnesses' folders (tests/fuzz/fuzz_file.h), one per run of
# this script; rm -rf removes the links in them, never what they point to.
for d in "$OUT"/tmp.*; do
	[ -d "$d" ] && ! kill -0 "${d##*.}" 2>/dev/null && rm -rf "$d"
done
export FUZZ_TMPDIR="$ROOT/$OUT/tmp.$$"
mkdir -p "$FUZZ_TMPDIR"
trap 'rm -rf "$FUZZ_TMPDIR"' EXIT
trap 'exit 1' HUP INT TERM
found=0
summary=

# The shipped files a YAML target reads in place, so that its seeds cannot
# drift from them: every topology, profile and scenario of the repository.
shipped() {
	case $1 in
	topology) echo topologies ;;
	profile) echo peers ;;
	scenario) echo scenarios ;;
	esac
}

# Inputs of a target that are checked in: seeds, shipped files, regressions.
inputs() {
	for d in tests/fuzz/corpus/$1 $(shipped "$1") tests/fuzz/regress/$1; do
		[ -d "$d" ] && find "$d" -type f ! -name '.*' ! -name '*.md'
	done
	return 0
}

if [ "$MODE" = regress ]; then
	for t in $TARGETS; do
		files=$(inputs "$t")
		n=$(echo "$files" | grep -c . || true)
		if [ "$n" -eq 0 ]; then
			summary="$summary$(printf '%-10s no inputs' "$t")\n"
			continue
		fi
		log=$OUT/regress-$t.log
		# shellcheck disable=SC2086  # one argument per file
		if "$OUT/fuzz_$t" -timeout=10 -rss_limit_mb=2048 $files >"$log" 2>&1; then
			summary="$summary$(printf '%-10s %4d inputs  ok' "$t" "$n")\n"
		else
			found=1
			summary="$summary$(printf '%-10s %4d inputs  FAILED (%s)' "$t" "$n" "$log")\n"
			grep -E 'ERROR|SUMMARY|Running:|runtime error|CHECK|:[0-9]+: ' "$log" | tail -n 8 >&2 || true
		fi
	done
	printf "fuzz regress:\n%b" "$summary"
	exit $found
fi

# Whether the input that timed out times out again. A unit that ran past
# -timeout once may be the input's fault (a finding) or the machine's: a
# virtual machine whose host steals the CPU or stalls the disk for a second
# or two. Three re-runs under the same limit tell them apart; only a timeout
# that repeats is reported.
timeout_again() {
	for _ in 1 2 3; do
		if ! "$OUT/fuzz_$1" -timeout=1 -rss_limit_mb=2048 -runs=1 "$2" >>"$OUT/retry-$1.log" 2>&1; then
			return 0
		fi
	done
	return 1
}

# One target for SECONDS_EACH seconds; its summary line goes to
# $OUT/line-TARGET, and the exit status says whether it found something.
fuzz_one() {
	t=$1
	work=$OUT/corpus/$t
	art=$OUT/artifacts/$t
	log=$OUT/fuzz-$t.log
	mkdir -p "$work" "$art" tests/fuzz/corpus/$t
	before=$(ls "$art" | wc -l)
	set +e
	# shellcheck disable=SC2086  # FUZZ_FLAGS are several flags
	"$OUT/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=1 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$art/" ${FUZZ_FLAGS:-} \
		"$work" tests/fuzz/corpus/$t $(shipped "$t") \
		$( [ -d tests/fuzz/regress/$t ] && echo tests/fuzz/regress/$t ) \
		>"$log" 2>&1
	rc=$?
	set -e
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p')
	after=$(ls "$art" | wc -l)
	line=$(printf '%-10s execs %-10s cov %-6s ft %-7s corpus %-12s' "$t" "${execs:-?}" \
		"${cov:-?}" "${ft:-?}" "${corp:-?}")
	new=$(ls -t "$art" | head -n 1)
	status=0
	if [ "$after" -gt "$before" ] && case $new in timeout-*) true ;; *) false ;; esac &&
		! timeout_again "$t" "$art/$new"; then
		line="$line nothing found (a timeout that 3 re-runs did not repeat: a stalled machine, $art/$new)"
	elif [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
		status=1
		what=$(grep -E '^==[0-9]+==ERROR|runtime error|^SUMMARY|ALARM|out-of-memory|leak' "$log" |
			head -n 1)
		line="$line FOUND: ${what:-exit $rc} -> $art/$new"
	else
		line="$line nothing found"
	fi
	echo "$line" >"$OUT/line-$t"
	return $status
}

# FUZZ_PAR targets at a time (default: one per core), each in a subshell of
# its own; a batch ends when its slowest target does (they all run for
# SECONDS_EACH).
PAR=${FUZZ_PAR:-$(nproc)}
set -- $TARGETS
while [ $# -gt 0 ]; do
	pids=
	i=0
	while [ $# -gt 0 ] && [ "$i" -lt "$PAR" ]; do
		echo "== fuzz_$1 for ${SECONDS_EACH}s"
		fuzz_one "$1" &
		pids="$pids $!"
		i=$((i + 1))
		shift
	done
	for p in $pids; do
		wait "$p" || found=1
	done
done
for t in $TARGETS; do
	summary="$summary$(cat "$OUT/line-$t")\n"
	rm -f "$OUT/line-$t"
done
printf "\nfuzz summary (%ss each, logs in %s/fuzz-*.log):\n%b" "$SECONDS_EACH" "$OUT" "$summary"
exit $found

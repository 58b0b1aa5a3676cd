#!/bin/bash
# check.sh - the nightly reports end to end. A small driver writes
# junit.xml and index.html for the fixture nightly (tests/unit/report/
# nightly, plus timeline PNGs drawn here with gnuplot) and for a summary
# full of hostile strings; junit.xml must validate against Jenkins' JUnit
# schema and carry the right counts, index.html must parse in headless
# Chromium into the rows and links it should have, and render.
#
# Run from the repository root. Everything it writes stays in
# $BUILD/report-check, screenshots included, for a person to look at.
set -euo pipefail

BUILD=${BUILD:-build}
CC=${CC:-cc}
OUT=$BUILD/report-check
CACHE=$BUILD/cache
FIX=tests/unit/report
WARN="-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter"

# Jenkins' JUnit schema comes from tests/report/jenkins-xsd.sh. (The
# Apache Ant schema shipped beside it cannot accept this junit.xml: it
# allows no attributes on <testsuites>, no skipped=, no <system-out> in a
# <testcase>, and requires package= and id= on every <testsuite>.)

fail() {
	echo "report check: FAIL: $*" >&2
	exit 1
}

need() {
	command -v "$1" >/dev/null ||
		fail "$1 is missing (Debian package $2; sh scripts/deps.sh --test installs it)"
}

eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$3', got '$2'"
}

need "$CC" gcc
need pkg-config pkg-config
need xmllint libxml2-utils
need chromium chromium
need gnuplot gnuplot-nox
pkg-config --exists jansson || fail "jansson is missing (Debian package libjansson-dev)"

rm -rf "$OUT"
mkdir -p "$OUT" "$CACHE"
ABS=$(cd "$OUT" && pwd)

# The driver: both writers on one summary, as the nightly calls them.
cat >"$OUT/driver.c" <<'EOF'
#include "judge/report.h"
#include "base/err.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	json_error_t e;
	json_t *j;
	int r;

	if (argc != 3) {
		fputs("usage: report-driver SUMMARY OUT_DIR\n", stderr);
		return 2;
	}
	j = json_load_file(argv[1], 0, &e);
	if (!j) {
		fprintf(stderr, "%s:%d: %s\n", argv[1], e.line, e.text);
		return 1;
	}
	r = report_junit(j, argv[2]);
	if (r == 0)
		r = report_html(j, argv[2]);
	if (r < 0)
		fprintf(stderr, "%s\n", err_msg());
	json_decref(j);
	return r < 0;
}
EOF
# shellcheck disable=SC2046,SC2086
"$CC" -std=gnu11 -D_GNU_SOURCE -O2 -g $WARN -Ilab -o "$OUT/report-driver" "$OUT/driver.c" \
	lab/judge/report.c lab/judge/report_escape.c lab/judge/report_junit.c lab/judge/report_html.c \
	lab/base/err.c lab/base/util.c lab/base/json.c lab/base/file.c $(pkg-config --cflags --libs jansson) ||
	fail "cannot build the driver"

plot() {
	gnuplot -e "set terminal pngcairo size 480,300; set output '$1';
		set title 'timeline'; plot [0:10] sin($2 * x) title 'IKE_SAs', cos(x) title 'CHILD_SAs'" ||
		fail "gnuplot cannot draw $1"
}

# The fixture nightly, with a timeline for every plot the summary names.
cp -R "$FIX/nightly" "$OUT/nightly"
n=1
for p in $(grep -o '"plot": "[^"]*"' "$OUT/nightly/summary.json" | cut -d'"' -f4); do
	plot "$OUT/nightly/$p" $n
	n=$((n + 1))
done
"$OUT/report-driver" "$OUT/nightly/summary.json" "$OUT/nightly" || fail "writing the nightly's reports"

# Hostile strings everywhere, and a plot file named like a script URL.
mkdir -p "$OUT/hostile"
cp "$FIX/hostile.json" "$OUT/hostile/summary.json"
plot "$OUT/hostile/javascript:alert(1)" 7
"$OUT/report-driver" "$OUT/hostile/summary.json" "$OUT/hostile" || fail "writing the hostile reports"

# junit.xml

xsd=$(bash tests/report/jenkins-xsd.sh "$BUILD") || fail "no JUnit schema to check against"

for d in nightly hostile; do
	xmllint --noout --schema "$xsd" "$OUT/$d/junit.xml" ||
		fail "$OUT/$d/junit.xml does not validate against Jenkins' JUnit schema"
done
# The validator must be able to say no.
sed '0,/<testcase /s//<testcase bogus="1" /' "$OUT/nightly/junit.xml" >"$OUT/invalid.xml"
if xmllint --noout --schema "$xsd" "$OUT/invalid.xml" 2>/dev/null; then
	fail "the schema check accepts an invalid document"
fi

jx() {
	xmllint --xpath "$2" "$OUT/$1/junit.xml" || fail "xpath $2 on $1/junit.xml"
}
eq "test cases" "$(jx nightly 'count(//testcase)')" 17
eq "testsuites/@tests" "$(jx nightly 'string(/testsuites/@tests)')" 17
eq "sum of testsuite/@tests" "$(jx nightly 'sum(//testsuite/@tests)')" 17
eq "testsuites/@failures" "$(jx nightly 'string(/testsuites/@failures)')" 4
eq "failures" "$(jx nightly 'count(//testcase/failure[@type="expectation"])')" 4
eq "testsuites/@errors" "$(jx nightly 'string(/testsuites/@errors)')" 1
eq "lab errors" "$(jx nightly 'count(//testcase/error[@type="lab-error"])')" 1
eq "failures in a reproduction that reproduced" \
	"$(jx nightly 'count(//testsuite[@name="uniqueness-race"]//failure)')" 0
eq "failure message" \
	"$(jx nightly 'string(//testsuite[@name="rekey-collision-control"]/testcase[@name="seed-2"]/failure/@message)')" \
	"max_child_per_ts: 2 > 1 at t=7 s; run directory: $ABS/nightly/rekey-collision-control/seed-2"
# What the hostile strings read as once parsed: exactly what they were.
eq "hostile suite name" "$(jx hostile 'string(//testsuite/@name)')" "<script>alert(\"x\")</script> & 'co'"
eq "hostile hostname" "$(jx hostile 'string(//testsuite/@hostname)')" "<host>&\"'"
eq "hostile elements" "$(jx hostile 'count(//*[not(self::testsuites or self::testsuite or
	self::properties or self::property or self::testcase or self::failure or self::error)])')" 0

# index.html

grep -Eq '(src|href)="([a-z]+:|//)' "$OUT/nightly/index.html" "$OUT/hostile/index.html" &&
	fail "index.html refers to something outside the nightly directory"

chrome() {
	local ud rc=0
	ud=$(mktemp -d)
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$ud" "$@" 2>"$OUT/chromium.log" || rc=$?
	rm -rf "$ud"
	[ $rc -eq 0 ] || fail "chromium $* exited with $rc (see $OUT/chromium.log)"
}

# The page as Chromium parsed it: the rows, runs and links, and no markup
# that came from a string.
chrome --dump-dom "file://$ABS/nightly/index.html" >"$OUT/nightly/dom.html"
chrome --dump-dom "file://$ABS/hostile/index.html" >"$OUT/hostile/dom.html"
count() {
	grep -o "$1" "$2" | wc -l
}
eq "scenario rows" "$(count '<tr class="' "$OUT/nightly/dom.html")" 5
eq "runs" "$(count '<li class="r-' "$OUT/nightly/dom.html")" 17
eq "run directory links" "$(count '<a class="seed" href="[a-z-]*/seed-[0-9]/">' "$OUT/nightly/dom.html")" 17
eq "thumbnails" "$(count '<img class="thumb"' "$OUT/nightly/dom.html")" 4
eq "first row" "$(grep -o '<tr class="[a-z]*">' "$OUT/nightly/dom.html" | head -1)" '<tr class="fail">'
eq "hostile rows" "$(count '<tr class="' "$OUT/hostile/dom.html")" 1
eq "hostile headings" "$(count '<h1' "$OUT/hostile/dom.html")" 1
eq "hostile scripts" "$(count '<script' "$OUT/hostile/dom.html")" 0
eq "hostile images" "$(count '<img' "$OUT/hostile/dom.html")" 1
eq "hostile bold" "$(count '<b>' "$OUT/hostile/dom.html")" 0

# A screenshot a person can look at, which must not be a blank page
# (a blank 1400x1000 page is about 6 kB).
shot() {
	local png=$OUT/$1/screenshot.png size
	chrome --screenshot="$ABS/$1/screenshot.png" --window-size=1400,1000 "file://$ABS/$1/index.html"
	[ -s "$png" ] || fail "no screenshot $png"
	eq "$png signature" "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a
	eq "$png size" "$(od -An -tu1 -j16 -N8 "$png" | tr -s ' ' | sed 's/^ //')" "0 0 5 120 0 0 3 232"
	size=$(stat -c %s "$png")
	[ "$size" -gt 40000 ] || fail "$png is $size bytes: a blank page?"
}
shot nightly
shot hostile

echo "report check: ok; look at $OUT/nightly/screenshot.png and $OUT/hostile/screenshot.png"

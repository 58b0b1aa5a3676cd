#!/bin/bash
# check.sh - the nightly reports end to end. A small driver writes
# junit.xml and index.html for the fixture nightly (tests/unit/report/
# nightly, plus timeline PNGs drawn here with gnuplot), for a summary
# full of hostile strings and for a nightly of two charon versions
# (tests/report/matrix); junit.xml must validate against Jenkins' JUnit
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
# A summary the nightly hands over in memory may hold bytes no JSON file
# can (a charon path from the command line is any bytes): the driver
# turns each @BROKEN-UTF8@ in a string into broken UTF-8.
cat >"$OUT/driver.c" <<'EOF'
#include "judge/report.h"
#include "base/err.h"
#include "base/util.h"

#include <stdio.h>
#include <string.h>

#define MARK "@BROKEN-UTF8@"
#define BROKEN "\xff\xc3("

static json_t *broken(const char *s)
{
	struct strbuf sb = { 0 };
	const char *m;
	json_t *j;

	while ((m = strstr(s, MARK))) {
		sb_add(&sb, s, (size_t)(m - s));
		sb_add(&sb, BROKEN, strlen(BROKEN));
		s = m + strlen(MARK);
	}
	sb_add(&sb, s, strlen(s));
	j = json_stringn_nocheck(sb.buf, sb.len);
	sb_free(&sb);
	return j;
}

static void break_utf8(json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach (j, k, v) {
		if (json_is_string(v) && strstr(json_string_value(v), MARK))
			json_object_set_new(j, k, broken(json_string_value(v)));
		else
			break_utf8(v);
	}
	json_array_foreach (j, i, v) {
		if (json_is_string(v) && strstr(json_string_value(v), MARK))
			json_array_set_new(j, i, broken(json_string_value(v)));
		else
			break_utf8(v);
	}
}

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
	break_utf8(j);
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
	lab/judge/report_html_versions.c \
	lab/base/err.c lab/base/util.c lab/base/json.c lab/base/file.c $(pkg-config --cflags --libs jansson) -lm ||
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

# Two charon versions side by side (tests/report/matrix): a scenario fixed
# in the second, one regressed, one the same, one unknown (the second only
# had lab errors), and the second version's label hostile.
cp -R tests/report/matrix "$OUT/matrix"
for p in $(grep -o '"plot": "[^"]*"' "$OUT/matrix/summary.json" | cut -d'"' -f4 | sort -u); do
	mkdir -p "$(dirname "$OUT/matrix/$p")"
	plot "$OUT/matrix/$p" $n
	n=$((n + 1))
done
"$OUT/report-driver" "$OUT/matrix/summary.json" "$OUT/matrix" || fail "writing the matrix's reports"
# The hostile label as it reads once parsed: broken UTF-8 as two U+FFFD.
HOSTILE_LABEL="6.0.3 <script>alert(\"v2\")</script> \"dq\" 'sq' & $(printf '\357\277\275\357\277\275')("

# junit.xml

xsd=$(bash tests/report/jenkins-xsd.sh "$BUILD") || fail "no JUnit schema to check against"

for d in nightly hostile matrix; do
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

# With two versions: a suite per scenario and version, named after the
# version; test cases unique too, as CI servers know them by class and name.
eq "matrix suites" "$(jx matrix 'count(//testsuite)')" 8
eq "matrix suite names" "$(xmllint --xpath '//testsuite/@name' "$OUT/matrix/junit.xml" | sort -u | wc -l)" 8
eq "suites on 5.9.8" "$(jx matrix 'count(//testsuite[contains(@name, " on 5.9.8")])')" 4
eq "suites on 6.0.3" "$(jx matrix 'count(//testsuite[contains(@name, " on 6.0.3")])')" 4
eq "matrix test cases" "$(jx matrix 'count(//testcase)')" 24
eq "matrix case names" "$(jx matrix 'count(//testcase[@name="seed-1 on 6.0.3"])')" 4
eq "matrix failures" "$(jx matrix 'string(/testsuites/@failures)')" 4
eq "matrix lab errors" "$(jx matrix 'string(/testsuites/@errors)')" 3
mprop() {
	jx matrix "string(//testsuite[@name=\"$1\"]/properties/property[@name=\"$2\"]/@value)"
}
eq "fixed" "$(mprop 'uniqueness-race on 6.0.3' version_change)" "fixed in 6.0.3"
eq "fixed, on the first version" "$(mprop 'uniqueness-race on 5.9.8' version_change)" "fixed in 6.0.3"
eq "regressed" "$(mprop 'rekey-collision-control on 6.0.3' version_change)" "regressed in 6.0.3"
eq "same" "$(mprop 'ike-accumulation on 6.0.3' version_change)" same
eq "unknown" "$(mprop 'hard-expire-acquire-control on 6.0.3' version_change)" unknown
eq "charon_version of runs that never started" \
	"$(mprop 'hard-expire-acquire-control on 6.0.3' charon_version)" 6.0.3
eq "charon_commit" "$(mprop 'ike-accumulation on 6.0.3' charon_commit)" 3b902ea5c1d2e3f405162738495a6b7c8d9e0f11
eq "charon, first version" "$(mprop 'ike-accumulation on 5.9.8' charon)" /usr/lib/ipsec/charon
eq "hostile charon label" "$(mprop 'ike-accumulation on 6.0.3' charon)" "$HOSTILE_LABEL"
eq "matrix elements" "$(jx matrix 'count(//*[not(self::testsuites or self::testsuite or
	self::properties or self::property or self::testcase or self::failure or self::error or
	self::system-out)])')" 0

# index.html

# Broken UTF-8 in a label is replaced, never passed on.
for f in index.html junit.xml; do
	iconv -f UTF-8 -t UTF-8 "$OUT/matrix/$f" >/dev/null || fail "matrix/$f is not UTF-8"
done
grep -Eq '(src|href)="([a-z]+:|//)' "$OUT/nightly/index.html" "$OUT/hostile/index.html" \
	"$OUT/matrix/index.html" &&
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

# Versions side by side: regressions first, a badge each, every cell
# counted; every run in the main table tagged with its version; the
# hostile label only ever as text.
chrome --dump-dom "file://$ABS/matrix/index.html" >"$OUT/matrix/dom.html"
M=$OUT/matrix/dom.html
sed -n '/<section class="vs"/,/<\/section>/p' "$M" >"$OUT/matrix/versions.html"
V=$OUT/matrix/versions.html
eq "versions sections" "$(count '<section class="vs"' "$M")" 1
eq "matrix rows, in order" "$(grep -o '<tr class="vm-[a-z]*"' "$V" | cut -d'"' -f2 | paste -sd' ')" \
	"vm-regressed vm-fixed vm-unknown vm-same"
eq "version columns" "$(grep -o '<th scope="col"><span class="v">[^<]*' "$V" | cut -d'>' -f3 |
	paste -sd' ')" "5.9.8 6.0.3"
eq "column commit" "$(count '>commit 3b902ea5c1d2</small>' "$V")" 1
badge() {
	count "<span class=\"badge b-$1\" title=\"[^\"]*\">$2</span>" "$V"
}
eq "fixed badge" "$(badge fixed 'fixed in 6.0.3')" 1
eq "regressed badge" "$(badge new-failure 'regressed in 6.0.3')" 1
eq "same badge" "$(badge same same)" 1
eq "unknown badge" "$(badge unknown unknown)" 1
eq "cells" "$(count '<td class="cell ' "$V")" 8
eq "passing cells" "$(count '<td class="cell pass">' "$V")" 5
eq "failing cell" "$(count '<td class="cell fail">' "$V")" 1
eq "flaky cell" "$(count '<td class="cell flaky">' "$V")" 1
eq "lab error cell" "$(count '<td class="cell lab">' "$V")" 1
eq "3 of 3" "$(count '3 of 3 runs showed the bug' "$V")" 3
eq "0 of 3" "$(count '0 of 3 runs showed the bug' "$V")" 3
eq "1 of 3" "$(count '1 of 3 runs showed the bug' "$V")" 1
eq "no valid run" "$(count 'no valid run</div><div class="sub lab">3 lab errors' "$V")" 1
eq "timeline links" "$(count '<a href="v[12]-[a-z0-9._-]*/[a-z-]*/seed-[0-9]/timeline.png" aria-label="timeline of' "$V")" 7
eq "main rows" "$(grep -Ec '<tr class="(pass|fail|flaky)">' "$M")" 8
eq "version tags" "$(count '<span class="ver" title="ran on charon [^"]*">on [0-9.]*</span>' "$M")" 8
eq "charon versions" "$(count '<dt>charon versions</dt>' "$M")" 1
eq "plugin lines" "$(count '<p class="plugins">plugins on ' "$M")" 2
eq "verdict" "$(grep -o '<p class="verdict [a-z]*">[^<]*' "$M")" \
	'<p class="verdict bad">5 of 8 (4 scenarios × 2 versions) met their expectation'
eq "matrix scripts" "$(count '<script' "$M")" 0
eq "matrix scripts in the file" "$(count '<script' "$OUT/matrix/index.html")" 0
eq "hostile label unescaped" "$(grep -cF 'alert("v2")' "$OUT/matrix/index.html" || true)" 0
# In the header, the column's head and the tags of its four runs.
eq "hostile label escaped" \
	"$(count "&lt;script&gt;alert(&quot;v2&quot;)&lt;/script&gt; &quot;dq&quot; &#39;sq&#39; &amp; $(printf '\357\277\275\357\277\275')(" "$OUT/matrix/index.html")" 6

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
shot matrix

echo "report check: ok; look at $OUT/nightly/screenshot.png, $OUT/hostile/screenshot.png and" \
	"$OUT/matrix/screenshot.png"

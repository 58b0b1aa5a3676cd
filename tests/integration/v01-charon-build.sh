#!/bin/bash
# A strongSwan other than Debian's, built from the shared history with a
# cold cache (ccache included): `charon build` of one release tag, timed;
# the same build again is a cache hit; a lab with `--charon VERSION` runs it
# (a ping through the tunnel, status and swanctl inside the peer name that
# version, the rendered strongswan.conf is that version's); a scenario run
# records the version and the commit. CHARON_TEST_VERSION picks the tag
# (default 6.0.0, the release v02-versions compares with 5.9.8).
# IKELAB_TEST_CACHE: a cache shared with v02-versions (make version-test
# runs this test first, on an empty one, so v02 finds the release built);
# without it, a cache of this test's own.
. "$(dirname "$0")/lib.sh"
LAB=hb-v01
VERSION=${CHARON_TEST_VERSION:-6.0.0}
export XDG_CACHE_HOME=${IKELAB_TEST_CACHE:-"$WORK/cache"}

# ---- the build, cold ---------------------------------------------------------
t0=$(date +%s%N)
"$IKELAB" charon build "$VERSION" >"$WORK/build.out" 2>"$WORK/build.err" ||
	{ cat "$WORK/build.err" >&2; fail "charon build $VERSION"; }
cold_ms=$((($(date +%s%N) - t0) / 1000000))
grep -q "^version  $VERSION\$" "$WORK/build.out" || { cat "$WORK/build.out"; fail "built version"; }
commit=$(awk '$1 == "commit" { print $2 }' "$WORK/build.out")
[[ $commit =~ ^[0-9a-f]{40}$ ]] || fail "no commit id in: $(cat "$WORK/build.out")"
charon=$(awk '$1 == "charon" { print $2 }' "$WORK/build.out")
[ -x "$charon" ] || fail "no charon at '$charon'"
case $charon in "$XDG_CACHE_HOME"/ikelab/charon/builds/*) ;; *) fail "charon outside the cache: $charon" ;; esac
for step in checkout autogen configure make install; do
	grep -q "^  $step " "$WORK/build.err" || { cat "$WORK/build.err"; fail "no progress for $step"; }
done
[ "$(stat -c %a "$XDG_CACHE_HOME/ikelab/charon")" = 700 ] || fail "the cache is not 0700"
note "cold build of $VERSION (commit ${commit:0:12}): $((cold_ms / 1000)).$((cold_ms % 1000 / 100)) s" \
	"($(grep -E '^  (autogen|configure|make) ' "$WORK/build.err" | awk '{ printf "%s%s %s s", s, $1, $2; s = ", " }'))"

# ---- the same key: a cache hit ----------------------------------------------
t0=$(date +%s%N)
"$IKELAB" charon build "$VERSION" >"$WORK/hit.out" 2>"$WORK/hit.err" || fail "second build"
hit_ms=$((($(date +%s%N) - t0) / 1000000))
grep -q "cache hit" "$WORK/hit.err" || { cat "$WORK/hit.err"; fail "the second build was no cache hit"; }
grep -q "^cached   yes" "$WORK/hit.out" || fail "the second build does not say cached"
grep -q "^commit   $commit" "$WORK/hit.out" || fail "the cache hit is another commit"
[ "$hit_ms" -lt 2000 ] || fail "a cache hit took $hit_ms ms"
note "the same build again: a cache hit in $hit_ms ms"

# ---- a lab of that version ------------------------------------------------------
up $LAB --charon "$VERSION"
grep -q "charon $VERSION, commit ${commit:0:12}" "$WORK/up.$LAB" || { cat "$WORK/up.$LAB"; fail "up does not name the build"; }
tunnel $LAB || fail "no ping through the tunnel of $VERSION"
"$IKELAB" status --name $LAB --json >"$WORK/status.json"
for peer in alice bob; do
	assert_eq "$VERSION" "$(jq_py "$WORK/status.json" "[p for p in d['peers'] if p['name']=='$peer'][0]['charon']['version']")" "$peer's charon version (VICI)"
	assert_eq "$commit" "$(jq_py "$WORK/status.json" "[p for p in d['peers'] if p['name']=='$peer'][0]['charon']['commit']")" "$peer's charon commit"
done
"$IKELAB" status --name $LAB | grep -q "built by ikelab from commit ${commit:0:12}" || fail "status does not show the commit"
# The swanctl of that build, found first on the peer's PATH.
"$IKELAB" exec --name $LAB alice -- swanctl --version >"$WORK/swv" 2>&1 || fail "swanctl --version"
grep -q "strongSwan swanctl $VERSION" "$WORK/swv" || { cat "$WORK/swv"; fail "swanctl is not $VERSION's"; }
"$IKELAB" exec --name $LAB alice -- swanctl --list-sas >"$WORK/sas" 2>&1 || { cat "$WORK/sas"; fail "swanctl --list-sas"; }
grep -q "ESTABLISHED, IKEv2" "$WORK/sas" || { cat "$WORK/sas"; fail "swanctl lists no IKE_SA"; }
! grep -q "failed to load" "$WORK/sas" || fail "swanctl warns about plugins"
# Rendered for that version: its own filelog option, its defaults noted.
conf="$IKELAB_RUN/$LAB/alice/run/strongswan.conf"
grep -q "make_before_break: not set; this version's default is yes" "$conf" ||
	fail "strongswan.conf does not note $VERSION's make_before_break default"
! grep -q "time_add_ms" "$conf" || fail "strongswan.conf has time_add_ms, which $VERSION does not know"
"$IKELAB" down --name $LAB >/dev/null || fail "down"
note "a lab of $VERSION: tunnel, status, swanctl and strongswan.conf are that version's"

# ---- a run records what it ran ----------------------------------------------------
rc=0
"$IKELAB" run "$ROOT/scenarios/uniqueness-race.yaml" --charon "$VERSION" --name hb-v01r \
	--out "$WORK/run" >"$WORK/run.out" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { cat "$WORK/run.out"; fail "the run on $VERSION was a lab error ($rc)"; }
sum="$WORK/run/seed-1/summary.json"
assert_eq "$VERSION" "$(jq_py "$sum" "d['charon_version']")" "summary.json charon_version"
assert_eq "$commit" "$(jq_py "$sum" "d['charon_commit']")" "summary.json charon_commit"
assert_eq "$commit" "$(jq_py "$sum" "d['charon_build']['commit']")" "summary.json charon_build.commit"
jq_py "$sum" "d['charon_build']['key']" | grep -q "^$commit-" || fail "summary.json has no build key"
note "uniqueness-race on $VERSION: $(jq_py "$sum" "d['result']"); summary.json names $VERSION and ${commit:0:12}"

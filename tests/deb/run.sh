#!/bin/sh
# make deb-test: the Debian package make deb built, unpacked with dpkg -x:
# its version is ikelab's, it depends on strongSwan and the tools the labs
# use, it holds the binary, the helpers, the shipped files, the man pages
# and the completion where make install puts them, and the unpacked binary
# finds its shipped files beside it (ikelab check of every one of them).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
deb=$(ls "$BUILD"/deb/ikelab_*.deb)
x=$(mktemp -d /tmp/ikelab-deb.XXXXXX)
trap 'rm -rf "$x"' EXIT
failed=0
fail() {
	echo "FAIL [deb] $*" >&2
	failed=1
}

version=$(sed -n 's/^#define IKELAB_VERSION "\(.*\)"$/\1/p' lab/cmd/cmd.h)
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] ||
	fail "package version $(dpkg-deb -f "$deb" Version), ikelab's $version (debian/changelog)"
for dep in strongswan-charon strongswan-swanctl iproute2 libjansson4 libcyaml1; do
	dpkg-deb -f "$deb" Depends | grep -q "$dep" || fail "Depends lacks $dep"
done
dpkg -x "$deb" "$x"
for f in usr/bin/ikelab usr/libexec/ikelab/ikelab-probe usr/libexec/ikelab/ikelab-blast \
	usr/libexec/ikelab/uml-fpfix.so usr/share/ikelab/topologies/two-peer.yaml \
	usr/share/ikelab/peers/auto-route.yaml usr/share/ikelab/scenarios/uniqueness-race.yaml \
	usr/share/ikelab/schemas/scenario.schema.json \
	usr/share/bash-completion/completions/ikelab usr/share/doc/ikelab/copyright; do
	[ -f "$x/$f" ] || fail "no $f in the package"
done
for page in man1/ikelab.1.gz man5/ikelab-scenario.5.gz man5/ikelab-topology.5.gz \
	man5/ikelab-profile.5.gz; do
	[ -f "$x/usr/share/man/$page" ] || fail "no $page in the package"
done
"$x/usr/bin/ikelab" --version >/dev/null || fail "the unpacked binary does not run"
n=$(ls "$x"/usr/share/ikelab/*/*.yaml | wc -l)
"$x/usr/bin/ikelab" check "$x"/usr/share/ikelab/*/*.yaml >/dev/null ||
	fail "ikelab check of the packaged files"
[ "$failed" -eq 0 ] || exit 1
echo "PASS [deb] $(basename "$deb"): $n shipped files valid, helpers, completion, man pages"

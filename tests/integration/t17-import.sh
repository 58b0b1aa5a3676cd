#!/bin/bash
# `ikelab import` on upstream's own two-gateway configurations: strongSwan's
# testing/tests (moon and sun, 5.9.8) from the offline history beside the
# tree. Each sample is imported, brought up as a lab, its CHILD_SAs started
# as upstream's pretest does (initiate, or traffic on a trap), traffic sent
# through every CHILD_SA, and the SA lines of upstream's evaltest.dat (the
# `swanctl --list-sas --raw` patterns) checked against the lab's. The lines
# that cannot be checked here (other hosts, tcpdump, `ipsec status`) are
# listed, not ignored.
. "$(dirname "$0")/lib.sh"

TAR=${CHARON_SOURCE_TAR:-"$ROOT/../shared/strongswan/strongswan.git.tar"}
[ -f "$TAR" ] || fail "no strongSwan history at $TAR"
tar -xf "$TAR" -C "$WORK"
GIT_DIR=$(find "$WORK" -maxdepth 1 -name '*.git' | head -1)
[ -n "$GIT_DIR" ] || fail "$TAR holds no bare repository"
REF=5.9.8

# upstream's files of HOST in SAMPLE, with the test bed's address
# placeholders (testing.conf) replaced, as load-testconfig does.
fetch() {	# sample host file
	git --git-dir="$GIT_DIR" show "$REF:testing/tests/$1/hosts/$2/etc/$3" 2>/dev/null |
		sed -e 's/PH_IP6_MOON/fec0::1/g; s/PH_IP6_SUN/fec0::2/g' \
			-e 's/PH_IP_MOON/192.168.0.1/g; s/PH_IP_SUN/192.168.0.2/g'
}

import_sample() {	# sample dir
	local s=$1 d=$2 h f args=()
	mkdir -p "$d"
	for h in moon sun; do
		mkdir -p "$d/$h"
		for f in swanctl/swanctl.conf ipsec.conf strongswan.conf; do
			fetch "$s" "$h" "$f" >"$d/$h/${f##*/}"
			[ -s "$d/$h/${f##*/}" ] || rm "$d/$h/${f##*/}"
		done
		for f in swanctl.conf ipsec.conf strongswan.conf; do
			[ -e "$d/$h/$f" ] && args+=("$d/$h/$f")
		done
	done
	git --git-dir="$GIT_DIR" show "$REF:testing/tests/$s/evaltest.dat" >"$d/evaltest.dat"
	git --git-dir="$GIT_DIR" show "$REF:testing/tests/$s/pretest.dat" >"$d/pretest.dat"
	: >"$d/started"
	"$IKELAB" import "${args[@]}" --out "$d/lab" >"$d/import.out" 2>&1 ||
		{ cat "$d/import.out"; fail "$s: import"; }
	grep -q "^import: moon (.*) and sun (" "$d/import.out" ||
		{ cat "$d/import.out"; fail "$s: gateways not named moon and sun"; }
}

# Start what upstream's pretest.dat starts on moon (`swanctl --initiate
# --child X`, `ipsec up X`; a trap needs only traffic); then traffic from
# each of moon's protected addresses to each of sun's.
start_and_send() {	# lab dir
	local lab=$1 d=$2 child src dst
	for child in $(sed -n -e 's/^moon:: *swanctl --initiate --child \([A-Za-z0-9_-]*\).*/\1/p' \
		-e 's/^moon:: *ipsec up \([A-Za-z0-9_-]*\).*/\1/p' "$d/pretest.dat"); do
		echo "$child" >>"$d/started"
		"$IKELAB" exec --name "$lab" moon -- swanctl --initiate --child "$child" >"$WORK/init" 2>&1 ||
			{ tail -5 "$WORK/init"; fail "$lab: initiate $child"; }
	done
	for src in $(protected moon "$d"); do
		for dst in $(protected sun "$d"); do
			"$IKELAB" exec --name "$lab" moon -- ping -c 1 -w 10 -W 1 -I "$src" "$dst" >/dev/null ||
				{ diag "$IKELAB_RUN/$lab"; fail "$lab: no traffic $src -> $dst"; }
		done
	done
}

protected() {	# node dir: its protected addresses, from the imported topology
	sed -n "/name: $1\$/,/protected:/s/.*protected: \[\(.*\)\]/\1/p" "$2/lab/topology.yaml" |
		tr -d "'," | tr ' ' '\n' | sed 's|/.*||'
}

# Every CHILD_SA of a profile is INSTALLED with traffic both ways, and the
# evaltest.dat's list-sas lines match.
check() {	# lab dir sample
	local lab=$1 d=$2 h
	for h in moon sun; do
		"$IKELAB" exec --name "$lab" "$h" -- swanctl --list-sas --raw >"$d/sas.$h" 2>&1
	done
	python3 - "$d" "$3" <<'PY' || fail "$3: the lab's SAs (above)"
import re, sys
d, sample = sys.argv[1], sys.argv[2]
sas = {h: open(f"{d}/sas.{h}").read() for h in ("moon", "sun")}
prof = open(f"{d}/lab/moon.yaml").read()
# The CHILD_SAs started: by the pretest, or by traffic on a trap.
children = [c for c, action in re.findall(
    r"^      - name: '([^']*)'\n(?:        .*\n)*?        start_action: '([a-z]*)'", prof, re.M)
    if action == "trap"] + open(f"{d}/started").read().split()
ok = True
for name in children:
    m = re.search(r"\b%s-\d+ \{name=%s [^}]*state=INSTALLED[^}]*packets-in=(\d+)[^}]*packets-out=(\d+)"
                  % (re.escape(name), re.escape(name)), sas["moon"])
    if not m or int(m.group(1)) < 1 or int(m.group(2)) < 1:
        print(f"  {sample}: CHILD_SA {name} not INSTALLED with traffic on moon"); ok = False
checked, unchecked = 0, []
for line in open(f"{d}/evaltest.dat"):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    parts = line.split("::")
    host, cmd = parts[0].strip(), parts[1].strip()
    if host in sas and cmd.startswith("swanctl --list-sas") and len(parts) >= 4:
        found = re.search(parts[2], sas[host]) is not None
        if found != (parts[3].strip() == "YES"):
            print(f"  {sample}: {host}: evaltest pattern not met: {parts[2]}"); ok = False
        checked += 1
    else:
        unchecked.append(line)
print(f"  [t17] {sample}: {len(children)} CHILD_SA(s) with traffic, {checked} evaltest SA line(s) met, "
      f"{len(unchecked)} not checked here:")
for u in unchecked:
    print(f"  [t17]   unchecked: {u}")
if not ok:
    print(sas["moon"]); print(sas["sun"])
sys.exit(0 if ok else 1)
PY
}

n=0
for sample in ikev2/net2net-psk ikev2/net2net-cert ikev2/net2net-route ikev2-stroke/net2net-route \
	ipv6/net2net-ip4-in-ip6-ikev2 ipv6-stroke/net2net-ikev2; do
	n=$((n + 1))
	lab=imp$n
	d="$WORK/s$n"
	import_sample "$sample" "$d"
	up $lab --topology "$d/lab/topology.yaml" --peers "$d/lab/moon.yaml" --peers "$d/lab/sun.yaml"
	start_and_send $lab "$d"
	check $lab "$d" "$sample"
	"$IKELAB" down --name $lab >/dev/null
	assert_no_leftovers $lab
done

# What is not carried is said, with its place; secrets never are.
grep -q "moon/swanctl.conf:20: connections.gw-gw.children.net-net.updown = " "$WORK/s1/lab/moon.yaml" ||
	fail "the updown script is not listed as not carried"
! grep -q "strong password" "$WORK/s1/lab/moon.yaml" || fail "a PSK of the report was copied"
grep -q "conn %default.fragmentation = yes: not carried" "$WORK/s6/lab/moon.yaml" ||
	fail "ipsec.conf's fragmentation=yes is not listed"
grep -q "ca strongswan.cacert = strongswanCert.pem: not carried" "$WORK/s6/lab/moon.yaml" ||
	fail "ipsec.conf's ca section is not listed"

# Bad input: FILE:LINE:COL, one line.
printf 'connections {\n  gw {\n    local_addrs = 192.0.2.1\n' >"$WORK/open.conf"
expect_one_line_error "$IKELAB" import "$WORK/open.conf" "$WORK/open.conf" --out "$WORK/bad"
grep -q "open.conf:4:1: the file ends inside a section" "$WORK/err" || fail "position of the open section"
printf 'conn a\n\tleft=192.0.2.1\n  right\n' >"$WORK/bad-ipsec.conf"
expect_one_line_error "$IKELAB" import "$WORK/bad-ipsec.conf" "$WORK/s1/sun/swanctl.conf" --out "$WORK/bad"
grep -q "bad-ipsec.conf:3:8: expected '=' after the key" "$WORK/err" || fail "position of the bad ipsec.conf line"
# What is there is not overwritten.
expect_one_line_error "$IKELAB" import "$WORK/s1/moon/swanctl.conf" "$WORK/s1/sun/swanctl.conf" --out "$WORK/s1/lab"
echo "PASS [$TEST]: $n upstream samples imported, up, traffic through every CHILD_SA, evaltest SA lines met"

#!/bin/sh
# Baseline for `make bench`: what bringing the default lab up takes with the
# usual tools -- ip, unshare, charon and swanctl -- the way a person would
# script it. Builds the same two-peer lab as `ikelab up` (namespaces, veth,
# addresses, routes, one charon per peer in a private mount namespace,
# connection and PSK loaded with swanctl) and returns once both trap policies
# are in the kernel. Usage: baseline-up.sh DIR NAME; baseline-down.sh undoes.
#
# DIR is a private directory the caller made (ikelab bench: mkdtemp, 0700):
# the script refuses any other, writes only under it, and records each
# charon it starts (pid and start time) in DIR/NODE/charon.proc, which is
# all baseline-down.sh will signal.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 DIR NAME" >&2; exit 2; }
dir=$1
name=$2

# A real directory of ours that nobody else can write or swap: a planted
# symlink or someone else's directory would take our writes elsewhere.
if [ ! -d "$dir" ] || [ -L "$dir" ] || [ "$(stat -c %u -- "$dir")" != "$(id -u)" ] ||
	[ -n "$(find "$dir" -maxdepth 0 -perm /022)" ]; then
	echo "$0: $dir is not a private directory of uid $(id -u)" >&2
	exit 1
fi
case $name in
'' | *[!A-Za-z0-9_-]*) echo "$0: bad lab name '$name'" >&2; exit 2 ;;
esac
a=$name-alice
b=$name-bob
psk=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')

ip netns add "$a"
ip netns add "$b"
ip -n "$a" link add eth0 type veth peer name eth0 netns "$b"
ip -n "$a" addr add 192.0.2.1/24 dev eth0
ip -n "$b" addr add 192.0.2.2/24 dev eth0
ip -n "$a" addr add 10.1.0.1/16 dev lo
ip -n "$b" addr add 10.2.0.1/16 dev lo
for ns in "$a" "$b"; do
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
done
ip -n "$a" route add 10.2.0.0/16 via 192.0.2.2
ip -n "$b" route add 10.1.0.0/16 via 192.0.2.1

# charon and swanctl see the peer's private /run and configuration; the
# peer's directory comes in as an argument, never inside the script text.
# The charon started in the background is recorded by pid and start time
# (field 22 of /proc/PID/stat) for baseline-down.sh.
start_charon='
	pdir=$1
	mount --make-rslave /
	mount --bind "$pdir/swanctl" /etc/swanctl
	mount --bind "$pdir/run/strongswan.conf" /etc/strongswan.conf
	mount --bind "$pdir/run" /run
	STRONGSWAN_CONF=/run/strongswan.conf /usr/lib/ipsec/charon >/dev/null 2>&1 &
	pid=$!
	start=$(sed "s/.*) //" "/proc/$pid/stat" | cut -d " " -f 20)
	echo "$pid $start" >"$pdir/charon.proc"
	n=0
	until swanctl --stats >/dev/null 2>&1; do
		n=$((n + 1))
		[ $n -lt 600 ] || exit 1 # 30 s
		sleep 0.05
	done
	swanctl --load-all >/dev/null 2>&1
'

peer() {	# me other me_ip other_ip me_net other_net
	pdir=$dir/$1
	set -C # no file of ours may already exist
	mkdir -m 0700 "$pdir" "$pdir/run" "$pdir/swanctl"
	cat >"$pdir/run/strongswan.conf" <<CONF
charon {
	load = random nonce kdf openssl pem pkcs1 x509 kernel-netlink socket-default vici
	filelog { log { path = /run/charon.log
		default = 1 } }
}
swanctl { load = pem pkcs1 x509 openssl random }
CONF
	cat >"$pdir/swanctl/swanctl.conf" <<CONF
connections { lab { local_addrs = $3
	remote_addrs = $4
	proposals = aes128gcm16-prfsha256-ecp256
	local { auth = psk
		id = $1 }
	remote { auth = psk
		id = $2 }
	children { net { local_ts = $5
		remote_ts = $6
		esp_proposals = aes128gcm16
		start_action = trap } } } }
secrets { ike { id-1 = $1
	id-2 = $2
	secret = $psk } }
CONF
	ip netns exec "$1" unshare -m sh -c "$start_charon" sh "$pdir"
}
peer "$a" "$b" 192.0.2.1 192.0.2.2 10.1.0.0/16 10.2.0.0/16 &
peer "$b" "$a" 192.0.2.2 192.0.2.1 10.2.0.0/16 10.1.0.0/16 &
wait
n=0
until ip -n "$a" xfrm policy | grep -q 'src 10.1.0.0/16 dst 10.2.0.0/16' &&
      ip -n "$b" xfrm policy | grep -q 'src 10.2.0.0/16 dst 10.1.0.0/16'; do
	n=$((n + 1))
	[ $n -lt 1200 ] || { echo "$0: no trap policies after 60 s" >&2; exit 1; }
	sleep 0.05
done

#!/bin/sh
# Baseline for `make bench`: what bringing the default lab up takes with the
# usual tools -- ip, unshare, charon and swanctl -- the way a person would
# script it. Builds the same two-peer lab as `ikelab up` (namespaces, veth,
# addresses, routes, one charon per peer in a private mount namespace,
# connection and PSK loaded with swanctl) and returns once both trap policies
# are in the kernel. Usage: baseline-up.sh DIR NAME; baseline-down.sh undoes.
set -eu
dir=$1
name=$2
a=$name-alice
b=$name-bob
psk=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')

ip netns add $a
ip netns add $b
ip -n $a link add eth0 type veth peer name eth0 netns $b
ip -n $a addr add 192.0.2.1/24 dev eth0
ip -n $b addr add 192.0.2.2/24 dev eth0
ip -n $a addr add 10.1.0.1/16 dev lo
ip -n $b addr add 10.2.0.1/16 dev lo
for ns in $a $b; do
	ip -n $ns link set lo up
	ip -n $ns link set eth0 up
done
ip -n $a route add 10.2.0.0/16 via 192.0.2.2
ip -n $b route add 10.1.0.0/16 via 192.0.2.1

peer() {	# me other me_ip other_ip me_net other_net
	mkdir -p $dir/$1/run $dir/$1/swanctl
	cat >$dir/$1/run/strongswan.conf <<CONF
charon {
	load = random nonce kdf openssl pem pkcs1 x509 kernel-netlink socket-default vici
	filelog { log { path = /run/charon.log
		default = 1 } }
}
swanctl { load = pem pkcs1 x509 openssl random }
CONF
	cat >$dir/$1/swanctl/swanctl.conf <<CONF
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
	# charon and swanctl see the peer's private /run and configuration.
	ip netns exec $1 unshare -m sh -c "
		mount --make-rslave /
		mount --bind $dir/$1/swanctl /etc/swanctl
		mount --bind $dir/$1/run/strongswan.conf /etc/strongswan.conf
		mount --bind $dir/$1/run /run
		STRONGSWAN_CONF=/run/strongswan.conf /usr/lib/ipsec/charon >/dev/null 2>&1 &
		while ! swanctl --stats >/dev/null 2>&1; do sleep 0.05; done
		swanctl --load-all >/dev/null 2>&1
	"
}
peer $a $b 192.0.2.1 192.0.2.2 10.1.0.0/16 10.2.0.0/16 &
peer $b $a 192.0.2.2 192.0.2.1 10.2.0.0/16 10.1.0.0/16 &
wait
until ip -n $a xfrm policy | grep -q 'src 10.1.0.0/16 dst 10.2.0.0/16' &&
      ip -n $b xfrm policy | grep -q 'src 10.2.0.0/16 dst 10.1.0.0/16'; do
	sleep 0.05
done

#!/bin/bash
# Configurations beyond one connection with one CHILD_SA: two CHILD_SAs in
# one IKE_SA with their own traffic selectors, trap policies and traffic,
# started on demand and by name, one of them rekeyed while the recorder
# watches.
. "$(dirname "$0")/lib.sh"

sas_raw() {	# lab peer
	"$IKELAB" exec --name "$1" "$2" -- swanctl --list-sas --raw
}

# ---- two CHILD_SAs in one IKE_SA ----------------------------------------
up mc --topology "$ROOT/topologies/two-subnets.yaml" --peers "$ROOT/peers/two-children.yaml"
for pol in "10.1.0.0/16 === 10.2.0.0/16" "10.3.0.0/16 === 10.4.0.0/16"; do
	grep -q "trap policy $pol" "$WORK/up.mc" || { cat "$WORK/up.mc"; fail "up does not list trap policy $pol"; }
done
# Each subnet pair has its own trap: traffic of each starts its own CHILD_SA.
for pair in "10.1.0.1 10.2.0.1" "10.3.0.1 10.4.0.1"; do
	set -- $pair
	"$IKELAB" exec --name mc alice -- ping -c 2 -i 0.2 -w 10 -I "$1" "$2" >/dev/null ||
		{ diag "$IKELAB_RUN/mc"; fail "no traffic $1 -> $2"; }
done
sas_raw mc bob >"$WORK/sas"
python3 - "$WORK/sas" <<'PY' || fail "list-sas: $(cat "$WORK/sas")"
import re, sys
text = open(sys.argv[1]).read()
ikes = re.findall(r"list-sa event \{(.*)\}", text)
assert len(ikes) == 1, f"{len(ikes)} IKE_SAs, expected 1"
kids = dict(re.findall(r"(net2?)-\d+ \{(.*?)\}\s*(?=net|\}\s*\}\s*\}|$)", ikes[0]))
assert sorted(kids) == ["net", "net2"], sorted(kids)
want = {"net": ("10.2.0.0/16", "10.1.0.0/16"), "net2": ("10.4.0.0/16", "10.3.0.0/16")}
reqids = set()
for name, body in kids.items():
    f = dict(re.findall(r"([a-z-]+)=([^ \]]+)", body))
    assert f["state"] == "INSTALLED", (name, f["state"])
    assert int(f["packets-in"]) >= 2 and int(f["packets-out"]) >= 2, (name, body)
    lts = re.search(r"local-ts=\[([^\]]*)\]", body).group(1).split()
    rts = re.search(r"remote-ts=\[([^\]]*)\]", body).group(1).split()
    assert (lts, rts) == ([want[name][0]], [want[name][1]]), (name, lts, rts)
    reqids.add(f["reqid"])
assert len(reqids) == 2, f"the CHILD_SAs share reqid {reqids}"
print("  ok: one IKE_SA, CHILD_SAs net and net2 installed with their own selectors, reqids and traffic")
PY
"$IKELAB" down --name mc >/dev/null

# ---- a run: each CHILD_SA initiated by name, one rekeyed -------------------
"$IKELAB" run "$ROOT/tests/integration/scenarios/two-children.yaml" --out "$WORK/run" \
	>"$WORK/run.out" 2>&1 || { cat "$WORK/run.out"; diag "$WORK/run"; fail "two-children run"; }
python3 - "$WORK/run/seed-1" <<'PY' || { cat "$WORK/run.out"; fail "two-children run's records"; }
import json, sys
d = sys.argv[1]
s = json.load(open(f"{d}/summary.json"))
assert s["verdict"] == "ok" and s["result"] == "pass", (s["verdict"], s["result"])
for name, p in s["peers"].items():
    assert p["max_child_installed"] == 2 and p["max_child_installed_per_ts"] == 1, (name, p)
    kids = sorted(c["name"] for c in p["final_sas"][0]["children"])
    assert len(p["final_sas"]) == 1 and kids == ["net", "net2"], (name, p["final_sas"])
assert s["peers"]["alice"]["child_rekeys"] == 1, s["peers"]["alice"]
print("  ok: verdict pass; one IKE_SA with net and net2 on each peer, net2 rekeyed, one per selector pair")
PY
# Each CHILD_SA on its own in children.csv and in the plot.
grep -q '^[0-9.]*,alice,net2,1$' "$WORK/run/seed-1/children.csv" || fail "children.csv: $(head "$WORK/run/seed-1/children.csv")"
"$IKELAB" plot "$WORK/run/seed-1" >/dev/null || fail "plot of the two-children run"
grep -q "title 'alice net2'" "$WORK/run/seed-1/timeline.gp" || fail "the plot has no line for alice's net2"
mkdir -p "$ROOT/build/test-artifacts" && cp "$WORK/run/seed-1/timeline.png" "$ROOT/build/test-artifacts/two-children.png"

# ---- certificates ---------------------------------------------------------
up pk --peers "$ROOT/peers/pubkey.yaml"
for f in ca.key alice.key bob.key; do
	assert_eq 600 "$(stat -c %a "$IKELAB_RUN/pk/pki/$f")" "mode of pki/$f"
done
assert_eq 700 "$(stat -c %a "$IKELAB_RUN/pk/pki")" "mode of pki/"
tunnel pk || fail "no traffic with certificates"
grep -q "authentication of 'alice' with ECDSA_WITH_SHA256_DER successful" \
	"$IKELAB_RUN/pk/bob/run/charon.log" || fail "bob did not authenticate alice by her certificate"
"$IKELAB" exec --name pk bob -- swanctl --list-certs >"$WORK/certs"
grep -q 'altNames:  alice' "$WORK/certs" && grep -q 'CN=ikelab pk CA' "$WORK/certs" ||
	fail "bob's certificates: $(cat "$WORK/certs")"
# The lab's own swanctl.conf loads the same again inside a peer.
"$IKELAB" exec --name pk alice -- swanctl --load-all >"$WORK/load-all" 2>&1 ||
	fail "swanctl --load-all in alice: $(cat "$WORK/load-all")"
grep -q "loaded certificate from '/etc/swanctl/x509/alice.pem'" "$WORK/load-all" ||
	fail "load-all: $(cat "$WORK/load-all")"
note "ok: certificates of the lab's CA, 0600 keys, pubkey authentication, traffic"
"$IKELAB" down --name pk >/dev/null
[ ! -e "$IKELAB_RUN/pk" ] || fail "down left the lab's certificates"

# The identities a report's configuration names, in the certificates too.
"$IKELAB" run "$ROOT/tests/integration/scenarios/pubkey-ids.yaml" --out "$WORK/ids" \
	>"$WORK/ids.out" 2>&1 || { cat "$WORK/ids.out"; diag "$WORK/ids"; fail "pubkey-ids run"; }
grep -q "authentication of 'moon.strongswan.org' with ECDSA_WITH_SHA256_DER successful" \
	"$WORK/ids/seed-1/bob/charon.log" || fail "bob did not authenticate moon.strongswan.org"
grep -q "id = moon.strongswan.org" "$WORK/ids/seed-1/alice/swanctl.conf" &&
	! grep -q "secret = \"[0-9a-f]" "$WORK/ids/seed-1/alice/swanctl.conf" ||
	fail "alice's swanctl.conf: $(cat "$WORK/ids/seed-1/alice/swanctl.conf")"
note "ok: local_id and remote_id, authenticated by certificates carrying them"

# ---- a NAT in between -------------------------------------------------------
up nt --topology "$ROOT/topologies/nat.yaml"
grep -q "nat .*masquerading alice" "$WORK/up.nt" || fail "up does not say the router masquerades alice"
tunnel nt || fail "no traffic through the NAT"
sas_raw nt bob >"$WORK/sas"
grep -q "encap=yes" "$WORK/sas" || fail "ESP is not in UDP behind the NAT: $(cat "$WORK/sas")"
grep -q "remote-host=198.51.100.1 " "$WORK/sas" && grep -q "nat-remote=yes" "$WORK/sas" ||
	fail "bob does not see alice behind the NAT's address: $(cat "$WORK/sas")"
port=$(sed -n 's/.*remote-port=\([0-9]*\).*/\1/p' "$WORK/sas")
[ -n "$port" ] && [ "$port" != 4500 ] || fail "the NAT kept alice's port 4500 ($port): no mapping"
note "ok: NAT-T, ESP in UDP, alice seen at 198.51.100.1:$port"
"$IKELAB" down --name nt >/dev/null

# The mapping changes (conntrack-flush) just before a rekey, which crosses
# the NAT on 4500 and is delayed there by a fault rule.
"$IKELAB" run "$ROOT/tests/integration/scenarios/nat-float.yaml" --out "$WORK/nat" \
	>"$WORK/nat.out" 2>&1 || { cat "$WORK/nat.out"; diag "$WORK/nat"; fail "nat-float run"; }
assert_no_module_requests "$WORK/nat/seed-1" "a NAT run"
python3 - "$WORK/nat/seed-1" <<'PY' || { cat "$WORK/nat.out"; fail "nat-float's records"; }
import json, re, sys
d = sys.argv[1]
s = json.load(open(f"{d}/summary.json"))
assert s["result"] == "pass", s["result"]
assert s["peers"]["alice"]["child_rekeys"] == 1, s["peers"]["alice"]
ev = [json.loads(l) for l in open(f"{d}/events.jsonl")]
flush = [e for e in ev if e["kind"] == "conntrack-flush"]
assert len(flush) == 1 and "error" not in flush[0], flush
wire = [e for e in ev if e["source"] == "wire" and e["kind"] == "delay"]
assert [e["exchange"] for e in wire] == ["CREATE_CHILD_SA"], wire
log = open(f"{d}/bob/charon.log").read()
m = re.findall(r"remote endpoint changed from 198\.51\.100\.1\[(\d+)\] to 198\.51\.100\.1\[(\d+)\]", log)
assert m and m[-1][0] != m[-1][1], "bob never saw alice's port float"
print(f"  ok: the rekey crossed the NAT on 4500 (delayed by the wire); alice's port floated {m[-1][0]} -> {m[-1][1]} after the flush")
PY

# ---- IPv6 and dual stack ----------------------------------------------------
up v6 --topology "$ROOT/topologies/ipv6.yaml"
"$IKELAB" exec --name v6 alice -- ping -c 2 -i 0.2 -w 10 -I 2001:db8:1::1 2001:db8:2::1 >/dev/null ||
	{ diag "$IKELAB_RUN/v6"; fail "no IPv6 traffic"; }
sas_raw v6 bob >"$WORK/sas"
grep -q "remote-host=2001:db8::1 " "$WORK/sas" && grep -q "state=INSTALLED" "$WORK/sas" ||
	fail "no IKE over IPv6: $(cat "$WORK/sas")"
assert_no_module_requests "$IKELAB_RUN/v6" "an IPv6 lab"
"$IKELAB" down --name v6 >/dev/null
note "ok: IKE and ESP over IPv6, IPv6 subnets"

# Dual stack: IKE over IPv6, one CHILD_SA for both families' subnets.
up ds --topology "$ROOT/topologies/dual-stack.yaml"
"$IKELAB" exec --name ds alice -- ping -c 2 -i 0.2 -w 10 -I 10.1.0.1 10.2.0.1 >/dev/null ||
	{ diag "$IKELAB_RUN/ds"; fail "no IPv4 traffic in the IPv6 tunnel"; }
"$IKELAB" exec --name ds alice -- ping -c 2 -i 0.2 -w 10 -I 2001:db8:1::1 2001:db8:2::1 >/dev/null ||
	{ diag "$IKELAB_RUN/ds"; fail "no IPv6 traffic in the IPv6 tunnel"; }
sas_raw ds bob >"$WORK/sas"
python3 - "$WORK/sas" <<'PY' || fail "dual stack: $(cat "$WORK/sas")"
import re, sys
t = open(sys.argv[1]).read()
assert "remote-host=2001:db8::1 " in t, "IKE is not over IPv6"
assert len(re.findall(r"net-\d+ \{", t)) == 1, "not one CHILD_SA"
assert re.search(r"local-ts=\[10\.2\.0\.0/16 2001:db8:2::/48\]", t), "selectors"
assert int(re.search(r"packets-in=(\d+)", t).group(1)) >= 4, "both families' packets"
print("  ok: dual stack, IPv4 and IPv6 traffic in one CHILD_SA over IPv6")
PY
"$IKELAB" down --name ds >/dev/null

# A run over IPv6 with a router: probes, the recorder and the fault wire
# (ip6tables-legacy NFQUEUE, an IPv6 raw socket for the duplicate) and netem.
"$IKELAB" run "$ROOT/tests/integration/scenarios/ipv6-wire.yaml" --out "$WORK/v6w" \
	>"$WORK/v6w.out" 2>&1 || { cat "$WORK/v6w.out"; diag "$WORK/v6w"; fail "ipv6-wire run"; }
assert_no_module_requests "$WORK/v6w/seed-1" "an IPv6 run"
python3 - "$WORK/v6w/seed-1" <<'PY' || { cat "$WORK/v6w.out"; fail "ipv6-wire's records"; }
import json, sys
d = sys.argv[1]
s = json.load(open(f"{d}/summary.json"))
assert s["result"] == "pass", s["result"]
for k, v in s["traffic"].items():
    assert v["tx"] > 500 and v["lost"] == 0, (k, v)
ev = [json.loads(l) for l in open(f"{d}/events.jsonl")]
wire = [(e["kind"], e["exchange"], e["src"]) for e in ev if e["source"] == "wire"]
assert ("duplicate", "IKE_AUTH", "2001:db8:a::2") in wire, wire
assert ("delay", "CREATE_CHILD_SA", "2001:db8:b::2") in wire, wire
assert any(e["kind"] == "netem" and "error" not in e for e in ev), "netem"
exp = [e for e in ev if e["kind"] == "expire" and e["source"] == "schedule"]
assert len(exp) == 1 and "error" not in exp[0], exp
assert s["peers"]["alice"]["expires_soft"] >= 1, s["peers"]["alice"]
print(f"  ok: IPv6 probes both ways without loss; the wire duplicated IKE_AUTH and delayed bob's rekey ({len(wire)} wire events)")
PY

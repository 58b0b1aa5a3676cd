"""The fault wire on a real kernel: run by tests/wire/run.sh inside its
scratch namespaces a -- r -- b, with the wiretest driver at argv[1].

Fake IKE messages (correct IKEv2 headers, a tag in the body) go from a to
b and back as UDP on 500 and 4500, with ESP in UDP, garbage and other
ports beside them; every datagram is timed from send to arrival.
"""
import ctypes
import json
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import time

DRIVER = sys.argv[1]
NS_A, NS_R, NS_B = "ikelab-wiretest-a", "ikelab-wiretest-r", "ikelab-wiretest-b"
A, B = "10.0.1.2", "10.0.2.2"
QUEUE = 7
IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL = 34, 35, 36, 37
RESPONSE, INITIATOR = 0x20, 0x08

libc = ctypes.CDLL(None, use_errno=True)


def fail(msg):
    print(f"FAIL [wire]: {msg}", file=sys.stderr)
    sys.exit(1)


def note(msg):
    print(f"  [wire] {msg}", flush=True)


def expect(cond, msg):
    if not cond:
        fail(msg)


def now():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def enter(ns):
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:    # CLONE_NEWNET
        fail(f"setns {ns}: {os.strerror(ctypes.get_errno())}")
    os.close(fd)


def sockets(ns, addr):
    """UDP sockets on 500, 4500 and 9999, living in namespace ns."""
    enter(ns)
    socks = {}
    for port in (500, 4500, 9999):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, port))
        s.setblocking(False)
        socks[port] = s
    return socks


def tagged(tag):
    return tag.encode().ljust(16, b".")


def ike(tag, exchange, flags, msgid, natt=False):
    body = tagged(tag)
    hdr = struct.pack(">QQBBBBII", 0x1122334455667788, 0 if exchange == IKE_SA_INIT else 0x99,
                      33, 0x20, exchange, flags, msgid, 28 + len(body))
    return (b"\0\0\0\0" if natt else b"") + hdr + body


class Driver:
    def __init__(self, *rules, queue=QUEUE):
        self.p = subprocess.Popen([DRIVER, NS_R, str(queue), *rules], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
        self.buf = b""
        self.lines = []

    def fd(self):
        return self.p.stdout.fileno()

    def read(self):
        data = os.read(self.fd(), 65536)
        if not data:
            return False
        self.buf += data
        while b"\n" in self.buf:
            l, self.buf = self.buf.split(b"\n", 1)
            self.lines.append(json.loads(l))
        return True

    def wait_for(self, key, timeout=5.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for l in self.lines:
                if key in l:
                    return l
                if "error" in l:
                    fail(f"driver: {l['error']}")
            r, _, _ = select.select([self.fd()], [], [], end - time.monotonic())
            if r and not self.read():
                break
        fail(f"driver: no '{key}' line within {timeout} s (lines: {self.lines})")

    def send(self, cmd):
        self.p.stdin.write(cmd.encode() + b"\n")
        self.p.stdin.flush()

    def events(self, rule=None, released=None):
        return [l for l in self.lines if "event" in l and (rule is None or l["rule"] == rule)
                and (released is None or l["released"] == released)]


class Net:
    def __init__(self):
        self.a = sockets(NS_A, A)
        self.b = sockets(NS_B, B)
        self.sent = {}
        self.got = {}       # tag -> [(arrival ns, receiving side, port)]

    def send(self, side, port, tag, data, dport=None):
        socks, dst = (self.a, B) if side == "a" else (self.b, A)
        self.sent[tag] = now()
        socks[port].sendto(data, (dst, dport or port))

    def collect(self, seconds, drv=None):
        end = now() + int(seconds * 1e9)
        where = {s.fileno(): (side, port, s) for side, socks in (("a", self.a), ("b", self.b))
                 for port, s in socks.items()}
        while now() < end:
            fds = list(where) + ([drv.fd()] if drv else [])
            r, _, _ = select.select(fds, [], [], (end - now()) / 1e9)
            for fd in r:
                if drv and fd == drv.fd():
                    drv.read()
                    continue
                side, port, s = where[fd]
                data = s.recv(65536)
                tag = data[-16:].rstrip(b".").decode(errors="replace")
                self.got.setdefault(tag, []).append((now(), side, port))

    def arrivals(self, tag):
        return len(self.got.get(tag, []))

    def latency_ms(self, tag, i=0):
        return (self.got[tag][i][0] - self.sent[tag]) / 1e6


def forward_rules():
    out = subprocess.run(["ip", "netns", "exec", NS_R, "iptables-legacy", "-w", "-S", "FORWARD"],
                         capture_output=True, text=True)
    expect(out.returncode == 0, f"iptables-legacy -S FORWARD in {NS_R}: {out.stderr.strip()}")
    return [l for l in out.stdout.splitlines() if "NFQUEUE" in l]


def main():
    net = Net()
    expect(forward_rules() == [], "an NFQUEUE rule before the wire was opened")

    note("delay, drop, duplicate, hold, nth, from; ESP, garbage and other ports pass")
    drv = Driver("hold-init:hold:exchange=IKE_SA_INIT,response=0,hold=go",
                 "delay-auth:delay:exchange=IKE_AUTH,delay=300",
                 "drop-info7:drop:exchange=INFORMATIONAL,id=7",
                 "dup-info8:duplicate:exchange=INFORMATIONAL,id=8",
                 "nth-ccsa:drop:exchange=CREATE_CHILD_SA,response=1,nth=2",
                 f"from-b:drop:exchange=INFORMATIONAL,from={B}")
    drv.wait_for("ready")
    rules = forward_rules()
    expect(len(rules) == 1 and f"--queue-num {QUEUE}" in rules[0] and "--queue-bypass" in rules[0]
           and "500,4500" in rules[0], f"the rule in {NS_R}: {rules}")

    net.send("a", 500, "H", ike("H", IKE_SA_INIT, INITIATOR, 0))
    net.send("b", 500, "R", ike("R", IKE_SA_INIT, RESPONSE, 0))
    net.send("a", 4500, "D", ike("D", IKE_AUTH, INITIATOR, 1, natt=True))
    net.send("a", 500, "X", ike("X", INFORMATIONAL, INITIATOR, 7))
    net.send("a", 500, "U", ike("U", INFORMATIONAL, INITIATOR, 8))
    for i, tag in enumerate(("C1", "C2", "C3")):
        net.send("a", 4500, tag, ike(tag, CREATE_CHILD_SA, RESPONSE, 2 + i, natt=True))
    net.send("a", 500, "P", ike("P", INFORMATIONAL, INITIATOR, 9))
    net.send("b", 500, "Q", ike("Q", INFORMATIONAL, 0, 9))
    net.send("a", 4500, "E", struct.pack(">II", 0xc0ffee01, 1) + b"\x55" * 32 + tagged("E"))
    net.send("a", 500, "G", b"\x01\x02garbage" + tagged("G"))
    net.send("a", 9999, "O", tagged("O"))
    net.collect(0.7, drv)

    expect(net.arrivals("H") == 0, "held IKE_SA_INIT request arrived before its release")
    for tag in ("R", "C1", "C3", "P", "E", "G", "O"):
        expect(net.arrivals(tag) == 1, f"{tag}: {net.arrivals(tag)} arrivals, expected 1")
        expect(net.latency_ms(tag) < 100, f"{tag}: passed in {net.latency_ms(tag):.1f} ms, expected at once")
    expect(net.got["R"][0][1] == "a" and net.got["E"][0][2] == 4500, "arrived at the wrong end")
    for tag in ("X", "C2", "Q"):
        expect(net.arrivals(tag) == 0, f"{tag}: dropped message arrived")
    expect(net.arrivals("D") == 1, f"D: {net.arrivals('D')} arrivals, expected 1")
    d = net.latency_ms("D")
    expect(295 <= d <= 400, f"IKE_AUTH delayed by {d:.1f} ms, expected 300")
    expect(net.arrivals("U") == 2, f"duplicated message arrived {net.arrivals('U')} times, expected 2")
    passed = max(net.latency_ms(t) for t in ("R", "C1", "C3", "P", "E", "G", "O"))
    note(f"delay 300 ms measured {d:.1f} ms; duplicate arrived 2x "
         f"({net.latency_ms('U', 0):.2f} / {net.latency_ms('U', 1):.2f} ms); "
         f"others passed within {passed:.2f} ms while one message was held")

    rel = now()
    drv.send("release go")
    net.collect(0.3, drv)
    expect(drv.wait_for("release") == {"release": "go", "count": 1}, "release go: count")
    expect(net.arrivals("H") == 1, f"H: {net.arrivals('H')} arrivals after release, expected 1")
    after = (net.got["H"][0][0] - rel) / 1e6
    expect(after < 100, f"held message arrived {after:.1f} ms after release")
    note(f"held for {net.latency_ms('H'):.0f} ms, arrived {after:.2f} ms after release")
    net.send("a", 500, "H2", ike("H2", IKE_SA_INIT, INITIATOR, 0))
    net.collect(0.2, drv)
    expect(net.arrivals("H2") == 1 and net.latency_ms("H2") < 100, "a hold once released still holds")

    drv.send("close")
    closed = drv.wait_for("closed")
    expect(drv.p.wait(5) == 0, f"driver exit status {drv.p.returncode}")
    expect(closed["verdict_errors"] == 0 and closed["overruns"] == 0, f"stats: {closed}")
    # Queued: all but the datagram to 9999; IKE: all but the ESP and garbage.
    expect((closed["packets"], closed["ike"]) == (13, 11), f"stats: {closed}")
    check_events(drv)
    expect(forward_rules() == [], f"the NFQUEUE rule outlived wire_close: {forward_rules()}")
    net.send("a", 500, "X2", ike("X2", INFORMATIONAL, INITIATOR, 7))
    net.send("a", 4500, "C4", ike("C4", CREATE_CHILD_SA, RESPONSE, 3, natt=True))
    net.collect(0.2)
    expect(net.arrivals("X2") == 1 and net.arrivals("C4") == 1, "traffic does not flow after wire_close")
    note("after close: rule gone, traffic flows")

    note("a bound queue is refused; a killed controller lets traffic through")
    drv = Driver("all:drop")
    drv.wait_for("ready")
    other = subprocess.run([DRIVER, NS_R, str(QUEUE), "x:drop"], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=10)
    err = json.loads(other.stdout.splitlines()[-1]).get("error", "") if other.stdout else ""
    expect(other.returncode == 1 and f"queue {QUEUE}" in err and "another process" in err
           and NS_R in err, f"second bind: exit {other.returncode}, '{err}'")
    note(f"refused: {err}")
    net.send("a", 500, "K1", ike("K1", INFORMATIONAL, INITIATOR, 1))
    net.collect(0.2, drv)
    expect(net.arrivals("K1") == 0, "drop-all did not drop")
    drv.p.kill()
    drv.p.wait()
    net.send("a", 500, "K2", ike("K2", INFORMATIONAL, INITIATOR, 2))
    net.collect(0.2)
    expect(net.arrivals("K2") == 1, "after the controller died, traffic did not flow (queue bypass)")
    expect(len(forward_rules()) == 1, "the rule of a killed controller should stay until the namespace goes")
    subprocess.run(["ip", "netns", "exec", NS_R, "iptables-legacy", "-w", "-F", "FORWARD"], check=True)

    note("iptables-legacy failing: a clear error, the queue unbound again")
    with tempfile.TemporaryDirectory() as bin:
        with open(f"{bin}/iptables-legacy", "w") as f:
            f.write("#!/bin/sh\necho 'iptables v0 (legacy): no NFQUEUE here' >&2\nexit 2\n")
        os.chmod(f"{bin}/iptables-legacy", 0o755)
        env = dict(os.environ, PATH=f"{bin}:{os.environ['PATH']}")
        out = subprocess.run([DRIVER, NS_R, str(QUEUE), "x:drop"], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, env=env, timeout=10)
    err = json.loads(out.stdout.splitlines()[-1]).get("error", "") if out.stdout else ""
    expect(out.returncode == 1 and f"router {NS_R} (queue {QUEUE})" in err and "no NFQUEUE here" in err
           and "iptables-legacy -A FORWARD" in err, f"failing iptables: exit {out.returncode}, '{err}'")
    note(f"refused: {err}")
    drv = Driver("x:drop")
    drv.wait_for("ready")
    drv.send("close")
    drv.wait_for("closed")
    expect(drv.p.wait(5) == 0 and forward_rules() == [], "the wire after a failed open")
    print("wire: all checks passed")


def check_events(drv):
    def one(rule, released=False):
        ev = drv.events(rule, released)
        expect(len(ev) == 1, f"{rule}: {len(ev)} events (released={released}), expected 1: {ev}")
        return ev[0]

    h = one("hold-init")
    expect((h["event"], h["exchange"], h["response"], h["initiator"], h["msgid"], h["src"], h["dst"],
            h["sport"], h["dport"], h["natt"], h["spi_i"]) ==
           ("hold", "IKE_SA_INIT", 0, 1, 0, A, B, 500, 500, 0, "1122334455667788"), f"hold event: {h}")
    h = one("hold-init", True)
    expect(h["kept_ns"] > 600e6, f"hold release event: {h}")
    d = one("delay-auth")
    expect((d["exchange"], d["natt"], d["dport"], d["msgid"]) == ("IKE_AUTH", 1, 4500, 1), f"delay: {d}")
    d = one("delay-auth", True)
    expect(299e6 <= d["kept_ns"] <= 350e6, f"delay released after {d['kept_ns'] / 1e6} ms")
    expect((one("drop-info7")["msgid"], one("dup-info8")["event"]) == (7, "duplicate"), "drop/dup events")
    c = one("nth-ccsa")
    expect((c["nth"], c["msgid"], c["response"], c["event"]) == (2, 3, 1, "drop"), f"nth event: {c}")
    f = one("from-b")
    expect((f["src"], f["dst"], f["msgid"]) == (B, A, 9), f"from event: {f}")
    counters = {l["rule"]: l for l in drv.lines if "seen" in l}
    want = {
        "hold-init": (2, 1, 1, 1), "delay-auth": (1, 1, 1, 0), "drop-info7": (1, 1, 0, 0),
        "dup-info8": (1, 1, 0, 0), "nth-ccsa": (3, 1, 0, 0), "from-b": (1, 1, 0, 0),
    }
    for rule, w in want.items():
        c = counters[rule]
        expect((c["seen"], c["taken"], c["forwarded"], c["released"]) == w,
               f"{rule} counters {c}, expected seen/taken/forwarded/released {w}")


main()

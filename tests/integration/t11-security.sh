#!/bin/bash
# What a lab may touch, as README's SECURITY section says (issue 11): one
# check per finding of the audit, each failing on the code before its fix.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || fail "these checks need root"

# ---- 3. a failed up removes no namespace it does not own --------------------
# The user's own namespace with the name the lab would use.
LAB=it-sec
ip netns add $LAB-alice || fail "ip netns add $LAB-alice"
trap 'ip netns del $LAB-alice 2>/dev/null || true; cleanup' EXIT
rc=0
"$IKELAB" up --name $LAB --kernel host >"$WORK/up.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "up succeeded over the user's namespace $LAB-alice"
ip netns list | grep -q "^$LAB-alice" || fail "the failed up removed the user's $LAB-alice"
grep -q "network namespace $LAB-alice exists and is not this lab's" "$WORK/up.out" ||
	{ cat "$WORK/up.out"; fail "up does not say whose namespace is in the way"; }
[ ! -e "$IKELAB_RUN/$LAB" ] || "$IKELAB" down --name $LAB >/dev/null 2>&1
ip netns list | grep -q "^$LAB-alice" || fail "down removed the user's $LAB-alice"
ip netns del $LAB-alice
note "up over the user's namespace: refused, and the namespace survived up and down"

# Another lab of the same name under another IKELAB_RUN: the second up
# fails and the first lab keeps its namespaces.
LABS="$LABS $LAB"
up $LAB --kernel host
other=$(mktemp -d "$WORK/run2.XXXXXX")
rc=0
IKELAB_RUN=$other "$IKELAB" up --name $LAB --kernel host >"$WORK/up2.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a second lab $LAB under another IKELAB_RUN came up"
IKELAB_RUN=$other "$IKELAB" down --name $LAB >/dev/null 2>&1 || true
for n in alice bob; do
	ip netns list | grep -q "^$LAB-$n" || fail "the second lab removed the first's $LAB-$n"
done
"$IKELAB" status --name $LAB >/dev/null || fail "the first lab no longer answers"
"$IKELAB" down --name $LAB >/dev/null || fail "down"
assert_no_leftovers $LAB
note "a second lab of the same name elsewhere: refused, the first lab untouched"

# ---- 1. bench writes nothing through planted /tmp symlinks ------------------
# Another user's links at the fixed paths that bench and the baseline scripts
# once used as root: one to a directory of theirs (the lab's PSK and a
# strongswan.conf would land there), one to a file (overwritten).
planted=$(mktemp -d "$WORK/planted.XXXXXX")
echo "the victim's file" >"$planted/file"
mkdir "$planted/theirs"
for l in /tmp/ikelab-baseline /tmp/ikelab-bench-record; do
	[ ! -e "$l" ] && [ ! -L "$l" ] || fail "$l exists before the test"
done
ht_unplant() { rm -f /tmp/ikelab-baseline /tmp/ikelab-bench-record; }
trap 'ht_unplant; cleanup' EXIT
ln -s "$planted/theirs" /tmp/ikelab-baseline
ln -s "$planted/file" /tmp/ikelab-bench-record
timeout 300 "$IKELAB" bench up --rounds 1 --kernel host >"$WORK/bench-up.out" 2>&1 ||
	{ cat "$WORK/bench-up.out" >&2; fail "bench up"; }
timeout 300 "$IKELAB" bench record --duration 1 --kernel host >"$WORK/bench-rec.out" 2>&1 ||
	{ cat "$WORK/bench-rec.out" >&2; fail "bench record"; }
[ "$(readlink /tmp/ikelab-baseline)" = "$planted/theirs" ] || fail "/tmp/ikelab-baseline was replaced"
[ "$(readlink /tmp/ikelab-bench-record)" = "$planted/file" ] || fail "/tmp/ikelab-bench-record was replaced"
[ -z "$(ls -A "$planted/theirs")" ] ||
	fail "bench wrote through /tmp/ikelab-baseline: $(find "$planted/theirs" | tr '\n' ' ')"
[ "$(cat "$planted/file")" = "the victim's file" ] || fail "bench wrote through /tmp/ikelab-bench-record"
ls -d /tmp/ikelab-baseline.* /tmp/ikelab-bench-record.* 2>/dev/null && fail "bench left scratch directories"
# The scripts refuse a directory that is not private.
open=$(mktemp -d "$WORK/open.XXXXXX")
chmod 0777 "$open"
rc=0
sh "$ROOT/scripts/baseline-up.sh" "$open" ht-bl >"$WORK/bl.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && grep -q "not a private directory" "$WORK/bl.out" ||
	{ cat "$WORK/bl.out" >&2; fail "baseline-up.sh accepted a 0777 directory"; }
! ip netns list | grep -q "^ht-bl-" || fail "baseline-up.sh built a lab in a 0777 directory"
ht_unplant
trap cleanup EXIT
note "bench up and bench record with planted /tmp symlinks: nothing written through them; the baseline script refuses a 0777 directory"

# ---- 6. a run directory base that is not private is refused -----------------
open=$(mktemp -d "$WORK/base.XXXXXX")
chmod 0777 "$open"
IKELAB_RUN=$open expect_one_line_error "$IKELAB" up --name ht-base --kernel host
grep -q "run directory base $open is writable by group or others (mode 0777)" "$WORK/err" ||
	fail "the error does not name the base and what is wrong"
[ ! -e "$open/ht-base" ] || fail "a lab directory was made in a 0777 base"
! ip netns list | grep -q "^ht-base-" || fail "a lab was built from a 0777 base"
note "a 0777 IKELAB_RUN: refused before anything is built (tests/unit/test_state.c has the rest)"

# ---- 10. only the lab's own user reaches its broker -------------------------
# Under umask 000, which the socket must not inherit.
LABS="$LABS ht-sock"
(umask 000 && up ht-sock)
sock=$IKELAB_RUN/ht-sock/broker.sock
assert_eq 600 "$(stat -c %a "$sock")" "mode of broker.sock"
assert_eq 700 "$(stat -c %a "$IKELAB_RUN/ht-sock")" "mode of the run directory"
# A client of another uid: as nobody outright, and with only its effective
# uid nobody (file-system uid root: past the modes, so the broker's own
# SO_PEERCRED check is what stops it). Exit 10: connect refused, 12: the
# broker closed the connection at once, 11: it let the client in.
peer_try() {	# socket nobody|euid
	python3 - "$1" "$2" <<'PY'
import ctypes, os, socket, sys
path, how = sys.argv[1], sys.argv[2]
libc = ctypes.CDLL(None, use_errno=True)
pid = os.fork()
if pid == 0:
    os.setgroups([])
    if how == "nobody":
        os.setgid(65534)
        os.setuid(65534)
    else:
        os.setresuid(0, 65534, 0)
        libc.setfsuid(0)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(path)
    except PermissionError:
        os._exit(10)
    try:
        os._exit(12 if s.recv(1) == b"" else 13)
    except socket.timeout:
        os._exit(11)
    except ConnectionResetError:
        os._exit(12)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
PY
}
rc=0; peer_try "$sock" nobody || rc=$?
assert_eq 10 "$rc" "nobody connecting to broker.sock (10: refused by the modes)"
rc=0; peer_try "$sock" euid || rc=$?
assert_eq 12 "$rc" "euid nobody connecting to broker.sock (12: closed by the broker)"
grep -q "refused a client of uid 65534" "$IKELAB_RUN/ht-sock/broker.log" ||
	fail "broker.log does not record the refusal"
"$IKELAB" exec --name ht-sock alice -- true || fail "the lab's own user was refused"
"$IKELAB" down --name ht-sock >/dev/null || fail "down ht-sock"
assert_no_leftovers ht-sock
note "broker.sock is 0600 in a 0700 directory under umask 000; uid 65534 is refused (modes, then SO_PEERCRED, logged); root's exec works"

# ---- 9. no run directory holds the lab's PSK --------------------------------
# A short scenario under user-mode Linux; the PSK is read from the lab while
# it runs.
out=$WORK/run-psk
"$IKELAB" run "$ROOT/tests/integration/scenarios/netem-none.yaml" --name ht-psk --out "$out" \
	>"$WORK/run-psk.out" 2>&1 &
runpid=$!
LABS="$LABS ht-psk"
psk=""
for _ in $(seq 600); do
	psk=$(cat "$IKELAB_RUN/ht-psk/psk" 2>/dev/null || true)
	[ -z "$psk" ] && kill -0 $runpid 2>/dev/null || break
	sleep 0.1
done
rc=0; wait $runpid || rc=$?
[ "$rc" -eq 0 ] || { cat "$WORK/run-psk.out" >&2; fail "run netem-none ($rc)"; }
[ ${#psk} -eq 64 ] || fail "read no PSK from the lab while it ran ('$psk')"
ls "$out"/*/alice/swanctl.conf >/dev/null 2>&1 || ls "$out"/alice/swanctl.conf >/dev/null 2>&1 ||
	fail "the run kept no swanctl.conf: $(find "$out" | head -20 | tr '\n' ' ')"
for piece in "$psk" "${psk:0:16}" "${psk:16:16}" "${psk:32:16}" "${psk:48:16}"; do
	! grep -rlF "$piece" "$out" || fail "the run directory holds the PSK (or a piece: $piece)"
done
! grep -rhE '^[[:space:]]*secret[[:space:]]*=' "$out" | grep -v "<redacted: the lab's random PSK>" ||
	fail "a secret = line is not redacted"
grep -rqF "secret = <redacted: the lab's random PSK>" "$out" || fail "swanctl.conf lost its secret line"
assert_no_leftovers ht-psk
note "run netem-none: no file of the run directory holds the PSK; swanctl.conf keeps 'secret = <redacted ...>'"

# ---- 7. down of a stopped user-mode Linux kernel returns in time ------------
up ht-stop
uml_pids=$(python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
print(d['uml']['pid'], d['broker']['pid'])" "$IKELAB_RUN/ht-stop/uml.json")
read -r kpid bpid <<<"$uml_pids"
kill -STOP -- -"$kpid" "$kpid" "$bpid"
t0=$(date +%s)
rc=0
timeout -k 10 120 "$IKELAB" down --name ht-stop >"$WORK/down-stop.out" 2>&1 || rc=$?
secs=$(($(date +%s) - t0))
if [ "$rc" -ne 0 ]; then
	kill -CONT -- -"$kpid" "$kpid" "$bpid" 2>/dev/null || true
	cat "$WORK/down-stop.out" >&2
	fail "down of a lab whose kernel and broker are stopped: status $rc after $secs s"
fi
[ "$secs" -le 60 ] || fail "down took $secs s, past its 60 s deadline"
assert_no_leftovers ht-stop
note "down with the kernel's process group and the broker SIGSTOPped: done in $secs s, nothing left"

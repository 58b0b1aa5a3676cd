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

# ---- 4. files are created exclusively, in directories that are ours ----------
# An --out or IKELAB_RUN directory that others may write, that another user
# owns or that is a symbolic link is refused before anything is written
# there; links planted where the recorder writes (the guest of a UML lab can
# write its run directory) are replaced, never written through.
LAB=it-files
refused() {	# what expected-message command...
	local what=$1 msg=$2 rc=0
	shift 2
	"$@" >"$WORK/refused.out" 2>&1 || rc=$?
	[ "$rc" -ne 0 ] || fail "$what was accepted"
	grep -q -- "$msg" "$WORK/refused.out" ||
		{ cat "$WORK/refused.out"; fail "$what: the error does not say '$msg'"; }
}
mkdir -m 0777 "$WORK/open"
refused "--out writable by others" "writable by group and others" \
	"$IKELAB" record --name $LAB --duration 1 --out "$WORK/open"
refused "--out below a directory writable by others" "on its way is writable by group and others" \
	"$IKELAB" record --name $LAB --duration 1 --out "$WORK/open/sub"
[ -z "$(ls -A "$WORK/open")" ] || fail "record wrote into $WORK/open"
mkdir "$WORK/theirs"
chown 65534:65534 "$WORK/theirs"
refused "--out owned by another user" "it is owned by uid 65534" \
	env -u SUDO_UID "$IKELAB" record --name $LAB --duration 1 --out "$WORK/theirs"
mkdir "$WORK/real"
ln -s "$WORK/real" "$WORK/link"
refused "--out a symbolic link" "is a symbolic link" \
	"$IKELAB" record --name $LAB --duration 1 --out "$WORK/link"
rc=0
IKELAB_RUN="$WORK/open" "$IKELAB" up --name $LAB --kernel host >"$WORK/up4.out" 2>&1 || rc=$?
if [ "$rc" -eq 0 ]; then
	IKELAB_RUN="$WORK/open" "$IKELAB" down --name $LAB >/dev/null 2>&1 || true
	fail "up under an IKELAB_RUN writable by others succeeded"
fi
grep -q "writable by group or others" "$WORK/up4.out" || { cat "$WORK/up4.out"; fail "up does not say why"; }
! ip netns list | grep -q "^$LAB-" || fail "up made namespaces under a refused IKELAB_RUN"
note "--out and IKELAB_RUN writable by others, another user's or a link: refused, nothing written"

up $LAB --kernel host
out="$WORK/rec"
mkdir "$out"
echo precious >"$WORK/victim"
planted="events.jsonl timeline.csv traffic.csv probe-alice.err summary.json"
for f in $planted; do
	ln -s "$WORK/victim" "$out/$f"
done
"$IKELAB" record --name $LAB --duration 1 --traffic 20 --out "$out" >"$WORK/rec.out" 2>&1 ||
	{ cat "$WORK/rec.out"; fail "record into a folder with planted links"; }
[ "$(cat "$WORK/victim")" = precious ] || fail "record wrote through a planted link: $(head -c 200 "$WORK/victim")"
for f in $planted; do
	[ -f "$out/$f" ] && [ ! -L "$out/$f" ] || fail "$out/$f is not a file record made"
done
"$IKELAB" down --name $LAB >/dev/null || fail "down"
assert_no_leftovers $LAB
note "links planted at the recorder's files: replaced, their target untouched"

# ---- 2. a scenario or profile runs nothing unasked ---------------------------
# A start-script (charon runs it as root through popen) in a profile and in
# a scenario's per-peer set: refused before anything is built, at the
# setting's own line and column, naming --trust; with --trust the same file
# passes the check, and charon does run it.
LAB=it-trust
START='          start-scripts {
            mark = /bin/touch /run/started-by-the-file
          }'
cat >"$WORK/pwn.yaml" <<YAML
name: pwn
base: $ROOT/peers/auto-route.yaml
strongswan_conf: |
  charon {
    start-scripts {
      mark = /bin/touch /run/started-by-the-file
    }
  }
YAML
cat >"$WORK/pwn-scenario.yaml" <<YAML
name: pwn
topology: $ROOT/topologies/two-peer.yaml
profile: $ROOT/peers/auto-route.yaml
duration: 5s
peers:
  - name: alice
    set:
      strongswan_conf: |
        charon {
$START
        }
YAML
expect_one_line_error "$IKELAB" run "$WORK/pwn-scenario.yaml" --out "$WORK/pwn-run" --name $LAB
grep -qF "pwn-scenario.yaml:10:11: peers[0].set.strongswan_conf: charon.start-scripts runs programs as root; pass --trust to allow it" "$WORK/err" ||
	fail "the refusal does not name file:line:col, the setting and --trust: $(cat "$WORK/err")"
[ ! -e "$WORK/pwn-run" ] || fail "a refused scenario got a run directory"
expect_one_line_error "$IKELAB" up --name $LAB --peers "$WORK/pwn.yaml"
grep -qF "pwn.yaml:5:5: strongswan_conf: charon.start-scripts runs programs as root; pass --trust to allow it" "$WORK/err" ||
	fail "the profile's refusal: $(cat "$WORK/err")"
assert_no_leftovers $LAB
note "start-scripts in a scenario and in a profile: refused at their line and column, nothing built"

# A run directory names a scenario somewhere else and keeps no copy: shrink
# runs nothing without --trust.
mkdir -p "$WORK/foreign/seed-1"
printf '{"scenario": "pwn", "scenario_file": "%s", "seed": 1, "result": "fail", "expectations": []}\n' \
	"$WORK/pwn-scenario.yaml" >"$WORK/foreign/seed-1/summary.json"
expect_one_line_error "$IKELAB" shrink "$WORK/foreign/seed-1"
grep -q "keeps no copy of its scenario.*pass --trust to allow it" "$WORK/err" || fail "shrink's refusal: $(cat "$WORK/err")"
[ ! -e "$WORK/foreign/seed-1/shrink" ] || fail "shrink ran candidates of a run directory's foreign scenario"
note "shrink of a run directory that names a scenario elsewhere: refused, nothing run"

# With --trust the scenario passes the check (it fails on the next step,
# the made-up kernel), and the profile's lab comes up with charon having
# run the start-script.
rc=0
"$IKELAB" run "$WORK/pwn-scenario.yaml" --trust --kernel none --out "$WORK/pwn-run" >"$WORK/out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && grep -q -- "--kernel must be auto, host or uml, not 'none'" "$WORK/out" ||
	fail "run --trust did not get past the file check: $(cat "$WORK/out")"
LABS="$LABS $LAB"
up $LAB --kernel host --peers "$WORK/pwn.yaml" --trust
# charon runs its start-scripts once its threads run, so VICI may have
# loaded the lab (and up returned) before the script is done: wait 10 s.
for n in alice bob; do
	for _ in $(seq 100); do
		[ -e "$IKELAB_RUN/$LAB/$n/run/started-by-the-file" ] && break
		sleep 0.1
	done
	[ -e "$IKELAB_RUN/$LAB/$n/run/started-by-the-file" ] || fail "$n's charon did not run the start-script under --trust"
done
"$IKELAB" down --name $LAB >/dev/null || fail "down"
assert_no_leftovers $LAB
note "with --trust: the scenario passes the check; the profile's start-script ran in each charon"

# ---- 5. down signals only the lab's own processes ----------------------------
# uml.json names processes that are not the lab's -- what a recycled pid
# or a planted record looks like: down leaves them alone, and still takes
# the lab down. Decoys: a lone process, and a process group whose member
# started after its leader, as the kernel's helpers do.
DECOYS=""
stop_decoys() {
	local p

	for p in $DECOYS; do
		kill -KILL -- "-$p" 2>/dev/null || true
	done
}
trap 'stop_decoys; cleanup' EXIT
decoy() {	# -> pid of a new process group leader with one member
	setsid sh -c 'sleep 300 & exec sleep 300' </dev/null >/dev/null 2>&1 &
	DECOYS="$DECOYS $!"
	echo $!
}
start_of() {
	sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20
}
plant() {	# lab key pid: uml.json's record of key now names pid
	python3 - "$IKELAB_RUN/$1/host/uml.json" "$2" "$3" "$(start_of "$3")" <<'PY'
import json, sys
path, key, pid, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
d = json.load(open(path))
d.setdefault(key, {}).update(pid=pid, start=start)
json.dump(d, open(path + ".new", "w"))
PY
	mv "$IKELAB_RUN/$1/host/uml.json.new" "$IKELAB_RUN/$1/host/uml.json"
}
group_size() {	# live members (a killed decoy stays a zombie of ours)
	ps -o stat= -g "$1" | grep -vc '^Z' || true
}
recorded() {	# lab key
	jq_py "$IKELAB_RUN/$1/host/uml.json" "d['$2']['pid']"
}

# A live lab whose kernel record names another process group.
LAB=hu-pid
up $LAB --kernel uml
k=$(decoy)
sleep 0.3
[ "$(group_size $k)" -eq 2 ] || fail "decoy group $k did not start"
plant $LAB uml $k
"$IKELAB" down --name $LAB >/dev/null || fail "down of $LAB with a planted kernel record"
[ "$(group_size $k)" -eq 2 ] || fail "down killed the process group its kernel record named"
assert_no_leftovers $LAB
note "kernel record naming another process group: down left the group alone and cleaned up"

# A lab whose kernel died, its broker with it, and whose records then name
# other processes (its pid reused, or planted).
up $LAB --kernel uml
kernel=$(recorded $LAB uml)
broker=$(recorded $LAB broker)
kill -KILL "$kernel"
for _ in $(seq 100); do
	kill -0 "$broker" 2>/dev/null || break
	sleep 0.1
done
! kill -0 "$broker" 2>/dev/null || fail "the broker outlived its kernel by 10 s"
k=$(decoy)
b=$(decoy)
sleep 0.3
plant $LAB uml $k
plant $LAB broker $b
"$IKELAB" down --name $LAB >/dev/null || fail "down of $LAB whose kernel died"
[ "$(group_size $k)" -eq 2 ] || fail "down killed the process group its dead kernel's record named"
[ "$(group_size $b)" -eq 2 ] || fail "down killed the process its broker record named"
assert_no_leftovers $LAB
stop_decoys
note "kernel died, records naming other processes: down left them alone and cleaned up"

# ---- 8. nothing inside a UML lab writes to the host but its directories ------
# Root inside mounts host directories with hostfs: writes outside the run
# directory fail, host records in RUNDIR/host stay the host's, no device
# node nor set-id file is made; the run directory, and a directory given
# to record --out, stay writable and the lab works.
LAB=hu-jail
up $LAB --kernel uml
target=$(mktemp -d "$WORK/target.XXXXXX")
probe=ikelab-jail-probe-$$
trap 'rm -f "/etc/$probe"; stop_decoys; cleanup' EXIT
rc=0
"$IKELAB" exec --name $LAB alice -- sh -c '
	etc=/mnt/etc tgt=/mnt/tgt run=/mnt/run proc=/mnt/proc
	mkdir -p $etc $tgt $run $proc
	mount -t hostfs none $etc -o /etc || exit 10
	touch $etc/'"$probe"' 2>/dev/null && exit 11
	mount -t hostfs none $tgt -o '"$target"' || exit 12
	(echo x >$tgt/written) 2>/dev/null && exit 13
	mount -t hostfs none $proc -o /proc || exit 14
	v=$(cat $proc/sys/kernel/printk_ratelimit) || exit 15
	(echo "$v" >$proc/sys/kernel/printk_ratelimit) 2>/dev/null && exit 16
	mount -t hostfs none $run -o '"$IKELAB_RUN/$LAB"' || exit 17
	echo inside >$run/written || exit 18
	(echo "{}" >$run/host/uml.json) 2>/dev/null && exit 19
	mv $run/host $run/host2 2>/dev/null && exit 20
	rm -f $run/host/broker.sock 2>/dev/null && exit 20
	mknod $run/disk b 1 0 2>/dev/null && exit 21
	cp /bin/true $run/setid || exit 22
	chmod 4755 $run/setid 2>/dev/null && exit 23
	exit 0' || rc=$?
case $rc in
0) ;;
11) fail "root inside wrote /etc/$probe on the host through hostfs" ;;
13) fail "root inside wrote $target on the host through hostfs" ;;
16) fail "root inside wrote the host's /proc/sys through hostfs" ;;
18) fail "the run directory is not writable inside" ;;
19 | 20) fail "root inside changed the host's records in RUNDIR/host" ;;
21) fail "root inside made a block device node in the run directory" ;;
23) fail "root inside made a set-user-id file in the run directory" ;;
*) fail "inside the lab: step $rc failed" ;;
esac
[ ! -e "/etc/$probe" ] || fail "/etc/$probe exists on the host"
[ -z "$(ls -A "$target")" ] || fail "$target was written from inside the lab"
[ "$(cat "$IKELAB_RUN/$LAB/written")" = inside ] || fail "the run directory's write did not reach the host"
note "inside: /etc, another host directory and /proc/sys read-only, RUNDIR/host untouched, no device node nor set-id file; the run directory writable"
tunnel $LAB || fail "no tunnel in the jailed lab"
"$IKELAB" record --name $LAB --duration 1 --out "$WORK/rec" >/dev/null || fail "record --out in the jailed lab"
[ -s "$WORK/rec/summary.json" ] || fail "record --out wrote no summary.json"
"$IKELAB" down --name $LAB >/dev/null || fail "down"
assert_no_leftovers $LAB
note "the jailed lab pings through its tunnel, records into a directory it was given, and goes down"

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
sock=$IKELAB_RUN/ht-sock/host/broker.sock
assert_eq 600 "$(stat -c %a "$sock")" "mode of broker.sock"
assert_eq 700 "$(stat -c %a "$IKELAB_RUN/ht-sock/host")" "mode of its directory"
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
grep -q "refused a client of uid 65534" "$IKELAB_RUN/ht-sock/host/broker.log" ||
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
print(d['uml']['pid'], d['broker']['pid'])" "$IKELAB_RUN/ht-stop/host/uml.json")
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

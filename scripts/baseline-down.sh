#!/bin/sh
# Undo baseline-up.sh DIR NAME: stop its charons and remove its namespaces.
# A charon is signalled only if DIR/NODE/charon.proc names it (a pid above 1
# and the start time baseline-up.sh saw) and that process is still charon:
# a recycled pid, or a file someone else wrote, signals nothing. DIR must be
# the private directory baseline-up.sh was given; this script writes nothing
# and leaves DIR itself to the caller that made it.
set -u
[ $# -eq 2 ] || { echo "usage: $0 DIR NAME" >&2; exit 2; }
dir=$1
name=$2
case $name in
'' | *[!A-Za-z0-9_-]*) echo "$0: bad lab name '$name'" >&2; exit 2 ;;
esac
if [ ! -d "$dir" ] || [ -L "$dir" ] || [ "$(stat -c %u -- "$dir")" != "$(id -u)" ] ||
	[ -n "$(find "$dir" -maxdepth 0 -perm /022)" ]; then
	echo "$0: $dir is not a private directory of uid $(id -u)" >&2
	exit 1
fi

# Is PID START (from charon.proc) still the charon baseline-up.sh started?
same_charon() {
	case $1 in '' | *[!0-9]*) return 1 ;; esac
	case $2 in '' | *[!0-9]*) return 1 ;; esac
	[ "$1" -gt 1 ] || return 1
	[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d ' ' -f 20)" = "$2" ] || return 1
	[ "$(tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | head -1)" = /usr/lib/ipsec/charon ]
}

for p in alice bob; do
	f=$dir/$name-$p/charon.proc
	[ -f "$f" ] && [ ! -L "$f" ] || continue
	read -r pid start <"$f" || continue
	same_charon "$pid" "$start" || continue
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 60); do same_charon "$pid" "$start" || break; sleep 0.05; done
	! same_charon "$pid" "$start" || kill -KILL "$pid" 2>/dev/null
done
ip netns del "$name-alice" 2>/dev/null
ip netns del "$name-bob" 2>/dev/null
exit 0

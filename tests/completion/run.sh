#!/bin/bash
# make completion-test (in make test): the bash completion script that
# `ikelab completion bash` generates, sourced into bash and asked what a
# user's TAB would be, word by word: commands, options, option values,
# the words and placeholders of usage lines, lab and peer names from a
# fake run directory base, shipped scenarios. A file name holding $(...)
# is completed as text and runs nothing.
set -u
cd "$(dirname "$0")/../.."
IKELAB=$(pwd)/${BUILD:-build}/ikelab
W=$(mktemp -d /tmp/ikelab-completion.XXXXXX)
trap 'rm -rf "$W"' EXIT
failed=0

# A fake base with one lab of two peers and a router.
mkdir -m 0700 "$W/base" "$W/base/lab1" && chmod 0700 "$W"
printf '%s' '{"phase":"up","nodes":{"alice":{"role":"peer"},"wan":{"role":"router"},"bob":{"role":"peer"}}}' \
	>"$W/base/lab1/lab.json"
export IKELAB_RUN=$W/base
mkdir "$W/cwd" "$W/cwd/scenarios" "$W/cwd/runs"
touch "$W/cwd/scenarios/mine.yaml" "$W/cwd/scenarios/\$(touch \${IFS}pwned).yaml"
"$IKELAB" completion bash >"$W/ikelab.bash" || { echo "FAIL [completion] no script" >&2; exit 1; }

# want 'EXPECTED COMPLETIONS (sorted, space-separated)' WORD... (the last
# one is the word being completed, "" for a new one)
want() {
	local expect=$1 got
	shift
	got=$(cd "$W/cwd" && bash -c '
		source "$1"; shift
		compopt() { :; }
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_ikelab
		printf "%s\n" "${COMPREPLY[@]}" | sort -u | tr "\n" " "' \
		_ "$W/ikelab.bash" "$IKELAB" "$@" 2>&1)
	got=${got% }
	if [ "$got" != "$expect" ]; then
		echo "FAIL [completion] ikelab $*<TAB>: '$got', want '$expect'" >&2
		failed=1
	fi
}
want "help" he
want "schema shrink status sweep" s
want "--kernel" run --k
want "auto host uml" run --kernel ""
want "lab1" status --name ""
want "alice bob" exec --name lab1 ""
want "swanctl" exec --name lab1 alice -- swanct
want "esp first-sa record up" bench ""
want "build" charon ""
want "" charon build ""
want "lab1" completion peers ""
want "profile scenario topology" schema ""
want "check" help chec
want "runs" nightly merge ru
want "scenarios/mine.yaml" run scenarios/mi
want "scenarios/uniqueness-race-control.yaml" run scenarios/uniqueness-race-c
want "topologies/two-peer-router.yaml topologies/two-peer.yaml topologies/two-subnets-router.yaml topologies/two-subnets.yaml" \
	up --topology topologies/tw
# The planted name is offered as the text it is, and ran nothing.
want "scenarios/\$(touch \${IFS}pwned).yaml" run 'scenarios/$'
[ ! -e "$W/cwd/pwned" ] || { echo "FAIL [completion] a file name ran a command" >&2; failed=1; }
[ "$failed" -eq 0 ] && echo "completion: the generated script completes as a user expects"
exit $failed

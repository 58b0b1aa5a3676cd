#!/bin/bash
# The CI examples of docs/ci, checked by the engines' own tools (make
# ci-examples): the GitHub workflow by action-validator (GitHub's workflow
# schema, and that every `needs` names a job), the Kubernetes Job by the
# API's schemas (kubernetes-models), and the GitLab pipeline by
# gitlab-ci-local, which validates it against GitLab's schema and then runs
# it here: its `parallel: 3` jobs, each a shard of a small night on real
# labs, and its merge job. The merged night must equal the same night run
# unsplit, up to timings. Each tool must also refuse a broken copy, so that
# a checker that checks nothing cannot pass.
#
# The tools come from the npm registry at the versions of package-lock.json,
# into build/ci-tools. The GitLab jobs run in the shell of this machine
# (--force-shell-executor), as root, in this tree: their before_script
# installs what is missing and builds, as on a runner.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TOOLS=$ROOT/build/ci-tools
BIN=$TOOLS/node_modules/.bin
IKELAB=$ROOT/build/ikelab
# Three scenarios, two seeds: a shard each.
SCENARIOS="scenarios/uniqueness-race.yaml scenarios/uniqueness-race-control.yaml scenarios/rekey-collision-control.yaml"
SEEDS=2

fail() {
	echo "ci-examples: FAIL: $*" >&2
	exit 1
}

cd "$ROOT"
cleanup() {
	rm -rf "$WORK" "$ROOT/night" "$ROOT/merged" "$ROOT/build/gitlab-ci-local" "$ROOT/build/ci-bad"
}

tools() {
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		fail "node and npm are needed (NodeSource's nodejs, or Debian's nodejs and npm)"
	fi
	if ! cmp -s "$HERE/package-lock.json" "$TOOLS/package-lock.json"; then
		rm -rf "$TOOLS"
		mkdir -p "$TOOLS"
		cp "$HERE/package.json" "$HERE/package-lock.json" "$TOOLS/"
		(cd "$TOOLS" && timeout 600 npm ci --no-audit --no-fund --silent) || {
			rm -rf "$TOOLS"
			fail "npm ci of the checkers (tests/ci-examples/package-lock.json)"
		}
	fi
	cp "$HERE/k8s-check.mjs" "$TOOLS/"
}

# refused WHAT CMD...: the command must fail (on a broken copy).
refused() {
	local what=$1
	shift
	if "$@" >"$WORK/refused.out" 2>&1; then
		cat "$WORK/refused.out"
		fail "$what was accepted"
	fi
	echo "  ok: refused: $what"
}

github() {
	echo "== GitHub Actions: docs/ci/github-nightly.yml (action-validator)"
	"$BIN/action-validator" docs/ci/github-nightly.yml || fail "the GitHub workflow"
	echo "  ok: valid workflow"
	sed 's/^    needs: shard$/    needs: shards/' docs/ci/github-nightly.yml >"$WORK/gh-needs.yml"
	cmp -s docs/ci/github-nightly.yml "$WORK/gh-needs.yml" && fail "no 'needs: shard' to break"
	refused "a workflow whose merge needs a job that is not there" "$BIN/action-validator" "$WORK/gh-needs.yml"
	sed 's/runs-on:/run-on:/' docs/ci/github-nightly.yml >"$WORK/gh-key.yml"
	refused "a workflow with a misspelt key" "$BIN/action-validator" "$WORK/gh-key.yml"
}

kubernetes() {
	echo "== Kubernetes: docs/ci/k8s-nightly-job.yaml (the API's schemas)"
	node "$TOOLS/k8s-check.mjs" docs/ci/k8s-nightly-job.yaml || fail "the Kubernetes Job"
	sed 's/completionMode: Indexed/completionMode: Indexd/' docs/ci/k8s-nightly-job.yaml >"$WORK/k8s.yaml"
	refused "a Job with a bad completionMode" node "$TOOLS/k8s-check.mjs" "$WORK/k8s.yaml"
}

# gitlab-ci-local takes files and its state relative to the project.
gitlab_ci_local() {
	"$BIN/gitlab-ci-local" --state-dir build/gitlab-ci-local "$@"
}

gitlab_static() {
	echo "== GitLab CI: docs/ci/gitlab-nightly.yml (gitlab-ci-local: GitLab's schema, the jobs it makes)"
	gitlab_ci_local --file docs/ci/gitlab-nightly.yml --list >"$WORK/list.out" 2>&1 ||
		{ cat "$WORK/list.out"; fail "gitlab-ci-local refused the GitLab example"; }
	grep -q 'json schema validated' "$WORK/list.out" || { cat "$WORK/list.out"; fail "no schema check"; }
	for i in 1 2 3; do
		grep -q "nightly-shard: \[$i/3\]" "$WORK/list.out" || { cat "$WORK/list.out"; fail "no job $i/3"; }
	done
	echo "  ok: valid, jobs nightly-shard [1/3] [2/3] [3/3] and nightly-merge"
	mkdir -p build/ci-bad
	sed 's/^  parallel: 3$/  parallel: three/' docs/ci/gitlab-nightly.yml >build/ci-bad/gitlab.yml
	refused "a pipeline whose parallel is not a number" gitlab_ci_local --file build/ci-bad/gitlab.yml --list
	grep -q "'parallel' property type must be integer" "$WORK/refused.out" ||
		{ cat "$WORK/refused.out"; fail "refused, but not by GitLab's schema"; }
}

gitlab_run() {
	echo "== GitLab CI: the pipeline run by gitlab-ci-local, shards of $SEEDS seeds of: $SCENARIOS"
	# At most 20 minutes: the jobs' apt-get reaches the network.
	timeout 1200 "$BIN/gitlab-ci-local" --state-dir build/gitlab-ci-local \
		--file docs/ci/gitlab-nightly.yml --force-shell-executor --concurrency 1 \
		--variable "NIGHTLY_SCENARIOS=$SCENARIOS" --variable "NIGHTLY_SEEDS=$SEEDS" \
		>"$WORK/pipeline.out" 2>&1 || {
		tail -40 "$WORK/pipeline.out"
		"$ROOT/tests/integration/night-misses.py" night/shard-* merged
		fail "the GitLab pipeline"
	}
	grep -E 'nightly: shard [0-9] of 3' "$WORK/pipeline.out" | sed 's/^/  /' || true
	for i in 1 2 3; do
		[ -s "night/shard-$i/summary.json" ] || { tail -40 "$WORK/pipeline.out"; fail "shard $i wrote no summary"; }
	done
	[ -s merged/summary.json ] || { tail -40 "$WORK/pipeline.out"; fail "the merge job wrote no summary"; }
	# shellcheck disable=SC2086  # the scenario list
	"$IKELAB" nightly $SCENARIOS --seeds "$SEEDS" --jobs 2 --out "$WORK/whole" >"$WORK/whole.out" 2>&1 ||
		[ $? -eq 1 ] || { cat "$WORK/whole.out"; fail "the night unsplit"; }
	"$ROOT/tests/integration/night-same.py" "$WORK/whole" merged || {
		"$ROOT/tests/integration/night-misses.py" "$WORK/whole" merged
		fail "the GitLab pipeline's merged night differs from the night unsplit"
	}
	local a b
	a=$(xmllint --xpath 'count(//testcase)' "$WORK/whole/junit.xml")
	b=$(xmllint --xpath 'count(//testcase)' merged/junit.xml)
	if [ "$a" != "$b" ] || [ "$b" -lt 3 ]; then
		fail "merged junit.xml: $b test cases, unsplit $a"
	fi
	echo "  ok: merged junit.xml: $b test cases, as unsplit"
}

[ "$(id -u)" -eq 0 ] || fail "run as root: the GitLab jobs' before_script runs apt-get, and the labs need root"
if [ -e night ] || [ -e merged ]; then
	fail "night/ or merged/ is in $ROOT: the GitLab example writes there"
fi
WORK=$(mktemp -d /tmp/ikelab-ci-examples.XXXXXX)
trap cleanup EXIT
tools
github
kubernetes
gitlab_static
gitlab_run
echo "ci-examples: the three examples pass their engines' checks"

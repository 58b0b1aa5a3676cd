#!/bin/bash
# The JSON Schemas of schemas/ against the loaders they are made from
# (make schema-test, in make test; docs/schemas.md):
#  a. each committed schemas/KIND.schema.json is what `ikelab schema KIND`
#     prints, so they cannot drift from the loaders' tables;
#  b. every shipped file (scenarios/, topologies/, peers/) starts with its
#     yaml-language-server line, loads, and validates; every fixture the
#     loader accepts validates too (python3-jsonschema over python3-yaml's
#     safe_load, as an editor sees the file);
#  c. every file of tests/schema/bad/ (wrong structure: an unknown key, a
#     wrong type, a missing key, a bad enum value) is rejected by both the
#     schema and the loader;
#  d. the fixtures the loader refuses and the schema accepts are the
#     loader's own checks: counted here, and listed by kind in
#     docs/schemas.md, whose list is printed;
#  e. every key of every schema, at any depth, is documented in its kind's
#     doc (docs/scenarios.md, docs/topologies.md, docs/profiles.md).
# BUILD=DIR: the build with ikelab and tests/schema-load (default build).
set -u
shopt -s nullglob
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
IKELAB=$BUILD/ikelab
LOAD=$BUILD/tests/schema-load
KINDS="scenario topology profile"
start=$(date +%s%N)
failed=0
fail() {
	echo "FAIL [schema] $*" >&2
	failed=1
}
for p in "$IKELAB" "$LOAD"; do
	[ -x "$p" ] || { echo "FAIL [schema] $p is not built (make all $LOAD)" >&2; exit 2; }
done
# Debian's python3, which has the packages make test-deps installs (a
# python3 earlier in PATH, such as pyenv's, may not).
PY=${PYTHON:-/usr/bin/python3}
"$PY" -c 'import jsonschema, yaml' 2>/dev/null ||
	{ echo "FAIL [schema] python3-jsonschema and python3-yaml are needed (make test-deps)" >&2; exit 2; }
work=$(mktemp -d /tmp/ikelab-schema-test.XXXXXX) || exit 2
trap 'rm -rf "$work"' EXIT

# ---- a. the committed schemas are the generated ones --------------------------
for k in $KINDS; do
	if ! "$IKELAB" schema "$k" >"$work/$k.schema.json"; then
		fail "'$IKELAB schema $k' failed"
	elif ! cmp -s "$work/$k.schema.json" "schemas/$k.schema.json"; then
		fail "schemas/$k.schema.json is not what '$IKELAB schema $k' prints (make schemas):
$(diff -u "schemas/$k.schema.json" "$work/$k.schema.json" | head -20)"
	fi
done

# ---- the files, each with its kind and what is expected of it -------------------
# shipped: loads and validates; fixture: validates if it loads; bad: refused
# by both. Fixtures are told apart by folder and name.
fixtures() {	# kind
	case $1 in
	scenario) ls tests/unit/scenarios/*.yaml tests/fuzz/corpus/scenario/* \
		tests/integration/scenarios/*.yaml tests/unit/trust/scen-*.yaml \
		tests/unit/verdict/*.yaml ;;
	topology) ls tests/unit/yaml/topo-*.yaml tests/unit/scenarios/files/topo-*.yaml \
		tests/fuzz/corpus/topology/* ;;
	profile) ls tests/unit/yaml/peer-*.yaml tests/unit/scenarios/files/peer-*.yaml \
		tests/fuzz/corpus/profile/* $(ls tests/unit/trust/*.yaml | grep -v /scen-) ;;
	esac 2>/dev/null
}
shipped() {	# kind
	case $1 in
	scenario) ls scenarios/*.yaml ;;
	topology) ls topologies/*.yaml ;;
	profile) ls peers/*.yaml ;;
	esac
}
: >"$work/list"
for k in $KINDS; do
	dir=$(shipped "$k" | head -1 | xargs dirname)
	for f in $(shipped "$k"); do
		line="# yaml-language-server: \$schema=../schemas/$k.schema.json"
		[ "$(head -1 "$f")" = "$line" ] || fail "$f: the first line is not '$line'"
	done
	# A scenario loads the topology and profiles it names: from the tree.
	"$LOAD" "$k" $(shipped "$k") $(fixtures "$k") tests/schema/bad/"$k"-*.yaml >"$work/load-$k"
	while read -r verdict f rest; do
		f=${f%:}
		case $f in
		"$dir"/*) [ "$verdict" = ok ] || fail "shipped $f does not load: $rest"
			echo "$k shipped $f" ;;
		tests/schema/bad/*) [ "$verdict" = refused ] || fail "$f loads, but is a bad fixture"
			echo "$k bad $f" ;;
		*) echo "$k $verdict $f" ;;
		esac
	done <"$work/load-$k" >>"$work/list"
done
[ "$(grep -c ' bad ' "$work/list")" -ge 4 ] || fail "tests/schema/bad/ has fewer than 4 fixtures"

# ---- b.-e. in python: validation, the refused fixtures, the docs -----------------
"$PY" - "$work" <<'EOF' || failed=1
import datetime, json, re, sys, yaml
import jsonschema

work = sys.argv[1]
failed = False

def fail(msg):
    global failed
    print("FAIL [schema] " + msg, file=sys.stderr)
    failed = True

# Timestamps stay text: JSON has no dates, and a YAML language server
# reads 2026-12-04 as a string.
class Loader(yaml.SafeLoader):
    pass
Loader.yaml_implicit_resolvers = {
    c: [r for r in rs if r[0] != "tag:yaml.org,2002:timestamp"]
    for c, rs in yaml.SafeLoader.yaml_implicit_resolvers.items()}

def as_json(v):
    if isinstance(v, dict):
        return {str(k): as_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [as_json(x) for x in v]
    return v

validators = {}
for kind in ("scenario", "topology", "profile"):
    with open("schemas/%s.schema.json" % kind) as f:
        s = json.load(f)
    jsonschema.Draft7Validator.check_schema(s)
    validators[kind] = jsonschema.Draft7Validator(s)

def errors(kind, path):
    try:
        with open(path, "rb") as f:
            doc = yaml.load(f, Loader=Loader)
    except yaml.YAMLError as e:
        return ["not YAML: %s" % str(e).splitlines()[0]]
    return ["%s: %s" % ("/".join(map(str, e.absolute_path)) or "(top)", e.message)
            for e in validators[kind].iter_errors(as_json(doc))]

counts = {}
only_loader = []
for line in open(work + "/list"):
    kind, what, path = line.split()
    errs = errors(kind, path)
    counts[what] = counts.get(what, 0) + 1
    if what in ("shipped", "ok") and errs:
        fail("%s loads as a %s, but the schema rejects it: %s" % (path, kind, errs[0]))
    if what == "bad" and not errs:
        fail("%s is a bad fixture, but the schema accepts it" % path)
    if what == "refused" and not errs:
        only_loader.append(path)

# e. every key of every schema is documented in its kind's doc.
docs = {"scenario": "docs/scenarios.md", "topology": "docs/topologies.md",
        "profile": "docs/profiles.md"}

# A scenario's `set:` takes a profile's keys (profile_fields, the same
# table): those are documented in docs/profiles.md, and checked there.
profile_props = validators["profile"].schema["properties"]

def keys(s, out, top):
    if isinstance(s, dict):
        if s.get("properties") is not None and s["properties"] == profile_props and not top:
            return out
        for k, v in s.get("properties", {}).items():
            out.add(k)
            keys(v, out, False)
        keys(s.get("items"), out, False)
    return out

for kind, v in validators.items():
    text = open(docs[kind]).read()
    for k in sorted(keys(v.schema, set(), True)):
        if not re.search(r"`%s[`:]|^\s*(- )?%s:|[{,]\s*%s:" % (re.escape(k), re.escape(k),
                         re.escape(k)), text, re.M):
            fail("the %s key '%s' is not documented in %s" % (kind, k, docs[kind]))

# d. what only the loader checks.
section = re.search(r"^## What only the loader checks\n(.*?)(?=^## |\Z)",
                    open("docs/schemas.md").read(), re.S | re.M)
if not section or "\n- " not in section.group(1):
    fail("docs/schemas.md has no list under '## What only the loader checks'")
print("schema: %d shipped files and %d fixtures the loader accepts validate; "
      "%d bad-structure fixtures are rejected by schema and loader; "
      "%d fixtures are refused by the loader alone, for what only it checks:"
      % (counts.get("shipped", 0), counts.get("ok", 0), counts.get("bad", 0),
         len(only_loader)))
if section:
    for l in section.group(1).splitlines():
        if l.startswith("- "):
            print("  " + l[2:].split(":")[0])
sys.exit(1 if failed else 0)
EOF

ms=$((($(date +%s%N) - start) / 1000000))
[ "$failed" -eq 0 ] && echo "schema: committed schemas current, files validated, keys documented (${ms} ms)"
exit $failed

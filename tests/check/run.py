#!/usr/bin/env python3
"""make check-test: `ikelab check` against the loaders' own expectations.

- Every shipped topology, profile and scenario passes (exit 0), checked by
  an installed copy (make install into a temporary DESTDIR) as the user
  nobody: no root, nothing built, no kernel; each file in under 100 ms.
- Every bad-input fixture the unit tests list with its position
  (tests/unit/test_config.c, test_scenario.c, test_trust.c: a table row
  `{ "FILE.yaml", "LINE:COL: ...`) fails with exit 1 and the loader's
  message for that file at that position, FILE:LINE:COL first on stderr
  (the kind each fixture is checked as is the one `check` guesses: a wrong
  guess shows as another message).
"""
import glob
import os
import pwd
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IKELAB = os.path.join(ROOT, os.environ.get("BUILD", "build"), "ikelab")
TABLES = {"test_config.c": "tests/unit/yaml/", "test_scenario.c": "tests/unit/scenarios/",
          "test_trust.c": "tests/unit/trust/"}
ROW = re.compile(r'^\s*\{\s*"([A-Za-z0-9_.-]+\.yaml)",\s*"(\d+:\d+):', re.M)
MS_PER_FILE = 100
failed = 0


def fail(msg):
    global failed
    failed += 1
    print("FAIL [check] " + msg, file=sys.stderr)


def bad_fixtures():
    for table, fix in TABLES.items():
        text = open(os.path.join(ROOT, "tests/unit", table)).read()
        for name, pos in ROW.findall(text):
            # generic-*: yamlcheck's own test schema, no file kind of ikelab
            if not name.startswith("generic-") and os.path.exists(os.path.join(ROOT, fix, name)):
                yield fix + name, pos


def check_bad():
    n = 0
    for path, pos in bad_fixtures():
        r = subprocess.run([IKELAB, "check", path], cwd=ROOT, capture_output=True, text=True)
        first = r.stderr.splitlines()[0] if r.stderr else ""
        if r.returncode != 1 or not first.startswith(f"{path}:{pos}:"):
            fail(f"{path}: exit {r.returncode}, want 1 with '{path}:{pos}: ...'; got '{first}'")
        n += 1
    if n < 100:
        fail(f"only {n} bad fixtures found in the unit tests' tables")
    return n


def run_as_nobody(argv):
    nobody = pwd.getpwnam("nobody")

    def drop():
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)
    return subprocess.run(argv, capture_output=True, text=True, preexec_fn=drop, cwd="/")


def check_shipped():
    with tempfile.TemporaryDirectory(prefix="ikelab-check-") as d:
        os.chmod(d, 0o755)
        subprocess.run(["make", "-s", "install", "DESTDIR=" + d, "PREFIX=/usr"], cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)
        share = d + "/usr/share/ikelab"
        files = sorted(glob.glob(share + "/*/*.yaml"))
        start = time.monotonic()
        r = run_as_nobody([d + "/usr/bin/ikelab", "check"] + files)
        ms = (time.monotonic() - start) * 1000 / max(len(files), 1)
        if r.returncode != 0:
            fail(f"shipped files, as nobody: exit {r.returncode}: {r.stderr.strip()}")
        if r.stdout.count(": a valid ") != len(files):
            fail(f"shipped files: {r.stdout.count(': a valid ')} valid of {len(files)}")
        if ms > MS_PER_FILE:
            fail(f"{ms:.1f} ms a file (at most {MS_PER_FILE})")
        return len(files), ms


def main():
    n_bad = check_bad()
    n_ok, ms = check_shipped()
    if failed:
        print(f"check: {failed} failed", file=sys.stderr)
        return 1
    print(f"check: {n_ok} shipped files valid as nobody ({ms:.1f} ms a file), "
          f"{n_bad} bad fixtures refused at the loaders' positions")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""What went wrong in a night: every run that did not meet its scenario's
expectation, with its result, its lab error or violated expectations, and
the end of its log. A CI job that fails on a night prints this, so the
failure explains itself after the night's directory is gone.

    night-misses.py NIGHT_DIR...

Always exits 0: it only reports."""
import json
import os
import sys

MET = {"clean": "pass", "reproduces": "reproduced"}


def report(night):
    path = os.path.join(night, "summary.json")
    try:
        summary = json.load(open(path))
    except (OSError, ValueError) as e:
        print(f"{path}: {e}")
        return
    for sc in summary.get("scenarios", []):
        for run in sc.get("seeds", []):
            if run.get("result") == MET.get(sc.get("expect")):
                continue
            print(f"{night}: {sc.get('name')} seed {run.get('seed')}: {run.get('result')}"
                  f" (expected {sc.get('expect')})")
            if run.get("lab_error"):
                print(f"  lab error: {run['lab_error']}")
            for v in run.get("violated") or []:
                print(f"  violated: {v.get('name')}: {v.get('detail')}")
            log = os.path.join(night, str(run.get("dir", "")) + ".log")
            if os.path.isfile(log):
                for line in open(log, errors="replace").read().splitlines()[-15:]:
                    print(f"  | {line}")


for d in sys.argv[1:]:
    report(d)

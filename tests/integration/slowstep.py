#!/usr/bin/env python3
"""What a test that needed a tunnel saw: for each charon.log given, the
longest pause between two consecutive log lines (the slow step) with the
lines around it, and any kernel module the lab's kernel loaded on demand
(module-requests.log). Used by lib.sh when traffic finds no tunnel.

usage: slowstep.py DIR...   (a lab's run directory or a run's: every
                             charon.log and module-requests.log below it)
"""
import datetime
import os
import sys

BEFORE, AFTER = 4, 2


def stamp(line):
    try:
        return datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f")
    except ValueError:
        return None


def slowest(path):
    with open(path, errors="replace") as f:
        lines = [l.rstrip("\n") for l in f]
    best, prev = None, None
    for i, line in enumerate(lines):
        t = stamp(line)
        if t is None:
            continue
        if prev is not None and (best is None or t - prev[1] > best[0]):
            best = (t - prev[1], prev[0], i)
        prev = (i, t)
    if best is None:
        print(f"  {path}: no timestamped lines ({len(lines)} lines)")
        return
    gap, a, b = best
    print(f"  {path}: slowest step {gap.total_seconds():.3f} s, between lines {a + 1} and {b + 1}:")
    for line in lines[max(0, a - BEFORE):b + AFTER + 1]:
        print(f"    {line}")
    print(f"    (last line of {len(lines)}: {lines[-1] if lines else ''})")


def main():
    for top in sys.argv[1:]:
        for d, _, files in sorted(os.walk(top)):
            for name in sorted(files):
                path = os.path.join(d, name)
                if name == "charon.log":
                    slowest(path)
                elif name == "module-requests.log" and os.path.getsize(path):
                    print(f"  {path}: modules the kernel loaded on demand:")
                    with open(path) as f:
                        for line in f:
                            print(f"    {line.rstrip()}")


main()

#!/usr/bin/env python3
"""Two nights of the same runs give the same summary.json but for timings
and what each run measured: the same runs, seeds, verdicts, rates, matrix
and totals. The second night's runs and plots are where its summary says.

    night-same.py WHOLE_DIR MERGED_DIR

Used by v03-shards (three shards merged against the night unsplit) and by
tests/ci-examples (the GitLab example's parallel jobs, merged)."""
import json
import os
import sys

# What differs between two nights of the same runs: when, where, how long,
# and what each run measured (loss, SA counts, when the duplicate came,
# hence which run was the worst and whose plot shows).
MEASURED = {"wall_s", "started", "finished", "jobs", "hostname", "first_duplicate_s",
            "time_to_first_duplicate_s", "lost", "max_ike", "max_child_per_ts", "median",
            "worst", "worst_seed", "plot", "violated"}


def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in MEASURED}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x


def main(whole_dir, merged_dir):
    a, b = (json.load(open(f"{d}/summary.json")) for d in (whole_dir, merged_dir))
    if strip(a) != strip(b):
        for k in sorted(set(a) | set(b)):
            if strip(a.get(k)) != strip(b.get(k)):
                print("differs:", k, json.dumps(strip(a.get(k)))[:600],
                      json.dumps(strip(b.get(k)))[:600])
        return 1
    for y in b["scenarios"]:
        for r in y["seeds"]:
            assert os.path.isfile(f"{merged_dir}/{r['dir']}/summary.json"), r["dir"]
        assert y["plot"] and os.path.isfile(f"{merged_dir}/{y['plot']}"), y["plot"]
    print("  ok: merged = unsplit up to timings and measures:",
          ", ".join(f"{s['name']}{' on ' + s['charon'][-6:] if s.get('charon') else ''} "
                    f"{s['status']}" for s in b["scenarios"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))

#!/usr/bin/env python3
"""Per-operator summary of the traces ONNX Runtime writes under RESSHIFT_ORT_PROFILE=PREFIX.

  scripts/ort-profile-summary.py PREFIX [--skip N] [--top K]

One block per graph file PREFIX-<graph>_<time>.json: runs after the first N (default 2: ORT's first two runs
of a session carry one-off allocation costs), mean ms per run, and the operators that took the most time with
their share and count per run.  Only the standard library is used.
"""
import argparse
import collections
import glob
import json


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("prefix")
    ap.add_argument("--skip", type=int, default=2, help="leading runs per graph to leave out (warm-up)")
    ap.add_argument("--top", type=int, default=8)
    a = ap.parse_args()
    files = sorted(glob.glob(a.prefix + "-*_*.json"))
    if not files:
        raise SystemExit(f"no trace files match {a.prefix}-*_*.json")
    for path in files:
        events = json.load(open(path))
        runs = sorted((e for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"),
                      key=lambda e: e["ts"])
        if len(runs) <= a.skip:
            print(f"{path}: {len(runs)} runs, none after skipping {a.skip}")
            continue
        start, counted = runs[a.skip]["ts"], runs[a.skip:]
        per_op, count = collections.Counter(), collections.Counter()
        for e in events:
            if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time") and e["ts"] >= start:
                op = e.get("args", {}).get("op_name", "?")
                per_op[op] += e["dur"]
                count[op] += 1
        n, total = len(counted), sum(per_op.values())
        print(f"{path}: {n} runs, {sum(r['dur'] for r in counted) / n / 1000:.1f} ms per run, "
              f"{total / n / 1000:.1f} ms in operators")
        for op, us in per_op.most_common(a.top):
            print(f"  {op:<24}{us / n / 1000:9.1f} ms {100 * us / total:5.1f} %  {count[op] / n:6.0f} per run")


if __name__ == "__main__":
    main()

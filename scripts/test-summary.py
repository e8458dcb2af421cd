#!/usr/bin/env python3
"""Counts the whole suite from what the runners wrote, not from what they printed.

Usage: test-summary.py RESULTS_DIR [MODELS_LOG] [--exit "RUNNER=STATUS"]...

Reads every RESULTS_DIR/*.trx (one per .NET test project), the blame data collector's Sequence_*.xml files
(which test was running when a test host hung or crashed) and the model tests' log (lines "skip NAME: REASON",
"FAIL NAME" and "models: N passed, M failed, K skipped"). Prints the skipped tests grouped by reason, the
failures and aborted runs, and last `total: N passed, M failed, K skipped`. Exit status 1 when anything failed,
a run was aborted, a runner exited non-zero (--exit) or nothing ran at all.
"""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}


def first_line(text):
    text = (text or "").strip()
    return text.splitlines()[0] if text else ""


def read_trx(path, tally):
    root = ET.parse(path).getroot()
    for r in root.iterfind(".//t:Results/t:UnitTestResult", NS):
        name, outcome = r.get("testName"), r.get("outcome")
        message = r.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=NS)
        if outcome == "Passed":
            tally["passed"] += 1
        elif outcome == "NotExecuted":
            tally["skipped"].setdefault(first_line(message) or "no reason given", []).append(name)
        else:  # Failed, Error, Timeout, Aborted...
            tally["failed"].append(f"{name}: {outcome}: {first_line(message)}")
    summary = root.find("t:ResultSummary", NS)
    for info in summary.iterfind("t:RunInfos/t:RunInfo", NS) if summary is not None else []:
        text = first_line(info.findtext("t:Text", default="", namespaces=NS))
        if info.get("outcome") == "Error" and "[FAIL]" not in text:  # xUnit echoes each failure here too
            tally["aborted"].append(f"{os.path.basename(path)}: {text}")


def read_sequences(results_dir, tally):
    """Tests a hang or crash interrupted: the blame collector marks them Completed="False"."""
    seen = set()
    for path in glob.glob(os.path.join(results_dir, "**", "Sequence_*.xml"), recursive=True):
        for t in ET.parse(path).getroot().iter("Test"):
            if t.get("Completed") == "False" and t.get("Name") not in seen:
                seen.add(t.get("Name"))
                tally["failed"].append(f"{t.get('Name')}: hung or crashed its test host (blame; dump and sequence under {results_dir})")


def read_models(path, tally):
    if not path or not os.path.exists(path):
        return
    counted = False
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if m := re.match(r"^skip (\S+): (.*)$", line):
            tally["skipped"].setdefault(m.group(2), []).append("models: " + m.group(1))
        elif m := re.match(r"^FAIL (\S+)", line):
            tally["failed"].append("models: " + m.group(1))
        elif m := re.match(r"^models: (\d+) passed, (\d+) failed", line):
            tally["passed"] += int(m.group(1))
            counted = True
    if not counted:
        tally["aborted"].append(f"model tests: no closing 'models:' line in {path} (the runner did not finish)")


def main(argv):
    args, exits = [], []
    it = iter(argv[1:])
    for a in it:
        if a == "--exit":
            runner, _, status = next(it, "").rpartition("=")
            exits.append((runner, int(status or 0)))
        else:
            args.append(a)
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    results_dir, models_log = args[0], args[1] if len(args) > 1 else None
    tally = {"passed": 0, "failed": [], "skipped": {}, "aborted": []}
    trx = sorted(glob.glob(os.path.join(results_dir, "*.trx")))
    for path in trx:
        read_trx(path, tally)
    read_sequences(results_dir, tally)
    if not trx:
        tally["aborted"].append(f"no .trx results in {results_dir}: the .NET tests did not run")
    read_models(models_log, tally)
    for runner, status in exits:
        if status in (124, 137):
            tally["aborted"].append(f"{runner} ran out of time and was killed (exit {status})")
        elif status != 0 and not tally["failed"]:
            tally["aborted"].append(f"{runner} exited {status} without a failed test (build error or runner crash)")

    skipped = sum(len(v) for v in tally["skipped"].values())
    if skipped:
        print(f"skipped ({skipped}):")
        for reason, names in sorted(tally["skipped"].items()):
            print(f"  {reason}")
            for n in sorted(names):
                print(f"    - {n}")
    if tally["failed"]:
        print(f"failed ({len(tally['failed'])}):")
        for f in tally["failed"]:
            print(f"  - {f}")
    for a in tally["aborted"]:
        print(f"aborted: {a}")
    # An aborted run lost an unknown number of tests: it counts as (at least) one failure.
    failed = len(tally["failed"]) + (1 if tally["aborted"] and not tally["failed"] else 0)
    print(f"total: {tally['passed']} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or tally["passed"] == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

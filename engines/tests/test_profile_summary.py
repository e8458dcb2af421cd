"""scripts/ort-profile-summary.py on a trace in ONNX Runtime's format (cat Session/Node, kernel_time events)."""
import json
import os
import subprocess
import sys
import tempfile

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "ort-profile-summary.py")


def _trace(runs):
    ev, ts = [], 0
    for conv_us, add_us in runs:
        ev.append({"cat": "Session", "name": "model_run", "ts": ts, "dur": conv_us + add_us + 10})
        ev.append({"cat": "Node", "name": "c_kernel_time", "ts": ts + 1, "dur": conv_us, "args": {"op_name": "Conv"}})
        ev.append({"cat": "Node", "name": "a_kernel_time", "ts": ts + 2 + conv_us, "dur": add_us, "args": {"op_name": "Add"}})
        ev.append({"cat": "Node", "name": "a_fence_before", "ts": ts + 2, "dur": 99999, "args": {"op_name": "Add"}})
        ts += conv_us + add_us + 100
    return ev


def test_summary_skips_warm_up_runs_and_sums_kernel_time_per_operator():
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "p-decoder_2026-11-22_10-00-00_1.json"), "w") as f:
            json.dump(_trace([(900000, 900000), (500000, 500000), (3000, 1000), (5000, 1000)]), f)
        out = subprocess.run([sys.executable, SCRIPT, os.path.join(d, "p"), "--skip", "2"], check=True,
                             capture_output=True, text=True).stdout
    lines = out.splitlines()
    assert "2 runs" in lines[0] and "5.0 ms in operators" in lines[0], out   # (4000 + 6000) us / 2 runs
    assert lines[1].split()[:2] == ["Conv", "4.0"] and "80.0 %" in lines[1], out
    assert lines[2].split()[:2] == ["Add", "1.0"] and "20.0 %" in lines[2], out


def test_summary_says_when_nothing_matches():
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run([sys.executable, SCRIPT, os.path.join(d, "none")], capture_output=True, text=True)
    assert r.returncode != 0 and "no trace files" in r.stderr

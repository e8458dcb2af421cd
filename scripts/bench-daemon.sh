#!/usr/bin/env bash
# Daemon throughput vs engine-only throughput on the same model and engine (docs/PERFORMANCE.md).
# usage: [RESSHIFT_MODELS_DIR=DIR] scripts/bench-daemon.sh [MODEL] [JOBS] [BATCH]
# Runs `resshift bench` (engine-only figure), then the real daemon on a fresh watch root with JOBS
# single-tile images (8 in flight) and measures steady-state tiles/s from its own /metrics
# (resshift_tiles_total between the first and last quarter of the run).
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-tiny-x4}; jobs=${2:-48}; batch=${3:-4}
work=$(mktemp -d); trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
models_dir=${RESSHIFT_MODELS_DIR:-engines}  # bench and serve read the same variable
tile=$(python3 -c "import json,sys; print(json.load(open('$models_dir/$model/model.json'))['tile']['lq'])")

engine_only=$(bin/resshift bench --model "$model" --engine cpu --batch "$batch" --batches 6 --json | python3 -c '
import json,sys; d=json.load(sys.stdin); print([f for f in d["figures"] if f["name"]=="engine_only"][0]["tiles_per_s"])')

mkdir -p "$work/root/inbox"
python3 - "$work/root/inbox" "$jobs" "$tile" <<'PY'
import sys, zlib, struct, random
out, n, t = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def png(path, w, h, seed):
    r = random.Random(seed)
    raw = b"".join(b"\x00" + bytes(r.randrange(256) for _ in range(3 * w)) for _ in range(h))
    chunk = lambda k, d: struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d) & 0xffffffff)
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
for i in range(n): png(f"{out}/j{i:04d}.png", t, t, i)
PY
cat > "$work/cfg.json" <<CFG
{"Http": "127.0.0.1:$port", "Engine": "Cpu", "MaxBatch": $batch, "MaxJobsInFlight": 8,
 "Watch": [{"Root": "$work/root", "Model": "$model", "SettleSeconds": 0, "PollMilliseconds": 50}]}
CFG
bin/resshift serve --config "$work/cfg.json" > "$work/daemon.log" 2>&1 & pid=$!
# One long-lived poller (spawning curl 10x a second would itself steal CPU from the daemon on a small machine).
daemon=$(python3 - "$port" "$jobs" <<'PY'
import sys, time, urllib.request
port, jobs = int(sys.argv[1]), int(sys.argv[2])
def tiles():
    try:
        for line in urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode().splitlines():
            if line.startswith("resshift_tiles_total "): return float(line.split()[1])
    except OSError: pass
    return 0.0
marks = {}
q1, q3 = jobs // 4, jobs * 3 // 4
while len(marks) < 2:
    n, t = tiles(), time.monotonic()
    if n >= q1 and "a" not in marks: marks["a"] = (n, t)
    if n >= q3: marks["b"] = (n, t)
    time.sleep(0.1)
(n1, t1), (n2, t2) = marks["a"], marks["b"]
print((n2 - n1) / (t2 - t1))
PY
)
kill -TERM $pid; wait $pid || true
python3 -c "
e, d = $engine_only, $daemon
print(f'model $model, batch $batch, {$jobs} single-tile jobs, 8 in flight')
print(f'engine-only (resshift bench): {e:.3f} tiles/s')
print(f'daemon steady state:          {d:.3f} tiles/s  = {100*d/e:.1f} % of engine-only')"

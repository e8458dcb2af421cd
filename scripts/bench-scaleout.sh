#!/usr/bin/env bash
# RabbitMQ scale-out: the same JOBS single-tile jobs through 1 daemon with every core, then 2 daemons sharing
# the cores, on the private test broker (scripts/rabbitmq-test-server.sh). A measurement, not a test: it prints
# end-to-end and steady (after the first result) jobs/s for each and writes them to out/bench/scaleout.txt.
# usage: scripts/bench-scaleout.sh [JOBS]     (after make build)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-40}
[ -x src/Daemon/bin/Release/net10.0/resshift ] || { echo "bench-scaleout: build first (make build)" >&2; exit 2; }
resshift=$PWD/src/Daemon/bin/Release/net10.0/resshift
cores=$(nproc)

started_broker=0
if ! scripts/rabbitmq-test-server.sh status >/dev/null 2>&1; then
  scripts/rabbitmq-test-server.sh start >/dev/null
  started_broker=1
fi
uri=$(cat out/rabbitmq/uri)
pids=()
work=$(mktemp -d)
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
  if [ "$started_broker" = 1 ]; then scripts/rabbitmq-test-server.sh stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Counts results (sidecars) until all JOBS are there; prints "first_result_s total_s". Times out after 10 min.
wait_outputs() {
  python3 - "$1" "$jobs" <<'PY'
import glob, sys, time
out, n = sys.argv[1], int(sys.argv[2])
t0, first = time.monotonic(), None
while True:
    done = len(glob.glob(f"{out}/*.resshift.json"))
    now = time.monotonic() - t0
    if done and first is None: first = now
    if done >= n: break
    if now > 600: sys.exit(f"only {done} of {n} results after 600 s")
    time.sleep(0.05)
print(f"{first:.3f} {now:.3f}")
PY
}

results=()
for daemons in 1 2; do
  run="$work/run$daemons"
  mkdir -p "$run/in" "$run/out"
  # Single-tile inputs (8x8 -> 32x32 with tiny-x4), as the removed test used: the figure is per-job overhead.
  python3 - "$run/in" "$jobs" <<'PY'
import random, struct, sys, zlib
out, n = sys.argv[1], int(sys.argv[2])
chunk = lambda k, d: struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d) & 0xffffffff)
for i in range(n):
    r = random.Random(i)
    raw = b"".join(b"\x00" + bytes(r.randrange(256) for _ in range(24)) for _ in range(8))
    open(f"{out}/job-{i:04d}.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
                                              + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
  queue="bench.scaleout.$$.$daemons"
  threads=$(( cores / daemons )); [ "$threads" -ge 1 ] || threads=1
  ports=()
  for ((i = 0; i < daemons; i++)); do
    port=$(free_port); ports+=("$port")
    cat > "$run/d$i.json" <<CFG
{"Http": "127.0.0.1:$port", "ModelsDir": "$PWD/engines", "Engine": "Cpu", "Threads": $threads, "MaxBatch": 4, "MaxJobsInFlight": 4,
 "RabbitMq": [{"Uri": "$uri", "Queue": "$queue", "Roots": ["$run"], "Model": "tiny-x4"}]}
CFG
    "$resshift" serve --config "$run/d$i.json" > "$run/d$i.log" 2>&1 & pids+=($!)
  done
  for port in "${ports[@]}"; do
    for ((t = 0; t < 900; t++)); do
      curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
      sleep 0.2
    done
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { echo "bench-scaleout: a daemon did not get ready; its log:" >&2; cat "$run"/d*.log >&2; exit 1; }
  done
  "$resshift" submit --queue "$queue" --uri "$uri" --model tiny-x4 --output-dir "$run/out" "$run"/in/*.png >/dev/null &
  read -r first total < <(wait_outputs "$run/out")
  wait $! || true
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  results+=("$(python3 -c "
n, f, t = $jobs, $first, $total
print(f'$daemons daemon(s) x $threads thread(s): {n} jobs (8x8 -> 32x32 PNG) in {t:.2f} s = {n / t:.2f} jobs/s end to end; '
      f'{(n - 1) / (t - f):.2f} jobs/s after the first result ({f:.1f} s)')")")
done

mkdir -p out/bench
printf '%s\n' "${results[@]}" | tee out/bench/scaleout.txt

#!/usr/bin/env bash
# CPU, full-width ResShift (realsr x4 v3 architecture, random weights, 64^2 LQ tiles): the ONNX Runtime
# engine (bin/resshift bench --engine-only) vs our PyTorch implementation (engines/bench_torch.py), same
# thread count, batch 1, one warm-up batch each, then TILES measured batches each, one after the other.
#
#   scripts/bench-cpu-fullwidth.sh [THREADS=2] [TILES=2]
#
# Env: FULLWIDTH_DIR (models dir for the exported graphs, default /tmp/fullwidth; never inside the repo: the
# graphs are ~700 MB), PYTHON (default /usr/bin/python3), BATCH (tiles per call, default 1),
# TORCH_BLAS (openblas | system, default openblas), WARMUP (unmeasured batches per engine, default 2: ORT
# records its memory pattern on run 1 and first touches it on run 2), TORCH_REWRITES=1 (PyTorch runs the
# export's inference rewrites too, engines/resshift_models/rewrites.py: shows what the graph rewrites alone buy).
#
# Exports the graphs first if they are not there (2.5-4 min on 2 cores; deterministic: the same seed gives
# the same graph hashes).
#
# BLAS: Debian's python3-torch links libblas.so.3, which on a stock Debian system is the netlib REFERENCE
# BLAS (single-threaded, unoptimised): every nn.Linear and matmul in our networks (Swin qkv/proj, attention)
# then runs ~15x slower than with an optimised BLAS.  To compare ONNX Runtime against a fairly configured
# PyTorch, TORCH_BLAS=openblas (default) extracts Debian's libopenblas0-openmp (`apt-get download`, no
# install, no change to the system's alternatives) under $FULLWIDTH_DIR/openblas and puts it first on
# LD_LIBRARY_PATH for the PyTorch run only.  TORCH_BLAS=system measures torch exactly as installed.
#
# Results: $FULLWIDTH_DIR/bench-t$THREADS-b$BATCH-*/{torch,ort}.json, *.contention and summary.txt.  Each
# phase reports how much CPU other processes took meanwhile (the machine may be shared).
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS="${1:-2}"
TILES="${2:-2}"
BATCH="${BATCH:-1}"
WARMUP="${WARMUP:-2}"
TORCH_EXTRA=()
[ "${TORCH_REWRITES:-0}" = 1 ] && TORCH_EXTRA=(--rewrites)
DIR="${FULLWIDTH_DIR:-/tmp/fullwidth}"
PY="${PYTHON:-/usr/bin/python3}"
ID=resshift-realsr-x4-v3
SEED=7
TILE=64

[ -x bin/resshift ] || make build
mkdir -p "$DIR"

if [ ! -f "$DIR/$ID/model.json" ]; then
  echo "== exporting $ID (full widths, random init, seed $SEED, tile $TILE) to $DIR/$ID"
  "$PY" engines/export.py --random-init --seed "$SEED" --widths full --id "$ID" --task realsr --tile "$TILE" \
    --verify-batch 1 --out "$DIR/$ID" 2>&1 | grep -v -e Warning -e '^  ' || true
  [ -f "$DIR/$ID/model.json" ] || { echo "export failed" >&2; exit 1; }
fi
# The PyTorch side rebuilds the weights from the seed: make sure the graphs came from the same one.
"$PY" - "$DIR/$ID/model.json" "$SEED" "$TILE" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
g = " " + m["generated_by"] + " "
for need in ("--random-init", f"--seed {sys.argv[2]} ", "--widths full", f"--tile {sys.argv[3]} "):
    if need not in g:
        sys.exit(f"{sys.argv[1]} was not made with {need.strip()!r}: {m['generated_by']}")
import os
idx = json.load(open(os.path.join(os.path.dirname(sys.argv[1]), "verify", "index.json")))
if "rewrites" not in idx:
    sys.exit(f"{os.path.dirname(sys.argv[1])} predates the export's inference rewrites: delete it and run again")
EOF

TORCH_BLAS="${TORCH_BLAS:-openblas}"
TORCH_ENV=()
if [ "$TORCH_BLAS" = openblas ]; then
  OB="$DIR/openblas/root/usr/lib/x86_64-linux-gnu/openblas-openmp"
  if [ ! -f "$OB/libblas.so.3" ]; then
    mkdir -p "$DIR/openblas"
    (cd "$DIR/openblas" && apt-get download libopenblas0-openmp >/dev/null 2>&1 && dpkg -x libopenblas0-openmp_*.deb root) \
      || echo "WARNING: could not fetch libopenblas0-openmp; PyTorch runs on the system BLAS" >&2
  fi
  [ -f "$OB/libblas.so.3" ] && TORCH_ENV=(env "LD_LIBRARY_PATH=$OB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
fi

# Contention check: CPU-seconds the whole machine spent busy during a phase minus the phase's own CPU-seconds
# = what other processes took.  Anything above a few % of (wall x cores) makes the figures suspect.
busy_cs() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }   # centiseconds (USER_HZ 100)
timed() {  # timed NAME CMD...: runs CMD, stdout to $OUT/NAME.json, records contention in $OUT/NAME.contention
  local name="$1"; shift
  local b0 b1; b0=$(busy_cs)
  /usr/bin/time -f "%e %U %S" -o "$OUT/$name.time" "$@" > "$OUT/$name.json"
  b1=$(busy_cs)
  read -r wall user sys < "$OUT/$name.time"
  awk -v b0="$b0" -v b1="$b1" -v w="$wall" -v u="$user" -v s="$sys" -v n="$(nproc)" -v name="$name" 'BEGIN {
    o = (b1 - b0) / 100 - u - s; if (o < 0) o = 0
    printf "%s phase: wall %.1f s, own cpu %.1f s, other processes %.1f cpu-s = %.1f %% of the machine%s\n",
      name, w, u + s, o, 100 * o / (w * n), (o / (w * n) > 0.05 ? "  <-- CONTENDED, figures suspect" : "")
  }' | tee "$OUT/$name.contention"
}

OUT="$DIR/bench-t$THREADS-b$BATCH-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
{
  echo "machine: $(nproc) logical CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), " \
       "$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "threads $THREADS, batch $BATCH, $WARMUP warm-up + $TILES measured batches per engine; torch BLAS: $TORCH_BLAS; torch rewrites: ${TORCH_REWRITES:-0}"
} | tee "$OUT/summary.txt"

echo "== PyTorch (engines/bench_torch.py)"
timed torch "${TORCH_ENV[@]}" "$PY" engines/bench_torch.py --id "$ID" --widths full --seed "$SEED" --tile "$TILE" \
  --threads "$THREADS" --batch "$BATCH" --tiles "$TILES" --warmup "$WARMUP" "${TORCH_EXTRA[@]}" 2> >(tee "$OUT/torch.log" >&2)

echo "== ONNX Runtime (bin/resshift bench --engine-only)"
timed ort bin/resshift bench --model "$ID" --models-dir "$DIR" --engine cpu --threads "$THREADS" --batch "$BATCH" \
  --batches "$TILES" --warmup "$WARMUP" --engine-only --json

"$PY" - "$OUT/torch.json" "$OUT/ort.json" <<'EOF' | tee -a "$OUT/summary.txt"
import json, sys
pt = json.load(open(sys.argv[1]))
ort_all = json.load(open(sys.argv[2]))
ort = ort_all["figures"][0]
assert ort["name"] == "engine_only"
ort_ms = 1000 * ort["seconds"] / ort["tiles"]
rows = [(k, ort["stage_ms_per_tile"][k], pt["stage_ms_per_tile"][k])
        for k in ("preprocess", "encode_latent", "denoise", "decode_latent")]
rows.append(("total (wall)", ort_ms, pt["ms_per_tile"]))
print(f"model {ort_all['model']} (full widths, random init), threads ORT {ort_all.get('threads')} / "
      f"torch {pt['threads']}, batch {ort_all['batch']} / {pt['batch']}, measured tiles ORT {ort['tiles']} / torch {pt['tiles']}")
print(f"{'ms per tile':<16}{'ONNX Runtime':>14}{'PyTorch':>14}{'PyTorch/ORT':>13}")
for name, o, p in rows:
    print(f"{name:<16}{o:>14.1f}{p:>14.1f}{(p / o if o > 0 else float('nan')):>13.2f}")
print(f"{'tiles/s':<16}{1000 / ort_ms:>14.4f}{pt['tiles_per_s']:>14.4f}")
print(f"denoiser step   {ort['stage_ms_per_tile']['denoise'] / 4:>14.1f}{pt['denoiser_ms_per_step_per_tile']:>14.1f}")
r = pt["ms_per_tile"] / ort_ms
print(f"ONNX Runtime is {r:.2f}x {'faster' if r >= 1 else 'SLOWER'} than PyTorch per tile "
      f"(target >= 1.30x: {'met' if r >= 1.3 else 'NOT met'})")
print(f"torch BLAS: {', '.join(pt['blas_libraries'])}")
print(f"session load {ort_all.get('load_seconds', float('nan')):.1f}s (ORT) / model build {pt['build_seconds']:.1f}s (torch)")
EOF
cat "$OUT/torch.contention" "$OUT/ort.contention" >> "$OUT/summary.txt"
echo "results in $OUT"

#!/usr/bin/env bash
# Regenerates engines/bird-tiny (unet.onnx, model.json, verify/, parity/) from fixed seeds with Debian's
# python3-torch 1.13.1 + python3-onnx 1.12 (/usr/bin/python3).  OUT=DIR writes elsewhere (the tests compare).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/../.."
PY=${PYTHON:-/usr/bin/python3}
out=${OUT:-engines/bird-tiny}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
rm -rf "$out/verify" "$out/parity"
"$PY" engines/bird/export.py --random-init --seed 7 --widths tiny --id bird-tiny --out "$out" \
    2> >(grep -v -e Warning -e '_C._jit' -e '^  ' >&2)
"$PY" engines/bird/make_parity.py --model "$out" --seed 11 --out "$out/parity"

#!/usr/bin/env bash
# Regenerates engines/tiny-x4 (ONNX graphs, model.json, verify/, parity/, parity-tiled/ and parity-one-step/)
# byte-for-byte from seed 1234. parity-s15 (the 15-step schedule) is make_parity.py --id tiny-x4-s15 ... --tiled.
# Needs Debian's python3-torch 1.13.1 + python3-onnx 1.12 (/usr/bin/python3); other torch versions may
# serialise differently.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
engines="$(dirname "$here")"
cd "$(dirname "$engines")"
PY=${PYTHON:-/usr/bin/python3}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
rm -rf "$here/verify" "$here/parity" "$here/parity-tiled" "$here/parity-one-step"
"$PY" engines/export.py --random-init --seed 1234 --widths tiny --id tiny-x4 --task realsr --tile 64 \
    --out engines/tiny-x4 2> >(grep -v -e Warning -e '_C._jit' -e '^  ' >&2)
"$PY" engines/make_parity.py --id tiny-x4 --random-init --seed 1234 --widths tiny --out engines/tiny-x4/parity
"$PY" engines/make_parity.py --id tiny-x4 --random-init --seed 1234 --widths tiny --tiled --out engines/tiny-x4/parity-tiled
# SinSR's sampling over the same weights: one denoiser call at t = 14 of the 15-step schedule, its x0 decoded
"$PY" engines/make_parity.py --id tiny-x4-one-step --random-init --seed 1234 --widths tiny --tiled --out engines/tiny-x4/parity-one-step

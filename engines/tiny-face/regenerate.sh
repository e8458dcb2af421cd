#!/usr/bin/env bash
# Regenerates engines/tiny-face (ONNX graphs, model.json, parity/) from seed 1234, like engines/tiny-x4/regenerate.sh.
# The verify/ bundle is not kept (it would add megabytes); the parity data checks the graphs end to end, and
# 'resshift models verify' needs a bundle only for the full models.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
engines="$(dirname "$here")"
cd "$(dirname "$engines")"
PY=${PYTHON:-/usr/bin/python3}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
rm -rf "$here/verify" "$here/parity"
"$PY" engines/export.py --random-init --seed 1234 --widths tiny --id tiny-face --tile 512 --verify-batch 1 \
    --out engines/tiny-face 2> >(grep -v -e Warning -e '_C._jit' -e '^  ' >&2)
rm -rf "$here/verify"
"$PY" - "$here/model.json" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
m["verification"] = None
m["generated_by"] = "engines/tiny-face/regenerate.sh (export.py --random-init --seed 1234 --widths tiny --id tiny-face --tile 512; verify/ dropped)"
with open(sys.argv[1], "w") as fh:
    json.dump(m, fh, indent=2)
    fh.write("\n")
PYEOF
"$PY" engines/make_parity.py --id tiny-face --random-init --seed 1234 --widths tiny --chop 512 --out engines/tiny-face/parity

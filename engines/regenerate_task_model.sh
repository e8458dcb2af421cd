#!/usr/bin/env bash
# Regenerates a small random-weight task model (ONNX graphs, model.json, parity/) from seed 1234, like
# engines/tiny-x4/regenerate.sh: engines/regenerate_task_model.sh ID TILE (used by tiny-inpaint and tiny-face).
# The verify/ bundle is not kept (it would add megabytes); the parity data checks the graphs end to end, and
# 'resshift models verify' needs a bundle only for the full models.
set -euo pipefail
id=${1:?usage: regenerate_task_model.sh ID TILE}
tile=${2:?usage: regenerate_task_model.sh ID TILE}
engines="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
here="$engines/$id"
cd "$(dirname "$engines")"
PY=${PYTHON:-/usr/bin/python3}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
rm -rf "$here/verify" "$here/parity"
"$PY" engines/export.py --random-init --seed 1234 --widths tiny --id "$id" --tile "$tile" --verify-batch 1 \
    --out "engines/$id" 2> >(grep -v -e Warning -e '_C._jit' -e '^  ' >&2)
rm -rf "$here/verify"
"$PY" - "$here/model.json" "$id" "$tile" <<'PYEOF'
import json, sys
path, model_id, tile = sys.argv[1:4]
m = json.load(open(path))
m["verification"] = None
m["generated_by"] = (f"engines/{model_id}/regenerate.sh (export.py --random-init --seed 1234 --widths tiny "
                     f"--id {model_id} --tile {tile}; verify/ dropped)")
with open(path, "w") as fh:
    json.dump(m, fh, indent=2)
    fh.write("\n")
PYEOF
"$PY" engines/make_parity.py --id "$id" --random-init --seed 1234 --widths tiny --chop "$tile" --out "engines/$id/parity"

#!/usr/bin/env bash
# Model tests (PyTorch). Skipped with a reason when Debian's python3-torch is absent, unless --require.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
if [ "${1:-}" = "--require" ]; then
  scripts/setup-models.sh
fi
if ! "$PY" -c 'import torch, onnx' >/dev/null 2>&1; then
  echo "model tests: SKIPPED (python3-torch / python3-onnx not installed; 'make test-models' installs and runs them)"
  exit 0
fi
if [ -x engines/tests/run.sh ]; then
  engines/tests/run.sh
else
  echo "model tests: none yet"
fi

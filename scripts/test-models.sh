#!/usr/bin/env bash
# Model tests (PyTorch, engines/tests). Without Debian's python3-torch / python3-onnx each of them is reported
# as skipped with that reason, never as passed. --require installs them first and makes their absence a failure.
# Last line: "models: N passed, M failed, K skipped"; exit status non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# usage: scripts/test-models.sh [--require] [runner arguments, e.g. -k NAME]
if [ "${1:-}" = "--require" ]; then
  shift
  scripts/setup-models.sh
  export RESSHIFT_MODELS_REQUIRED=1
fi
exec engines/tests/run.sh "$@"

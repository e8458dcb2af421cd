#!/usr/bin/env bash
# Runs the engines/ model tests with Debian's python3 (torch 1.13 CPU, onnx 1.12).
# Last line: "models: N passed, M failed, K skipped"; exit status non-zero on any failure.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
exec "${PYTHON:-/usr/bin/python3}" -W ignore "$here/runner.py" "$@"

#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
echo "The daemon (resshift serve) arrives with the daemon issue; for now:"
bin/resshift schedule --model resshift-realsr-x4-v3 --json

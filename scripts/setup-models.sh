#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
for pkg in python3-torch python3-onnx python3-numpy; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if ((${#missing[@]})); then
  s=""; [ "$(id -u)" -eq 0 ] || s="sudo"
  $s apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $s apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

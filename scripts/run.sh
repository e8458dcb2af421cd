#!/usr/bin/env bash
# The main job on the embedded default: the daemon, CPU engine, bundled tiny-x4 model, ./data watched.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD/data"
http="${RESSHIFT_HTTP:-127.0.0.1:9464}"
mkdir -p "$root/inbox"
cat <<MSG
ResShift Pipeline daemon (CPU engine, bundled model tiny-x4)
  drop images into   $root/inbox        (png, jpg, tif, webp; subfolders are kept)
  results appear in  $root/outbox       (4x, with a .resshift.json provenance sidecar each)
  originals move to  $root/done         (or $root/failed, with <name>.error.json saying why)
  metrics and health http://$http/metrics  /healthz  /readyz  /v1/status
  Ctrl-C drains in-flight work and stops.
Note: tiny-x4 has random weights; it exercises the real pipeline but does not restore images.
      For real restoration export an official model (make models MODEL=resshift-realsr-x4-v3) and run
      bin/resshift serve --watch "$root" --model resshift-realsr-x4-v3
MSG
exec bin/resshift serve --watch "$root" --model tiny-x4 --http "$http"

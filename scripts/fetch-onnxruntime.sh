#!/usr/bin/env bash
# Puts ONNX Runtime 1.30.0 (CPU) at .tools/onnxruntime/lib/libonnxruntime.so.1.
# The library comes from the npm package onnxruntime-node, fetched with `npm pack` so that the package's
# install script (which downloads from elsewhere) never runs. Both the tarball and the library are pinned
# by sha256. Idempotent: does nothing when the library with the right hash is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

ORT_VERSION="1.30.0"
TGZ_SHA256="6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75"
LIB_SHA256="ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23"
LIB_DIR=".tools/onnxruntime/lib"
LIB="$LIB_DIR/libonnxruntime.so.1"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

if [ -f "$LIB" ] && [ "$(sha256_of "$LIB")" = "$LIB_SHA256" ]; then
  echo "onnxruntime: $LIB ($ORT_VERSION) already present"
  exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "onnxruntime: npm is required (apt-get install npm)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "onnxruntime: fetching onnxruntime-node@$ORT_VERSION with npm pack"
# --ignore-scripts: pack never runs lifecycle scripts, but say so explicitly anyway.
(cd "$work" && npm pack "onnxruntime-node@$ORT_VERSION" --ignore-scripts --silent >/dev/null)
tgz="$work/onnxruntime-node-$ORT_VERSION.tgz"
[ -f "$tgz" ] || { echo "onnxruntime: npm pack did not produce $(basename "$tgz")" >&2; exit 1; }

got="$(sha256_of "$tgz")"
if [ "$got" != "$TGZ_SHA256" ]; then
  echo "onnxruntime: tarball sha256 mismatch: expected $TGZ_SHA256, got $got" >&2
  exit 1
fi

tar -xzf "$tgz" -C "$work" --wildcards 'package/bin/napi-v6/linux/x64/libonnxruntime.so.1*'
src="$work/package/bin/napi-v6/linux/x64"

# The package may ship the library as libonnxruntime.so.1 or as a versioned file plus link; take the real file.
real=""
for f in "$src"/libonnxruntime.so.1*; do
  [ -f "$f" ] && [ ! -L "$f" ] && real="$f" && break
done
[ -n "$real" ] || { echo "onnxruntime: no libonnxruntime.so.1* in the package" >&2; exit 1; }

got="$(sha256_of "$real")"
if [ "$got" != "$LIB_SHA256" ]; then
  echo "onnxruntime: library sha256 mismatch: expected $LIB_SHA256, got $got" >&2
  exit 1
fi

mkdir -p "$LIB_DIR"
# Copy under a temporary name and rename so an interrupted run never leaves a half-written library.
cp "$real" "$LIB.tmp"
mv -f "$LIB.tmp" "$LIB"
if [ "$(basename "$real")" != "libonnxruntime.so.1" ]; then
  cp "$real" "$LIB_DIR/$(basename "$real").tmp" && mv -f "$LIB_DIR/$(basename "$real").tmp" "$LIB_DIR/$(basename "$real")"
fi
echo "onnxruntime: installed $LIB ($ORT_VERSION)"

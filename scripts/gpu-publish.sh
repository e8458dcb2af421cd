#!/usr/bin/env bash
# Self-contained, trimmed linux-x64 publish of `resshift` for a GPU machine that has no .NET SDK.
# Output: out/gpu-publish/ (ignored by git: out/ is); carry it to the device with the repository.
#   scripts/gpu-publish.sh            -> out/gpu-publish/resshift (+ libresshift_trt.so, libresshift_trt11.so)
# Prebuilt TensorRT shims are added when TensorRT headers are here: RESSHIFT_TRT_INCLUDE_10 / RESSHIFT_TRT_INCLUDE_11,
# else the oldest 10.x and newest 11.x under .tools/trt-headers/<tag>/include (fetched from github:NVIDIA/TensorRT,
# never committed; no package registry reachable here has them). The device then needs no compiler or headers.
# TrimMode=partial trims only the framework (our assemblies stay whole, so reflection-based JSON and
# System.CommandLine keep working); trim analysis warnings are therefore off.
# Fails when the folder exceeds RESSHIFT_PUBLISH_MAX_MB (default 40): the device tool carries at most 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/gpu-publish}"
max_mb="${RESSHIFT_PUBLISH_MAX_MB:-40}"
rm -rf "$out"
dotnet publish src/Daemon/ResShift.Daemon.csproj -c Release -r linux-x64 --self-contained true \
  -p:PublishTrimmed=true -p:TrimMode=partial -p:EnableTrimAnalyzer=false -p:SuppressTrimAnalysisWarnings=true -p:DebugType=none -p:InvariantGlobalization=true \
  -p:SatelliteResourceLanguages=en -p:JsonSerializerIsReflectionEnabledByDefault=true --nologo -v q -o "$out"
# Native pieces only debuggers, LTTng tracing or an opt-in standalone GC load; the runtime starts without them.
rm -f "$out"/libmscordaccore.so "$out"/libmscordbi.so "$out"/libcoreclrtraceptprovider.so "$out"/libclrgc.so "$out"/libclrgcexp.so
# Prebuilt shims (scripts/gpu-build-shim.sh): 10.x with the oldest 10 headers (works with every 10.x runtime), 11.x.
pick() { ls -d .tools/trt-headers/v"$1".*/include 2>/dev/null | sort -V | "$2" -1; }
inc10="${RESSHIFT_TRT_INCLUDE_10:-$(pick 10 head)}"
inc11="${RESSHIFT_TRT_INCLUDE_11:-$(pick 11 tail)}"
if [ -n "$inc10" ]; then scripts/gpu-build-shim.sh "$inc10" "$out/libresshift_trt.so"
else echo "no TensorRT 10 headers (RESSHIFT_TRT_INCLUDE_10 or .tools/trt-headers/v10.*/include): no prebuilt shim for TensorRT 10; gpu-checks.sh builds one on the device if it has NvInfer.h and g++"; fi
if [ -n "$inc11" ]; then scripts/gpu-build-shim.sh "$inc11" "$out/libresshift_trt11.so"
else echo "no TensorRT 11 headers (RESSHIFT_TRT_INCLUDE_11 or .tools/trt-headers/v11.*/include): no prebuilt shim for TensorRT 11"; fi
size_mb=$(du -sm "$out" | cut -f1)
echo "published $out/resshift: ${size_mb} MB"
if [ "$size_mb" -gt "$max_mb" ]; then
  echo "publish is ${size_mb} MB, over the ${max_mb} MB limit" >&2
  exit 1
fi

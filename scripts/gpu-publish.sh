#!/usr/bin/env bash
# Self-contained, trimmed linux-x64 publish of `resshift` for a GPU machine that has no .NET SDK.
# Output: out/gpu-publish/ (ignored by git: out/ is); carry it to the device with the repository.
#   scripts/gpu-publish.sh            -> out/gpu-publish/resshift
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
size_mb=$(du -sm "$out" | cut -f1)
echo "published $out/resshift: ${size_mb} MB"
if [ "$size_mb" -gt "$max_mb" ]; then
  echo "publish is ${size_mb} MB, over the ${max_mb} MB limit" >&2
  exit 1
fi

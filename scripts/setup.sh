#!/usr/bin/env bash
# Installs what the build and tests need; safe to run again (each step checks first).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
# Images need no Debian package: libvips comes bundled in the NetVips.Native NuGet package.
for pkg in ffmpeg mkvtoolnix "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "setup: installing ${need_apt[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

scripts/prometheus-tools.sh >/dev/null
dotnet restore ResShift.Pipeline.sln --nologo -v q

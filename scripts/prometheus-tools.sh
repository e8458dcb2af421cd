#!/usr/bin/env bash
# Ensures Debian's `prometheus` package (/usr/bin/prometheus, /usr/bin/promtool) is installed and prints the
# promtool path. Idempotent. The tests start their own Prometheus on a free port, so the packaged system daemon
# must not be left running: its start is blocked during install and stopped afterwards if it came up anyway.
set -euo pipefail

log() { echo "prometheus-tools: $*" >&2; }

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { log "not root and sudo is missing: cannot install prometheus"; exit 1; }
  sudo_cmd=(sudo)
fi

if ! dpkg -s prometheus >/dev/null 2>&1 || [ ! -x /usr/bin/promtool ] || [ ! -x /usr/bin/prometheus ]; then
  # Keep maintainer scripts from starting the service (the Docker convention: policy-rc.d exit 101).
  policy=/usr/sbin/policy-rc.d
  added_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
    "${sudo_cmd[@]}" chmod 755 "$policy"
    added_policy=1
  fi
  cleanup() { if [ "$added_policy" = 1 ]; then "${sudo_cmd[@]}" rm -f "$policy"; fi; }
  trap cleanup EXIT

  if ! apt-cache policy prometheus 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    log "apt-get update"
    "${sudo_cmd[@]}" apt-get update -qq
  fi
  log "installing prometheus (no recommends)"
  if ! "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; then
    log "install failed; retrying after apt-get update"
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  fi
  cleanup
  added_policy=0
fi

# A packaged daemon (init script, or one started before this script ran) would hold :9090. Stop only the
# system service's own process (the `prometheus` user running /usr/bin/prometheus with the packaged config),
# never a test's server.
for pid in $(pgrep -u prometheus -x prometheus 2>/dev/null || true); do
  if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- '--config.file=/etc/prometheus/prometheus.yml\|^/usr/bin/prometheus *$'; then
    log "stopping system prometheus daemon (pid $pid)"
    if [ -x /etc/init.d/prometheus ]; then "${sudo_cmd[@]}" /etc/init.d/prometheus stop >/dev/null 2>&1 || true; fi
    "${sudo_cmd[@]}" kill "$pid" 2>/dev/null || true
  fi
done

# Something else may hold :9090 (a user's own Prometheus); the tests never use that port, so only say so.
if command -v ss >/dev/null 2>&1 && ss -ltnH 'sport = :9090' 2>/dev/null | grep -q .; then
  log "note: port 9090 is in use by another process (not stopped; tests use their own free ports)"
fi

for bin in /usr/bin/promtool /usr/bin/prometheus; do
  [ -x "$bin" ] || { log "$bin missing after install"; exit 1; }
done
echo /usr/bin/promtool

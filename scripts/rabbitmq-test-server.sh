#!/usr/bin/env bash
# A private RabbitMQ broker for the tests: start | stop | status | stop_app | start_app.
# Installs Debian's rabbitmq-server if missing (its packaged service is kept from starting), then runs a node of
# its own: loopback only (AMQP, Erlang distribution and epmd all bound to 127.0.0.1), private AMQP /
# distribution / epmd ports, data, logs, config and Erlang cookie in a temporary folder, no plugins. `start` writes the AMQP URI to out/rabbitmq/uri (what the tests read) and exports
# nothing. `stop` kills the node and removes its folder. stop_app/start_app take the broker down and up while the
# node keeps running (the tests' broker-restart case).
set -euo pipefail
cd "$(dirname "$0")/.."

STATE=${RESSHIFT_RABBITMQ_DIR:-$PWD/out/rabbitmq}
AMQP_PORT=${RESSHIFT_RABBITMQ_PORT:-5679}
DIST_PORT=$((AMQP_PORT + 20000))
EPMD_PORT=${RESSHIFT_RABBITMQ_EPMD_PORT:-4379}
NODE=resshift-test@localhost
RABBIT_BIN=/usr/lib/rabbitmq/bin

log() { echo "rabbitmq-test-server: $*" >&2; }

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

install_broker() {
  [ -x "$RABBIT_BIN/rabbitmq-server" ] && return 0
  if [ "${#sudo_cmd[@]}" -gt 0 ] && ! command -v sudo >/dev/null 2>&1; then
    log "rabbitmq-server is not installed and this is neither root nor has sudo"; exit 1
  fi
  # No systemd here, and we never want the packaged broker anyway: policy-rc.d 101 keeps invoke-rc.d from starting it.
  local policy=/usr/sbin/policy-rc.d added=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
    "${sudo_cmd[@]}" chmod 755 "$policy"; added=1
  fi
  log "installing rabbitmq-server (apt-get)"
  apt-cache policy rabbitmq-server 2>/dev/null | grep -q 'Candidate: [0-9]' || "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null
  [ "$added" = 1 ] && "${sudo_cmd[@]}" rm -f "$policy"
  # If a packaged node came up regardless (an init without policy-rc.d), stop it: it would own port 5672 and epmd.
  if pgrep -u rabbitmq -f 'beam.*rabbit' >/dev/null 2>&1; then
    log "stopping the packaged rabbitmq-server that the install started"
    "${sudo_cmd[@]}" service rabbitmq-server stop >/dev/null 2>&1 || true
  fi
}

# Every broker and CLI process sees only these variables (env -i): nothing leaks from or into the caller.
node_env() {
  env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin HOME="$STATE/home" LANG=C.UTF-8 \
    RABBITMQ_NODENAME=$NODE RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$AMQP_PORT \
    RABBITMQ_DIST_PORT=$DIST_PORT ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT=$EPMD_PORT \
    RABBITMQ_MNESIA_BASE="$STATE/mnesia" RABBITMQ_LOG_BASE="$STATE/log" \
    RABBITMQ_CONFIG_FILE="$STATE/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$STATE/enabled_plugins" \
    RABBITMQ_PID_FILE="$STATE/rabbit.pid" ERL_CRASH_DUMP="$STATE/log/erl_crash.dump" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_listen_min $((DIST_PORT + 10000)) -kernel inet_dist_listen_max $((DIST_PORT + 10010)) -kernel inet_dist_use_interface {127,0,0,1}" \
    "$@"
}

# CLI nodes (await_startup polls from the moment the broker is launched) listen 10000 ports above the broker's
# distribution port, as RabbitMQ's own defaults do: starting at the broker's port, a CLI node could take it first and
# the broker then fails with dist_port_already_used.
ctl() { node_env "$RABBIT_BIN/rabbitmqctl" -n $NODE "$@"; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The epmd serving our private port: the one whose environment names that port (erl starts it with ours).
our_epmd() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = epmd ] || continue
    tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qx "ERL_EPMD_PORT=$EPMD_PORT" && echo "${p#/proc/}"
  done
  return 0
}

start() {
  install_broker
  if [ -f "$STATE/rabbit.pid" ] && kill -0 "$(cat "$STATE/rabbit.pid")" 2>/dev/null; then
    log "already running (pid $(cat "$STATE/rabbit.pid"))"; cat "$STATE/uri"; return 0
  fi
  rm -rf "$STATE"
  for p in $AMQP_PORT $DIST_PORT; do
    if port_busy "$p"; then log "port $p is taken; set RESSHIFT_RABBITMQ_PORT to another base port"; exit 1; fi
  done
  mkdir -p "$STATE/home" "$STATE/mnesia" "$STATE/log"
  # An epmd already serving this port is someone else's: `stop` leaves it alone.
  [ -n "$(our_epmd)" ] && touch "$STATE/epmd.preexisting"
  chmod 700 "$STATE/home"
  # The cookie lives in the private HOME; the CLI and the node both read it from there.
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 'a-f' 'A-F' >"$STATE/home/.erlang.cookie"
  chmod 400 "$STATE/home/.erlang.cookie"
  echo '[].' >"$STATE/enabled_plugins"
  # consumer_timeout is broker-wide on 3.10 (no per-queue argument there): one hour, above any job of ours.
  cat >"$STATE/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$AMQP_PORT
loopback_users.guest = true
consumer_timeout = 3600000
disk_free_limit.absolute = 50MB
vm_memory_high_watermark.absolute = 1GiB
log.file.level = info
log.console = false
EOF
  log "starting node $NODE on 127.0.0.1:$AMQP_PORT (data in $STATE)"
  node_env setsid "$RABBIT_BIN/rabbitmq-server" >"$STATE/log/stdout.log" 2>&1 </dev/null &
  echo $! >"$STATE/launcher.pid"
  if ! timeout 90 bash -c "$(declare -f node_env ctl); STATE='$STATE' NODE='$NODE' AMQP_PORT=$AMQP_PORT DIST_PORT=$DIST_PORT EPMD_PORT=$EPMD_PORT RABBIT_BIN='$RABBIT_BIN'; until ctl await_startup --timeout 80 >/dev/null 2>&1; do sleep 1; done"; then
    log "broker did not start in 90 s; last log lines:"; tail -n 30 "$STATE/log/stdout.log" >&2 || true
    stop; exit 1
  fi
  [ -f "$STATE/epmd.preexisting" ] || our_epmd >"$STATE/epmd.pid"
  echo "amqp://guest:guest@127.0.0.1:$AMQP_PORT/" >"$STATE/uri"
  log "ready: $(cat "$STATE/uri")"
}

stop() {
  [ -d "$STATE" ] || return 0
  ctl stop --idle-timeout 20 >/dev/null 2>&1 || true
  # Whatever is left of this node (its beam, epmd on our private port): by pid, never by name.
  local f pid
  for f in "$STATE/rabbit.pid" "$STATE/launcher.pid"; do
    [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
  done
  # The epmd this script started (recorded by pid at start, still an epmd on our port): epmd -kill refuses
  # while the killed node is not yet unregistered, so wait a little for it, then end it by pid.
  if [ -s "$STATE/epmd.pid" ]; then
    for _ in $(seq 50); do
      node_env epmd -kill >/dev/null 2>&1 || true
      kill -0 "$(cat "$STATE/epmd.pid")" 2>/dev/null || break
      sleep 0.1
    done
    for pid in $(cat "$STATE/epmd.pid"); do
      our_epmd | grep -qx "$pid" && kill "$pid" 2>/dev/null || true
    done
  fi
  rm -rf "$STATE"
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) ctl status >/dev/null 2>&1 && { echo "running: $(cat "$STATE/uri" 2>/dev/null)"; } || { echo "not running"; exit 1; } ;;
  stop_app) ctl stop_app >/dev/null ;;
  start_app) ctl start_app >/dev/null && ctl await_startup --timeout 60 >/dev/null ;;
  *) echo "usage: $0 start|stop|status|stop_app|start_app" >&2; exit 2 ;;
esac

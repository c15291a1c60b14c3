#!/usr/bin/env bash
# A Parley cluster on this machine's loopback, from Debian packages: Redis
# (deploy/redis.conf, port 6390), two parley nodes (8081, 8082) sharing it,
# and nginx (deploy/nginx.conf) in front at ws://127.0.0.1:8080/ws.
#
#   deploy/local-cluster.sh start     # build first: cmake --build build
#   deploy/local-cluster.sh status
#   deploy/local-cluster.sh stop      # nginx, then the nodes (clean), then Redis
#
# Everything lives in $PARLEY_CLUSTER_DIR (default /tmp/parley-cluster): logs/,
# pid files, Redis's data (kept across stop/start; delete the directory to
# start afresh) and the JWT secret. The nodes run with --dev as well, so
# `authenticate {userId, role}` works without a token: a local cluster only.
#
# Needs redis-server and nginx (apt-get install -y redis-server nginx-light);
# run as root, it installs what is missing. $PARLEY_BIN picks the broker
# (default build/parley).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="${PARLEY_CLUSTER_DIR:-/tmp/parley-cluster}"
PARLEY="${PARLEY_BIN:-$ROOT/build/parley}"
REDIS_PORT=6390
NODE_PORTS=(8081 8082)  # as in deploy/nginx.conf
NGINX_PORT=8080

say() { printf 'local-cluster: %s\n' "$*"; }
die() { printf 'local-cluster: %s\n' "$*" >&2; exit 1; }

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Sends `GET path` to 127.0.0.1:port with bash's /dev/tcp; prints the status.
http_status() {
  local port=$1 path=$2 line
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || { echo 0; return; }
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3
  IFS=' ' read -r -t 2 _ line _ <&3 || line=0
  exec 3<&- 3>&-
  echo "${line:-0}"
}

# Waits up to $2 tenths of a second for command $1 to succeed.
wait_for() {
  local check=$1 tenths=$2
  for ((i = 0; i < tenths; i++)); do
    if eval "$check"; then return 0; fi
    sleep 0.1
  done
  return 1
}

need() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
  ((${#missing[@]} == 0)) && return 0
  if [[ $(id -u) -eq 0 ]]; then
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
  else
    die "missing ${missing[*]}: apt-get install -y ${missing[*]} (as root)"
  fi
}

nginx_bin() { command -v nginx || echo /usr/sbin/nginx; }

start() {
  need
  [[ -x "$PARLEY" ]] || die "no broker at $PARLEY: build it (cmake --build build) or set PARLEY_BIN"
  mkdir -p "$RUN/logs" "$RUN/redis" "$RUN/tmp"

  if pid_alive "$RUN/redis.pid"; then
    say "redis already running"
  else
    redis-server "$ROOT/deploy/redis.conf" --port "$REDIS_PORT" --bind 127.0.0.1 \
      --dir "$RUN/redis" --logfile "$RUN/logs/redis.log" --pidfile "$RUN/redis.pid" \
      --daemonize yes
    wait_for "[[ \$(redis-cli -p $REDIS_PORT ping 2>/dev/null) == PONG ]]" 100 ||
      die "redis did not start; see $RUN/logs/redis.log"
    say "redis on 127.0.0.1:$REDIS_PORT (data in $RUN/redis)"
  fi

  if [[ ! -s "$RUN/jwt-secret" ]]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RUN/jwt-secret")
  fi

  local n
  for n in 1 2; do
    local port=${NODE_PORTS[n - 1]} pidfile="$RUN/parley-$n.pid" log="$RUN/logs/parley-$n.log"
    if pid_alive "$pidfile"; then
      say "node $n already running"
      continue
    fi
    nohup "$PARLEY" --listen "127.0.0.1:$port" --node-id "local-$n" \
      --redis "redis://127.0.0.1:$REDIS_PORT" --jwt-secret-file "$RUN/jwt-secret" --dev \
      --drain-sec 2 --drain-spread-sec 3 \
      >"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    wait_for "[[ \$(http_status $port /readyz) == 200 ]]" 100 ||
      die "node $n is not ready; see $log"
    say "node $n on 127.0.0.1:$port (log $log)"
  done

  if pid_alive "$RUN/nginx.pid"; then
    say "nginx already running"
  else
    # nginx reads the certificate paths relative to its configuration file:
    # the configuration is copied next to a self-signed pair made here once.
    if [[ ! -s "$RUN/certs/parley.crt" ]]; then
      mkdir -p "$RUN/certs"
      (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=localhost \
        -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
        -keyout "$RUN/certs/parley.key" -out "$RUN/certs/parley.crt" 2>/dev/null) ||
        die "openssl could not make a self-signed certificate"
    fi
    cp "$ROOT/deploy/nginx.conf" "$RUN/nginx.conf"
    "$(nginx_bin)" -p "$RUN/" -e "$RUN/logs/error.log" -c "$RUN/nginx.conf"
    wait_for "[[ \$(http_status $NGINX_PORT /readyz) == 200 ]]" 100 ||
      die "nginx does not answer; see $RUN/logs/error.log"
  fi
  say "ready: ws://127.0.0.1:$NGINX_PORT/ws and wss://127.0.0.1:8443/ws (self-signed:" \
    "$RUN/certs/parley.crt) (nginx -> nodes 1 and 2 -> redis)"
}

# SIGTERM, then up to `tenths` for the process to go, then SIGKILL.
stop_pid() {
  local pidfile=$1 name=$2 tenths=$3
  if ! pid_alive "$pidfile"; then
    rm -f "$pidfile"
    return 0
  fi
  local pid
  pid=$(cat "$pidfile")
  kill -TERM "$pid"
  if ! wait_for "! kill -0 $pid 2>/dev/null" "$tenths"; then
    say "$name did not stop in time: killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  say "$name stopped"
}

stop() {
  # nginx first (no new clients), then the nodes (they close their sockets
  # with 1001 and take their users offline), then Redis (SIGTERM: it syncs
  # its append-only file and exits).
  if pid_alive "$RUN/nginx.pid"; then
    "$(nginx_bin)" -p "$RUN/" -e "$RUN/logs/error.log" -c "$RUN/nginx.conf" -s quit ||
      true
    wait_for "! pid_alive $RUN/nginx.pid" 50 || stop_pid "$RUN/nginx.pid" nginx 10
    say "nginx stopped"
  fi
  rm -f "$RUN/nginx.pid"
  stop_pid "$RUN/parley-1.pid" "node 1" 60
  stop_pid "$RUN/parley-2.pid" "node 2" 60
  stop_pid "$RUN/redis.pid" redis 100
}

status() {
  local what pidfile
  for what in redis parley-1 parley-2 nginx; do
    pidfile="$RUN/$what.pid"
    if pid_alive "$pidfile"; then
      echo "$what: running (pid $(cat "$pidfile"))"
    else
      echo "$what: stopped"
    fi
  done
  echo "readyz via nginx: $(http_status "$NGINX_PORT" /readyz)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status" ;;
esac

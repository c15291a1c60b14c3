#!/usr/bin/env bash
# A Parley cluster on this machine's loopback, from Debian packages: Redis
# (deploy/redis.conf, port 6390), two parley nodes (8081, 8082) sharing it,
# and nginx (deploy/nginx.conf) in front at ws://127.0.0.1:8080/ws.
#
#   deploy/local-cluster.sh start     # build first: cmake --build build
#   deploy/local-cluster.sh status
#   deploy/local-cluster.sh stop      # nginx, then the nodes (clean), then Redis
#
#   deploy/local-cluster.sh --redis-cluster start|status|stop
#     Redis Cluster instead of the one Redis: 3 masters and 3 replicas
#     (ports 6391-6396, --cluster-enabled yes, joined with redis-cli --cluster
#     create), the nodes started with --redis-cluster. Its data lives in
#     $PARLEY_CLUSTER_DIR/redis-cluster/PORT.
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
CLUSTER_PORTS=(6391 6392 6393 6394 6395 6396)  # --redis-cluster: 3 masters, 3 replicas
MODE=single
if [[ "${1:-}" == --redis-cluster ]]; then
  MODE=cluster
  shift
fi

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

  if [[ $MODE == cluster ]]; then
    start_redis_cluster
  elif pid_alive "$RUN/redis.pid"; then
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
    local storage=(--redis "redis://127.0.0.1:$REDIS_PORT")
    if [[ $MODE == cluster ]]; then
      storage=(--redis-cluster "$(printf '127.0.0.1:%s,' "${CLUSTER_PORTS[@]:0:3}" | sed 's/,$//')")
    fi
    nohup "$PARLEY" --listen "127.0.0.1:$port" --node-id "local-$n" \
      "${storage[@]}" --jwt-secret-file "$RUN/jwt-secret" --dev \
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

# --redis-cluster: six redis-servers with --cluster-enabled yes, joined once
# (their nodes.conf remembers the cluster across stop/start).
start_redis_cluster() {
  local port dir fresh=0
  for port in "${CLUSTER_PORTS[@]}"; do
    dir="$RUN/redis-cluster/$port"
    mkdir -p "$dir"
    [[ -s "$dir/nodes.conf" ]] || fresh=1
    if pid_alive "$RUN/redis-$port.pid"; then continue; fi
    redis-server "$ROOT/deploy/redis.conf" --port "$port" --bind 127.0.0.1 \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 \
      --dir "$dir" --logfile "$RUN/logs/redis-$port.log" --pidfile "$RUN/redis-$port.pid" \
      --daemonize yes
    wait_for "[[ \$(redis-cli -p $port ping 2>/dev/null) == PONG ]]" 100 ||
      die "redis $port did not start; see $RUN/logs/redis-$port.log"
  done
  if ((fresh)); then
    redis-cli --cluster create $(printf '127.0.0.1:%s ' "${CLUSTER_PORTS[@]}") \
      --cluster-replicas 1 --cluster-yes >"$RUN/logs/cluster-create.log" 2>&1 ||
      die "redis-cli --cluster create failed; see $RUN/logs/cluster-create.log"
  fi
  wait_for "redis-cli -p ${CLUSTER_PORTS[0]} cluster info | grep -q cluster_state:ok" 300 ||
    die "the Redis cluster is not ok; see $RUN/logs/redis-*.log"
  say "redis cluster on 127.0.0.1:${CLUSTER_PORTS[0]}-${CLUSTER_PORTS[-1]} (3 masters, 3 replicas)"
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
  local port
  for port in "${CLUSTER_PORTS[@]}"; do
    [[ -f "$RUN/redis-$port.pid" ]] && stop_pid "$RUN/redis-$port.pid" "redis $port" 100
  done
  return 0
}

status() {
  local what pidfile
  local whats=(redis parley-1 parley-2 nginx)
  [[ $MODE == cluster ]] && whats=("${CLUSTER_PORTS[@]/#/redis-}" parley-1 parley-2 nginx)
  for what in "${whats[@]}"; do
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
  *) die "usage: $0 [--redis-cluster] start|stop|status" ;;
esac

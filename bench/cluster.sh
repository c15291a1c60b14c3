#!/usr/bin/env bash
# bench/cluster.sh: the fan-out across two Parley nodes on a Redis Cluster,
# beside the same two nodes on one redis-server (issue 14's speed row):
#
#   cluster   a private 3-master Redis Cluster (no replicas), two Parley
#             nodes with --redis-cluster; publishers on node A, subscribers
#             on node B, so every event crosses from A to B through sharded
#             pub/sub (SPUBLISH / SSUBSCRIBE)
#   single    the same two nodes on one private redis-server (--redis)
#
# Each row is `parley-bench fanout -c C -s S -p P --duration D` with
# --port A --subscriber-port B; the Redis CPU is the sum over the row's
# redis-servers (--redis-pid once each), the broker CPU node A's. Prints
# both tables and the load average before each row. Everything runs on
# free 127.0.0.1 ports from a private temp directory and is stopped on
# exit, also on failure or a signal.
#
#   bench/cluster.sh [-c N] [-s N] [-p N] [--duration S] [--threads N]
#
# Needs redis-server and redis-cli (redis-tools), build/parley and
# build/parley-bench (built here if missing). See docs/performance.md,
# "Redis Cluster: fan-out across two nodes".
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
CONVERSATIONS=10
SUBSCRIBERS=100
PUBLISHERS=10
DURATION=4
NODE_THREADS=1  # each node's --threads: two nodes share the machine

while [ $# -gt 0 ]; do
  case $1 in
    -c) CONVERSATIONS=$2; shift 2 ;;
    -s) SUBSCRIBERS=$2; shift 2 ;;
    -p) PUBLISHERS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --threads) NODE_THREADS=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "bench/cluster.sh: unknown option $1" >&2; exit 1 ;;
  esac
done

for tool in redis-server redis-cli; do
  command -v "$tool" >/dev/null || { echo "bench/cluster.sh: $tool is required (apt-get install redis-server redis-tools)" >&2; exit 1; }
done
if [ ! -x "$BUILD/parley" ] || [ ! -x "$BUILD/parley-bench" ]; then
  [ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD" -j2 --target parley parley-bench >/dev/null
fi

TMP=$(mktemp -d /tmp/parley-cluster-bench.XXXXXX)
PIDS=()
# stop_pids PID...: SIGTERM to each, SIGKILL to those still there after 10 s;
# forgets them.
stop_pids() {
  local pid keep=() p
  kill -TERM "$@" 2>/dev/null || true
  for pid in "$@"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do [[ " $* " == *" $p "* ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}
cleanup() {
  [ ${#PIDS[@]} -eq 0 ] || stop_pids "${PIDS[@]}"
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { echo "cluster.sh: $*" >&2; }

# A free loopback port: the kernel's choice, then released.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_redis DIR PORT [ARGS...]: a private redis-server, no persistence;
# sets REDIS_STARTED to its pid.
start_redis() {
  local dir=$1 port=$2
  shift 2
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$dir" \
    --logfile "$dir/redis.log" --daemonize no "$@" &
  REDIS_STARTED=$!
  PIDS+=("$REDIS_STARTED")
  for _ in $(seq 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  log "redis-server on $port did not start"
  exit 1
}

# start_node NAME STORAGE-FLAGS...: a Parley node; sets NODE_PORT, NODE_PID.
start_node() {
  local name=$1
  shift
  NODE_PORT=$(free_port)
  "$BUILD/parley" --dev --listen "127.0.0.1:$NODE_PORT" --threads "$NODE_THREADS" \
    --node-id "$name" --rate-per-sec 1000000 --rate-burst 1000000 \
    --max-creations-per-min 0 --max-tenant-creations-per-min 0 \
    --max-open-conversations-per-user 0 --log-level warn "$@" >"$TMP/$name.log" 2>&1 &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
  local status
  for _ in $(seq 200); do
    kill -0 "$NODE_PID" 2>/dev/null || { log "$name exited:"; cat "$TMP/$name.log" >&2; exit 1; }
    status=$( (exec 3<>"/dev/tcp/127.0.0.1/$NODE_PORT" &&
               printf 'GET /readyz HTTP/1.0\r\n\r\n' >&3 && read -r -t 2 l <&3 && echo "$l") 2>/dev/null || true)
    [[ $status == "HTTP/1.1 200"* ]] && return 0
    sleep 0.05
  done
  log "$name never became ready:"
  cat "$TMP/$name.log" >&2
  exit 1
}

# run_row TITLE REDIS-PIDS STORAGE-FLAGS...: two nodes, the tool, the table.
run_row() {
  local title=$1 redis_pids=$2 a_port a_pid b_port b_pid pid rc=0
  shift 2
  start_node "$title-a" "$@"
  a_port=$NODE_PORT a_pid=$NODE_PID
  start_node "$title-b" "$@"
  b_port=$NODE_PORT b_pid=$NODE_PID
  local redis_args=()
  for pid in $redis_pids; do redis_args+=(--redis-pid "$pid"); done
  echo
  echo "== $title: publishers on node A (:$a_port), subscribers on node B (:$b_port)"
  echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  timeout -k 5 $((DURATION + 150)) "$BUILD/parley-bench" fanout -c "$CONVERSATIONS" \
    -s "$SUBSCRIBERS" -p "$PUBLISHERS" --duration "$DURATION" --port "$a_port" \
    --subscriber-port "$b_port" --broker-pid "$a_pid" "${redis_args[@]}" || rc=$?
  echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  stop_pids "$a_pid" "$b_pid"
  # 2 is an INVALID run (a gap, duplicate or reordering): shown, not fatal.
  [ "$rc" = 0 ] || [ "$rc" = 2 ] || { log "$title: parley-bench failed ($rc)"; exit 1; }
}

#------------------------------------------------------------------------------
# The 3-master cluster (the bus ports given: port + 10000 may be out of range).
CLUSTER_PORTS=()
CLUSTER_PIDS=()
CLUSTER_ADDRS=()
for i in 1 2 3; do
  port=$(free_port)
  start_redis "$TMP/cluster-$i" "$port" --cluster-enabled yes --cluster-config-file nodes.conf \
    --cluster-node-timeout 5000 --cluster-port "$(free_port)"
  CLUSTER_PORTS+=("$port")
  CLUSTER_PIDS+=("$REDIS_STARTED")
  CLUSTER_ADDRS+=("127.0.0.1:$port")
done
redis-cli --cluster create "${CLUSTER_ADDRS[@]}" \
  --cluster-replicas 0 --cluster-yes >"$TMP/cluster-create.log" 2>&1 ||
  { log "redis-cli --cluster create failed:"; cat "$TMP/cluster-create.log" >&2; exit 1; }
for _ in $(seq 200); do
  ok=1
  for port in "${CLUSTER_PORTS[@]}"; do
    redis-cli -p "$port" cluster info 2>/dev/null | grep -q 'cluster_state:ok' || ok=0
  done
  [ "$ok" = 1 ] && break
  sleep 0.1
done
[ "$ok" = 1 ] || { log "the cluster never reached cluster_state:ok"; exit 1; }
SEEDS=$(printf '127.0.0.1:%s,' "${CLUSTER_PORTS[@]}")
SEEDS=${SEEDS%,}

run_row cluster "${CLUSTER_PIDS[*]}" --redis-cluster "$SEEDS"

# The single-Redis row: the same two nodes on one redis-server (the
# cluster's servers stopped first, so they take no CPU).
stop_pids "${CLUSTER_PIDS[@]}"
SINGLE_PORT=$(free_port)
start_redis "$TMP/single" "$SINGLE_PORT"
run_row single "$REDIS_STARTED" --redis "redis://127.0.0.1:$SINGLE_PORT"

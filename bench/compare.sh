#!/usr/bin/env bash
# bench/compare.sh: Parley side by side with its peers, in one run, with one
# tool (build/parley-bench) and one scenario (fanout):
#
#   parley          Parley, memory engine
#   parley-redis    Parley, Redis engine
#   nchan           nginx + Nchan, memory storage      (bench/peers/nchan.conf)
#   nchan-redis     nginx + Nchan, Redis storage
#   socketio        Socket.IO 4, one Node process      (bench/peers/socketio)
#   socketio-redis  Socket.IO 4 with @socket.io/redis-adapter
#   parley-connect  Parley, the `connect` scenario (upgrade + authenticate,
#                   subscribe, idle sockets)
#   nchan-connect   nginx + Nchan, `connect --peer nchan` (a subscriber
#                   upgrade, idle sockets)
#
# With --rates R1,R2,... every row runs at each fixed rate in turn (OUT/rate-R
# for each) and bench/chart.js draws p50 and p99 against the rate for all
# rows in one SVG (OUT/latency.svg, or --chart FILE).
#
# Every server runs on a free 127.0.0.1 port from a private temp directory,
# two threads/workers where it has a choice (Node has none: one thread), and
# is stopped after its row; the Redis rows share one private redis-server,
# flushed before each row. Everything started here is stopped on exit, also
# on failure. Prints one table (with the ratio of Parley's memory row to
# each) and writes OUT/compare.json, OUT/compare.svg and each run's JSON.
#
# Installs what is missing (nginx, libnginx-mod-nchan, redis-server, nodejs,
# npm with apt-get as root; the Socket.IO packages with npm ci) and builds
# build/parley and build/parley-bench if needed. See docs/performance.md,
# "Side by side".
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ARGS="$*"
BUILD=$ROOT/build
OUT=
ROWS=parley,parley-redis,nchan,nchan-redis,socketio,socketio-redis,parley-connect,nchan-connect
CONVERSATIONS=10
SUBSCRIBERS=100
PUBLISHERS=10
WINDOW=16
DURATION=4
WARMUP=1
SIZE=100
RATE=0
ROUNDS=1
TOOL_THREADS=1
SERVER_THREADS=2
INSTALL=1
CONNECTIONS=5000
CONCURRENCY=256
RATES=
CHART=

usage() {
  cat <<EOF
usage: bench/compare.sh [options]
  -c, --conversations N   conversations (default $CONVERSATIONS)
  -s, --subscribers N     subscribers per conversation (default $SUBSCRIBERS)
  -p, --publishers N      publishers, at least one per conversation (default $PUBLISHERS)
  -w, --window N          publishes in flight per publisher (default $WINDOW)
  -r, --rate N            messages/s in all instead of flat out (default: flat out)
  -d, --duration S        seconds measured per row (default $DURATION)
      --warmup S          seconds of load before measuring (default $WARMUP)
      --size B            message text bytes (default $SIZE)
      --rounds N          run every row N times, interleaved; report medians (default $ROUNDS)
      --rows LIST         rows to run (default $ROWS)
  -n, --connections N     sockets of the connect rows (default $CONNECTIONS)
      --concurrency N     handshakes in flight in the connect rows (default $CONCURRENCY)
      --rates LIST        run the rows at each of these fixed rates (msg/s in all) and
                          chart p50/p99 against the rate (connect rows run once)
      --chart FILE        where --rates writes its chart (default OUT/latency.svg)
      --tool-threads N    the tool's threads (default $TOOL_THREADS)
      --build DIR         build directory (default build)
      --out DIR           where the JSON and the chart go (default BUILD/compare)
      --no-install        do not install missing packages
EOF
}

while [ $# -gt 0 ]; do
  case $1 in
    -c|--conversations) CONVERSATIONS=$2; shift 2 ;;
    -s|--subscribers) SUBSCRIBERS=$2; shift 2 ;;
    -p|--publishers) PUBLISHERS=$2; shift 2 ;;
    -w|--window) WINDOW=$2; shift 2 ;;
    -r|--rate) RATE=$2; shift 2 ;;
    -d|--duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --rows) ROWS=$2; shift 2 ;;
    -n|--connections) CONNECTIONS=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --rates) RATES=$2; shift 2 ;;
    --chart) CHART=$2; shift 2 ;;
    --tool-threads) TOOL_THREADS=$2; shift 2 ;;
    --build) BUILD=$(cd "$2" 2>/dev/null && pwd || echo "$2"); shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare.sh: unknown option $1" >&2; usage >&2; exit 1 ;;
  esac
done
OUT=${OUT:-$BUILD/compare}
IFS=, read -r -a ROW_LIST <<<"$ROWS"
for row in "${ROW_LIST[@]}"; do
  case $row in
    parley|parley-redis|nchan|nchan-redis|socketio|socketio-redis|parley-connect|nchan-connect) ;;
    *) echo "compare.sh: unknown row $row" >&2; exit 1 ;;
  esac
done
wants() { [[ ",$ROWS," == *",$1"* ]]; }  # a row whose name starts with $1

log() { echo "compare.sh: $*" >&2; }

#------------------------------------------------------------------------------
# Everything started here is stopped on exit.
TMP=$(mktemp -d /tmp/parley-compare.XXXXXX)
chmod 755 "$TMP"  # nginx's workers run as nobody when started by root
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs "$@" with its output in $OUT_FILE, in the background and waited
# for, so that a signal to this script is handled at once (bash runs traps
# only between foreground commands); the exit status is in $RC.
run_waited() {
  local pid keep=() p
  "$@" >"$OUT_FILE" &
  pid=$!
  PIDS+=("$pid")
  RC=0
  wait "$pid" || RC=$?
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

stop_pid() {  # stops one server started here and forgets it
  local pid=$1 keep=() p
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

#------------------------------------------------------------------------------
# What the rows need.
missing=()
if wants nchan; then
  command -v nginx >/dev/null || missing+=(nginx)
  [ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] || missing+=(libnginx-mod-nchan)
fi
if wants parley-redis || wants nchan-redis || wants socketio-redis; then
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v redis-cli >/dev/null || missing+=(redis-tools)
fi
command -v node >/dev/null || missing+=(nodejs)  # also the report's language
if wants socketio; then command -v npm >/dev/null || missing+=(npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$INSTALL" = 1 ] && [ "$(id -u)" = 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    log "missing: ${missing[*]} (apt-get install -y ${missing[*]})"
    exit 1
  fi
fi
SIO=$ROOT/bench/peers/socketio
if wants socketio && [ ! -d "$SIO/node_modules/socket.io" ]; then
  log "npm ci in bench/peers/socketio"
  (cd "$SIO" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD" -j2 --target parley parley-bench >/dev/null
BENCH=$BUILD/parley-bench
PARLEY=$BUILD/parley

# A free loopback port (the kernel's choice, then released).
free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
wait_port() {  # port pid: until it accepts, or the process died
  for _ in $(seq 200); do
    kill -0 "$2" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# Whether Nchan on port $1 takes a publish (HTTP POST to a channel of its
# own), polled for up to 10 s.
nchan_ready() {
  local line
  for _ in $(seq 200); do
    line=$( (exec 3<>"/dev/tcp/127.0.0.1/$1" &&
             printf 'POST /pub/compare_ready HTTP/1.0\r\nContent-Length: 1\r\n\r\nx' >&3 &&
             read -r -t 2 l <&3 && echo "$l") 2>/dev/null || true)
    [[ $line == "HTTP/1.1 20"* ]] && return 0
    sleep 0.05
  done
  return 1
}

#------------------------------------------------------------------------------
# The private Redis.
REDIS_PORT=
REDIS_PID=
if wants parley-redis || wants nchan-redis || wants socketio-redis; then
  REDIS_PORT=$(free_port)
  mkdir -p "$TMP/redis"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --dir "$TMP/redis" --logfile "$TMP/redis/redis.log" --daemonize no &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  for _ in $(seq 100); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.05
  done
  redis-cli -p "$REDIS_PORT" ping >/dev/null || { log "redis-server did not start"; exit 1; }
fi
REDIS_URL=${REDIS_PORT:+redis://127.0.0.1:$REDIS_PORT}

# Every run is bounded: set-up, drain, and a hard limit on the whole tool.
TOOL_LIMIT=$(awk -v d="$DURATION" -v w="$WARMUP" 'BEGIN { printf "%d", d + w + 120 }')
BENCH_RUN=(timeout -k 5 "$TOOL_LIMIT" "$BENCH")
set_scenario() {  # the fanout rows' load at rate $RATE (0: flat out)
  SCENARIO=(fanout -c "$CONVERSATIONS" -s "$SUBSCRIBERS" -p "$PUBLISHERS" -w "$WINDOW"
            --duration "$DURATION" --warmup "$WARMUP" --size "$SIZE" --threads "$TOOL_THREADS"
            --setup-timeout 40 --drain-timeout 10 --json)
  [ "$RATE" = 0 ] || SCENARIO+=(--rate "$RATE")
}
set_scenario
# The connect rows: the tool's connect scenario (two threads, as its default).
CONNECT=(connect -n "$CONNECTIONS" --concurrency "$CONCURRENCY" -c "$CONVERSATIONS" --hold 1
         --setup-timeout 60 --json)

# Starts nginx + Nchan for row $1 in $TMP/$1 (Redis storage for *-redis);
# sets NGINX_PID and NGINX_PORT.
start_nchan() {
  local row=$1 dir=$TMP/$1
  mkdir -p "$dir/tmp"
  NGINX_PORT=$(free_port)
  sed "s/@PORT@/$NGINX_PORT/" "$ROOT/bench/peers/nchan.conf" >"$dir/nchan.conf"
  if [ "$row" = nchan-redis ]; then
    printf 'nchan_redis_url "%s";\nnchan_use_redis on;\n' "$REDIS_URL" >"$dir/storage.conf"
  else
    : >"$dir/storage.conf"
  fi
  nginx -p "$dir" -c "$dir/nchan.conf" 2>>"$dir/stderr.log" &
  NGINX_PID=$!
  PIDS+=("$NGINX_PID")
  wait_port "$NGINX_PORT" "$NGINX_PID" || { log "$row: nginx did not start:"; cat "$dir/error.log" "$dir/stderr.log" >&2; stop_pid "$NGINX_PID"; return 1; }
  # Nchan answers 503 until its Redis connection is up.
  nchan_ready "$NGINX_PORT" || { log "$row: Nchan not ready:"; cat "$dir/error.log" >&2; stop_pid "$NGINX_PID"; return 1; }
}

# Runs one row; its JSON goes to $1.
run_row() {
  local row=$1 port pid dir
  OUT_FILE=$2
  local redis_args=()
  if [[ $row == *-redis ]]; then
    redis-cli -p "$REDIS_PORT" flushall >/dev/null
    redis_args=(--redis-pid "$REDIS_PID")
  fi
  case $row in
    parley|parley-redis)
      local broker_args=()
      [ "$row" = parley ] || broker_args=(--broker-arg=--redis "--broker-arg=$REDIS_URL")
      run_waited "${BENCH_RUN[@]}" "${SCENARIO[@]}" --spawn "$PARLEY" \
        --broker-threads "$SERVER_THREADS" "${broker_args[@]}" "${redis_args[@]}"
      ;;
    nchan|nchan-redis)
      start_nchan "$row" || return 1
      run_waited "${BENCH_RUN[@]}" "${SCENARIO[@]}" --peer nchan --port "$NGINX_PORT" \
        --broker-pid "$NGINX_PID" "${redis_args[@]}"
      stop_pid "$NGINX_PID"
      ;;
    parley-connect)
      run_waited "${BENCH_RUN[@]}" "${CONNECT[@]}" --spawn "$PARLEY" \
        --broker-threads "$SERVER_THREADS"
      ;;
    nchan-connect)
      start_nchan "$row" || return 1
      run_waited "${BENCH_RUN[@]}" "${CONNECT[@]}" --peer nchan --port "$NGINX_PORT" \
        --broker-pid "$NGINX_PID"
      stop_pid "$NGINX_PID"
      ;;
    socketio|socketio-redis)
      dir=$TMP/$row
      mkdir -p "$dir"
      port=$(free_port)
      local env=(PORT="$port" NODE_ENV=production)
      [ "$row" = socketio ] || env+=(REDIS_URL="$REDIS_URL")
      env "${env[@]}" node "$SIO/server.js" >"$dir/out.log" 2>&1 &
      pid=$!
      PIDS+=("$pid")
      wait_port "$port" "$pid" || { log "$row: node did not start:"; cat "$dir/out.log" >&2; stop_pid "$pid"; return 1; }
      # The Redis adapter connects after the port is bound.
      for _ in $(seq 100); do grep -q "listening on" "$dir/out.log" && break; sleep 0.05; done
      run_waited "${BENCH_RUN[@]}" "${SCENARIO[@]}" --peer socketio --port "$port" \
        --broker-pid "$pid" "${redis_args[@]}"
      stop_pid "$pid"
      ;;
  esac
  # 2 is an INVALID run: it is reported in the table, not fatal.
  [ "$RC" = 0 ] || [ "$RC" = 2 ] || { log "$row: parley-bench failed ($RC)"; return 1; }
}

# Runs every row of $2 (a list) $ROUNDS times, interleaved, into $1, and
# prints the table.
run_rows() {
  local out=$1 rows=$2 round row list
  IFS=, read -r -a list <<<"$rows"
  mkdir -p "$out"
  rm -f "$out"/run-*.json
  for round in $(seq "$ROUNDS"); do
    for row in "${list[@]}"; do
      log "round $round/$ROUNDS: $row${RATES:+ (rate $RATE)}"
      run_row "$row" "$out/run-$row-$round.json" || echo '{"failed":true}' >"$out/run-$row-$round.json"
      sleep 1  # let the closed sockets go before the next server
    done
  done
  local load
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  node "$ROOT/bench/compare_report.js" --out "$out" --rows "$rows" --rounds "$ROUNDS" \
    --load "$load" --command "bench/compare.sh${ARGS:+ $ARGS}"
}

if [ -z "$RATES" ]; then
  run_rows "$OUT" "$ROWS"
  exit 0
fi
# Every fanout row at each rate; the connect rows once.
FANOUT_ROWS= CONNECT_ROWS=
for row in "${ROW_LIST[@]}"; do
  if [[ $row == *-connect ]]; then CONNECT_ROWS+=${CONNECT_ROWS:+,}$row
  else FANOUT_ROWS+=${FANOUT_ROWS:+,}$row; fi
done
reports=()
IFS=, read -r -a RATE_LIST <<<"$RATES"
if [ -n "$FANOUT_ROWS" ]; then
  for RATE in "${RATE_LIST[@]}"; do
    set_scenario
    echo "== rate $RATE msg/s"
    run_rows "$OUT/rate-$RATE" "$FANOUT_ROWS"
    reports+=("$OUT/rate-$RATE/compare.json")
  done
  node "$ROOT/bench/chart.js" --out "${CHART:-$OUT/latency.svg}" "${reports[@]}"
  log "chart: ${CHART:-$OUT/latency.svg}"
fi
if [ -n "$CONNECT_ROWS" ]; then
  echo "== connect"
  run_rows "$OUT/connect" "$CONNECT_ROWS"
fi

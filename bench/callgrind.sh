#!/bin/bash
# Userland instructions per delivery or per connection of a broker binary,
# counted with callgrind, so the figure does not depend on the machine's
# load (docs/performance.md). From the repository's root, after a build:
#   bench/callgrind.sh fanout BINARY    # fanout 10 x 100, window 4:
#                                       # (Ir at 3,000 messages - Ir at 1,000) / 200,000 deliveries
#   bench/callgrind.sh connect BINARY   # (Ir at 1,500 sockets - Ir at 500) / 1,000 connections
#   bench/callgrind.sh rate BINARY      # fanout 10 x 100 at a fixed 50 messages/s, where no
#                                       # two frames share a write: (Ir at 300 - Ir at 100) / 20,000
#   bench/callgrind.sh persist BINARY   # sendMessage acks on the Redis engine (a private
#                                       # redis-server), 64 sockets, window 8:
#                                       # (Ir at 8,000 acks - Ir at 2,000) / 6,000
# PARLEY_PRELOAD=LIB runs the broker with LD_PRELOAD=LIB (an allocator, say).
# Each size starts the broker under valgrind, runs build/parley-bench
# against it, stops it with SIGINT and reads PROGRAM TOTALS: the difference
# of two sizes leaves start-up, set-up and shutdown out.
set -euo pipefail
scenario=${1:?fanout, rate or connect}
bin=${2:?broker binary}
command -v valgrind >/dev/null || { echo "callgrind.sh: needs valgrind" >&2; exit 2; }

total_ir() {
  local size=$1 out port pid
  out=$(mktemp)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local extra=() rport rpid=
  if [[ $scenario == persist ]]; then
    rport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
    rpid=$!
    for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
    extra=(--redis "redis://127.0.0.1:$rport" --redis-timeout-ms 60000)
  fi
  env ${PARLEY_PRELOAD:+LD_PRELOAD=$PARLEY_PRELOAD} \
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" --dev --no-web "${extra[@]}" \
    --listen "127.0.0.1:$port" --rate-per-sec 1000000 --rate-burst 1000000 \
    --max-creations-per-min 0 --max-tenant-creations-per-min 0 \
    --max-open-conversations-per-user 0 >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.3; done
  if [[ $scenario == fanout ]]; then
    build/parley-bench fanout --port "$port" -c 10 -s 100 -p 10 --messages "$size" --window 4 \
      --drain-timeout 120 --setup-timeout 300 | grep -E "result" >&2
  elif [[ $scenario == rate ]]; then
    build/parley-bench fanout --port "$port" -c 10 -s 100 -p 10 --messages "$size" --rate 50 \
      --drain-timeout 120 --setup-timeout 300 | grep -E "result" >&2
  elif [[ $scenario == persist ]]; then
    build/parley-bench persist --port "$port" -n 64 --window 8 --messages "$size" --duration 600 \
      --setup-timeout 300 | grep -E "result" >&2
  else
    build/parley-bench connect --port "$port" -n "$size" --setup-timeout 300 | grep -E "result" >&2
  fi
  kill -INT "$pid"
  wait "$pid" || true
  if [[ -n $rpid ]]; then kill "$rpid"; wait "$rpid" || true; fi
  callgrind_annotate "$out" 2>/dev/null | grep "PROGRAM TOTALS" | tr -d ',' | awk '{print $1}'
  rm -f "$out"
}

if [[ $scenario == fanout ]]; then
  a=$(total_ir 1000); b=$(total_ir 3000); echo "$bin: $(( (b - a) / 200000 )) instructions per delivery"
elif [[ $scenario == rate ]]; then
  a=$(total_ir 100); b=$(total_ir 300); echo "$bin: $(( (b - a) / 20000 )) instructions per delivery at 50 messages/s"
elif [[ $scenario == persist ]]; then
  a=$(total_ir 2000); b=$(total_ir 8000); echo "$bin: $(( (b - a) / 6000 )) instructions per ack (Redis engine)"
else
  a=$(total_ir 500); b=$(total_ir 1500); echo "$bin: $(( (b - a) / 1000 )) instructions per connection"
fi

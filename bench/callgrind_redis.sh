#!/bin/bash
# Instructions redis-server spends per sendMessage of the Redis engine,
# counted with callgrind so the figure does not depend on the machine's load
# (docs/performance.md, "A lean append"). From the repository's root, after
# a build of build/parley and build/parley-bench:
#   bench/callgrind_redis.sh [SMALL LARGE]     # default 1000 4000 messages
# Each size starts a private redis-server (no persistence) under callgrind,
# a broker on it, and `parley-bench persist` (8 publishers, window 8, so
# Redis sees pipelined appends), then stops Redis and reads PROGRAM TOTALS.
# (Ir at LARGE - Ir at SMALL) / (LARGE - SMALL) leaves start-up, set-up and
# shutdown out. Also prints the same difference for the Lua part alone
# (evalGenericCommand inclusive, EVALSHA's own work).
set -euo pipefail
small=${1:-1000}
large=${2:-4000}
command -v valgrind >/dev/null || { echo "callgrind_redis.sh: needs valgrind" >&2; exit 2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Prints "TOTAL EVAL" instructions for one run of `size` messages.
run_size() {
  local size=$1 out dir port rpid
  out=$(mktemp) dir=$(mktemp -d)
  port=$(free_port)
  valgrind --tool=callgrind --callgrind-out-file="$out" redis-server --port "$port" \
    --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" >/dev/null 2>&1 &
  rpid=$!
  for _ in $(seq 200); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.3; done
  # Under valgrind the first connections can time out: a set-up that failed
  # measured nothing and is run again (a VALID run is the only one counted).
  local result=""
  for _ in 1 2 3 4 5 6; do
    result=$(build/parley-bench persist --spawn build/parley --broker-arg=--redis \
      --broker-arg="redis://127.0.0.1:$port" --broker-arg=--redis-timeout-ms=60000 -n 8 \
      --window 8 --messages "$size" --warmup 0 --duration 600 --drain-timeout 120 \
      --setup-timeout 120 | grep -E "result|note" || true)
    [[ $result == *VALID* && $result != *INVALID* ]] && break
    echo "callgrind_redis.sh: $result; again" >&2
    sleep 2
    redis-cli -p "$port" flushall >/dev/null
  done
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || kill -INT "$rpid"
  wait "$rpid" || true
  if [[ $result != *VALID* || $result == *INVALID* ]]; then
    echo "callgrind_redis.sh: no valid run of $size" >&2
    rm -rf "$out" "$dir"
    return 0
  fi
  local total eval
  total=$(callgrind_annotate "$out" 2>/dev/null | grep "PROGRAM TOTALS" | tr -d ',' | awk '{print $1}')
  eval=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null | grep -m1 "evalGenericCommand\b\|evalGenericCommand " |
    tr -d "," | awk "{print \$1}" || true)
  rm -rf "$out" "$dir"
  echo "$total ${eval:-0}"
}

# (A size with no valid run prints nothing, and then no figure is printed.)
read -r ta ea < <(run_size "$small") || true
read -r tb eb < <(run_size "$large") || true
[[ -n "${ta:-}" && -n "${tb:-}" ]] || { echo "callgrind_redis.sh: no figure" >&2; exit 1; }
n=$(( large - small ))
echo "redis-server: $(( (tb - ta) / n )) instructions per append ($(( (eb - ea) / n )) in EVALSHA)"

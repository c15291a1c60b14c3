#!/usr/bin/env bash
# The Redis stall's test (issue 13 item 1), from the repo root:
#   tests/stress/redis_stall.sh [--binary PATH] [--bench PATH] [--rate N]
#                               [--duration S] [--connections N] [--factor F]
# Under CPU, memory, disk and context-switch stress (stress-ng, for each
# run's length only), runs `parley-bench persist` at a modest fixed rate
# twice with the same stress: against the memory engine, then against the
# Redis engine on a private redis-server (a free loopback port). Fails when
# the Redis run had any failed request (a 503, a lost socket), fell short
# of the rate by more than 10 %, or its ack p99 exceeds FACTOR times the
# memory engine's p99 of the same run (the memory p99 counted as at least
# FLOOR ms, so a very quiet memory run does not make the bound a coin toss).
# The broker that stalled answered in seconds under this stress; one that
# does not is within tens of milliseconds. Takes about 30 s.
# The broker: --binary PATH, else $PARLEY_BINARY, else build/parley.
# Exit status: 0 pass, 1 fail, 2 set-up error.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/../.."

binary="${PARLEY_BINARY:-$root/build/parley}"
bench="$root/build/parley-bench"
rate=2000
duration=5
connections=64
factor=10
floor_ms=25
while (($#)); do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --bench) bench="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --factor) factor="$2"; shift 2 ;;
    *) echo "redis_stall.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in stress-ng redis-server redis-cli; do
  command -v "$tool" >/dev/null || { echo "redis_stall.sh: $tool is required" >&2; exit 2; }
done
[[ -x "$binary" && -x "$bench" ]] || { echo "redis_stall.sh: no $binary or $bench" >&2; exit 2; }

work="$(mktemp -d)"
redis_pid=""
stress_pid=""
cleanup() {
  [[ -n "$stress_pid" ]] && kill "$stress_pid" 2>/dev/null && wait "$stress_pid" 2>/dev/null
  [[ -n "$redis_pid" ]] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# A private redis-server on a free loopback port: a port nothing answers
# on, and a server that then answers there (another taking it first makes
# this one exit, and the next port is tried).
port=""
for _ in $(seq 1 20); do
  p=$((20000 + RANDOM % 30000))
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then continue; fi
  redis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
    --logfile "$work/redis.log" &
  redis_pid=$!
  for _ in $(seq 1 50); do
    if [[ "$(redis-cli -p "$p" ping 2>/dev/null)" == PONG ]]; then port="$p"; break; fi
    kill -0 "$redis_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n "$port" ]] && break
  kill "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
  redis_pid=""
done
[[ -n "$port" ]] || { echo "redis_stall.sh: no redis-server came up" >&2; exit 2; }

# One persist run under stress; its table goes to $work/$1.out.
run() {
  local name="$1"
  shift
  stress-ng --cpu 4 --vm 2 --vm-bytes 512M --hdd 1 --switch 2 --temp-path "$work" \
    --timeout "$((duration + 8))s" >/dev/null 2>&1 &
  stress_pid=$!
  sleep 1  # the stress is in force before the load starts
  local status=0
  "$bench" persist --spawn "$binary" "$@" -n "$connections" --rate "$rate" \
    --duration "$duration" --warmup 1 --drain-timeout 10 >"$work/$name.out" 2>&1 || status=$?
  kill "$stress_pid" 2>/dev/null || true
  wait "$stress_pid" 2>/dev/null || true
  stress_pid=""
  echo "---- $name engine under stress (exit $status)"
  cat "$work/$name.out"
}
# The figure on the table line that starts with $2 (thousands commas dropped).
figure() { awk -v key="$2" 'index($0, key) == 3 { v = $(NF - 1); gsub(",", "", v); print v; exit }' "$work/$1.out"; }
failures() { sed -n 's/.*failures \([0-9]*\).*/\1/p' "$work/$1.out" | head -1; }

run memory
run redis --broker-arg=--redis --broker-arg="redis://127.0.0.1:$port" --redis-pid "$redis_pid"

mem_p99="$(figure memory "ack latency p99 ")"
redis_p99="$(figure redis "ack latency p99 ")"
redis_acks="$(figure redis "publish acks/s")"
redis_failures="$(failures redis)"
if [[ -z "$mem_p99" || -z "$redis_p99" || -z "$redis_acks" || -z "$redis_failures" ]]; then
  echo "redis_stall.sh: could not read the runs' figures" >&2
  exit 2
fi
bound="$(awk -v m="$mem_p99" -v f="$factor" -v fl="$floor_ms" 'BEGIN { print f * (m > fl ? m : fl) }')"
echo "memory p99 ${mem_p99} ms; redis p99 ${redis_p99} ms (bound ${bound} ms), ${redis_acks} acks/s of ${rate}, failures ${redis_failures}"
fail=0
if ((redis_failures > 0)); then echo "FAIL: the Redis run had $redis_failures failed requests"; fail=1; fi
if ! grep -q "result: VALID" "$work/redis.out"; then echo "FAIL: the Redis run is not VALID"; fail=1; fi
if awk -v a="$redis_acks" -v r="$rate" 'BEGIN { exit !(a < 0.9 * r) }'; then
  echo "FAIL: the Redis run fell short of the rate"; fail=1
fi
if awk -v p="$redis_p99" -v b="$bound" 'BEGIN { exit !(p > b) }'; then
  echo "FAIL: the Redis run's p99 is past ${factor}x the memory engine's"; fail=1
fi
((fail == 0)) && echo "PASS"
exit "$fail"

#!/usr/bin/env bash
# Sentinel failover under traffic (issue 14), from the repo root:
#   tests/redis_ha/sentinel.sh
# Two runs of sentinel.mjs, each on its own fresh master, replica and three
# sentinels: with --redis-wait-replicas 1 (nothing acknowledged may be lost)
# and a password on every redis-server (requirepass; the broker's
# --redis-password, the sentinels' auth-pass), then without either (the loss
# is counted and reported). Each prints a RESULT line
# with the failover window. Needs redis-server, redis-sentinel and Node 20;
# installs web/'s npm dependencies (`ws`) when missing.
# PARLEY_BINARY: the broker (default build/parley). Bounded: 85 s per run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
web="$here/../../web"

for tool in node redis-server redis-sentinel; do
  command -v "$tool" >/dev/null || {
    echo "sentinel.sh: $tool is required" >&2
    exit 2
  }
done
if [[ ! -f "$web/node_modules/ws/package.json" ]]; then
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
fi
export PARLEY_BINARY="${PARLEY_BINARY:-$here/../../build/parley}"

run() {
  # Its own process group, so whatever it started dies with it.
  setsid node "$here/sentinel.mjs" "$@" &
  local pid=$!
  trap 'kill -KILL -- -'"$pid"' 2>/dev/null || true' EXIT
  local status=0
  wait $pid || status=$?
  kill -KILL -- -$pid 2>/dev/null || true
  trap - EXIT
  return $status
}

run --wait 1 --password parley-ha-test
run --wait 0

#!/usr/bin/env bash
# The rolling restart and wss:// test (tests/rollout/rollout.mjs), from the
# repo root: tests/rollout/run.sh [rollout.mjs options]. Installs web/'s npm
# dependencies (`ws`) when missing. PARLEY_BINARY: the broker (default
# build/parley). Bounded: killed after 180 s.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
web="$here/../../web"
for tool in node openssl; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 2; }
done
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || { echo "run.sh: nginx is required" >&2; exit 2; }
if [[ ! -f "$web/node_modules/ws/package.json" ]]; then
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
fi
export PARLEY_BINARY="${PARLEY_BINARY:-$here/../../build/parley}"
# In its own process group, so whatever it started (nodes, Redis, nginx)
# goes with it, even when it fails or is killed at the bound.
setsid timeout --kill-after=10 180 node "$here/rollout.mjs" "$@" &
pid=$!
trap 'kill -KILL -- -$pid 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
status=0
wait $pid || status=$?
exit $status

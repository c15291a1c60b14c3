#!/usr/bin/env bash
# Chaos run (issue 12 §5), from the repo root:
#   tests/chaos/run.sh [--duration N] [--seed N] [other chaos.mjs options]
# First the checker's own test (it must catch made-up losses and
# duplicates), then the run. Installs web/'s npm dependencies (`ws`) when
# missing. PARLEY_BINARY: the broker (default build/parley).
# Exit status: 0 when nothing was violated; the run's status otherwise.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
web="$here/../../web"

if ! command -v node >/dev/null; then
  echo "run.sh: node (>= 20) is required" >&2
  exit 2
fi
if (($(node -p 'process.versions.node.split(".")[0]') < 20)); then
  echo "run.sh: node >= 20 is required (found $(node --version))" >&2
  exit 2
fi
if [[ ! -f "$web/node_modules/ws/package.json" ]]; then
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
fi

node --test --test-reporter=spec "$here/checker.test.mjs"
PARLEY_BINARY="${PARLEY_BINARY:-$here/../../build/parley}" node "$here/resubscribe-regression.mjs" 50

# The run in its own process group, so that whatever it started dies with
# this script, even when the run itself is killed hard.
setsid node "$here/chaos.mjs" "$@" &
pid=$!
trap 'kill -TERM -- -$pid 2>/dev/null || true; sleep 1; kill -KILL -- -$pid 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
status=0
wait $pid || status=$?
trap - EXIT
kill -KILL -- -$pid 2>/dev/null || true
exit $status

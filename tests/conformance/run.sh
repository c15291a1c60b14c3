#!/usr/bin/env bash
# Parley's WebSocket conformance suite (issue 12 §3): installs its one npm
# dependency (`ws`, the reference server) when missing, then runs every case
# against Parley and against the `ws` echo server.
#
#   tests/conformance/run.sh [suite.mjs options, e.g. --report FILE]
#
# PARLEY_BINARY: the broker to test (default build/parley of this checkout;
# a relative path is taken from the current directory).
# Exit status: 0 when no case failed against either server.
set -euo pipefail
# Paths given by the caller (PARLEY_BINARY, --report) stay relative to the
# caller's directory: only npm runs in the suite's folder.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v node >/dev/null; then
  echo "run.sh: node (>= 20) is required" >&2
  exit 2
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if ((major < 20)); then
  echo "run.sh: node >= 20 is required (found $(node --version))" >&2
  exit 2
fi
# npm ci when `ws` is missing or not the version the lock names.
locked=$(cd "$here" && node -p 'require("./package-lock.json").packages["node_modules/ws"].version')
installed=$(cd "$here" && node -p 'try { require("./node_modules/ws/package.json").version } catch { "" }')
if [[ "$locked" != "$installed" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
exec node "$here/suite.mjs" "$@"

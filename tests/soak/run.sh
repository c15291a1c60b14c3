#!/usr/bin/env bash
# Soak for leaks (issue 12 §6), from the repo root:
#   tests/soak/run.sh [--sockets N] [--duration S] [--warmup S] [other soak.mjs options]
# Raises the open-file limit (the broker and the client side each hold one
# descriptor per socket), installs web/'s npm dependencies (`ws`) when
# missing, and runs soak.mjs. The broker: --binary PATH, else $PARLEY_BINARY,
# else build/parley. Exit status: soak.mjs's (0 pass, 1 leak or seq
# violation, 2 set-up error).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
web="$here/../../web"

if ! command -v node >/dev/null || (($(node -p 'process.versions.node.split(".")[0]') < 20)); then
  echo "run.sh: node >= 20 is required" >&2
  exit 2
fi
if [[ ! -f "$web/node_modules/ws/package.json" ]]; then
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
fi

# As many descriptors as allowed: 10,000 sockets want 10,000 on each side.
hard="$(ulimit -Hn)"
if [[ "$hard" == unlimited ]]; then ulimit -n 1048576 2>/dev/null || ulimit -n 65536; else ulimit -n "$hard"; fi

export PARLEY_BINARY="${PARLEY_BINARY:-$here/../../build/parley}"
# soak.mjs kills the broker, redis-server and its pools when it exits (a
# signal included).
exec node "$here/soak.mjs" "$@"

#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, PARLEY_FUZZ=ON, clang-14) and runs
# each for N seconds on a copy of its seed corpus, under ASan and UBSan.
#
#   tests/fuzz/run.sh [--seconds N] [--build DIR] [TARGET...]
#
# N defaults to 60 per target, DIR to build-fuzz (configured when it is not
# yet). TARGETs are names like ws_frame (default: every target). Prints one
# line per target: executions, coverage (cov: edges, ft: features, from
# libFuzzer's final stats), corpus size, result. Exits non-zero when any
# target found a crash, a leak, a timeout or ran out of memory; the input is
# then in DIR/fuzz-artifacts/TARGET/ and the log next to it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seconds=60
build="$root/build-fuzz"
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    -h|--help) sed -n 2,12p "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  targets=(ws_frame http_head request json_writer redis_codec rules)
fi
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac

if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=${CC:-clang-14} CXX=${CXX:-clang++-14} cmake -S "$root" -B "$build" -DPARLEY_FUZZ=ON \
    -DPARLEY_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
mkdir -p "$build"
if ! nice -n 10 cmake --build "$build" -j2 --target "${targets[@]/#/fuzz_}" >"$build/fuzz-build.log" 2>&1; then
  tail -40 "$build/fuzz-build.log" >&2
  echo "run.sh: the build failed (whole log: $build/fuzz-build.log)" >&2
  exit 1
fi

# halt_on_error: the first report ends the run (and fails it).
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

work="$build/fuzz-run"
artifacts="$build/fuzz-artifacts"
rm -rf "$work"
mkdir -p "$work" "$artifacts"
failed=0
echo "fuzzing ${#targets[@]} target(s), ${seconds} s each ($(date -u +%FT%TZ))"
printf '%-12s %12s %8s %8s %8s  %s\n' target executions cov ft corpus result
for t in "${targets[@]}"; do
  corpus="$work/$t"
  mkdir -p "$corpus" "$artifacts/$t"
  # A copy: the committed seeds are never written to.
  if [ -d "$root/tests/fuzz/corpus/$t" ]; then cp -r "$root/tests/fuzz/corpus/$t/." "$corpus/"; fi
  dict=()
  if [ -f "$root/tests/fuzz/$t.dict" ]; then dict=("-dict=$root/tests/fuzz/$t.dict"); fi
  log="$artifacts/$t/fuzz.log"
  rc=0
  nice -n 10 "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$t/" "${dict[@]}" "$corpus" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  if [ "$rc" -eq 0 ]; then
    result=ok
  else
    result="FAILED (exit $rc): see $artifacts/$t/"
    failed=1
  fi
  printf '%-12s %12s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
  if [ "$rc" -ne 0 ]; then grep -E 'ERROR|SUMMARY|invariant|runtime error' "$log" | head -5 | sed 's/^/    /'; fi
done
exit $failed

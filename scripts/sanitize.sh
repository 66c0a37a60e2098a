#!/usr/bin/env bash
# Sanitizer builds (docs/development.md, "ThreadSanitizer ..."). Extra arguments go
# to ctest.
#
#   scripts/sanitize.sh [address]  the suite under ASan+UBSan, in build-asan/: a
#                                  clang build that also makes the fuzzers
#                                  (scripts/fuzz.sh runs them from the same
#                                  directory) and checks -Wthread-safety. The
#                                  tests that start the real Prometheus,
#                                  promtool or node_exporter (label `interop`)
#                                  and the embedding/install checks (labels
#                                  `embedding`, `install`: the doc's example, each
#                                  public header alone, `cmake --install` plus an
#                                  outside project) run once, in the plain build
#                                  (scripts/test.sh), not again here; so do the
#                                  tests labelled `no_sanitizer`.
#   scripts/sanitize.sh thread     the concurrency tests under TSan, in build-tsan/:
#                                  every test labelled `concurrency` (strata_test
#                                  LABELS), plus the threaded module binaries
#                                  listed in tsan_binaries below. Only those
#                                  targets are built, which keeps the CI step short.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-address}"
[ $# -gt 0 ] && shift
case "$kind" in
  address | thread) ;;
  *) echo "usage: scripts/sanitize.sh [address|thread] [ctest args]" >&2; exit 2 ;;
esac
./scripts/setup.sh
. scripts/configure.sh
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"

if [ "$kind" = address ]; then
  strata_configure_asan
  cmake --build build-asan
  ctest --test-dir build-asan --output-on-failure --timeout 900 -j"$(nproc)" \
    -LE 'no_sanitizer|interop|embedding|install' "$@"
  exit 0
fi

dir=build-tsan
strata_configure "$dir" -DSTRATA_SANITIZE=thread -DSTRATA_BUILD_BENCH=OFF

# Test binaries that start threads but are not (yet) labelled `concurrency`,
# run whole under TSan: the WAL writer's group commit and interval flusher,
# MemIndex readers against Add, MemEnv/FaultEnv. Except KillTest, which
# SIGKILLs a forked writer 1-21 ms after fork(): a TSan child is too slow
# to acknowledge anything in that window (and it tests crashes, not races).
tsan_binaries=(wal_test index_test testing_test)
tsan_filter="-KillTest.*"
# The strata_test(<name> ...) calls whose LABELS include `concurrency`.
mapfile -t labelled < <(awk '
  /strata_test\(/ {
    name = $0; sub(/.*strata_test\(/, "", name); sub(/[ \t)].*/, "", name); labels = 0
  }
  name != "" && /LABELS/ { labels = 1 }
  name != "" && labels && /[( \t";]concurrency([ \t)";]|$)/ { print name; name = "" }
  name != "" && /\)[ \t]*$/ { name = "" }
' tests/*/CMakeLists.txt)
echo "tsan: building ${labelled[*]} ${tsan_binaries[*]}"
cmake --build "$dir" --target "${labelled[@]}" "${tsan_binaries[@]}"
# Every part runs even if one fails, so one CI run shows every report.
failed=0
ctest --test-dir "$dir" --output-on-failure --timeout 900 -j"$(nproc)" \
  -L concurrency -LE no_sanitizer "$@" || failed=1
for t in "${tsan_binaries[@]}"; do
  echo "tsan: $t"
  "$dir/bin/$t" --gtest_brief=1 --gtest_filter="$tsan_filter" || failed=1
done
exit "$failed"

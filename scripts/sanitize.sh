#!/usr/bin/env bash
# Builds the test suite with AddressSanitizer + UndefinedBehaviorSanitizer
# (or ThreadSanitizer with `scripts/sanitize.sh thread`) into
# build-<name>/ and runs it. Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-address}"
[ $# -gt 0 ] && shift
case "$kind" in
  address) sanitize="address,undefined"; dir=build-asan ;;
  thread) sanitize="thread"; dir=build-tsan ;;
  *) echo "usage: scripts/sanitize.sh [address|thread] [ctest args]" >&2; exit 2 ;;
esac
./scripts/setup.sh
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_WERROR=ON \
  -DSTRATA_SANITIZE="$sanitize" -DSTRATA_BUILD_BENCH=OFF >/dev/null
cmake --build "$dir"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1"
ctest --test-dir "$dir" --output-on-failure --timeout 900 -j"$(nproc)" -LE no_sanitizer "$@"

#!/usr/bin/env bash
# Builds every libFuzzer target with clang (+ASan/UBSan) into build-fuzz/
# and runs each for SECONDS seconds (default 30), starting from the seeds
# in fuzz/corpus/<target>/. A crash fails the script and leaves the input
# in build-fuzz/crashes/<target>/; turn it into a test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
./scripts/setup.sh
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSTRATA_WERROR=ON -DSTRATA_FUZZ=ON -DSTRATA_SANITIZE="address,undefined" \
  -DSTRATA_BUILD_TESTS=OFF -DSTRATA_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz
status=0
for fuzzer in build-fuzz/bin/*_fuzzer; do
  name=$(basename "$fuzzer" _fuzzer)
  work="build-fuzz/corpus/$name"
  crashes="build-fuzz/crashes/$name"
  mkdir -p "$work" "$crashes"
  echo "fuzz: $name for ${seconds}s"
  if ! "$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$crashes/" \
      "$work" "fuzz/corpus/$name" >"build-fuzz/$name.log" 2>&1; then
    echo "fuzz: $name FAILED; the input is in $crashes/" >&2
    tail -50 "build-fuzz/$name.log" >&2
    status=1
  else
    grep -E "^stat::number_of_executed_units" "build-fuzz/$name.log" || true
  fi
done
exit $status

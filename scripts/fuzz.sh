#!/usr/bin/env bash
# Builds every libFuzzer target (clang, ASan+UBSan) into build-asan/, the
# directory scripts/sanitize.sh address shares, and runs each for SECONDS
# seconds (default 30), JOBS at a time (default: one per core), starting
# from the seeds in fuzz/corpus/<target>/. A crash fails the script and
# leaves the input in build-asan/crashes/<target>/; turn it into a test
# (add it to the corpus).
#
#   scripts/fuzz.sh [SECONDS [JOBS]]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
jobs="${2:-$(nproc)}"
./scripts/setup.sh
. scripts/configure.sh
strata_configure_asan
cmake --build build-asan --target fuzzers
out=build-asan/fuzz
mkdir -p "$out"

# fuzz_one <binary>: runs one target; its log is $out/<name>.log.
fuzz_one() {
  local name
  name=$(basename "$1" _fuzzer)
  local work="$out/corpus/$name" crashes="build-asan/crashes/$name"
  mkdir -p "$work" "$crashes"
  if ! "$1" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$crashes/" \
      "$work" "fuzz/corpus/$name" >"$out/$name.log" 2>&1; then
    echo "fuzz: $name FAILED; the input is in $crashes/" >&2
    tail -50 "$out/$name.log" >&2
    return 1
  fi
  echo "fuzz: $name $(grep -E '^stat::number_of_executed_units' "$out/$name.log" | awk '{print $2}') runs in ${seconds}s"
}

fuzzers=(build-asan/bin/*_fuzzer)
echo "fuzz: ${#fuzzers[@]} targets, ${seconds}s each, $jobs at a time"
status=0
running=0
for fuzzer in "${fuzzers[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
  fuzz_one "$fuzzer" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
exit $status

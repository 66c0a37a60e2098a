#!/usr/bin/env bash
# The README's test command: installs what is missing, builds Strata
# (Release, -Werror) into build/, and runs the whole suite (unit,
# integration, interop with Prometheus, PromQL conformance) with ctest.
# Extra arguments go to ctest, e.g. `scripts/test.sh -R Xor`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
. scripts/configure.sh
strata_configure build
cmake --build build
ctest --test-dir build --output-on-failure --timeout 600 -j"$(nproc)" "$@"

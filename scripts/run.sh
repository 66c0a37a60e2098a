#!/usr/bin/env bash
# The README's run command: installs what is missing, builds Strata into
# build/ and starts the server, `strata serve` (127.0.0.1:9201, data in
# ./data; docs/operations.md). Arguments that start with "-" are flags for
# `strata serve`; any other first argument is a command of its own
# (`./scripts/run.sh version`, `./scripts/run.sh chunk-stats`).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target strata
if [ $# -eq 0 ] || [[ "$1" == -* ]]; then set -- serve "$@"; fi
exec build/bin/strata "$@"

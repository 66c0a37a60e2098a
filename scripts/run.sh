#!/usr/bin/env bash
# The README's run command: installs what is missing, builds Strata into
# build/ and runs build/bin/strata with the given arguments. With none it
# runs `strata chunk-stats` (the server arrives with `strata serve`, #7).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target strata
if [ $# -eq 0 ]; then set -- chunk-stats; fi
exec build/bin/strata "$@"

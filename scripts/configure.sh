#!/usr/bin/env bash
# Sourced by the build scripts: the CMake configurations, in one place.
#
#   strata_configure <dir> [cmake args]  Ninja, -Werror, RelWithDebInfo, and
#                                        ccache as compiler launcher when it
#                                        is installed (scripts/setup.sh
#                                        installs it; a new machine's cache
#                                        is empty, so it only helps rebuilds)
#   strata_configure_asan                build-asan/: clang, ASan+UBSan,
#                                        libFuzzer instrumentation, tests on.
#                                        One build serves the suite under
#                                        sanitizers (scripts/sanitize.sh
#                                        address), the corpus replays and
#                                        the fuzzers (scripts/fuzz.sh), and
#                                        clang's -Wthread-safety.
strata_configure() {
  local dir="$1"
  shift
  local launcher=()
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_WERROR=ON \
    "${launcher[@]}" "$@" >/dev/null
}

# The compilers are passed as cache variables, not CC/CXX, so that a
# build-asan/ configured earlier with gcc is reconfigured for clang.
strata_configure_asan() {
  strata_configure build-asan -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DSTRATA_SANITIZE="address,undefined" -DSTRATA_FUZZ=ON -DSTRATA_BUILD_TESTS=ON \
    -DSTRATA_BUILD_BENCH=OFF
}

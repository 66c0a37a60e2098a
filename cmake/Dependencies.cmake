# Every third-party library is a Debian 12 package installed by
# scripts/setup.sh (DESIGN.md §7). Nothing is downloaded at build time.
# Not protobuf: the remote write/read messages are decoded and encoded on the
# wire format by hand (server/internal/protowire.h), so it is not required.
find_package(Threads REQUIRED)
find_package(absl REQUIRED CONFIG)
find_package(Snappy REQUIRED CONFIG)
find_package(PkgConfig REQUIRED)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
find_package(Boost 1.74 REQUIRED)
if(STRATA_BUILD_TESTS)
  find_package(GTest REQUIRED CONFIG)
endif()
if(STRATA_BUILD_BENCH AND NOT STRATA_SANITIZE)
  find_package(benchmark REQUIRED CONFIG)
endif()

#!/usr/bin/env bash
# Installs every Debian package Strata needs to build, test, fuzz and
# benchmark (DESIGN.md §7), and only the ones missing. Idempotent: a machine
# that already has everything runs no apt command at all.
set -euo pipefail

PACKAGES=(
  # build
  cmake g++ ninja-build pkg-config
  # libraries (DESIGN.md §7, without protobuf: server/internal/protowire.h
  # reads and writes the remote write/read wire format by hand)
  libabsl-dev libxxhash-dev libsnappy-dev libzstd-dev liblz4-dev
  libre2-dev libboost-dev libjemalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # fuzzing and sanitizers
  clang libclang-rt-14-dev
  # CI checks (scripts/lint.sh, scripts/tidy.sh); ccache, which the build
  # scripts use as compiler launcher when it is there
  clang-format clang-tidy ccache
  # test peers
  prometheus victoria-metrics prometheus-node-exporter
  # tools used by tests and scripts
  python3 curl
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

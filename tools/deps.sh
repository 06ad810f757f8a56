#!/usr/bin/env bash
# Install the Debian packages librec builds, tests and plots with, if any is missing.
# Used by examples/run.sh, tests/run.sh and .ci/run. Needs root or sudo only when something is
# missing. usage: tools/deps.sh [extra packages...]
set -euo pipefail
# valgrind: the memcheck pass of tests/run.sh; clang + libclang-rt-14-dev (libFuzzer and the
# sanitizer runtimes for clang): the fuzz targets (tests/fuzz). abigail-tools: the abidiff ABI
# gate (tests/abi). doxygen: the API reference (docs/). libopenmpi-dev + openmpi-bin:
# librec_mpi (-Dmpi=enabled, lib/mpi) and its 2-rank tests (tests/mpi).
pkgs=(gcc g++ libc6-dev meson ninja-build pkg-config libopenblas-dev check gnuplot-nox graphviz
      python3 python3-numpy curl unzip ca-certificates valgrind clang libclang-rt-14-dev
      abigail-tools doxygen libopenmpi-dev openmpi-bin "$@")
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

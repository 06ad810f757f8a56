#!/bin/sh
# Write the ABI baseline tests/abi/librec.abi from a build (run at each release, after the
# release's ABI review; see docs/ABI.md). usage: tools/abi-baseline.sh [BUILD_DIR]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
# librec.so links to the current build (a stale librec.so.N of an older soname may lie beside it)
lib=$(readlink -f "$build/lib/librec.so")
abidw --headers-dir include --headers-dir "$build/include" --no-corpus-path \
    --out-file tests/abi/librec.abi "$lib"
echo "wrote tests/abi/librec.abi from $lib"

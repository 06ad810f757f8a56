#!/bin/sh
# ABI gate (docs/ABI.md): the built library must be ABI-compatible with the baseline committed
# at the last release, tests/abi/librec.abi (made with tools/abi-baseline.sh). Added functions
# are allowed; removed or changed ones, or a public type that changes, fail.
# usage: check-abidiff.sh SOURCE_DIR BUILD_DIR   (exit 77 = skipped)
set -eu
src=$1
build=$2
baseline="$src/tests/abi/librec.abi"
command -v abidiff >/dev/null 2>&1 || { echo "abidiff not installed: ABI gate skipped"; exit 77; }
[ -f "$baseline" ] || { echo "no baseline $baseline: ABI gate skipped"; exit 77; }
lib=$(readlink -f "$build/lib/librec.so" 2>/dev/null || true)
[ -n "$lib" ] && [ -f "$lib" ] || { echo "no librec.so in $build/lib"; exit 1; }
if ! readelf -S "$lib" | grep -q '\.debug_info'; then
    echo "$lib has no debug info (build with debug=true): ABI gate cannot run"; exit 1
fi
set +e
abidiff --no-added-syms --headers-dir2 "$src/include" --headers-dir2 "$build/include" \
    "$baseline" "$lib"
rc=$?
set -e
if [ $rc -ne 0 ]; then
    echo "abidiff exit $rc: $lib is not ABI-compatible with $baseline (see docs/ABI.md)"
    exit 1
fi
echo "ABI compatible with $baseline"

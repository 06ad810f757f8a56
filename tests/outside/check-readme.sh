#!/bin/sh
# The README's API tour must stay true: extract its C block, compile it against the build tree
# with -Werror, and run it on the data when REC_DATA_DIR is set.
# usage: check-readme.sh SOURCE_DIR BUILD_DIR
set -eu
src=$1
build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk '/^```c$/ {on=1; next} /^```$/ {if (on) exit} on' "$src/README.md" > "$tmp/tour.c"
[ -s "$tmp/tour.c" ] || { echo "no C block in README.md"; exit 1; }
${CC:-cc} -std=c11 -Wall -Wextra -pedantic -Werror -I"$src/include" -I"$build/include" \
    "$tmp/tour.c" -o "$tmp/tour" -L"$build/lib" -lrec
[ -n "${REC_DATA_DIR:-}" ] || { echo "README tour compiles; REC_DATA_DIR not set: not run"; exit 0; }
mkdir -p "$tmp/data" && ln -s "$REC_DATA_DIR" "$tmp/data/ml-100k"
(cd "$tmp" && LD_LIBRARY_PATH="$build/lib" OPENBLAS_NUM_THREADS=1 ./tour)

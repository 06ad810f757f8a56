#!/bin/sh
# Install the build into a temporary prefix and build tests/outside/app.c the way a user
# would: with the compiler and pkg-config alone. usage: check-pkgconfig.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
meson install -C "$build" --destdir "$tmp" --quiet >/dev/null
pc=$(find "$tmp" -name librec.pc | head -n 1)
[ -n "$pc" ] || { echo "librec.pc was not installed"; exit 1; }
prefix=$(sed -n 's/^prefix=//p' "$pc")
mkdir -p "$tmp/pc"
sed "s|^prefix=.*|prefix=$tmp$prefix|" "$pc" > "$tmp/pc/librec.pc"
export PKG_CONFIG_PATH="$tmp/pc"
cflags=$(pkg-config --cflags librec)
libs=$(pkg-config --libs librec)
${CC:-cc} -std=c99 -Wall -Wextra -pedantic -Werror "$src/tests/outside/app.c" -o "$tmp/app" \
    $cflags $libs
libdir=$(pkg-config --variable=libdir librec)
LD_LIBRARY_PATH="$libdir" OPENBLAS_NUM_THREADS=1 "$tmp/app"
echo "pkg-config: cflags '$cflags' libs '$libs'"

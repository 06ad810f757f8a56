#!/bin/sh
# Build the Rust crate (examples/rust) offline against this build's librec, run its unit
# and integration tests and its example. Exit 77 (meson's "skipped") without cargo.
# usage: run.sh SOURCE_ROOT BUILD_ROOT
set -eu
src=$1
build=$2
cargo=$(command -v cargo 2>/dev/null || true)
if [ -z "$cargo" ] && [ -x "${HOME:-/root}/.cargo/bin/cargo" ]; then
    cargo=${HOME:-/root}/.cargo/bin/cargo
fi
if [ -z "$cargo" ]; then
    echo "cargo not found: skipping the Rust binding"
    exit 77
fi
# build.rs links $LIBREC_LIB_DIR/librec.so and puts that directory in the rpath; the target
# directory lives in the build tree so the source tree stays clean.
export LIBREC_LIB_DIR="$build/lib"
export CARGO_TARGET_DIR="$build/rust-target"
export OPENBLAS_NUM_THREADS=1
cd "$src/examples/rust"
"$cargo" build --offline --all-targets
"$cargo" test --offline
"$cargo" run --offline --example train

#!/usr/bin/env bash
# Run librec's libFuzzer targets for a bounded time each (docs/RELIABILITY.md).
# usage: tests/fuzz/run.sh [seconds per target, default 60] [target ...]
#   FUZZ_BUILD=dir   build directory (default build-fuzz): clang, -Dfuzz=true, ASan + UBSan
#   FUZZ_JOBS=n      parallel fuzzing processes per target (default 1)
# Each target starts from a working corpus (FUZZ_BUILD/fuzz-corpus/<t>) seeded with
# tests/fuzz/corpus/<t> and grows it across runs. Prints one line per target: executions,
# corpus size, coverage and crashes; a crashing input is saved in FUZZ_BUILD/fuzz-artifacts/<t>/
# (fix the bug, then keep the input in tests/fuzz/regress/<t>/ so the 'fuzz' suite replays it).
# Exit status 1 when any target crashed, 2 when the targets cannot be built.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
[ $# -gt 0 ] && shift
build=${FUZZ_BUILD:-build-fuzz}
jobs=${FUZZ_JOBS:-1}

if [ ! -f "$build/build.ninja" ]; then
    setup_log=$(mktemp)
    # REC_NO_CLONES: no function multi-versioning (lib/kernels/kernels.h); the fuzzers need one
    # instrumented copy of each loop, not one per instruction set
    if ! CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dbuildtype=debugoptimized -Dexamples=false \
        -Dc_args=-DREC_NO_CLONES >"$setup_log" 2>&1
    then
        tail -20 "$setup_log"; rm -f "$setup_log"
        echo "fuzz: cannot configure $build" >&2; exit 2
    fi
    rm -f "$setup_log"
fi
if ! meson compile -C "$build" >"$build/fuzz-compile.log" 2>&1; then
    grep -E 'error|FAILED' "$build/fuzz-compile.log" | head -20
    echo "fuzz: cannot build $build (log: $build/fuzz-compile.log)" >&2
    exit 2
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in "$build"/tests/fuzz/fuzz_*; do
        [ -x "$f" ] && [ -f "$f" ] && targets+=("${f##*/fuzz_}")
    done
fi

export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
crashed=0
printf '%-10s %12s %8s %8s %8s %7s\n' target executions exec/s corpus cov crashes
for t in "${targets[@]}"; do
    bin="$build/tests/fuzz/fuzz_$t"
    corpus="$build/fuzz-corpus/$t"
    art="$build/fuzz-artifacts/$t"
    log="$build/fuzz-logs/$t.log"
    mkdir -p "$corpus" "$art" "$(dirname "$log")"
    seeds=()
    [ -d "tests/fuzz/corpus/$t" ] && seeds+=("tests/fuzz/corpus/$t")
    [ -d "tests/fuzz/regress/$t" ] && seeds+=("tests/fuzz/regress/$t")
    # model files follow the format version: fresh seeds from the library being fuzzed
    [ "$t" = model ] && "$build/tests/fuzz/model_seeds" "$corpus"
    before=$(find "$art" -type f | wc -l)
    # -rss_limit_mb / -malloc_limit_mb: an allocation beyond 2 GiB is reported as a finding
    # (a hostile file must not make the loader ask for absurd memory).
    if [ "$jobs" -gt 1 ]; then
        "$bin" "$corpus" "${seeds[@]}" -max_total_time="$secs" -print_final_stats=1 \
            -artifact_prefix="$art/" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
            -max_len=16384 -jobs="$jobs" -workers="$jobs" >"$log" 2>&1
        cat fuzz-*.log >>"$log" 2>/dev/null && rm -f fuzz-*.log
    else
        "$bin" "$corpus" "${seeds[@]}" -max_total_time="$secs" -print_final_stats=1 \
            -artifact_prefix="$art/" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
            -max_len=16384 >"$log" 2>&1
    fi
    after=$(find "$art" -type f | wc -l)
    execs=$(grep -h 'stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
    rate=$(grep -h 'stat::average_exec_per_sec' "$log" | awk '{s += $2} END {print s + 0}')
    cov=$(grep -ho 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    printf '%-10s %12s %8s %8s %8s %7s\n' "$t" "$execs" "$rate" "$(ls "$corpus" | wc -l)" \
        "${cov:-?}" "$((after - before))"
    if [ "$after" -gt "$before" ]; then
        crashed=1
        grep -h -m3 -E 'ERROR|SUMMARY|contract broken' "$log" | sed 's/^/    /'
    fi
done
exit $crashed

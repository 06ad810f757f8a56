#!/usr/bin/env bash
# The test command (README.md "Run the tests"; .ci/run calls it). Two passes:
#   build/       release build, warnings as errors: every suite, verbose (Check's lines shown)
#   build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer build: every suite but the
#                install check (an uninstrumented outside program cannot load an ASan library)
# and one closing line "N passed, N failed" over both. Suites that need MovieLens read
# REC_DATA_DIR and skip those checks, saying so, without it.
# usage: tests/run.sh [--no-asan] [extra meson test arguments]
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh || exit 1
asan=1
if [ "${1:-}" = "--no-asan" ]; then asan=0; shift; fi

passed=0 failed=0 skipped=0 status=0

# setup_build DIR [meson options...]: configure once, then just rebuild.
setup_build() {
    local dir=$1; shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" -Dwerror=true "$@" || return 1
    fi
    meson compile -C "$dir" || return 1
}

# run_suites DIR [meson test args...]: run, then add up meson's per-test results.
run_suites() {
    local dir=$1; shift
    meson test -C "$dir" -v --num-processes 2 "$@" || status=1
    local log="$dir/meson-logs/testlog.json"
    passed=$((passed + $(grep -c '"result": "OK"' "$log" || true)))
    failed=$((failed + $(grep -c -E '"result": "(FAIL|ERROR|TIMEOUT|UNEXPECTEDPASS)"' "$log" || true)))
    skipped=$((skipped + $(grep -c '"result": "SKIP"' "$log" || true)))
}

if setup_build build; then
    run_suites build "$@"
else
    status=1; failed=$((failed + 1))
fi

if [ "$asan" = 1 ]; then
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    if setup_build build-asan -Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
        -Db_lundef=false; then
        run_suites build-asan --no-suite install "$@"
    else
        status=1; failed=$((failed + 1))
    fi
fi

[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status

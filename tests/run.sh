#!/usr/bin/env bash
# The test command (README.md "Run the tests"; .ci/run calls it). Four passes:
#   build/       release build, warnings as errors: every suite, verbose (Check's lines shown),
#                and the Doxygen reference with zero warnings (suite docs); -Dmpi=enabled, so
#                librec_mpi's 2-rank tests (suite mpi) run too
#   build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer build with allocation-failure
#                injection (-Dalloc_testing=true, so the 'alloc' suite runs here under
#                LeakSanitizer): every suite but the install, bindings and reference checks
#                (an uninstrumented outside program, python or a cargo binary, cannot load an
#                ASan library)
#   build-tsan/  ThreadSanitizer build: the suites that share handles across threads (threads:
#                two models trained at once, concurrent predictions on one model;
#                train_threads: a model's own training threads), in one process (CK_FORK=no)
#   valgrind     memcheck over build/'s binaries for a representative subset of suites (every
#                loader, parser and the model file, the fuzz replays, the hostile table), zero
#                errors and no definite leak required; Check runs in-process (CK_FORK=no)
#   build-fuzz/  clang + libFuzzer: every fuzz target for a few seconds (a smoke run; the long
#                runs are tests/fuzz/run.sh, docs/RELIABILITY.md)
# and one closing line "N passed, N failed" over all of them. Suites that need MovieLens read
# REC_DATA_DIR and skip those checks, saying so, without it.
# usage: tests/run.sh [--no-asan] [--no-tsan] [--no-valgrind] [--no-fuzz] [extra meson test args]
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh || exit 1
asan=1 tsan=1 valgrind=1 fuzz=1
while [ $# -gt 0 ]; do
    case "$1" in
        --no-asan) asan=0 ;;
        --no-tsan) tsan=0 ;;
        --no-valgrind) valgrind=0 ;;
        --no-fuzz) fuzz=0 ;;
        *) break ;;
    esac
    shift
done

passed=0 failed=0 skipped=0 status=0

# setup_build DIR [meson options...]: configure once (later runs apply the same options, so a
# directory made by an older version of this script gets the new ones), then rebuild.
setup_build() {
    local dir=$1; shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" -Dwerror=true "$@" || return 1
    else
        meson configure "$dir" -Dwerror=true "$@" >/dev/null || return 1
    fi
    meson compile -C "$dir" || return 1
}

# run_suites DIR [meson test args...]: run, then add up meson's per-test results.
# meson names the log after a --wrap program (testlog-valgrind.json), so the pass's own log is
# the one this run wrote: older logs are removed first.
run_suites() {
    local dir=$1; shift
    rm -f "$dir"/meson-logs/testlog*.json
    meson test -C "$dir" -v --num-processes 2 "$@" || status=1
    local log
    log=$(ls -t "$dir"/meson-logs/testlog*.json 2>/dev/null | head -n 1)
    if [ -z "$log" ]; then
        echo "no test log in $dir/meson-logs"; status=1; failed=$((failed + 1)); return
    fi
    passed=$((passed + $(grep -c '"result": "OK"' "$log" || true)))
    failed=$((failed + $(grep -c -E '"result": "(FAIL|ERROR|TIMEOUT|UNEXPECTEDPASS)"' "$log" || true)))
    skipped=$((skipped + $(grep -c '"result": "SKIP"' "$log" || true)))
}

# -Ddocs=auto: the API reference is built and checked for doxygen warnings when doxygen is
# installed (tools/deps.sh installs it).
if setup_build build -Ddocs=auto -Dmpi=enabled; then
    run_suites build "$@"
else
    status=1; failed=$((failed + 1))
fi

if [ "$asan" = 1 ]; then
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    if setup_build build-asan -Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
        -Db_lundef=false -Dalloc_testing=true; then
        run_suites build-asan --no-suite install --no-suite bindings --no-suite reference \
            "$@"
    else
        status=1; failed=$((failed + 1))
    fi
    unset ASAN_OPTIONS UBSAN_OPTIONS
fi

# OpenBLAS is not instrumented: OPENBLAS_NUM_THREADS=1 keeps its own threads out of the picture
# (docs/threading.md; with more BLAS threads a model also falls back to one thread of its own).
if [ "$tsan" = 1 ]; then
    echo "== ThreadSanitizer: threads, train_threads"
    if setup_build build-tsan -Dbuildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false \
        -Dexamples=false; then
        OPENBLAS_NUM_THREADS=1 CK_FORK=no TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
            run_suites build-tsan threads train_threads
    else
        status=1; failed=$((failed + 1))
    fi
fi

# The subset: everything that parses untrusted bytes (loaders, text, model files, the fuzz
# replays, the hostile table) and the numeric blocks. Not rng and gradcheck, whose long
# statistical and finite-difference loops parse nothing and take minutes under valgrind, nor
# model, whose multi-threaded tests spin-wait (valgrind runs one thread at a time: minutes
# instead of a second); ASan covers all three.
valgrind_tests=(error vocab embedding optimizer dense discretization normalization textvec
                dataset table serve movielens hostile serialize fuzz-ratings fuzz-item fuzz-user
                fuzz-movielens fuzz-delimited fuzz-table fuzz-textvec fuzz-model)
if [ "$valgrind" = 1 ] && [ -f build/build.ninja ]; then
    echo "== valgrind memcheck: ${valgrind_tests[*]}"
    present=()
    listed=$(meson test -C build --list 2>/dev/null)
    for t in "${valgrind_tests[@]}"; do
        grep -q " / $t\$" <<<"$listed" && present+=("$t")
    done
    export CK_FORK=no
    vg='valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --quiet'
    run_suites build --wrap="$vg" "${present[@]}"
    unset CK_FORK
fi

if [ "$fuzz" = 1 ]; then
    if command -v clang >/dev/null; then
        echo "== fuzz smoke run (10 s per target)"
        # tests/fuzz/run.sh prints "target executions exec/s corpus cov crashes" per target
        out=$(FUZZ_BUILD=build-fuzz bash tests/fuzz/run.sh 10)
        fuzz_status=$?
        echo "$out"
        # result rows: a target name and five numbers (crash details are indented)
        rows=$(grep -E '^[a-z]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9?]+ +[0-9]+$' <<<"$out")
        ok=$(awk '$6 == "0"' <<<"$rows" | grep -c . || true)
        bad=$(awk '$6 != "0"' <<<"$rows" | grep -c . || true)
        passed=$((passed + ok))
        failed=$((failed + bad))
        if [ "$fuzz_status" -ne 0 ]; then
            status=1
            [ "$bad" -eq 0 ] && failed=$((failed + 1))
        fi
    else
        echo "== fuzz smoke run skipped: no clang"
        skipped=$((skipped + 1))
    fi
fi

[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status

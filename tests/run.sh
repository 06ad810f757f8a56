#!/usr/bin/env bash
# The test command (README.md "Run the tests"; .ci/run calls it): configure with warnings as
# errors, build, run every Check suite verbosely, and end with one "N passed, N failed" line.
# Suites that need MovieLens read REC_DATA_DIR and skip those checks, saying so, without it.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${REC_BUILD_DIR:-build}

if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" -Dwerror=true || exit 1
else
    meson configure "$build" -Dwerror=true >/dev/null || exit 1
fi
meson compile -C "$build" || exit 1
meson test -C "$build" -v --num-processes 2 "$@"
status=$?

# Count meson's results (testlog.json: one JSON object per test).
log="$build/meson-logs/testlog.json"
passed=$(grep -c '"result": "OK"' "$log" 2>/dev/null || true)
failed=$(grep -c -E '"result": "(FAIL|ERROR|TIMEOUT|UNEXPECTEDPASS)"' "$log" 2>/dev/null || true)
skipped=$(grep -c '"result": "SKIP"' "$log" 2>/dev/null || true)
[ "$status" -ne 0 ] && [ "${failed:-0}" -eq 0 ] && failed=1
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit $status

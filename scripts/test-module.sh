#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds and tests the migration TLS-PSK module standalone (no libvirt
# source needed).  Sub-suites:
#   plain     gcc build; GoogleTest, the C API test and the corpus replay
#   sanitize  ASan+UBSan build (clang if present); GoogleTest and C API test
#   fuzz      libFuzzer targets (clang), FUZZ_SECONDS (default 60) in total
#   replay    fuzz corpus replayed through the sanitized targets
# Build trees live in build/module* at the top of the repository.
#
# A longer fuzzing run is one command away:
#   FUZZ_SECONDS=3600 scripts/test-module.sh
#
# The last line is "module: N passed, N failed" (N = sub-suites); the exit
# status is non-zero if any sub-suite failed.

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
PLAIN=build/module
SAN=build/module-asan
LOGS=build/module-logs
CORPUS=tests/module/fuzz-corpus
FUZZ_TARGETS="hex cookie redact"

ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS UBSAN_OPTIONS

mkdir -p "$LOGS"
passed=0
failed=0

# report NAME STATUS START DETAIL
report() {
    secs=$(( $(date +%s) - $3 ))
    if [ "$2" -eq 0 ]; then
        passed=$((passed + 1))
        echo "module/$1: PASS (${secs}s) $4"
    else
        failed=$((failed + 1))
        echo "module/$1: FAIL (${secs}s) $4"
    fi
}

# setup DIR [meson options...]: configure (once) and build
setup() {
    dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >"$LOGS/$(basename "$dir")-setup.log" 2>&1 || {
            cat "$LOGS/$(basename "$dir")-setup.log"
            return 1
        }
    fi
    ninja -C "$dir" >"$LOGS/$(basename "$dir")-build.log" 2>&1 || {
        cat "$LOGS/$(basename "$dir")-build.log"
        return 1
    }
}

# run_unit DIR: GoogleTest (output shown) then the C API test
run_unit() {
    "$1/qemumigrationpskgtest" --gtest_brief=0 || return 1
    "$1/qemumigrationpskctest" || return 1
}

gtest_count() {
    grep -E '^\[  PASSED  \]' "$1" | tail -n 1 | sed 's/.*\] //'
}

# ---- plain ----
start=$(date +%s)
status=0
if setup "$PLAIN" -Dbuildtype=debugoptimized; then
    run_unit "$PLAIN" 2>&1 | tee "$LOGS/plain.log"
    # tee hides the status: check the log
    grep -q '^C API test: all checks passed' "$LOGS/plain.log" || status=1
    grep -q '^\[  FAILED  \]' "$LOGS/plain.log" && status=1
    meson test -C "$PLAIN" --suite module --no-rebuild --print-errorlogs \
        >"$LOGS/plain-meson-test.log" 2>&1 || status=1
else
    status=1
fi
report plain "$status" "$start" "gtest: $(gtest_count "$LOGS/plain.log" 2>/dev/null), C test, replay"

# ---- sanitize ----
start=$(date +%s)
status=0
if command -v clang >/dev/null 2>&1 && command -v clang++ >/dev/null 2>&1; then
    san_cc=clang
    san_cxx=clang++
else
    san_cc=gcc
    san_cxx=g++
fi
if CC=$san_cc CXX=$san_cxx setup "$SAN" -Dbuildtype=debug \
        -Db_sanitize=address,undefined -Db_lundef=false \
        "-Dc_args=-fno-sanitize-recover=all -fno-omit-frame-pointer" \
        "-Dcpp_args=-fno-sanitize-recover=all -fno-omit-frame-pointer"; then
    run_unit "$SAN" >"$LOGS/sanitize.log" 2>&1 || status=1
    grep -q '^C API test: all checks passed' "$LOGS/sanitize.log" || status=1
    grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$LOGS/sanitize.log" && status=1
    [ "$status" -eq 0 ] || tail -n 40 "$LOGS/sanitize.log"
else
    status=1
fi
report sanitize "$status" "$start" "($san_cxx, address+undefined, gtest: $(gtest_count "$LOGS/sanitize.log" 2>/dev/null), C test)"

# ---- fuzz ----
start=$(date +%s)
status=0
ntargets=$(echo $FUZZ_TARGETS | wc -w)
per=$((FUZZ_SECONDS / ntargets))
[ "$per" -ge 1 ] || per=1
runs=""
for t in $FUZZ_TARGETS; do
    bin="$SAN/qemumigrationpsk${t}fuzz"
    if [ ! -x "$bin" ]; then
        echo "fuzz target $bin missing (libFuzzer needs clang)"
        status=1
        continue
    fi
    work="$SAN/fuzz-corpus/$t"
    mkdir -p "$work"
    # New inputs go to $work; the seed corpus in the repository is read only.
    if ! "$bin" -max_total_time="$per" -max_len=4096 -timeout=10 \
            -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$SAN/fuzz-crash-$t-" \
            "$work" "$CORPUS/$t" >"$LOGS/fuzz-$t.log" 2>&1; then
        status=1
        tail -n 40 "$LOGS/fuzz-$t.log"
    fi
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOGS/fuzz-$t.log")
    runs="$runs $t=${n:-?}"
done
report fuzz "$status" "$start" "(${per}s per target, runs:$runs)"

# ---- replay ----
start=$(date +%s)
status=0
for t in $FUZZ_TARGETS; do
    bin="$SAN/qemumigrationpsk${t}fuzz"
    if [ -x "$bin" ]; then
        # libFuzzer replays files given as arguments and exits
        files=$(find "$CORPUS/$t" "$SAN/fuzz-corpus/$t" -type f 2>/dev/null)
        # shellcheck disable=SC2086
        "$bin" -runs=0 $files >"$LOGS/replay-$t.log" 2>&1 || status=1
    else
        "$SAN/qemumigrationpsk${t}replay" "$CORPUS/$t" \
            >"$LOGS/replay-$t.log" 2>&1 || status=1
    fi
    [ "$status" -eq 0 ] || tail -n 20 "$LOGS/replay-$t.log"
done
report replay "$status" "$start" "(seed corpus + corpus grown by fuzz)"

echo "module: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

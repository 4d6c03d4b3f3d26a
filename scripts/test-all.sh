#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# README's test command: installs what the tests need, builds everything and
# runs every suite. Prints one summary line per suite and a closing
# "suites: N passed, N failed"; exits non-zero if any suite failed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (apt installs, namespaces, libvirtd)"
mkdir -p "$BUILD_DIR"

passed=0
failed=0
summary=()
run_suite() {  # name command...
    local name=$1 start rc
    shift
    start=$(date +%s)
    echo "=== suite $name: $*"
    "$@"
    rc=$?
    if [ $rc = 0 ]; then
        passed=$((passed + 1)); summary+=("PASS $name ($(( $(date +%s) - start ))s)")
    else
        failed=$((failed + 1)); summary+=("FAIL $name ($(( $(date +%s) - start ))s, exit $rc)")
    fi
}

"$TOP/scripts/install-deps.sh" || die "installing packages failed"

run_suite module "$TOP/scripts/test-module.sh"
if "$TOP/scripts/fetch-base.sh" && "$TOP/scripts/lay-series.sh"; then
    # Walks the series patch by patch in the build directory, so the full
    # build below only has to install.
    run_suite patches "$TOP/scripts/check-each-patch.sh"
    if "$TOP/scripts/build-libvirt.sh"; then
        run_suite libvirt "$TOP/scripts/test-libvirt.sh"
        run_suite e2e "$TOP/scripts/test-e2e.sh"
    else
        failed=$((failed + 1)); summary+=("FAIL build (scripts/build-libvirt.sh)")
    fi
else
    failed=$((failed + 1)); summary+=("FAIL base (fetch or lay failed)")
fi

echo
echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" = 0 ]

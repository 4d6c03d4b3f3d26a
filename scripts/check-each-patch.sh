#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Check that every patch of the series builds and passes libvirt's tests on
# its own: checks out the commits base..series of the work tree one after
# the other, building incrementally in the usual build directory and running
# libvirt's test suite at each step, and leaves the work tree at the whole
# series (so the next scripts/build-libvirt.sh only installs).
# Prints one line per patch and "patches: N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib.sh"

git -C "$SRC_DIR" rev-parse -q --verify refs/tags/series >/dev/null ||
    die "no laid series in $SRC_DIR; run scripts/lay-series.sh"
[ -z "$(git -C "$SRC_DIR" status --porcelain --untracked-files=no)" ] ||
    die "the work tree has uncommitted changes"
head=$(git -C "$SRC_DIR" symbolic-ref -q --short HEAD || git -C "$SRC_DIR" rev-parse HEAD)
mapfile -t commits < <(git -C "$SRC_DIR" rev-list --reverse base..series)

passed=0
failed=0
n=0
for c in "${commits[@]}"; do
    n=$((n + 1))
    subject=$(git -C "$SRC_DIR" log -1 --format=%s "$c")
    log=$BUILD_DIR/each-patch-$n.log
    start=$(date +%s)
    git -C "$SRC_DIR" checkout -q --detach "$c"
    if "$TOP/scripts/build-libvirt.sh" --no-install > "$log" 2>&1 &&
       LC_ALL=C meson test -C "$MESON_DIR" --no-suite syntax-check \
           --num-processes "$(nproc)" >> "$log" 2>&1; then
        passed=$((passed + 1))
        echo "PASS patch $n ($(( $(date +%s) - start ))s): $subject"
    else
        failed=$((failed + 1))
        echo "FAIL patch $n: $subject (log: $log)"
    fi
done

git -C "$SRC_DIR" checkout -q "$head"
echo "patches: $passed passed, $failed failed"
[ "$failed" = 0 ]

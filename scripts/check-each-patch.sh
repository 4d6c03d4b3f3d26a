#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Check that every patch of the series builds and passes libvirt's tests on
# its own: walks the commits base..series of the work tree in a separate
# worktree and build directory (so build/prefix is left alone), building
# incrementally with ccache and running libvirt's test suite at each step.
# Prints one line per patch and "patches: N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib.sh"

WT=$BUILD_DIR/each-patch
WT_BUILD=$BUILD_DIR/each-patch-build

git -C "$SRC_DIR" rev-parse -q --verify refs/tags/series >/dev/null ||
    die "no laid series in $SRC_DIR; run scripts/lay-series.sh"
mapfile -t commits < <(git -C "$SRC_DIR" rev-list --reverse base..series)

git -C "$SRC_DIR" worktree remove --force "$WT" 2>/dev/null
git -C "$SRC_DIR" worktree prune
git -C "$SRC_DIR" worktree add -q --detach "$WT" base || die "cannot create $WT"
# Vendored, kept out of git: the build needs it.
cp -a "$SRC_DIR/src/keycodemapdb" "$WT/src/"

mapfile -t opts < <(sed -n '/^MESON_OPTIONS=(/,/^)/p' "$TOP/scripts/build-libvirt.sh" |
                    sed -e '1d;$d' -e 's/^ *//' | grep -v -e '^--prefix' -e '^-Dpackager')
if [ ! -f "$WT_BUILD/build.ninja" ]; then
    meson setup "$WT_BUILD" "$WT" --prefix="$BUILD_DIR/each-patch-prefix" "${opts[@]}" \
        > "$BUILD_DIR/each-patch-setup.log" 2>&1 || die "meson setup failed"
fi

passed=0
failed=0
n=0
for c in "${commits[@]}"; do
    n=$((n + 1))
    subject=$(git -C "$SRC_DIR" log -1 --format=%s "$c")
    git -C "$WT" checkout -q --detach "$c"
    log=$BUILD_DIR/each-patch-$n.log
    if ninja -C "$WT_BUILD" > "$log" 2>&1 &&
       LC_ALL=C meson test -C "$WT_BUILD" --no-suite syntax-check \
           --num-processes "$(nproc)" >> "$log" 2>&1; then
        passed=$((passed + 1)); echo "PASS patch $n: $subject"
    else
        failed=$((failed + 1)); echo "FAIL patch $n: $subject (log: $log)"
    fi
done

git -C "$SRC_DIR" worktree remove --force "$WT"
echo "patches: $passed passed, $failed failed"
[ "$failed" = 0 ]

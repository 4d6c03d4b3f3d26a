#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Reset the work tree at $SRC_DIR to the "base" tag and lay the series onto
# it, one git commit per patch in patches/series. Our own new files (this
# repository's src/, at the paths they take in libvirt's tree) are laid into
# the commit of the first patch, which is the one that builds them.
#
# Options: --check  only verify that every patch applies, in order and
#                   without fuzz, to a scratch copy of the pristine base.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

check_only=false
[ "${1:-}" = "--check" ] && check_only=true

[ -d "$SRC_DIR/.git" ] || die "no work tree at $SRC_DIR; run scripts/fetch-base.sh first"
mapfile -t PATCHES < <(grep -v -e '^#' -e '^$' "$TOP/patches/series")
[ ${#PATCHES[@]} -gt 0 ] || die "patches/series is empty"

own_files() {
    (cd "$TOP" && git ls-files --cached --others --exclude-standard -- src) | sort -u
}

# Records what was laid, so scripts/export-series.sh can tell which of our
# files were changed in the work tree and which in the repository.
LAID=$SRC_DIR/.git/libvirtpsk-laid.sha256

lay_own_files() {
    local f
    : > "$LAID"
    while read -r f; do
        mkdir -p "$SRC_DIR/$(dirname "$f")"
        cp "$TOP/$f" "$SRC_DIR/$f"
        (cd "$SRC_DIR" && sha256sum "$f") >> "$LAID"
    done < <(own_files)
}

if $check_only; then
    # A scratch worktree at "base": git apply refuses any context mismatch
    # (it never fuzzes), and --check also runs patch(1) with --fuzz=0.
    scratch=$BUILD_DIR/series-check
    rm -rf "$scratch"
    git -C "$SRC_DIR" worktree prune
    git -C "$SRC_DIR" worktree add -q --detach "$scratch" base
    trap 'git -C "$SRC_DIR" worktree remove --force "$scratch"' EXIT
    fails=0
    for p in "${PATCHES[@]}"; do
        if (cd "$scratch" && patch -p1 --fuzz=0 --dry-run -s < "$TOP/patches/$p" >/dev/null) &&
           (cd "$scratch" && git apply --index "$TOP/patches/$p"); then
            echo "PASS: applies without fuzz: $p"
        else
            echo "FAIL: does not apply cleanly: $p"
            fails=$((fails + 1))
            break
        fi
    done
    exit $fails
fi

cd "$SRC_DIR"
git am --abort >/dev/null 2>&1 || true
git checkout -q -f main 2>/dev/null || git checkout -q -f -B main base
git reset -q --hard base
git clean -q -f -d

first=true
for p in "${PATCHES[@]}"; do
    git am -q --no-3way "$TOP/patches/$p" || die "patch $p does not apply; the work tree is left in 'git am' state"
    if $first; then
        lay_own_files
        git add -A
        git commit -q --amend --no-edit
        first=false
    fi
done
git tag -f series >/dev/null
log "laid ${#PATCHES[@]} patch(es) onto base: $(git log --oneline base..HEAD | wc -l) commit(s)"

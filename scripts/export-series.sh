#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Export the commits made in the work tree since "base" back into patches/
# (git format-patch) and rewrite patches/series. Changes to our own files
# (this repository's src/) are copied back into src/ instead of going into
# a patch, since the repository keeps those files whole.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cd "$SRC_DIR"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
    die "the work tree has uncommitted changes; commit them first"

LAID=$SRC_DIR/.git/libvirtpsk-laid.sha256
[ -f "$LAID" ] || die "no record of laid files; run scripts/lay-series.sh first"

laid_sum() { awk -v f="$1" '$2 == f { print $1 }' "$LAID"; }

mapfile -t own < <(cd "$TOP" && git ls-files --cached --others --exclude-standard -- src)
excludes=()
for f in "${own[@]}"; do
    excludes+=(":(exclude)$f")
    git cat-file -e "HEAD:$f" 2>/dev/null || continue
    tree_sum=$(git show "HEAD:$f" | sha256sum | cut -d' ' -f1)
    repo_sum=$(sha256sum < "$TOP/$f" | cut -d' ' -f1)
    was=$(laid_sum "$f")
    if [ "$tree_sum" = "$was" ] || [ "$tree_sum" = "$repo_sum" ]; then
        continue                        # unchanged in the work tree
    fi
    [ "$repo_sum" = "$was" ] ||
        die "$f changed both in the work tree and in the repository since it was laid"
    git show "HEAD:$f" > "$TOP/$f"
    log "copied work-tree change of $f back into the repository"
done

# New files of ours that the repository does not know yet stay in patches
# unless they are added to src/ first.
rm -f "$TOP"/patches/*.patch
git format-patch -q -N --no-signature --zero-commit -o "$TOP/patches" base..HEAD -- . "${excludes[@]}"
(cd "$TOP/patches" && ls -1 ./*.patch | sed 's#^\./##') > "$TOP/patches/series"
log "exported $(wc -l < "$TOP/patches/series") patch(es) into patches/"

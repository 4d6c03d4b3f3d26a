#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Obtain Debian bookworm's libvirt source package at exactly $LIBVIRT_VERSION
# with apt (which verifies the signed Sources index and every file's hash),
# unpack it with Debian's own debian/patches applied, and record the result
# as a git repository at $SRC_DIR with one commit tagged "base".
#
# Idempotent: the download is cached in $DOWNLOAD_DIR and an existing work
# tree whose "base" tag matches is left alone (scripts/lay-series.sh resets
# it to "base" before laying the series).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SRC_LIST=/etc/apt/sources.list.d/libvirt-psk-src.sources

# A deb-src entry mirroring the machine's own deb entries, so that no host
# name is ever written into this repository.
ensure_deb_src() {
    if apt-cache showsrc libvirt 2>/dev/null | grep -qx "Version: $LIBVIRT_VERSION"; then
        return 0
    fi
    log "adding deb-src entries derived from the machine's apt sources"
    {
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -e "$f" ] && [ "$f" != "$SRC_LIST" ] || continue
            grep -q '^Types:.*\<deb\>' "$f" || continue
            sed -e 's/^Types:.*$/Types: deb-src/' "$f"
            echo
        done
    } > "$SRC_LIST.tmp"
    if [ -f /etc/apt/sources.list ]; then
        sed -n 's/^deb \(.*\)$/deb-src \1/p' /etc/apt/sources.list \
            > /etc/apt/sources.list.d/libvirt-psk-src.list
    fi
    mv "$SRC_LIST.tmp" "$SRC_LIST"
    apt-get update -q >/dev/null
    apt-cache showsrc libvirt | grep -qx "Version: $LIBVIRT_VERSION" ||
        die "apt does not offer libvirt source $LIBVIRT_VERSION"
}

download() {
    local dsc=libvirt_${LIBVIRT_VERSION}.dsc
    mkdir -p "$DOWNLOAD_DIR"
    if [ -f "$DOWNLOAD_DIR/$dsc" ] && [ -f "$DOWNLOAD_DIR/.complete" ]; then
        log "using cached source package in $DOWNLOAD_DIR"
        return 0
    fi
    ensure_deb_src
    log "downloading libvirt $LIBVIRT_VERSION source with apt"
    rm -f "$DOWNLOAD_DIR"/*
    # apt checks the files against the signed Sources index.
    (cd "$DOWNLOAD_DIR" && apt-get source -q --download-only "libvirt=$LIBVIRT_VERSION" >/dev/null 2>&1) ||
        die "apt-get source libvirt=$LIBVIRT_VERSION failed"
    touch "$DOWNLOAD_DIR/.complete"
}

base_is_current() {
    [ -d "$SRC_DIR/.git" ] &&
        git -C "$SRC_DIR" rev-parse -q --verify refs/tags/base >/dev/null &&
        [ "$(git -C "$SRC_DIR" config --get libvirtpsk.base)" = "$LIBVIRT_VERSION" ]
}

unpack_and_commit() {
    local tmp=$BUILD_DIR/libvirt.unpack
    rm -rf "$tmp" "$SRC_DIR"
    mkdir -p "$BUILD_DIR"
    log "unpacking and applying Debian's patches"
    # dpkg-source re-checks the checksums listed in the .dsc and applies
    # every patch in debian/patches/series (format 3.0 quilt).
    # Its signature check only warns (no uploader keyring here); apt has
    # already verified the files against the signed archive.
    dpkg-source -x "$DOWNLOAD_DIR/libvirt_${LIBVIRT_VERSION}.dsc" "$tmp" \
        >/dev/null 2>"$BUILD_DIR/dpkg-source.log" ||
        die "dpkg-source failed, see $BUILD_DIR/dpkg-source.log"
    (cd "$tmp" && QUILT_PATCHES=debian/patches quilt applied >/dev/null 2>&1) ||
        die "Debian's patches were not applied"
    mv "$tmp" "$SRC_DIR"

    cd "$SRC_DIR"
    git init -q -b main
    # Kept on disk but out of git: Debian's packaging, quilt's state, and the
    # vendored keycodemapdb (a git submodule upstream, so syntax-check never
    # scans it there).
    cat >> .git/info/exclude <<'EOX'
/debian/
/.pc/
/src/keycodemapdb/
EOX
    git add -A
    git commit -q -m "Debian libvirt $LIBVIRT_VERSION with debian/patches applied"
    git tag base
    git config libvirtpsk.base "$LIBVIRT_VERSION"
    log "base recorded at $SRC_DIR (tag base, $(git rev-parse --short HEAD))"
}

download
if base_is_current; then
    log "work tree $SRC_DIR already has the base"
else
    unpack_and_commit
fi

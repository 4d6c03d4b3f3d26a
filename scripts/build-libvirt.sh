#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Configure, build (with ccache) and install the libvirt work tree at
# $SRC_DIR into the private prefix $PREFIX. Re-running rebuilds
# incrementally; the build directory is recreated when the options change.
# With --no-install, only configure and build.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

install=true
[ "${1:-}" = "--no-install" ] && install=false

[ -d "$SRC_DIR/.git" ] || die "no work tree at $SRC_DIR; run scripts/fetch-base.sh and scripts/lay-series.sh"

MESON_OPTIONS=(
    --prefix="$PREFIX"
    --buildtype=debugoptimized
    -Dauto_features=disabled
    -Ddriver_qemu=enabled
    -Ddriver_libvirtd=enabled
    -Ddriver_remote=enabled
    -Ddriver_secrets=enabled
    -Ddriver_test=enabled
    -Dremote_default_mode=legacy
    -Dyajl=enabled
    -Dreadline=enabled
    -Dtests=enabled
    -Dexpensive_tests=enabled
    -Ddocs=disabled
    -Dnls=disabled
    -Dinit_script=none
    -Dqemu_user=libvirt-qemu
    -Dqemu_group=libvirt-qemu
    -Dpackager=libvirt-psk
    -Dpackager_version="$LIBVIRT_VERSION"
)

# libvirt's QEMU driver refuses to start unless its built-in QEMU user
# exists, and qemumigrationpskconftest checks the system daemon's defaults
# with it.
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
getent passwd libvirt-qemu >/dev/null ||
    useradd --system --gid libvirt-qemu --home-dir /var/lib/libvirt --no-create-home \
        --shell /usr/sbin/nologin libvirt-qemu

stamp=$(printf '%s\n' "${MESON_OPTIONS[@]}" | sha256sum | cut -c1-16)
if [ ! -f "$MESON_DIR/build.ninja" ] || [ "$(cat "$MESON_DIR/.options" 2>/dev/null)" != "$stamp" ]; then
    log "configuring $MESON_DIR"
    rm -rf "$MESON_DIR"
    meson setup "$MESON_DIR" "$SRC_DIR" "${MESON_OPTIONS[@]}" > "$BUILD_DIR/meson-setup.log" 2>&1 ||
        { tail -40 "$BUILD_DIR/meson-setup.log"; die "meson setup failed (full log: $BUILD_DIR/meson-setup.log)"; }
    echo "$stamp" > "$MESON_DIR/.options"
fi

log "building (ccache in $CCACHE_DIR)"
ninja -C "$MESON_DIR" > "$BUILD_DIR/ninja.log" 2>&1 ||
    { grep -E -A8 'error|FAILED' "$BUILD_DIR/ninja.log" | head -80; die "build failed (full log: $BUILD_DIR/ninja.log)"; }

$install || exit 0

log "installing into $PREFIX"
meson install -C "$MESON_DIR" --quiet > "$BUILD_DIR/meson-install.log" 2>&1 ||
    { tail -40 "$BUILD_DIR/meson-install.log"; die "meson install failed"; }


log "installed: $("$PREFIX/sbin/libvirtd" --version) at $PREFIX"

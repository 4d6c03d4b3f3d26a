#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Everything from nothing to an installed patched libvirt: install the build
# dependencies, obtain Debian's source, lay the series, build and install.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (apt installs, libvirt's QEMU user)"
"$TOP/scripts/install-deps.sh" libvirt-build
"$TOP/scripts/fetch-base.sh"
"$TOP/scripts/lay-series.sh"
"$TOP/scripts/build-libvirt.sh"

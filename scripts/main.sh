#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# README's main command: build and install the patched libvirt, then run the
# two-host demo: a live migration with --tls-psk (throttled to 1 MiB/s so the
# key directories can be watched while it runs), the evidence verdict from
# the captured stream, and what is left on disk afterwards.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/build-all.sh"
echo "libvirt: $("$PREFIX/sbin/libvirtd" --version)"
echo "installed in: $PREFIX"
echo "work tree: $SRC_DIR ($(git -C "$SRC_DIR" log --oneline base..HEAD | wc -l) patch(es) on tag base)"
if [ -x "$TOP/scripts/demo.sh" ]; then
    "$TOP/scripts/install-deps.sh" e2e
    "$TOP/scripts/demo.sh" --tls-psk --bandwidth 1
fi

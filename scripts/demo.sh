#!/bin/bash
# The product demo: bring up two libvirt hosts from our build (build/prefix,
# or LIBVIRT_PREFIX), start the pattern guest, live-migrate it, show the
# evidence verdict and what is on disk, tear down.  Needs root.
#
#   scripts/demo.sh                 plain migration (P2P)
#   scripts/demo.sh --tls           native x509 TLS
#   scripts/demo.sh --mode client   client-managed instead of P2P
#   scripts/demo.sh --nonroot ...   QEMU as libvirt-qemu, dynamic ownership
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
export LIBVIRT_PREFIX="${LIBVIRT_PREFIX:-$repo/build/prefix}"
if [ ! -x "$LIBVIRT_PREFIX/sbin/libvirtd" ]; then
    echo "demo: no libvirtd in $LIBVIRT_PREFIX (build it first)" >&2
    exit 1
fi
export PYTHONPATH="$repo/tests/e2e${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
exec timeout --kill-after=10 300 /usr/bin/python3 -m lvpsk.demo "$@"

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Side-by-side migration benchmark (plain, x509 --tls, --tls-psk) on the
# e2e test bed, using the installed build in build/prefix. Run as root on
# an otherwise idle machine; arguments go to tests/bench/migration_bench.py.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ -x "$PREFIX/sbin/libvirtd" ] || die "no build in $PREFIX; run scripts/build-all.sh"
"$TOP/scripts/install-deps.sh" e2e
exec /usr/bin/python3 "$TOP/tests/bench/migration_bench.py" "$@"

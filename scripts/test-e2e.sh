#!/bin/bash
# Run the e2e suite (tests/e2e) against LIBVIRT_PREFIX (default build/prefix;
# /usr = Debian's packaged libvirt).  Needs root.  Extra arguments go to
# pytest (e.g. -k tls, -m "not nonroot").  The last line is always
#   e2e: N passed, N failed
# and the exit status is non-zero on any failure, on any skipped test (a skip
# would hide a missing package or host feature) or if no test ran.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
export LIBVIRT_PREFIX="${LIBVIRT_PREFIX:-$repo/build/prefix}"
export PYTHONDONTWRITEBYTECODE=1
junit=$(mktemp /tmp/e2e-junit.XXXXXX)
trap 'rm -f "$junit"' EXIT

echo "e2e: libvirt prefix $LIBVIRT_PREFIX"
cd "$repo"
timeout --kill-after=30 "${E2E_TIMEOUT:-900}" \
    /usr/bin/python3 -m pytest -c tests/e2e/pytest.ini tests/e2e \
    --junitxml="$junit" -v --durations=10 "$@"
rc=$?

read -r passed failed skipped < <(/usr/bin/python3 - "$junit" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 0, 0); sys.exit()
p = f = s = 0
for tc in root.iter("testcase"):
    kinds = {c.tag for c in tc}
    if kinds & {"failure", "error"}:
        f += 1
    elif "skipped" in kinds:
        s += 1
    else:
        p += 1
print(p, f, s)
PY
)
status=0
if [ "$skipped" -gt 0 ]; then
    echo "e2e: $skipped skipped, which fails the suite (see the reasons above)"
    status=1
fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
    echo "e2e: no test ran (pytest exit $rc)"
    status=1
elif [ "$rc" -ne 0 ] || [ "$failed" -gt 0 ]; then
    [ "$failed" -eq 0 ] && echo "e2e: pytest exited $rc"
    status=1
fi
echo "e2e: $passed passed, $((failed + skipped)) failed"
exit "$status"

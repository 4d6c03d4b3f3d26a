#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Test the patched libvirt work tree (after scripts/lay-series.sh and
# scripts/build-libvirt.sh):
#   series       every patch applies in order to the pristine base, no fuzz
#   libvirt      libvirt's own test suite, expensive tests included
#   syntax-check libvirt's syntax-check suite; fails on any check that is not
#                in the recorded baseline of the pristine base
# Prints one summary line per suite and exits non-zero on any failure.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

BASELINE=$TOP/tests/libvirt/syntax-check-baseline.txt
suites_passed=0
suites_failed=0
result() {  # name ok? detail
    if [ "$2" = 0 ]; then
        suites_passed=$((suites_passed + 1)); echo "SUITE PASS $1: $3"
    else
        suites_failed=$((suites_failed + 1)); echo "SUITE FAIL $1: $3"
    fi
}

# Reads meson's testlog.json and prints "<passed> <failed>", listing failures.
count_results() {
    python3 - "$MESON_DIR/meson-logs/testlog.json" "${1:-}" "$TOP/tests/libvirt/expected-skips.txt" <<'PY'
import json, sys
passed = failed = 0
failures = []
with open(sys.argv[3]) as f:
    allowed_skips = {l.strip() for l in f if l.strip() and not l.startswith("#")}
with open(sys.argv[1]) as f:
    for line in f:
        t = json.loads(line)
        if t["result"] in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif t["result"] == "SKIP" and t["name"] in allowed_skips:
            print("  skipped as in the base: " + t["name"], file=sys.stderr)
        elif t["result"] == "SKIP":
            failures.append(t["name"] + " (skipped)")
            failed += 1
        else:
            failures.append(t["name"])
            failed += 1
if sys.argv[2]:
    with open(sys.argv[2], "w") as out:
        out.write("".join(n + "\n" for n in sorted(failures)))
print(passed, failed)
PY
}

# 1. The series applies to the pristine base.
out=$("$TOP/scripts/lay-series.sh" --check 2>&1); rc=$?
echo "$out" | sed 's/^/  /'
result series $rc "$(echo "$out" | grep -c '^PASS') of $(grep -cv -e '^#' -e '^$' "$TOP/patches/series") patch(es) apply without fuzz"

# 2. Our module is linked into, exported by and run from the QEMU driver.
so=$(find "$PREFIX" -name libvirt_driver_qemu.so | head -n1)
link_rc=1
if [ -n "$so" ] &&
   grep -q ' T qemuMigrationPskModuleInfo$' <<< "$(nm -D --defined-only "$so")" &&
   grep -q 'NEEDED.*libstdc++' <<< "$(readelf -d "$so")"; then
    link_rc=0
fi
result module-link $link_rc "libvirt_driver_qemu.so exports qemuMigrationPskModuleInfo and needs libstdc++"

# 3. libvirt's API generator (which docs/ runs, disabled in this build)
#    accepts the new flag and parameter with their doc comments and version,
#    so libvirt-api.xml and the bindings built from it see them.
api=$BUILD_DIR/api-xml
rm -rf "$api" && mkdir -p "$api"
api_out=$(cd "$api" && python3 "$SRC_DIR/scripts/apibuild.py" "$SRC_DIR/docs" "$api" 2>&1)
api_rc=$?
api_ok=1
if [ $api_rc = 0 ] &&
   ! grep -q 'TLS_PSK' <<< "$api_out" &&
   grep -q "<enum name='VIR_MIGRATE_TLS_PSK' file='libvirt-domain' value='2097152'.* version='9.0.0' info='Encrypt" "$api/libvirt-api.xml" &&
   grep -q "<macro name='VIR_MIGRATE_PARAM_TLS_PSK_SECRET_UUID' file='libvirt-domain' string='tls.psk.secret_uuid' version='9.0.0'>" "$api/libvirt-api.xml"; then
    api_ok=0
else
    echo "$api_out" | sed 's/^/  apibuild: /' | tail -20
fi
result api-xml $api_ok "libvirt-api.xml documents VIR_MIGRATE_TLS_PSK and VIR_MIGRATE_PARAM_TLS_PSK_SECRET_UUID"

# 4. libvirt's own tests. A skipped test counts as a failure: nothing may be
#    skipped to get green (vshtabletest needs the en_US.UTF-8 locale).
LC_ALL=C meson test -C "$MESON_DIR" --no-suite syntax-check --num-processes "$(nproc)" \
    --print-errorlogs > "$BUILD_DIR/libvirt-tests.log" 2>&1
read -r p f < <(count_results "$BUILD_DIR/libvirt-tests.failed")
[ "$f" = 0 ] || sed 's/^/  failed: /' "$BUILD_DIR/libvirt-tests.failed"
result libvirt $f "$p passed, $f failed (log: $BUILD_DIR/libvirt-tests.log)"

# 5. syntax-check against the pristine base's baseline.
meson test -C "$MESON_DIR" --suite syntax-check --num-processes "$(nproc)" \
    > "$BUILD_DIR/syntax-check.log" 2>&1
read -r p f < <(count_results "$BUILD_DIR/syntax-check.failed")
new=$(comm -23 "$BUILD_DIR/syntax-check.failed" <(grep -v '^#' "$BASELINE" | sort))
fixed=$(comm -13 "$BUILD_DIR/syntax-check.failed" <(grep -v '^#' "$BASELINE" | sort))
[ -z "$new" ] || echo "$new" | sed 's/^/  new failure: /'
[ -z "$fixed" ] || echo "$fixed" | sed 's/^/  baseline failure now passing (update the baseline): /'
result syntax-check "$( [ -z "$new" ]; echo $?)" \
    "$p passed, $f failed, $(echo -n "$new" | grep -c .) not in the baseline of $(grep -cv '^#' "$BASELINE")"

echo "libvirt: $suites_passed passed, $suites_failed failed"
[ "$suites_failed" = 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install the Debian packages named in scripts/deps/<list>.txt for each list
# given on the command line (default: every list). Needs root. Skips apt
# entirely when everything is already installed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lists=("$@")
if [ ${#lists[@]} -eq 0 ]; then
    for f in "$TOP"/scripts/deps/*.txt; do
        lists+=("$(basename "$f" .txt)")
    done
fi

wanted=()
for l in "${lists[@]}"; do
    f=$TOP/scripts/deps/$l.txt
    [ -f "$f" ] || die "no package list $f"
    while read -r pkg _; do
        case $pkg in ''|'#'*) continue ;; esac
        wanted+=("$pkg")
    done < "$f"
done

missing=()
for p in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${#missing[@]} package(s): ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# vshtabletest needs an en_US.UTF-8 locale.
if printf '%s\n' "${wanted[@]}" | grep -qx locales &&
   ! locale -a 2>/dev/null | grep -qi '^en_US\.utf-\?8$'; then
    log "generating the en_US.UTF-8 locale"
    sed -i 's/^# *\(en_US\.UTF-8 UTF-8\)/\1/' /etc/locale.gen
    grep -q '^en_US\.UTF-8 UTF-8' /etc/locale.gen || echo 'en_US.UTF-8 UTF-8' >> /etc/locale.gen
    locale-gen >/dev/null
fi

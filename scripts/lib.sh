# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared settings for the pipeline scripts. Source it; do not run it.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$TOP/build}
CACHE_DIR=${CACHE_DIR:-$TOP/.cache}

LIBVIRT_VERSION=9.0.0-4+deb12u2
LIBVIRT_UPSTREAM=9.0.0

DOWNLOAD_DIR=$CACHE_DIR/download       # apt-get source files, verified by apt
SRC_DIR=$BUILD_DIR/libvirt             # git work tree: base + series
MESON_DIR=$BUILD_DIR/libvirt-build     # meson build directory
PREFIX=$BUILD_DIR/prefix               # private install prefix

export CCACHE_DIR=${CCACHE_DIR:-$CACHE_DIR/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-2G}

# Commits in the work tree are made by this identity; the series keeps the
# authors recorded in the patches.
export GIT_AUTHOR_NAME=${GIT_AUTHOR_NAME:-libvirt-psk pipeline}
export GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL:-pipeline@libvirt-psk.invalid}
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME
export GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

/*
 * qemu_migration_pskpriv.h: test-only hooks of the migration TLS-PSK module
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef LIBVIRT_QEMU_MIGRATION_PSKPRIV_H_ALLOW
# error "qemu_migration_pskpriv.h may only be included by qemu_migration_psk.cpp or test suites"
#endif /* LIBVIRT_QEMU_MIGRATION_PSKPRIV_H_ALLOW */

#pragma once

#include <stddef.h>

#include "qemu_migration_psk.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * qemuMigrationPskRandomFunc:
 * @buf: buffer to fill
 * @len: number of bytes to write to @buf
 * @opaque: caller data
 *
 * Returns 0 on success, a negative value on failure.
 */
typedef int (*qemuMigrationPskRandomFunc)(unsigned char *buf,
                                          size_t len,
                                          void *opaque);

/**
 * qemuMigrationPskSetRandomFunc:
 * @func: replacement random source, or NULL to restore GnuTLS's
 *        GNUTLS_RND_KEY generator
 * @opaque: passed to @func
 *
 * For tests only: makes qemuMigrationPskKeyNew() deterministic or failing.
 */
void
qemuMigrationPskSetRandomFunc(qemuMigrationPskRandomFunc func,
                              void *opaque) QEMU_MIGRATION_PSK_NOEXCEPT;

#ifdef __cplusplus
}
#endif

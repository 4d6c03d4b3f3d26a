/*
 * qemu_migration_psk_glue.h: TLS-PSK migration, the QEMU driver's side
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The calls the QEMU driver makes where its x509 migration TLS code hooks
 * in. Each reports its own errors with virReportError and returns -1.
 * The key logic itself lives in the C++ module behind qemu_migration_psk.h.
 */

#pragma once

#include "internal.h"
#include "virtypedparam.h"
#include "qemu_migration_psk.h"

/* Automatic cleanup of what the module hands out. Its strings (messages,
 * redacted text) and its strings holding key material are plain char *, so
 * each kind gets a type name of its own. */
typedef char qemuMigrationPskString;
typedef char qemuMigrationPskSecretString;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(qemuMigrationPskKey, qemuMigrationPskKeyFree);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(qemuMigrationPskCreds, qemuMigrationPskCredsFree);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(qemuMigrationPskString, qemuMigrationPskStringFree);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(qemuMigrationPskSecretString, qemuMigrationPskSecretStringFree);

int
qemuMigrationPskCheckRequest(virTypedParameterPtr params,
                             int nparams,
                             unsigned int flags);

char *
qemuMigrationPskCookieForLog(const char *cookie);

/*
 * qemu_migration_psk_keys.h: TLS-PSK migration keys of a migrating domain
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Where the key of a VIR_MIGRATE_TLS_PSK migration comes from and where it
 * lives on each host: <migrate_base_psk_dir>/<domain uuid>/keys.psk, owned
 * by the user QEMU runs as, from the phase that needs it until the
 * migration ends. Each function is the whole PSK step of one migration
 * phase and is called from the place where the x509 TLS code of that phase
 * hooks in. Errors are reported with virReportError.
 */

#pragma once

#include "qemu_conf.h"
#include "qemu_migration_cookie.h"
#include "virjson.h"

int
qemuMigrationPskSrcBegin(virDomainObj *vm,
                         qemuMigrationCookie *mig,
                         const char *secretUUID,
                         unsigned int flags);

int
qemuMigrationPskDstCheck(qemuMigrationCookie *mig,
                         const char *secretUUID,
                         unsigned int flags);

int
qemuMigrationPskDstWriteKey(virDomainObj *vm,
                            qemuMigrationCookie *mig,
                            const char *secretUUID);

int
qemuMigrationPskSrcWriteKey(virDomainObj *vm,
                            const char *secretUUID);

int
qemuMigrationPskCredsProps(virDomainObj *vm,
                           bool tlsListen,
                           const char *alias,
                           virJSONValue **props);

void
qemuMigrationPskRemoveKeys(virDomainObj *vm);

void
qemuMigrationPskSweep(virQEMUDriver *driver);

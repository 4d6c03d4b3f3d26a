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

int
qemuMigrationPskCheckRequest(virTypedParameterPtr params,
                             int nparams,
                             unsigned int flags);

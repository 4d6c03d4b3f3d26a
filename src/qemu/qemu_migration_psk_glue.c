/*
 * qemu_migration_psk_glue.c: TLS-PSK migration, the QEMU driver's side
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include "qemu_migration_psk_glue.h"
#include "qemu_migration_psk.h"
#include "virerror.h"
#include "virlog.h"
#include "viruuid.h"

#define VIR_FROM_THIS VIR_FROM_QEMU

VIR_LOG_INIT("qemu.qemu_migration_psk_glue");


/**
 * qemuMigrationPskCheckRequest:
 * @params: migration parameters (may be NULL)
 * @nparams: number of @params
 * @flags: migration flags (VIR_MIGRATE_*)
 *
 * Checks that a migration request asks for TLS-PSK consistently: the secret
 * parameter only with VIR_MIGRATE_TLS_PSK and holding a valid UUID, and
 * VIR_MIGRATE_TLS_PSK neither with VIR_MIGRATE_TLS (one TLS mode per
 * migration) nor with VIR_MIGRATE_OFFLINE (no migration stream to encrypt).
 *
 * Returns 0 if consistent, -1 with an error reported otherwise.
 */
int
qemuMigrationPskCheckRequest(virTypedParameterPtr params,
                             int nparams,
                             unsigned int flags)
{
    const char *secretUUID = NULL;
    unsigned char uuid[VIR_UUID_BUFLEN];

    if (virTypedParamsGetString(params, nparams,
                                VIR_MIGRATE_PARAM_TLS_PSK_SECRET_UUID,
                                &secretUUID) < 0)
        return -1;

    if (secretUUID && !(flags & VIR_MIGRATE_TLS_PSK)) {
        virReportError(VIR_ERR_INVALID_ARG,
                       _("migration parameter '%1$s' requires the VIR_MIGRATE_TLS_PSK flag"),
                       VIR_MIGRATE_PARAM_TLS_PSK_SECRET_UUID);
        return -1;
    }

    if (!(flags & VIR_MIGRATE_TLS_PSK))
        return 0;

    if ((flags & VIR_MIGRATE_TLS)) {
        virReportError(VIR_ERR_INVALID_ARG, "%s",
                       _("migration flags VIR_MIGRATE_TLS and VIR_MIGRATE_TLS_PSK are mutually exclusive"));
        return -1;
    }

    if ((flags & VIR_MIGRATE_OFFLINE)) {
        virReportError(VIR_ERR_INVALID_ARG, "%s",
                       _("offline migration has no migration stream to encrypt with VIR_MIGRATE_TLS_PSK"));
        return -1;
    }

    if (secretUUID && virUUIDParse(secretUUID, uuid) < 0) {
        virReportError(VIR_ERR_INVALID_ARG,
                       _("migration parameter '%1$s' is not a valid UUID: '%2$s'"),
                       VIR_MIGRATE_PARAM_TLS_PSK_SECRET_UUID, secretUUID);
        return -1;
    }

    return 0;
}


/**
 * qemuMigrationPskCookieForLog:
 * @cookie: a migration cookie (XML), or NULL
 *
 * Returns a copy of @cookie fit for logging: the content of every
 * <migration-key> element is replaced by a marker. Returns "<null>" for
 * NULL, like NULLSTR. Free with g_free.
 */
char *
qemuMigrationPskCookieForLog(const char *cookie)
{
    g_autoptr(qemuMigrationPskString) redacted = qemuMigrationPskRedact(cookie);

    return g_strdup(NULLSTR(redacted));
}

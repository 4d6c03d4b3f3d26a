/*
 * qemu_migration_psk.cpp: C API of the migration TLS-PSK module
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include "qemu_migration_psk.h"

#include <string>

#include <glib.h>
#include <gnutls/gnutls.h>

extern "C" {

const char *
qemuMigrationPskModuleInfo(void)
{
    static const std::string info =
        std::string("qemu_migration_psk 1.0 (GnuTLS ") +
        gnutls_check_version(nullptr) + ")";
    return info.c_str();
}

void
qemuMigrationPskStringFree(char *str)
{
    g_free(str);
}

} /* extern "C" */

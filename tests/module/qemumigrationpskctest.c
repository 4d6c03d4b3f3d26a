/*
 * qemumigrationpskctest.c: checks the C API compiles and works from C
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <stdio.h>
#include <string.h>

#include "qemu_migration_psk.h"

static int failures;

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "%s:%d: check failed: %s\n", \
                    __FILE__, __LINE__, #cond); \
            failures++; \
        } \
    } while (0)


static void
testModuleInfo(void)
{
    const char *info = qemuMigrationPskModuleInfo();

    CHECK(info != NULL);
    CHECK(strstr(info, "GnuTLS") != NULL);
    qemuMigrationPskStringFree(NULL);
}


int
main(void)
{
    testModuleInfo();

    if (failures != 0) {
        fprintf(stderr, "C API test: %d failure(s)\n", failures);
        return 1;
    }
    printf("C API test: all checks passed\n");
    return 0;
}

/*
 * qemumigrationpskctest.c: checks the C API compiles and works from C
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

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


static void
testKeyAndCookie(void)
{
    const char *hex = "00112233445566778899aabbccddeeff";
    qemuMigrationPskKey *key = NULL;
    qemuMigrationPskKey *back = NULL;
    char *xml = NULL;
    char *doc = NULL;
    char *errmsg = NULL;
    size_t doclen;

    CHECK(qemuMigrationPskKeyNew(QEMU_MIGRATION_PSK_LENGTH_MIN - 1, &key,
                                 &errmsg) == -EINVAL);
    CHECK(key == NULL);
    CHECK(errmsg != NULL);
    qemuMigrationPskStringFree(errmsg);
    errmsg = NULL;

    CHECK(qemuMigrationPskKeyNewFromHex(hex, strlen(hex), &key, &errmsg) == 0);
    CHECK(errmsg == NULL);
    CHECK(qemuMigrationPskKeyGetLength(key) == 16);

    CHECK(qemuMigrationPskCookieFormat(key, &xml, NULL) == 0);
    CHECK(xml != NULL);

    doclen = strlen(xml) + 64;
    doc = g_new0(char, doclen);
    if (xml) {
        strcat(doc, "<qemu-migration>");
        strcat(doc, xml);
        strcat(doc, "</qemu-migration>");
        CHECK(qemuMigrationPskCookieParseString(doc, strlen(doc), &back, NULL) == 0);
        CHECK(qemuMigrationPskKeyEqual(key, back) == 1);
    }

    qemuMigrationPskSecretStringFree(xml);
    if (doc)
        memset(doc, 0, doclen);
    g_free(doc);
    qemuMigrationPskKeyFree(back);
    qemuMigrationPskKeyFree(key);
}


static void
testRedact(void)
{
    char *out = qemuMigrationPskRedact("<migration-key>abcd</migration-key>");

    CHECK(out != NULL);
    if (out)
        CHECK(strstr(out, "abcd") == NULL);
    qemuMigrationPskStringFree(out);
}


static void
testCreds(void)
{
    qemuMigrationPskCreds *creds = NULL;

    CHECK(qemuMigrationPskCredsNew("objlibvirt_migrate_tls0",
                                   QEMU_MIGRATION_PSK_ENDPOINT_SERVER,
                                   "/run/libvirt/qemu/x", NULL,
                                   &creds, NULL) == 0);
    CHECK(g_str_equal(qemuMigrationPskCredsGetType(creds), "tls-creds-psk"));
    CHECK(g_str_equal(qemuMigrationPskCredsGetEndpoint(creds), "server"));
    CHECK(qemuMigrationPskCredsGetUsername(creds) == NULL);
    qemuMigrationPskCredsFree(creds);
}


static void
testDir(void)
{
    char tmpl[] = "/tmp/pskctest.XXXXXX";
    const char *uuid = "c7a5fdbd-edaf-9455-926a-d65c16db1809";
    qemuMigrationPskKey *key = NULL;
    char *dir = NULL;
    size_t removed = 0;

    if (!g_mkdtemp(tmpl)) {
        CHECK(!"cannot create temporary directory");
        return;
    }

    CHECK(qemuMigrationPskKeyNew(QEMU_MIGRATION_PSK_LENGTH_DEFAULT, &key, NULL) == 0);
    CHECK(qemuMigrationPskDirWrite(tmpl, uuid, key, getuid(), getgid(),
                                   &dir, NULL) == 0);
    CHECK(dir != NULL);
    CHECK(qemuMigrationPskDirRemove(tmpl, uuid, NULL) == 0);
    CHECK(qemuMigrationPskDirRemove(tmpl, uuid, NULL) == 0);
    CHECK(qemuMigrationPskDirSweep(tmpl, NULL, NULL, &removed, NULL) == 0);
    CHECK(removed == 0);
    CHECK(qemuMigrationPskConfCheckLength(QEMU_MIGRATION_PSK_LENGTH_MAX, NULL) == 0);
    CHECK(qemuMigrationPskConfCheckBaseDir(tmpl, NULL) == 0);

    qemuMigrationPskStringFree(dir);
    qemuMigrationPskKeyFree(key);
    rmdir(tmpl);
}


int
main(void)
{
    testModuleInfo();
    testKeyAndCookie();
    testRedact();
    testCreds();
    testDir();

    if (failures != 0) {
        fprintf(stderr, "C API test: %d failure(s)\n", failures);
        return 1;
    }
    printf("C API test: all checks passed\n");
    return 0;
}

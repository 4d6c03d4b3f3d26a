/*
 * qemu_migration_psk_keys.c: TLS-PSK migration keys of a migrating domain
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include "qemu_migration_psk_keys.h"
#include "qemu_migration_psk_glue.h"
#include "qemu_domain.h"
#include "qemu_monitor.h"
#include "qemu_security.h"
#include "driver.h"
#include "virerror.h"
#include "virfile.h"
#include "viridentity.h"
#include "virlog.h"
#include "virsecret.h"
#include "virsecureerase.h"
#include "virutil.h"
#include "viruuid.h"

#define VIR_FROM_THIS VIR_FROM_QEMU

VIR_LOG_INIT("qemu.qemu_migration_psk_keys");


/* The key is read with the daemon's own identity, as for the other secrets
 * the QEMU driver hands to QEMU, so that private secrets work. */
static qemuMigrationPskKey *
qemuMigrationPskKeyFromSecret(const char *secretUUID)
{
    VIR_IDENTITY_AUTORESTORE virIdentity *oldident = NULL;
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(qemuMigrationPskString) errmsg = NULL;
    virSecretLookupTypeDef lookup = { .type = VIR_SECRET_LOOKUP_TYPE_UUID };
    g_autofree uint8_t *value = NULL;
    size_t len = 0;
    qemuMigrationPskKey *key = NULL;
    int rc;

    if (virUUIDParse(secretUUID, lookup.u.uuid) < 0) {
        virReportError(VIR_ERR_INVALID_ARG,
                       _("migration parameter '%1$s' is not a valid UUID: '%2$s'"),
                       VIR_MIGRATE_PARAM_TLS_PSK_SECRET_UUID, secretUUID);
        return NULL;
    }

    if (!(oldident = virIdentityElevateCurrent()))
        return NULL;

    if (!(conn = virGetConnectSecret()) ||
        virSecretGetSecretString(conn, &lookup, VIR_SECRET_USAGE_TYPE_TLS,
                                 &value, &len) < 0)
        return NULL;

    rc = qemuMigrationPskKeyNewFromBytes(value, len, &key, &errmsg);
    virSecureErase(value, len);

    if (rc < 0) {
        virReportError(VIR_ERR_CONFIG_UNSUPPORTED,
                       _("the value of secret '%1$s' cannot be a TLS-PSK migration key: %2$s"),
                       secretUUID, errmsg);
        return NULL;
    }

    return key;
}


/* Checks that the secret holds a usable key, without keeping it */
static int
qemuMigrationPskCheckSecret(const char *secretUUID)
{
    g_autoptr(qemuMigrationPskKey) key = qemuMigrationPskKeyFromSecret(secretUUID);

    return key ? 0 : -1;
}


static char *
qemuMigrationPskKeyDir(virQEMUDriverConfig *cfg,
                       virDomainObj *vm)
{
    char uuidstr[VIR_UUID_STRING_BUFLEN];

    virUUIDFormat(vm->def->uuid, uuidstr);
    return g_build_filename(cfg->migrateBasePskDir, uuidstr, NULL);
}


/* The user and group QEMU runs as for @vm: qemu.conf's, unless the
 * domain has a DAC label of its own. */
static void
qemuMigrationPskKeyOwner(virQEMUDriverConfig *cfg,
                         virDomainObj *vm,
                         uid_t *uid,
                         gid_t *gid)
{
    virSecurityLabelDef *seclabel;

    *uid = cfg->user;
    *gid = cfg->group;

    if ((seclabel = virDomainDefGetSecurityLabelDef(vm->def, "dac")) &&
        seclabel->label)
        virParseOwnershipIds(seclabel->label, uid, gid);
}


/* Writes @key as <migrate_base_psk_dir>/<uuid>/keys.psk, owned by the
 * user and group QEMU runs as for @vm, so that QEMU can read it. */
static int
qemuMigrationPskWriteKey(virDomainObj *vm,
                         const qemuMigrationPskKey *key)
{
    qemuDomainObjPrivate *priv = vm->privateData;
    g_autoptr(virQEMUDriverConfig) cfg = virQEMUDriverGetConfig(priv->driver);
    g_autoptr(qemuMigrationPskString) errmsg = NULL;
    g_autoptr(qemuMigrationPskString) dir = NULL;
    g_autofree char *file = NULL;
    char uuidstr[VIR_UUID_STRING_BUFLEN];
    uid_t uid;
    gid_t gid;

    virUUIDFormat(vm->def->uuid, uuidstr);
    qemuMigrationPskKeyOwner(cfg, vm, &uid, &gid);

    if (g_mkdir_with_parents(cfg->migrateBasePskDir, 0755) < 0) {
        virReportSystemError(errno, _("cannot create directory '%1$s'"),
                             cfg->migrateBasePskDir);
        return -1;
    }

    if (qemuMigrationPskDirWrite(cfg->migrateBasePskDir, uuidstr, key,
                                 uid, gid, &dir, &errmsg) < 0) {
        virReportError(VIR_ERR_OPERATION_FAILED,
                       _("cannot write the TLS-PSK migration key of domain '%1$s': %2$s"),
                       vm->def->name, errmsg);
        return -1;
    }

    /* Label them like the domain's other runtime files, so that QEMU
     * confined by a security driver can read the key. */
    file = g_build_filename(dir, QEMU_MIGRATION_PSK_KEY_FILE, NULL);
    if (qemuSecurityDomainSetPathLabel(priv->driver, vm, dir, false) < 0 ||
        qemuSecurityDomainSetPathLabel(priv->driver, vm, file, false) < 0)
        return -1;

    VIR_DEBUG("TLS-PSK migration key of domain '%s' written for %u:%u",
              vm->def->name, (unsigned int) uid, (unsigned int) gid);
    return 0;
}


/**
 * qemuMigrationPskSrcBegin:
 * @vm: domain being migrated out
 * @mig: the Begin phase's migration cookie
 * @secretUUID: VIR_MIGRATE_PARAM_TLS_PSK_SECRET_UUID, or NULL
 * @flags: migration flags
 *
 * Generates this migration's key (migrate_psk_length bytes from qemu.conf),
 * writes the source's key file and puts the key into @mig for the
 * destination. When the key comes from a secret, nothing is generated and
 * the secret is only checked.
 *
 * Returns 0 on success, -1 on error.
 */
int
qemuMigrationPskSrcBegin(virDomainObj *vm,
                         qemuMigrationCookie *mig,
                         const char *secretUUID,
                         unsigned int flags)
{
    qemuDomainObjPrivate *priv = vm->privateData;
    g_autoptr(virQEMUDriverConfig) cfg = virQEMUDriverGetConfig(priv->driver);
    g_autoptr(qemuMigrationPskString) errmsg = NULL;
    g_autoptr(qemuMigrationPskKey) key = NULL;

    if (!(flags & VIR_MIGRATE_TLS_PSK))
        return 0;

    /* The key is read again where it is needed; checking it now refuses a
     * missing or unusable secret before the destination starts anything. */
    if (secretUUID)
        return qemuMigrationPskCheckSecret(secretUUID);

    /* Only the migration job keeps the key file from being left behind
     * when no Perform phase follows. */
    if (vm->job->asyncJob != VIR_ASYNC_JOB_MIGRATION_OUT) {
        virReportError(VIR_ERR_OPERATION_INVALID, "%s",
                       _("TLS-PSK migration with a generated key requires the VIR_MIGRATE_CHANGE_PROTECTION flag"));
        return -1;
    }

    if (qemuMigrationPskKeyNew(cfg->migratePskLength, &key, &errmsg) < 0) {
        virReportError(VIR_ERR_OPERATION_FAILED,
                       _("cannot generate a TLS-PSK migration key: %1$s"),
                       errmsg);
        return -1;
    }

    if (qemuMigrationPskWriteKey(vm, key) < 0)
        return -1;

    qemuMigrationCookieAddMigrationKey(mig, &key);
    return 0;
}


/**
 * qemuMigrationPskDstCheck:
 * @mig: the cookie received by the Prepare phase
 * @secretUUID: VIR_MIGRATE_PARAM_TLS_PSK_SECRET_UUID, or NULL
 * @flags: migration flags
 *
 * Checks, before the destination starts anything, that this migration's
 * key is available: in @mig or in the secret.
 *
 * Returns 0 on success, -1 on error.
 */
int
qemuMigrationPskDstCheck(qemuMigrationCookie *mig,
                         const char *secretUUID,
                         unsigned int flags)
{
    if (!(flags & VIR_MIGRATE_TLS_PSK))
        return 0;

    if (secretUUID)
        return qemuMigrationPskCheckSecret(secretUUID);

    if (!mig->migrationKey) {
        virReportError(VIR_ERR_OPERATION_FAILED, "%s",
                       _("the migration source sent no TLS-PSK migration key"));
        return -1;
    }

    return 0;
}


/**
 * qemuMigrationPskDstWriteKey:
 * @vm: domain being migrated in
 * @mig: the cookie received by the Prepare phase
 * @secretUUID: VIR_MIGRATE_PARAM_TLS_PSK_SECRET_UUID, or NULL
 *
 * Writes the destination's key file from the secret or from the key the
 * source sent in @mig. The key is taken out of @mig so that it does not
 * travel back in the destination's cookie.
 *
 * Returns 0 on success, -1 on error.
 */
int
qemuMigrationPskDstWriteKey(virDomainObj *vm,
                            qemuMigrationCookie *mig,
                            const char *secretUUID)
{
    g_autoptr(qemuMigrationPskKey) key = NULL;

    if (secretUUID) {
        if (!(key = qemuMigrationPskKeyFromSecret(secretUUID)))
            return -1;
    } else {
        key = g_steal_pointer(&mig->migrationKey);
        mig->flags &= ~QEMU_MIGRATION_COOKIE_MIGRATION_KEY;
        mig->flagsMandatory &= ~QEMU_MIGRATION_COOKIE_MIGRATION_KEY;
    }

    if (!key) {
        virReportError(VIR_ERR_OPERATION_FAILED, "%s",
                       _("the migration source sent no TLS-PSK migration key"));
        return -1;
    }

    return qemuMigrationPskWriteKey(vm, key);
}


/**
 * qemuMigrationPskSrcWriteKey:
 * @vm: domain being migrated out
 * @secretUUID: VIR_MIGRATE_PARAM_TLS_PSK_SECRET_UUID, or NULL
 *
 * With a secret, writes the source's key file from it right before the
 * client creds object reads it. A generated key was written in Begin.
 *
 * Returns 0 on success, -1 on error.
 */
int
qemuMigrationPskSrcWriteKey(virDomainObj *vm,
                            const char *secretUUID)
{
    g_autoptr(qemuMigrationPskKey) key = NULL;

    if (!secretUUID)
        return 0;

    if (!(key = qemuMigrationPskKeyFromSecret(secretUUID)))
        return -1;

    return qemuMigrationPskWriteKey(vm, key);
}


/**
 * qemuMigrationPskCredsProps:
 * @vm: domain being migrated
 * @tlsListen: true on the destination (server), false on the source
 * @alias: id of the QEMU object
 * @props: filled with the properties of the tls-creds-psk object
 *
 * Returns 0 on success, -1 on error.
 */
int
qemuMigrationPskCredsProps(virDomainObj *vm,
                           bool tlsListen,
                           const char *alias,
                           virJSONValue **props)
{
    qemuDomainObjPrivate *priv = vm->privateData;
    g_autoptr(virQEMUDriverConfig) cfg = virQEMUDriverGetConfig(priv->driver);
    g_autoptr(qemuMigrationPskString) errmsg = NULL;
    g_autoptr(qemuMigrationPskCreds) creds = NULL;
    g_autofree char *dir = qemuMigrationPskKeyDir(cfg, vm);
    qemuMigrationPskEndpoint endpoint = QEMU_MIGRATION_PSK_ENDPOINT_CLIENT;
    const char *priority = cfg->migratePskPriority;

    if (tlsListen)
        endpoint = QEMU_MIGRATION_PSK_ENDPOINT_SERVER;

    /* unless configured, AES-GCM rather than ChaCha20 with (EC)DHE-PSK */
    if (!priority)
        priority = QEMU_MIGRATION_PSK_PRIORITY_DEFAULT;

    if (qemuMigrationPskCredsNew(alias, endpoint, dir, priority,
                                 &creds, &errmsg) < 0) {
        virReportError(VIR_ERR_INTERNAL_ERROR,
                       _("cannot describe the TLS-PSK credentials object: %1$s"),
                       errmsg);
        return -1;
    }

    return qemuMonitorCreateObjectProps(props,
                                        qemuMigrationPskCredsGetType(creds),
                                        qemuMigrationPskCredsGetId(creds),
                                        "s:endpoint", qemuMigrationPskCredsGetEndpoint(creds),
                                        "s:dir", qemuMigrationPskCredsGetDir(creds),
                                        "S:username", qemuMigrationPskCredsGetUsername(creds),
                                        "S:priority", qemuMigrationPskCredsGetPriority(creds),
                                        NULL);
}


/**
 * qemuMigrationPskRemoveKeys:
 * @vm: domain
 *
 * Removes <migrate_base_psk_dir>/<uuid> of @vm if it exists. Idempotent and
 * quiet, so every exit path of a migration can call it; a failure is only
 * logged since it never changes the outcome of the migration.
 */
void
qemuMigrationPskRemoveKeys(virDomainObj *vm)
{
    qemuDomainObjPrivate *priv = vm->privateData;
    g_autoptr(virQEMUDriverConfig) cfg = NULL;
    g_autoptr(qemuMigrationPskString) errmsg = NULL;
    char uuidstr[VIR_UUID_STRING_BUFLEN];

    if (!priv->driver)
        return;

    cfg = virQEMUDriverGetConfig(priv->driver);
    virUUIDFormat(vm->def->uuid, uuidstr);

    if (qemuMigrationPskDirRemove(cfg->migrateBasePskDir, uuidstr, &errmsg) < 0)
        VIR_WARN("cannot remove the TLS-PSK migration key of domain '%s': %s",
                 vm->def->name, errmsg);
}


static int
qemuMigrationPskSweepInUse(const char *uuidstr,
                           void *opaque)
{
    virQEMUDriver *driver = opaque;
    unsigned char uuid[VIR_UUID_BUFLEN];
    virDomainObj *vm;

    if (virUUIDParse(uuidstr, uuid) < 0 ||
        !(vm = virDomainObjListFindByUUID(driver->domains, uuid)))
        return 0;

    virDomainObjEndAPI(&vm);
    return 1;
}


/**
 * qemuMigrationPskSweep:
 * @driver: the QEMU driver
 *
 * At daemon start, removes key directories left by a crash: those of
 * domains this daemon does not know. Directories of known domains are left
 * to the migration recovery and to their domain's next stop or migration.
 */
void
qemuMigrationPskSweep(virQEMUDriver *driver)
{
    g_autoptr(virQEMUDriverConfig) cfg = virQEMUDriverGetConfig(driver);
    g_autoptr(qemuMigrationPskString) errmsg = NULL;
    size_t removed = 0;

    if (qemuMigrationPskDirSweep(cfg->migrateBasePskDir,
                                 qemuMigrationPskSweepInUse, driver,
                                 &removed, &errmsg) < 0) {
        VIR_WARN("cannot sweep stale TLS-PSK migration keys: %s", errmsg);
        return;
    }

    if (removed > 0)
        VIR_INFO("removed %zu stale TLS-PSK migration key directories", removed);
}

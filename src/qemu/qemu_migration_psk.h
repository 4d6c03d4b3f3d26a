/*
 * qemu_migration_psk.h: TLS-PSK keys for encrypted QEMU migration (C API)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Conventions used by every function below:
 *
 *  - Handles are opaque, typed structs.  Each has a ...New() constructor and a
 *    ...Free() destructor; ...Free(NULL) is a no-op.  A handle is owned by
 *    whoever received it from ...New() and must not be used after ...Free().
 *  - Errors: functions returning int return 0 on success and a negative errno
 *    value on failure.  Their last parameter is 'char **errmsg'; it may be
 *    NULL.  Otherwise *errmsg must be NULL on entry and is set only on failure
 *    to a plain English message (never containing key material), which the
 *    caller releases with qemuMigrationPskStringFree().  Output parameters are
 *    set only on success.
 *  - Strings returned by the module are released with
 *    qemuMigrationPskStringFree(), except those documented as static or as
 *    borrowed from a handle (valid until that handle is freed).
 *  - Pointer parameters must not be NULL unless documented otherwise; a NULL
 *    where one is required yields -EINVAL.
 *  - No C++ exception ever crosses this interface.  Like GLib, the module
 *    aborts on out-of-memory.
 *  - Key material is erased from module memory when it is no longer needed.
 *    Strings documented as holding key material must be released with
 *    qemuMigrationPskSecretStringFree(), which erases them first.
 */

#pragma once

#include <stddef.h>
#include <sys/types.h>

#include <libxml/tree.h>

#ifdef __cplusplus
# define QEMU_MIGRATION_PSK_NOEXCEPT noexcept
extern "C" {
#else
# define QEMU_MIGRATION_PSK_NOEXCEPT
#endif

/**
 * qemuMigrationPskModuleInfo:
 *
 * Returns a static, non-NULL, human readable description of the module
 * (name, version and the GnuTLS version in use).  Never free it.
 */
const char *
qemuMigrationPskModuleInfo(void) QEMU_MIGRATION_PSK_NOEXCEPT;

/**
 * qemuMigrationPskStringFree:
 * @str: string allocated by this module (error message, path, ...), or NULL
 *
 * Releases @str.
 */
void
qemuMigrationPskStringFree(char *str) QEMU_MIGRATION_PSK_NOEXCEPT;

/**
 * qemuMigrationPskSecretStringFree:
 * @str: string holding key material allocated by this module, or NULL
 *
 * Erases and releases @str.
 */
void
qemuMigrationPskSecretStringFree(char *str) QEMU_MIGRATION_PSK_NOEXCEPT;


/* ---- Length bounds (bytes of key material) ----
 *
 * Minimum 16 bytes (128 bits), as required by the migrate_psk_length
 * configuration contract.
 *
 * Maximum 64 bytes.  GnuTLS and QEMU accept far more (4 to 100000 bytes were
 * measured to work), but TLS derives everything from the PSK through
 * HMAC-SHA-256 (TLS 1.3 HKDF-Extract, TLS 1.2 PRF): a key longer than the
 * 64 byte HMAC block is first hashed down to 32 bytes, so bytes beyond 64 add
 * no strength.  64 bytes keep the cookie element at 128 hex digits.
 */
#define QEMU_MIGRATION_PSK_LENGTH_MIN 16
#define QEMU_MIGRATION_PSK_LENGTH_MAX 64
#define QEMU_MIGRATION_PSK_LENGTH_DEFAULT 32

/* Fixed names used in the key directory and by QEMU */
#define QEMU_MIGRATION_PSK_KEY_FILE "keys.psk"
#define QEMU_MIGRATION_PSK_DH_PARAMS_FILE "dh-params.pem"
#define QEMU_MIGRATION_PSK_USERNAME "qemu"
#define QEMU_MIGRATION_PSK_COOKIE_ELEMENT "migration-key"
#define QEMU_MIGRATION_PSK_REDACTED "(redacted)"

/* QEMU appends ":+ECDHE-PSK:+DHE-PSK:+PSK" to the priority it is given.
 * Removing CHACHA20-POLY1305 makes TLS 1.3 with an external PSK (bound to
 * SHA-256) negotiate AES-128-GCM, which is far faster where AES-NI exists. */
#define QEMU_MIGRATION_PSK_PRIORITY_DEFAULT "NORMAL:-CHACHA20-POLY1305"


/* ---- Key material ---- */

typedef struct _qemuMigrationPskKey qemuMigrationPskKey;

/**
 * qemuMigrationPskKeyNew:
 * @len: key length in bytes, within QEMU_MIGRATION_PSK_LENGTH_MIN..MAX
 * @key: filled with a new key of @len random bytes (GnuTLS key-grade RNG)
 * @errmsg: error message on failure (see conventions)
 *
 * Returns 0 or -EINVAL (bad length) or -EIO (random generator failed).
 */
int
qemuMigrationPskKeyNew(size_t len,
                       qemuMigrationPskKey **key,
                       char **errmsg) QEMU_MIGRATION_PSK_NOEXCEPT;

/**
 * qemuMigrationPskKeyNewFromBytes:
 * @data: raw key bytes (for example a libvirt secret value)
 * @len: number of bytes in @data, within the length bounds
 * @key: filled with a new key holding a copy of @data
 * @errmsg: error message on failure
 *
 * The caller remains responsible for erasing @data.
 * Returns 0 or -EINVAL.
 */
int
qemuMigrationPskKeyNewFromBytes(const unsigned char *data,
                                size_t len,
                                qemuMigrationPskKey **key,
                                char **errmsg) QEMU_MIGRATION_PSK_NOEXCEPT;

/**
 * qemuMigrationPskKeyNewFromHex:
 * @hex: hexadecimal digits (either case), not necessarily NUL-terminated
 * @hexlen: number of characters in @hex
 * @key: filled with the decoded key
 * @errmsg: error message on failure; it never echoes @hex
 *
 * Strict decoding: even length, hex digits only, decoded length within the
 * bounds.  Returns 0 or -EINVAL.
 */
int
qemuMigrationPskKeyNewFromHex(const char *hex,
                              size_t hexlen,
                              qemuMigrationPskKey **key,
                              char **errmsg) QEMU_MIGRATION_PSK_NOEXCEPT;

/**
 * qemuMigrationPskKeyFree:
 * @key: key to erase and release, or NULL
 */
void
qemuMigrationPskKeyFree(qemuMigrationPskKey *key) QEMU_MIGRATION_PSK_NOEXCEPT;

/**
 * qemuMigrationPskKeyGetLength:
 * @key: a key, or NULL
 *
 * Returns the key length in bytes (0 for NULL).
 */
size_t
qemuMigrationPskKeyGetLength(const qemuMigrationPskKey *key) QEMU_MIGRATION_PSK_NOEXCEPT;

/**
 * qemuMigrationPskKeyEqual:
 * @a: a key, or NULL
 * @b: a key, or NULL
 *
 * Constant-time (for equal lengths) comparison.  Returns 1 if both are
 * non-NULL and hold the same bytes, 0 otherwise.
 */
int
qemuMigrationPskKeyEqual(const qemuMigrationPskKey *a,
                         const qemuMigrationPskKey *b) QEMU_MIGRATION_PSK_NOEXCEPT;


/* ---- Key directory <base>/<uuid>/keys.psk ---- */

/**
 * qemuMigrationPskDirWrite:
 * @base: absolute path of an existing directory (migrate_base_psk_dir)
 * @uuid: canonical lower-case domain UUID, e.g.
 *        "c7a5fdbd-edaf-9455-926a-d65c16db1809"; used as the directory name
 * @key: the key to store
 * @uid: owner given to the directory and the key file (QEMU's user)
 * @gid: group given to the directory and the key file (QEMU's group)
 * @dir: if not NULL, filled with "<base>/<uuid>" (free with
 *       qemuMigrationPskStringFree), the 'dir' property of the creds object
 * @errmsg: error message on failure
 *
 * Creates <base>/<uuid> (mode 0700) unless it exists as a directory with
 * mode 0700 owned by @uid:@gid, then atomically (re)places
 * <base>/<uuid>/dh-params.pem (the public RFC 7919 ffdhe2048 group, so that
 * QEMU's server object does not spend time generating DH parameters) and
 * <base>/<uuid>/keys.psk (content "qemu:<lower-case hex>\n"), both mode 0600
 * and owned by @uid:@gid.  Symbolic links are never followed below @base.
 * The caller must serialise calls for one @uuid (the domain job does).
 *
 * Returns 0, -EINVAL (relative base or non-canonical uuid), -ENOENT (missing
 * base), -ENOTDIR/-ELOOP (non-directory or symlink at <base>/<uuid>),
 * -EPERM (existing directory with wrong mode or owner) or another -errno.
 */
int
qemuMigrationPskDirWrite(const char *base,
                         const char *uuid,
                         const qemuMigrationPskKey *key,
                         uid_t uid,
                         gid_t gid,
                         char **dir,
                         char **errmsg) QEMU_MIGRATION_PSK_NOEXCEPT;

/**
 * qemuMigrationPskDirRemove:
 * @base: absolute path of the base directory
 * @uuid: canonical lower-case domain UUID
 * @errmsg: error message on failure
 *
 * Removes the files this module creates from <base>/<uuid> and then the
 * directory itself.  Idempotent: a missing base or directory is success.
 * Never follows symbolic links and never touches anything outside
 * <base>/<uuid>.  If the directory holds other entries, they and the
 * directory are left in place (the key file is still removed) and -ENOTEMPTY
 * is returned.  A symlink or non-directory at <base>/<uuid> is left alone
 * and yields -ELOOP or -ENOTDIR.
 */
int
qemuMigrationPskDirRemove(const char *base,
                          const char *uuid,
                          char **errmsg) QEMU_MIGRATION_PSK_NOEXCEPT;

/**
 * qemuMigrationPskInUseFunc:
 * @uuid: canonical UUID of a directory found in the base directory
 * @opaque: caller data
 *
 * Returns non-zero if @uuid belongs to a domain whose key directory must be
 * kept (for example a migration in progress), 0 otherwise.
 */
typedef int (*qemuMigrationPskInUseFunc)(const char *uuid,
                                         void *opaque);

/**
 * qemuMigrationPskDirSweep:
 * @base: absolute path of the base directory
 * @inUse: callback telling which UUIDs to keep, or NULL (keep none)
 * @opaque: passed to @inUse
 * @removed: if not NULL, filled with the number of directories removed
 * @errmsg: error message on failure
 *
 * Removes each <base>/<canonical-uuid>/ directory (not symlink) that holds
 * nothing but files this module creates, unless @inUse says to keep it.
 * Every other entry of @base is left untouched.  A missing @base is success.
 * Returns 0 or a negative errno if @base cannot be read; failures on single
 * entries are skipped.
 */
int
qemuMigrationPskDirSweep(const char *base,
                         qemuMigrationPskInUseFunc inUse,
                         void *opaque,
                         size_t *removed,
                         char **errmsg) QEMU_MIGRATION_PSK_NOEXCEPT;


/* ---- Migration cookie element <migration-key>HEX</migration-key> ---- */

/**
 * qemuMigrationPskCookieFormat:
 * @key: the key to send
 * @xml: filled with "<migration-key>hex</migration-key>" (no newline); it
 *       holds key material: free with qemuMigrationPskSecretStringFree
 * @errmsg: error message on failure
 *
 * Returns 0 or -EINVAL.
 */
int
qemuMigrationPskCookieFormat(const qemuMigrationPskKey *key,
                             char **xml,
                             char **errmsg) QEMU_MIGRATION_PSK_NOEXCEPT;

/**
 * qemuMigrationPskCookieParse:
 * @root: the cookie's root element (<qemu-migration>)
 * @key: filled with the key read from the single <migration-key> child
 * @errmsg: error message on failure; it never echoes key material
 *
 * Validation: exactly one <migration-key> child element of @root, whose
 * content is a single text node of hex digits decoding to a length within
 * the bounds, and which has no child elements.
 * Returns 0, -ENOENT (no element, e.g. an older peer) or -EINVAL.
 */
int
qemuMigrationPskCookieParse(xmlNodePtr root,
                            qemuMigrationPskKey **key,
                            char **errmsg) QEMU_MIGRATION_PSK_NOEXCEPT;

/**
 * qemuMigrationPskCookieParseString:
 * @xml: a whole cookie document, not necessarily NUL-terminated
 * @len: number of bytes in @xml
 * @key: filled with the key
 * @errmsg: error message on failure
 *
 * Parses @xml (no network access, no entity expansion) and calls
 * qemuMigrationPskCookieParse() on its root element.  Returns as that
 * function does; malformed XML yields -EINVAL.
 */
int
qemuMigrationPskCookieParseString(const char *xml,
                                  size_t len,
                                  qemuMigrationPskKey **key,
                                  char **errmsg) QEMU_MIGRATION_PSK_NOEXCEPT;

/**
 * qemuMigrationPskRedact:
 * @text: any text, typically a whole cookie XML document, or NULL
 *
 * Returns a copy of @text in which the content of every
 * <migration-key ...>...</migration-key> element is replaced by
 * QEMU_MIGRATION_PSK_REDACTED; an element without its end tag (or a start
 * tag without its '>') is redacted to the end of the text.  Self-closing
 * elements are kept as they are.  Returns NULL only for NULL @text.  Free
 * with qemuMigrationPskStringFree().
 */
char *
qemuMigrationPskRedact(const char *text) QEMU_MIGRATION_PSK_NOEXCEPT;


/* ---- Description of the QEMU tls-creds-psk object ---- */

typedef enum {
    QEMU_MIGRATION_PSK_ENDPOINT_SERVER = 0, /* destination */
    QEMU_MIGRATION_PSK_ENDPOINT_CLIENT,     /* source */

    QEMU_MIGRATION_PSK_ENDPOINT_LAST
} qemuMigrationPskEndpoint;

typedef struct _qemuMigrationPskCreds qemuMigrationPskCreds;

/**
 * qemuMigrationPskCredsNew:
 * @id: QEMU object id (letter first, then letters, digits, '-', '.', '_'),
 *      e.g. "objlibvirt_migrate_tls0"
 * @endpoint: server (destination) or client (source)
 * @dir: absolute path of the key directory (from qemuMigrationPskDirWrite)
 * @priority: GnuTLS priority string, or NULL for none (QEMU's default);
 *            QEMU_MIGRATION_PSK_PRIORITY_DEFAULT is recommended.  It is
 *            checked with GnuTLS the way QEMU will use it.
 * @creds: filled with the new description
 * @errmsg: error message on failure
 *
 * Returns 0 or -EINVAL.
 */
int
qemuMigrationPskCredsNew(const char *id,
                         qemuMigrationPskEndpoint endpoint,
                         const char *dir,
                         const char *priority,
                         qemuMigrationPskCreds **creds,
                         char **errmsg) QEMU_MIGRATION_PSK_NOEXCEPT;

void
qemuMigrationPskCredsFree(qemuMigrationPskCreds *creds) QEMU_MIGRATION_PSK_NOEXCEPT;

/* Accessors: strings are borrowed from @creds (valid until it is freed). */

/* Always "tls-creds-psk" */
const char *
qemuMigrationPskCredsGetType(const qemuMigrationPskCreds *creds) QEMU_MIGRATION_PSK_NOEXCEPT;

const char *
qemuMigrationPskCredsGetId(const qemuMigrationPskCreds *creds) QEMU_MIGRATION_PSK_NOEXCEPT;

/* "server" or "client" */
const char *
qemuMigrationPskCredsGetEndpoint(const qemuMigrationPskCreds *creds) QEMU_MIGRATION_PSK_NOEXCEPT;

const char *
qemuMigrationPskCredsGetDir(const qemuMigrationPskCreds *creds) QEMU_MIGRATION_PSK_NOEXCEPT;

/* QEMU_MIGRATION_PSK_USERNAME for a client, NULL for a server */
const char *
qemuMigrationPskCredsGetUsername(const qemuMigrationPskCreds *creds) QEMU_MIGRATION_PSK_NOEXCEPT;

/* NULL when no priority was given */
const char *
qemuMigrationPskCredsGetPriority(const qemuMigrationPskCreds *creds) QEMU_MIGRATION_PSK_NOEXCEPT;


/* ---- qemu.conf checks ---- */

/**
 * qemuMigrationPskConfCheckLength:
 * @len: value of migrate_psk_length
 * @errmsg: error message on failure
 *
 * Returns 0 if QEMU_MIGRATION_PSK_LENGTH_MIN <= @len <=
 * QEMU_MIGRATION_PSK_LENGTH_MAX, -ERANGE otherwise.
 */
int
qemuMigrationPskConfCheckLength(unsigned long long len,
                                char **errmsg) QEMU_MIGRATION_PSK_NOEXCEPT;

/**
 * qemuMigrationPskConfCheckBaseDir:
 * @dir: value of migrate_base_psk_dir
 * @errmsg: error message on failure
 *
 * Returns 0 if @dir is an absolute, normalised path ("/" followed by
 * non-empty components other than "." and "..", no trailing "/"), shorter
 * than 4000 bytes, -EINVAL otherwise.  Existence is not checked.
 */
int
qemuMigrationPskConfCheckBaseDir(const char *dir,
                                 char **errmsg) QEMU_MIGRATION_PSK_NOEXCEPT;

#ifdef __cplusplus
}
#endif

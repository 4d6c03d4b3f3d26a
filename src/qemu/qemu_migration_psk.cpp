/*
 * qemu_migration_psk.cpp: C API of the migration TLS-PSK module
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Thin wrappers: each exported function validates its C arguments, calls
 * the C++ implementation and turns its Status into an int and a message.
 */

#include <config.h>

#include "qemu_migration_psk.h"

#define LIBVIRT_QEMU_MIGRATION_PSKPRIV_H_ALLOW
#include "qemu_migration_pskpriv.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include <glib.h>
#include <gnutls/gnutls.h>

#include "qemu_migration_psk_conf.hpp"
#include "qemu_migration_psk_cookie.hpp"
#include "qemu_migration_psk_creds.hpp"
#include "qemu_migration_psk_key.hpp"
#include "qemu_migration_psk_keydir.hpp"

using qemupsk::Status;

struct _qemuMigrationPskKey
{
    qemupsk::SecretKey key;
};

struct _qemuMigrationPskCreds
{
    qemupsk::Creds creds;
};

static_assert(QEMU_MIGRATION_PSK_LENGTH_MIN == qemupsk::kKeyLengthMin, "bounds differ");
static_assert(QEMU_MIGRATION_PSK_LENGTH_MAX == qemupsk::kKeyLengthMax, "bounds differ");
static_assert(QEMU_MIGRATION_PSK_LENGTH_DEFAULT == qemupsk::kKeyLengthDefault,
              "defaults differ");

namespace {

void
setMessage(char **errmsg, const std::string &msg) noexcept
{
    if (errmsg)
        *errmsg = g_strdup(msg.c_str());
}


/* Runs @fn, which returns a Status, and converts the outcome.  Out of
 * memory aborts (as GLib does); any other exception becomes -EIO. */
template <typename Fn>
int
guarded(char **errmsg, Fn &&fn) noexcept
{
    try {
        Status st = fn();
        if (st.ok())
            return 0;
        setMessage(errmsg, st.message());
        return st.code();
    } catch (const std::bad_alloc &) {
        std::abort();
    } catch (const std::exception &e) {
        try {
            setMessage(errmsg, std::string("internal error: ") + e.what());
        } catch (...) {
            setMessage(errmsg, "internal error");
        }
    } catch (...) {
        setMessage(errmsg, "internal error");
    }
    return -EIO;
}


Status
missing(const char *what)
{
    return Status::failure(-EINVAL, std::string("missing argument '") + what + "'");
}


char *
dupSecret(const qemupsk::SecretBuffer &buf)
{
    char *str = static_cast<char *>(g_malloc(buf.size() + 1));
    std::memcpy(str, buf.revealData(), buf.size());
    str[buf.size()] = '\0';
    return str;
}


/* Wraps a C callback as a C++ predicate. */
struct InUseAdapter
{
    qemuMigrationPskInUseFunc func;
    void *opaque;

    bool operator()(const std::string &uuid) const
    {
        return func && func(uuid.c_str(), opaque) != 0;
    }
};

} /* namespace */


extern "C" {

const char *
qemuMigrationPskModuleInfo(void) noexcept
{
    static const std::string info =
        std::string("qemu_migration_psk 1.0 (TLS-PSK migration keys, GnuTLS ") +
        gnutls_check_version(nullptr) + ")";
    return info.c_str();
}


void
qemuMigrationPskStringFree(char *str) noexcept
{
    g_free(str);
}


void
qemuMigrationPskSecretStringFree(char *str) noexcept
{
    if (str)
        qemupsk::secureErase(str, std::strlen(str));
    g_free(str);
}


void
qemuMigrationPskSetRandomFunc(qemuMigrationPskRandomFunc func,
                              void *opaque) noexcept
{
    qemupsk::setRandomSource(func, opaque);
}


/* ---- keys ---- */

int
qemuMigrationPskKeyNew(size_t len,
                       qemuMigrationPskKey **key,
                       char **errmsg) noexcept
{
    return guarded(errmsg, [&]() -> Status {
        if (!key)
            return missing("key");
        qemupsk::SecretKey k;
        Status st = qemupsk::SecretKey::generate(len, k);
        if (!st.ok())
            return st;
        *key = new qemuMigrationPskKey{std::move(k)};
        return st;
    });
}


int
qemuMigrationPskKeyNewFromBytes(const unsigned char *data,
                                size_t len,
                                qemuMigrationPskKey **key,
                                char **errmsg) noexcept
{
    return guarded(errmsg, [&]() -> Status {
        if (!key)
            return missing("key");
        if (!data)
            return missing("data");
        qemupsk::SecretKey k;
        Status st = qemupsk::SecretKey::fromBytes(data, len, k);
        if (!st.ok())
            return st;
        *key = new qemuMigrationPskKey{std::move(k)};
        return st;
    });
}


int
qemuMigrationPskKeyNewFromHex(const char *hex,
                              size_t hexlen,
                              qemuMigrationPskKey **key,
                              char **errmsg) noexcept
{
    return guarded(errmsg, [&]() -> Status {
        if (!key)
            return missing("key");
        if (!hex)
            return missing("hex");
        qemupsk::SecretKey k;
        Status st = qemupsk::SecretKey::fromHex(hex, hexlen, k);
        if (!st.ok())
            return st;
        *key = new qemuMigrationPskKey{std::move(k)};
        return st;
    });
}


void
qemuMigrationPskKeyFree(qemuMigrationPskKey *key) noexcept
{
    delete key;
}


size_t
qemuMigrationPskKeyGetLength(const qemuMigrationPskKey *key) noexcept
{
    return key ? key->key.size() : 0;
}


int
qemuMigrationPskKeyEqual(const qemuMigrationPskKey *a,
                         const qemuMigrationPskKey *b) noexcept
{
    if (!a || !b)
        return 0;
    return a->key.equals(b->key) ? 1 : 0;
}


/* ---- key directory ---- */

int
qemuMigrationPskDirWrite(const char *base,
                         const char *uuid,
                         const qemuMigrationPskKey *key,
                         uid_t uid,
                         gid_t gid,
                         char **dir,
                         char **errmsg) noexcept
{
    return guarded(errmsg, [&]() -> Status {
        if (!base)
            return missing("base");
        if (!uuid)
            return missing("uuid");
        if (!key)
            return missing("key");
        std::string path;
        Status st = qemupsk::writeKeyDir(base, uuid, key->key, uid, gid, &path);
        if (st.ok() && dir)
            *dir = g_strdup(path.c_str());
        return st;
    });
}


int
qemuMigrationPskDirRemove(const char *base,
                          const char *uuid,
                          char **errmsg) noexcept
{
    return guarded(errmsg, [&]() -> Status {
        if (!base)
            return missing("base");
        if (!uuid)
            return missing("uuid");
        return qemupsk::removeKeyDir(base, uuid);
    });
}


int
qemuMigrationPskDirSweep(const char *base,
                         qemuMigrationPskInUseFunc inUse,
                         void *opaque,
                         size_t *removed,
                         char **errmsg) noexcept
{
    return guarded(errmsg, [&]() -> Status {
        if (!base)
            return missing("base");
        std::size_t count = 0;
        Status st = qemupsk::sweepKeyDirs(base, InUseAdapter{inUse, opaque}, count);
        if (st.ok() && removed)
            *removed = count;
        return st;
    });
}


/* ---- cookie ---- */

int
qemuMigrationPskCookieFormat(const qemuMigrationPskKey *key,
                             char **xml,
                             char **errmsg) noexcept
{
    return guarded(errmsg, [&]() -> Status {
        if (!key)
            return missing("key");
        if (!xml)
            return missing("xml");
        qemupsk::SecretBuffer buf;
        Status st = qemupsk::formatCookieElement(key->key, buf);
        if (st.ok())
            *xml = dupSecret(buf);
        return st;
    });
}


int
qemuMigrationPskCookieParse(xmlNodePtr root,
                            qemuMigrationPskKey **key,
                            char **errmsg) noexcept
{
    return guarded(errmsg, [&]() -> Status {
        if (!root)
            return missing("root");
        if (!key)
            return missing("key");
        qemupsk::SecretKey k;
        Status st = qemupsk::parseCookieElement(root, k);
        if (st.ok())
            *key = new qemuMigrationPskKey{std::move(k)};
        return st;
    });
}


int
qemuMigrationPskCookieParseString(const char *xml,
                                  size_t len,
                                  qemuMigrationPskKey **key,
                                  char **errmsg) noexcept
{
    return guarded(errmsg, [&]() -> Status {
        if (!xml)
            return missing("xml");
        if (!key)
            return missing("key");
        qemupsk::SecretKey k;
        Status st = qemupsk::parseCookieString(xml, len, k);
        if (st.ok())
            *key = new qemuMigrationPskKey{std::move(k)};
        return st;
    });
}


char *
qemuMigrationPskRedact(const char *text) noexcept
{
    if (!text)
        return nullptr;
    try {
        std::string out = qemupsk::redactCookie(text);
        return g_strndup(out.data(), out.size());
    } catch (...) {
        /* Only allocation can fail here; abort as GLib would. */
        std::abort();
    }
}


/* ---- creds ---- */

int
qemuMigrationPskCredsNew(const char *id,
                         qemuMigrationPskEndpoint endpoint,
                         const char *dir,
                         const char *priority,
                         qemuMigrationPskCreds **creds,
                         char **errmsg) noexcept
{
    return guarded(errmsg, [&]() -> Status {
        if (!id)
            return missing("id");
        if (!dir)
            return missing("dir");
        if (!creds)
            return missing("creds");

        qemupsk::Endpoint ep;
        switch (endpoint) {
        case QEMU_MIGRATION_PSK_ENDPOINT_SERVER:
            ep = qemupsk::Endpoint::Server;
            break;
        case QEMU_MIGRATION_PSK_ENDPOINT_CLIENT:
            ep = qemupsk::Endpoint::Client;
            break;
        case QEMU_MIGRATION_PSK_ENDPOINT_LAST:
        default:
            return Status::failure(-EINVAL, "invalid TLS endpoint " +
                                   std::to_string(static_cast<int>(endpoint)));
        }

        qemupsk::Creds c;
        Status st = qemupsk::Creds::create(id, ep, dir, priority ? priority : "",
                                           priority != nullptr, c);
        if (st.ok())
            *creds = new qemuMigrationPskCreds{std::move(c)};
        return st;
    });
}


void
qemuMigrationPskCredsFree(qemuMigrationPskCreds *creds) noexcept
{
    delete creds;
}


const char *
qemuMigrationPskCredsGetType(const qemuMigrationPskCreds *creds) noexcept
{
    return creds ? qemupsk::kCredsType : nullptr;
}


const char *
qemuMigrationPskCredsGetId(const qemuMigrationPskCreds *creds) noexcept
{
    return creds ? creds->creds.id().c_str() : nullptr;
}


const char *
qemuMigrationPskCredsGetEndpoint(const qemuMigrationPskCreds *creds) noexcept
{
    return creds ? creds->creds.endpointName() : nullptr;
}


const char *
qemuMigrationPskCredsGetDir(const qemuMigrationPskCreds *creds) noexcept
{
    return creds ? creds->creds.dir().c_str() : nullptr;
}


const char *
qemuMigrationPskCredsGetUsername(const qemuMigrationPskCreds *creds) noexcept
{
    return creds ? creds->creds.username() : nullptr;
}


const char *
qemuMigrationPskCredsGetPriority(const qemuMigrationPskCreds *creds) noexcept
{
    if (!creds || !creds->creds.hasPriority())
        return nullptr;
    return creds->creds.priority().c_str();
}


/* ---- configuration ---- */

int
qemuMigrationPskConfCheckLength(unsigned long long len,
                                char **errmsg) noexcept
{
    return guarded(errmsg, [&]() -> Status {
        return qemupsk::checkConfLength(len);
    });
}


int
qemuMigrationPskConfCheckBaseDir(const char *dir,
                                 char **errmsg) noexcept
{
    return guarded(errmsg, [&]() -> Status {
        if (!dir)
            return missing("dir");
        return qemupsk::checkConfBaseDir(dir);
    });
}

} /* extern "C" */

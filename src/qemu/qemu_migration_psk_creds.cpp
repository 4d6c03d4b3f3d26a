/*
 * qemu_migration_psk_creds.cpp: description of QEMU's tls-creds-psk object
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include "qemu_migration_psk_creds.hpp"

#include <cerrno>
#include <memory>

#include <gnutls/gnutls.h>

#include "qemu_migration_psk_conf.hpp"
#include "qemu_migration_psk_keydir.hpp"

namespace qemupsk {

namespace {

struct PriorityDeleter
{
    void operator()(gnutls_priority_st *prio) const noexcept
    {
        gnutls_priority_deinit(prio);
    }
};

bool
isAsciiLetter(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

} /* namespace */


bool
isValidObjectId(std::string_view id) noexcept
{
    if (id.empty() || !isAsciiLetter(id.front()))
        return false;
    for (char c : id) {
        if (!isAsciiLetter(c) && !(c >= '0' && c <= '9') &&
            c != '-' && c != '.' && c != '_')
            return false;
    }
    return true;
}


Status
checkPriority(std::string_view priority)
{
    if (priority.empty())
        return Status::failure(-EINVAL, "TLS priority string is empty");
    if (priority.find('\0') != std::string_view::npos)
        return Status::failure(-EINVAL, "TLS priority string contains a NUL byte");

    const std::string full = std::string(priority) + kQemuPrioritySuffix;
    gnutls_priority_t raw = nullptr;
    const char *errPos = nullptr;
    int rc = gnutls_priority_init(&raw, full.c_str(), &errPos);
    std::unique_ptr<gnutls_priority_st, PriorityDeleter> prio(raw);
    if (rc < 0) {
        std::string msg = "TLS priority string '" + std::string(priority) +
            "' is not accepted by GnuTLS";
        if (errPos && errPos >= full.c_str() &&
            static_cast<std::size_t>(errPos - full.c_str()) < priority.size())
            msg += " (error at offset " +
                std::to_string(errPos - full.c_str()) + ")";
        msg += std::string(": ") + gnutls_strerror(rc);
        return Status::failure(-EINVAL, msg);
    }
    return Status::success();
}


Status
Creds::create(std::string_view id,
              Endpoint endpoint,
              std::string_view dir,
              std::string_view priority,
              bool hasPriority,
              Creds &out)
{
    if (!isValidObjectId(id))
        return Status::failure(-EINVAL,
                               "'" + std::string(id) + "' is not a valid QEMU object id");
    if (endpoint != Endpoint::Server && endpoint != Endpoint::Client)
        return Status::failure(-EINVAL, "invalid TLS endpoint");

    Status st = checkAbsolutePath(dir, "key directory");
    if (!st.ok())
        return st;

    if (hasPriority) {
        st = checkPriority(priority);
        if (!st.ok())
            return st;
    }

    Creds creds;
    creds.id_ = std::string(id);
    creds.endpoint_ = endpoint;
    creds.dir_ = std::string(dir);
    creds.hasPriority_ = hasPriority;
    if (hasPriority)
        creds.priority_ = std::string(priority);
    out = std::move(creds);
    return Status::success();
}


const char *
Creds::endpointName() const noexcept
{
    switch (endpoint_) {
    case Endpoint::Server:
        return "server";
    case Endpoint::Client:
        return "client";
    }
    return "server";
}


const char *
Creds::username() const noexcept
{
    return hasUsername() ? kKeyUsername : nullptr;
}

} /* namespace qemupsk */

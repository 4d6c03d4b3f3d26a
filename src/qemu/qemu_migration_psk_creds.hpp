/*
 * qemu_migration_psk_creds.hpp: description of QEMU's tls-creds-psk object
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <string>
#include <string_view>

#include "qemu_migration_psk_status.hpp"

namespace qemupsk {

constexpr const char *kCredsType = "tls-creds-psk";
constexpr const char *kPriorityDefault = "NORMAL:-CHACHA20-POLY1305";
/* What QEMU appends to any priority string it is given. */
constexpr const char *kQemuPrioritySuffix = ":+ECDHE-PSK:+DHE-PSK:+PSK";

enum class Endpoint {
    Server,
    Client,
};

/* Properties of one tls-creds-psk object. */
class Creds final
{
public:
    Creds() = default;

    /* Validates the inputs and fills @out.  @priority may be empty (none). */
    static Status create(std::string_view id,
                         Endpoint endpoint,
                         std::string_view dir,
                         std::string_view priority,
                         bool hasPriority,
                         Creds &out);

    const std::string &id() const noexcept { return id_; }
    Endpoint endpoint() const noexcept { return endpoint_; }
    const char *endpointName() const noexcept;
    const std::string &dir() const noexcept { return dir_; }
    bool hasUsername() const noexcept { return endpoint_ == Endpoint::Client; }
    const char *username() const noexcept;
    bool hasPriority() const noexcept { return hasPriority_; }
    const std::string &priority() const noexcept { return priority_; }

private:
    std::string id_;
    Endpoint endpoint_ = Endpoint::Server;
    std::string dir_;
    std::string priority_;
    bool hasPriority_ = false;
};

/* QEMU's rule for object ids: a letter, then letters, digits, '-', '.', '_' */
bool isValidObjectId(std::string_view id) noexcept;

/* Checks @priority with GnuTLS the way QEMU will use it. */
Status checkPriority(std::string_view priority);

} /* namespace qemupsk */

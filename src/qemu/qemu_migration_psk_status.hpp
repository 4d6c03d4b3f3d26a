/*
 * qemu_migration_psk_status.hpp: error status returned inside the module
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <string>
#include <utility>

namespace qemupsk {

/* The result of an operation: success, or a negative errno value with a
 * plain English message.  Messages never contain key material. */
class [[nodiscard]] Status final
{
public:
    Status() noexcept = default;

    static Status success() noexcept { return Status(); }

    static Status failure(int code, std::string message)
    {
        Status st;
        st.code_ = code < 0 ? code : -code;
        st.message_ = std::move(message);
        return st;
    }

    bool ok() const noexcept { return code_ == 0; }
    int code() const noexcept { return code_; }
    const std::string &message() const noexcept { return message_; }

private:
    int code_ = 0;
    std::string message_;
};

} /* namespace qemupsk */

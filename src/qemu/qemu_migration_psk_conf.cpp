/*
 * qemu_migration_psk_conf.cpp: checks of the qemu.conf settings
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include "qemu_migration_psk_conf.hpp"

#include <cerrno>

#include "qemu_migration_psk_key.hpp"

namespace qemupsk {

Status
checkConfLength(unsigned long long len)
{
    if (len < kKeyLengthMin || len > kKeyLengthMax)
        return Status::failure(-ERANGE,
                               "migrate_psk_length " + std::to_string(len) +
                               " is out of range, it must be between " +
                               std::to_string(kKeyLengthMin) + " and " +
                               std::to_string(kKeyLengthMax) + " bytes");
    return Status::success();
}


Status
checkAbsolutePath(std::string_view path, const std::string &what)
{
    const std::string shown(path.substr(0, 200));

    if (path.find('\0') != std::string_view::npos)
        return Status::failure(-EINVAL, what + " contains a NUL byte");
    if (path.empty() || path.front() != '/')
        return Status::failure(-EINVAL, what + " '" + shown + "' is not an absolute path");
    if (path.size() >= kPathLengthMax)
        return Status::failure(-EINVAL, what + " is longer than " +
                               std::to_string(kPathLengthMax - 1) + " bytes");
    if (path.size() == 1)
        return Status::failure(-EINVAL, what + " must not be the root directory");
    if (path.back() == '/')
        return Status::failure(-EINVAL, what + " '" + shown + "' ends with '/'");

    std::size_t pos = 1;
    while (pos <= path.size()) {
        std::size_t next = path.find('/', pos);
        if (next == std::string_view::npos)
            next = path.size();
        std::string_view comp = path.substr(pos, next - pos);
        if (comp.empty() || comp == "." || comp == "..")
            return Status::failure(-EINVAL, what + " '" + shown +
                                   "' is not normalised (empty, '.' or '..' component)");
        pos = next + 1;
    }
    return Status::success();
}


Status
checkConfBaseDir(std::string_view dir)
{
    return checkAbsolutePath(dir, "migrate_base_psk_dir");
}

} /* namespace qemupsk */

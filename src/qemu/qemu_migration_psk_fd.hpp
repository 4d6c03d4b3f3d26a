/*
 * qemu_migration_psk_fd.hpp: file descriptor owner and directory listing
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <string>
#include <vector>

#include "qemu_migration_psk_status.hpp"

namespace qemupsk {

/* Sole owner of a file descriptor; closes it on destruction. */
class UniqueFd final
{
public:
    UniqueFd() noexcept = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    UniqueFd(const UniqueFd &) = delete;
    UniqueFd &operator=(const UniqueFd &) = delete;
    UniqueFd(UniqueFd &&other) noexcept : fd_(other.release()) {}
    UniqueFd &operator=(UniqueFd &&other) noexcept;
    ~UniqueFd();

    int get() const noexcept { return fd_; }
    bool isValid() const noexcept { return fd_ >= 0; }
    [[nodiscard]] int release() noexcept;
    void reset(int fd = -1) noexcept;

    /* Closes the descriptor and reports a failure to close it (which can
     * signal a failed write-back). */
    Status closeChecked();

private:
    int fd_ = -1;
};

/* Names of the entries of the directory open at @dirFd (without "." and
 * ".."), in no particular order.  @dirFd stays open and unchanged. */
Status listDirectory(int dirFd,
                     std::vector<std::string> &names);

/* "<what>: <description of err>" */
std::string errnoMessage(const std::string &what, int err);

} /* namespace qemupsk */

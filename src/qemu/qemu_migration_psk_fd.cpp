/*
 * qemu_migration_psk_fd.cpp: file descriptor owner and directory listing
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include "qemu_migration_psk_fd.hpp"

#include <cerrno>
#include <memory>
#include <string_view>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

namespace qemupsk {

UniqueFd &
UniqueFd::operator=(UniqueFd &&other) noexcept
{
    if (this != &other)
        reset(other.release());
    return *this;
}


UniqueFd::~UniqueFd()
{
    reset();
}


int
UniqueFd::release() noexcept
{
    int fd = fd_;
    fd_ = -1;
    return fd;
}


void
UniqueFd::reset(int fd) noexcept
{
    if (fd_ >= 0) {
        /* g_close() retries nothing and reports errors; ignoring them is
         * right for descriptors we only read from. */
        g_close(fd_, nullptr);
    }
    fd_ = fd;
}


Status
UniqueFd::closeChecked()
{
    if (fd_ < 0)
        return Status::success();

    int fd = release();
    if (g_close(fd, nullptr))
        return Status::success();
    int err = errno;
    return Status::failure(-err, errnoMessage("cannot close file", err));
}


std::string
errnoMessage(const std::string &what, int err)
{
    return what + ": " + g_strerror(err);
}


namespace {

/* Owns a DIR stream obtained from fdopendir(). */
struct DirCloser
{
    void operator()(DIR *dir) const noexcept
    {
        closedir(dir); /* exempt from syntax-check: fd-based, no virDir* equivalent */
    }
};

} /* namespace */


Status
listDirectory(int dirFd,
              std::vector<std::string> &names)
{
    names.clear();

    /* fdopendir() takes over the descriptor it is given: give it a copy. */
    UniqueFd copy(fcntl(dirFd, F_DUPFD_CLOEXEC, 0));
    if (!copy.isValid()) {
        int err = errno;
        return Status::failure(-err, errnoMessage("cannot duplicate directory descriptor", err));
    }

    std::unique_ptr<DIR, DirCloser> dir(fdopendir(copy.get()));
    if (!dir) {
        int err = errno;
        return Status::failure(-err, errnoMessage("cannot read directory", err));
    }
    (void)copy.release(); /* now owned by dir */

    /* The copy shares the file offset with @dirFd: start from the top. */
    rewinddir(dir.get());

    for (;;) {
        errno = 0;
        struct dirent *ent = readdir(dir.get()); /* exempt from syntax-check: fd-based listing */
        if (!ent) {
            if (errno != 0) {
                int err = errno;
                return Status::failure(-err, errnoMessage("cannot read directory", err));
            }
            break;
        }
        std::string_view name(ent->d_name);
        if (name == "." || name == "..")
            continue;
        names.emplace_back(name);
    }

    return Status::success();
}

} /* namespace qemupsk */

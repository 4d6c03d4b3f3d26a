/*
 * qemu_migration_psk_keydir.cpp: the key directory <base>/<uuid>/keys.psk
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include "qemu_migration_psk_keydir.hpp"

#include <cerrno>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "qemu_migration_psk_fd.hpp"

namespace qemupsk {

namespace {

constexpr mode_t kDirMode = 0700;
constexpr mode_t kFileMode = 0600;
constexpr const char kKeyPrefix[] = "qemu:";

bool
isLowerHexDigit(char c) noexcept
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}


std::string
octal(mode_t mode)
{
    std::string out;
    for (int shift = 9; shift >= 0; shift -= 3)
        out += static_cast<char>('0' + ((mode >> shift) & 7));
    return out;
}


std::string
joinPath(const std::string &base, const std::string &name)
{
    if (!base.empty() && base.back() == '/')
        return base + name;
    return base + "/" + name;
}


Status
checkBaseAndUuid(const std::string &base, const std::string &uuid)
{
    if (base.empty() || base.front() != '/')
        return Status::failure(-EINVAL,
                               "key base directory '" + base +
                               "' is not an absolute path");
    if (base.find('\0') != std::string::npos)
        return Status::failure(-EINVAL, "key base directory contains a NUL byte");
    if (!isCanonicalUuid(uuid))
        return Status::failure(-EINVAL,
                               "'" + uuid + "' is not a canonical lower-case UUID");
    return Status::success();
}


/* Opens @base as a directory.  @base is administrator configuration and
 * may itself be reached through symlinks; nothing below it is followed. */
Status
openBase(const std::string &base, UniqueFd &fd)
{
    fd.reset(open(base.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.isValid()) {
        int err = errno;
        return Status::failure(-err,
                               errnoMessage("cannot open key base directory '" +
                                            base + "'", err));
    }
    return Status::success();
}


/* Classifies <base>/<name> without following links and opens it if it is
 * a directory.  -ENOENT if it does not exist. */
Status
openSubdir(int baseFd, const std::string &path, const std::string &name,
           UniqueFd &fd, struct stat &st)
{
    if (fstatat(baseFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
        int err = errno;
        return Status::failure(-err, errnoMessage("cannot access '" + path + "'", err));
    }
    if (S_ISLNK(st.st_mode))
        return Status::failure(-ELOOP,
                               "'" + path + "' is a symbolic link, refusing to use it");
    if (!S_ISDIR(st.st_mode))
        return Status::failure(-ENOTDIR,
                               "'" + path + "' exists and is not a directory");

    fd.reset(openat(baseFd, name.c_str(),
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.isValid()) {
        int err = errno;
        return Status::failure(-err, errnoMessage("cannot open '" + path + "'", err));
    }
    /* Re-check on the descriptor: the entry may have been swapped. */
    if (fstat(fd.get(), &st) < 0) {
        int err = errno;
        return Status::failure(-err, errnoMessage("cannot stat '" + path + "'", err));
    }
    if (!S_ISDIR(st.st_mode))
        return Status::failure(-ENOTDIR,
                               "'" + path + "' exists and is not a directory");
    return Status::success();
}


Status
writeAll(int fd, const unsigned char *data, std::size_t len,
         const std::string &path)
{
    std::size_t done = 0;
    while (done < len) {
        ssize_t n = ::write(fd, data + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int err = errno;
            return Status::failure(-err, errnoMessage("cannot write '" + path + "'", err));
        }
        done += static_cast<std::size_t>(n);
    }
    return Status::success();
}


/* Removes @name from the directory open at @dirFd if it is not a
 * directory; a missing entry is fine.  Sets @kept if it had to stay. */
Status
unlinkIfPresent(int dirFd, const std::string &dirPath, const char *name,
                bool &kept)
{
    kept = false;
    if (unlinkat(dirFd, name, 0) == 0 || errno == ENOENT)
        return Status::success();
    int err = errno;
    if (err == EISDIR || err == EPERM) {
        /* a directory where we expected a file (EPERM on some systems) */
        kept = true;
        return Status::success();
    }
    return Status::failure(-err,
                           errnoMessage("cannot remove '" + joinPath(dirPath, name) + "'",
                                        err));
}

/* Writes @len bytes of @data as @finalName in the directory open at @dirFd,
 * owned by @uid:@gid with mode 0600: through a temporary file renamed over
 * @finalName, so that no partial file is ever visible under that name. */
Status
writeFileAtomically(int dirFd, const std::string &dirPath, const char *finalName,
                    const unsigned char *data, std::size_t len,
                    uid_t uid, gid_t gid)
{
    const std::string tmpPath = joinPath(dirPath, kKeyTempFileName);
    bool kept = false;
    Status st = unlinkIfPresent(dirFd, dirPath, kKeyTempFileName, kept);
    if (!st.ok())
        return st;
    if (kept)
        return Status::failure(-EISDIR, "'" + tmpPath + "' is a directory");

    UniqueFd fileFd(openat(dirFd, kKeyTempFileName,
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                           kFileMode));
    if (!fileFd.isValid()) {
        int err = errno;
        return Status::failure(-err, errnoMessage("cannot create '" + tmpPath + "'", err));
    }

    auto failFile = [&](Status failure) -> Status {
        fileFd.reset();
        (void)unlinkat(dirFd, kKeyTempFileName, 0);
        return failure;
    };

    if (fchown(fileFd.get(), uid, gid) < 0 || fchmod(fileFd.get(), kFileMode) < 0) {
        int err = errno;
        return failFile(Status::failure(-err,
                                        errnoMessage("cannot set owner and mode of '" +
                                                     tmpPath + "'", err)));
    }

    st = writeAll(fileFd.get(), data, len, tmpPath);
    if (!st.ok())
        return failFile(st);

    st = fileFd.closeChecked();
    if (!st.ok())
        return failFile(st);

    if (renameat(dirFd, kKeyTempFileName, dirFd, finalName) < 0) {
        int err = errno;
        return failFile(Status::failure(-err,
                                        errnoMessage("cannot rename '" + tmpPath + "'",
                                                     err)));
    }

    return Status::success();
}

} /* namespace */


Status
dhParamsPem(std::string &pem)
{
    using DhParams = std::unique_ptr<std::remove_pointer_t<gnutls_dh_params_t>,
                                     void (*)(gnutls_dh_params_t)>;
    gnutls_dh_params_t raw = nullptr;

    if (gnutls_dh_params_init(&raw) < 0)
        return Status::failure(-ENOMEM, "cannot allocate DH parameters");
    DhParams params(raw, gnutls_dh_params_deinit);

    int rc = gnutls_dh_params_import_raw(params.get(),
                                         &gnutls_ffdhe_2048_group_prime,
                                         &gnutls_ffdhe_2048_group_generator);
    if (rc < 0)
        return Status::failure(-EIO, std::string("cannot load the ffdhe2048 group: ") +
                               gnutls_strerror(rc));

    gnutls_datum_t out = { nullptr, 0 };
    rc = gnutls_dh_params_export2_pkcs3(params.get(), GNUTLS_X509_FMT_PEM, &out);
    if (rc < 0)
        return Status::failure(-EIO, std::string("cannot export DH parameters: ") +
                               gnutls_strerror(rc));
    auto freeOut = [](unsigned char *p) { gnutls_free(p); };
    std::unique_ptr<unsigned char, decltype(freeOut)> owner(out.data, freeOut);

    pem.assign(reinterpret_cast<const char *>(out.data), out.size);
    return Status::success();
}


bool
isCanonicalUuid(std::string_view uuid) noexcept
{
    if (uuid.size() != 36)
        return false;
    for (std::size_t i = 0; i < uuid.size(); i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (uuid[i] != '-')
                return false;
        } else if (!isLowerHexDigit(uuid[i])) {
            return false;
        }
    }
    return true;
}


bool
isModuleFileName(std::string_view name) noexcept
{
    return name == kKeyFileName || name == kKeyTempFileName ||
        name == kDhParamsFileName;
}


Status
writeKeyDir(const std::string &base,
            const std::string &uuid,
            const SecretKey &key,
            uid_t uid,
            gid_t gid,
            std::string *dir)
{
    Status st = checkBaseAndUuid(base, uuid);
    if (!st.ok())
        return st;
    if (key.empty())
        return Status::failure(-EINVAL, "no key to write");

    UniqueFd baseFd;
    st = openBase(base, baseFd);
    if (!st.ok())
        return st;

    const std::string dirPath = joinPath(base, uuid);
    bool created = false;
    if (mkdirat(baseFd.get(), uuid.c_str(), kDirMode) == 0) {
        created = true;
    } else if (errno != EEXIST) {
        int err = errno;
        return Status::failure(-err, errnoMessage("cannot create '" + dirPath + "'", err));
    }

    UniqueFd dirFd;
    struct stat sb;
    st = openSubdir(baseFd.get(), dirPath, uuid, dirFd, sb);
    if (!st.ok())
        return st;

    /* From here on, undo the directory creation on failure. */
    auto fail = [&](Status failure) -> Status {
        if (created) {
            bool kept = false;
            (void)unlinkIfPresent(dirFd.get(), dirPath, kKeyTempFileName, kept);
            (void)unlinkIfPresent(dirFd.get(), dirPath, kDhParamsFileName, kept);
            (void)unlinkat(baseFd.get(), uuid.c_str(), AT_REMOVEDIR);
        }
        return failure;
    };

    if (created) {
        if (fchown(dirFd.get(), uid, gid) < 0 || fchmod(dirFd.get(), kDirMode) < 0) {
            int err = errno;
            return fail(Status::failure(-err,
                                        errnoMessage("cannot set owner and mode of '" +
                                                     dirPath + "'", err)));
        }
    } else {
        mode_t mode = sb.st_mode & 07777;
        if (mode != kDirMode)
            return Status::failure(-EPERM,
                                   "existing directory '" + dirPath + "' has mode " +
                                   octal(mode) + ", expected " + octal(kDirMode));
        if (sb.st_uid != uid || sb.st_gid != gid)
            return Status::failure(-EPERM,
                                   "existing directory '" + dirPath + "' is owned by " +
                                   std::to_string(sb.st_uid) + ":" +
                                   std::to_string(sb.st_gid) + ", expected " +
                                   std::to_string(uid) + ":" + std::to_string(gid));
    }

    /* QEMU's PSK server object generates 2048-bit DH parameters (tens to
     * hundreds of milliseconds) unless dh-params.pem is in its directory;
     * give it the standard RFC 7919 group instead. They are public, and
     * TLS 1.3 negotiates ECDHE anyway. */
    std::string pem;
    st = dhParamsPem(pem);
    if (!st.ok())
        return fail(st);
    st = writeFileAtomically(dirFd.get(), dirPath, kDhParamsFileName,
                             reinterpret_cast<const unsigned char *>(pem.data()),
                             pem.size(), uid, gid);
    if (!st.ok())
        return fail(st);

    /* "qemu:<hex>\n" built in a secret buffer */
    SecretBuffer hex = key.toHex();
    const std::size_t prefixLen = sizeof(kKeyPrefix) - 1;
    SecretBuffer content(prefixLen + hex.size() + 1);
    unsigned char *out = content.writableData();
    for (std::size_t i = 0; i < prefixLen; i++)
        out[i] = static_cast<unsigned char>(kKeyPrefix[i]);
    for (std::size_t i = 0; i < hex.size(); i++)
        out[prefixLen + i] = hex.revealData()[i];
    out[content.size() - 1] = '\n';
    hex.reset();

    st = writeFileAtomically(dirFd.get(), dirPath, kKeyFileName,
                             content.revealData(), content.size(), uid, gid);
    content.reset();
    if (!st.ok())
        return fail(st);

    if (dir)
        *dir = dirPath;
    return Status::success();
}


Status
removeKeyDir(const std::string &base,
             const std::string &uuid)
{
    Status st = checkBaseAndUuid(base, uuid);
    if (!st.ok())
        return st;

    UniqueFd baseFd;
    st = openBase(base, baseFd);
    if (st.code() == -ENOENT)
        return Status::success();
    if (!st.ok())
        return st;

    const std::string dirPath = joinPath(base, uuid);
    UniqueFd dirFd;
    struct stat sb;
    st = openSubdir(baseFd.get(), dirPath, uuid, dirFd, sb);
    if (st.code() == -ENOENT)
        return Status::success();
    if (!st.ok())
        return st;

    for (const char *name : {kKeyFileName, kKeyTempFileName, kDhParamsFileName}) {
        bool kept = false;
        st = unlinkIfPresent(dirFd.get(), dirPath, name, kept);
        if (!st.ok())
            return st;
    }

    std::vector<std::string> left;
    st = listDirectory(dirFd.get(), left);
    if (!st.ok())
        return st;
    if (!left.empty())
        return Status::failure(-ENOTEMPTY,
                               "key directory '" + dirPath + "' holds " +
                               std::to_string(left.size()) +
                               " unexpected entries (first: '" + left.front() +
                               "'), leaving it in place");

    if (unlinkat(baseFd.get(), uuid.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) {
        int err = errno;
        return Status::failure(-err, errnoMessage("cannot remove '" + dirPath + "'", err));
    }
    return Status::success();
}


Status
sweepKeyDirs(const std::string &base,
             const InUsePredicate &inUse,
             std::size_t &removed)
{
    removed = 0;
    if (base.empty() || base.front() != '/')
        return Status::failure(-EINVAL,
                               "key base directory '" + base +
                               "' is not an absolute path");

    UniqueFd baseFd;
    Status st = openBase(base, baseFd);
    if (st.code() == -ENOENT)
        return Status::success();
    if (!st.ok())
        return st;

    std::vector<std::string> names;
    st = listDirectory(baseFd.get(), names);
    if (!st.ok())
        return st;

    for (const std::string &name : names) {
        if (!isCanonicalUuid(name))
            continue;
        if (inUse && inUse(name))
            continue;

        UniqueFd dirFd;
        struct stat sb;
        if (!openSubdir(baseFd.get(), joinPath(base, name), name, dirFd, sb).ok())
            continue; /* symlink, file, vanished...: not ours */

        std::vector<std::string> entries;
        if (!listDirectory(dirFd.get(), entries).ok())
            continue;

        bool onlyOurs = true;
        for (const std::string &entry : entries) {
            struct stat fsb;
            if (!isModuleFileName(entry) ||
                fstatat(dirFd.get(), entry.c_str(), &fsb, AT_SYMLINK_NOFOLLOW) < 0 ||
                !S_ISREG(fsb.st_mode)) {
                onlyOurs = false;
                break;
            }
        }
        if (!onlyOurs)
            continue;

        bool ok = true;
        for (const std::string &entry : entries) {
            if (unlinkat(dirFd.get(), entry.c_str(), 0) < 0 && errno != ENOENT)
                ok = false;
        }
        if (ok && unlinkat(baseFd.get(), name.c_str(), AT_REMOVEDIR) == 0)
            removed++;
    }
    return Status::success();
}

} /* namespace qemupsk */

/*
 * qemu_migration_psk_keydir.hpp: the key directory <base>/<uuid>/keys.psk
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "qemu_migration_psk_key.hpp"
#include "qemu_migration_psk_status.hpp"

namespace qemupsk {

constexpr const char *kKeyFileName = "keys.psk";
constexpr const char *kKeyTempFileName = "keys.psk.tmp";
constexpr const char *kDhParamsFileName = "dh-params.pem";
constexpr const char *kKeyUsername = "qemu";

/* PEM (PKCS#3) of the RFC 7919 ffdhe2048 group. */
Status dhParamsPem(std::string &pem);

/* True for a canonical lower-case UUID: 8-4-4-4-12 hex digits. */
bool isCanonicalUuid(std::string_view uuid) noexcept;

/* True for the names of the files this module (or QEMU's dh-params
 * convention) places in a key directory. */
bool isModuleFileName(std::string_view name) noexcept;

/* Creates <base>/<uuid> (0700, @uid:@gid) and atomically writes
 * dh-params.pem (RFC 7919 ffdhe2048, so QEMU's server object does not
 * generate DH parameters) and keys.psk ("qemu:<hex>\n"), both 0600 and
 * owned by @uid:@gid.  On success, @dir (if not null) is set to the
 * directory's path. */
Status writeKeyDir(const std::string &base,
                   const std::string &uuid,
                   const SecretKey &key,
                   uid_t uid,
                   gid_t gid,
                   std::string *dir);

/* Removes the module's files from <base>/<uuid> and the directory.
 * Idempotent; never follows links; -ENOTEMPTY if other entries remain. */
Status removeKeyDir(const std::string &base,
                    const std::string &uuid);

/* Returns true if the directory of @uuid must be kept. */
using InUsePredicate = std::function<bool(const std::string &uuid)>;

/* Removes every <base>/<uuid> directory holding only module files, except
 * those @inUse keeps.  @removed counts the directories removed. */
Status sweepKeyDirs(const std::string &base,
                    const InUsePredicate &inUse,
                    std::size_t &removed);

} /* namespace qemupsk */

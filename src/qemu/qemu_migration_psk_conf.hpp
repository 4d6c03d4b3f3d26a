/*
 * qemu_migration_psk_conf.hpp: checks of the qemu.conf settings
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <string>
#include <string_view>

#include "qemu_migration_psk_status.hpp"

namespace qemupsk {

/* Longest path accepted for migrate_base_psk_dir and key directories */
constexpr std::size_t kPathLengthMax = 4000;

/* migrate_psk_length: within kKeyLengthMin..kKeyLengthMax */
Status checkConfLength(unsigned long long len);

/* migrate_base_psk_dir: absolute and normalised */
Status checkConfBaseDir(std::string_view dir);

/* An absolute, normalised path ("/" then non-empty components other than
 * "." and "..", no trailing "/", no NUL); @what names it in messages. */
Status checkAbsolutePath(std::string_view path, const std::string &what);

} /* namespace qemupsk */

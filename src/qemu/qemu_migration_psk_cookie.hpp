/*
 * qemu_migration_psk_cookie.hpp: the <migration-key> cookie element
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <libxml/tree.h>

#include "qemu_migration_psk_key.hpp"
#include "qemu_migration_psk_status.hpp"

namespace qemupsk {

constexpr const char *kCookieElement = "migration-key";
constexpr const char *kRedactedMarker = "(redacted)";

/* "<migration-key>hex</migration-key>" in a secret buffer (no terminator) */
Status formatCookieElement(const SecretKey &key, SecretBuffer &xml);

/* Reads the single <migration-key> child element of @root. */
Status parseCookieElement(const xmlNode *root, SecretKey &key);

/* Parses a whole cookie document and reads its <migration-key>. */
Status parseCookieString(const char *xml, std::size_t len, SecretKey &key);

/* @text with the content of every <migration-key> element replaced. */
std::string redactCookie(std::string_view text);

} /* namespace qemupsk */

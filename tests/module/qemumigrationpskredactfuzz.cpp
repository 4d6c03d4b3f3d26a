/*
 * qemumigrationpskredactfuzz.cpp: libFuzzer target for the cookie redactor
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "qemu_migration_psk_cookie.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view in(reinterpret_cast<const char *>(data), size);
    std::string out = qemupsk::redactCookie(in);

    /* Without the element name there is nothing to redact. */
    if (in.find("<migration-key") == std::string_view::npos && out != in)
        __builtin_trap();

    /* Redacting is idempotent. */
    if (qemupsk::redactCookie(out) != out)
        __builtin_trap();

    /* Whatever follows an element's start tag is gone: after redaction no
     * start tag is followed by anything but the marker or nothing. */
    const std::string_view tag = "<migration-key>";
    const std::string_view marker = qemupsk::kRedactedMarker;
    for (size_t pos = out.find(tag); pos != std::string::npos; pos = out.find(tag, pos + 1)) {
        std::string_view rest = std::string_view(out).substr(pos + tag.size());
        if (rest.substr(0, marker.size()) != marker)
            __builtin_trap();
    }
    return 0;
}

/*
 * qemumigrationpskcookiefuzz.cpp: libFuzzer target for the cookie parser
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <cstddef>
#include <cstdint>

#include "qemu_migration_psk_cookie.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    qemupsk::SecretKey key;
    qemupsk::Status st =
        qemupsk::parseCookieString(reinterpret_cast<const char *>(data), size, key);

    if (st.ok() != !key.empty())
        __builtin_trap();
    if (st.ok() && (key.size() < qemupsk::kKeyLengthMin ||
                    key.size() > qemupsk::kKeyLengthMax))
        __builtin_trap();
    if (!st.ok() && st.code() >= 0)
        __builtin_trap();
    return 0;
}

/*
 * qemumigrationpskhexfuzz.cpp: libFuzzer target for the strict hex decoder
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <cstddef>
#include <cstdint>

#include "qemu_migration_psk_key.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *hex = reinterpret_cast<const char *>(data);
    qemupsk::SecretKey key;

    if (!qemupsk::SecretKey::fromHex(hex, size, key).ok()) {
        if (!key.empty())
            __builtin_trap();
        return 0;
    }

    /* Invariants of a successful decode: length, and a lower-case
     * re-encoding that matches the input ignoring case and decodes back. */
    if (key.size() * 2 != size || key.size() < qemupsk::kKeyLengthMin ||
        key.size() > qemupsk::kKeyLengthMax)
        __builtin_trap();

    qemupsk::SecretBuffer again = key.toHex();
    for (size_t i = 0; i < size; i++) {
        unsigned char in = data[i];
        if (in >= 'A' && in <= 'F')
            in = static_cast<unsigned char>(in - 'A' + 'a');
        if (again.revealData()[i] != in)
            __builtin_trap();
    }

    qemupsk::SecretKey back;
    if (!qemupsk::SecretKey::fromHex(reinterpret_cast<const char *>(again.revealData()),
                                     again.size(), back).ok() ||
        !back.equals(key))
        __builtin_trap();
    return 0;
}

/*
 * qemu_migration_psk_key.hpp: key material (SecretBuffer, SecretKey)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <cstddef>
#include <memory>
#include <utility>

#include "qemu_migration_psk_status.hpp"

namespace qemupsk {

constexpr std::size_t kKeyLengthMin = 16;
constexpr std::size_t kKeyLengthMax = 64;
constexpr std::size_t kKeyLengthDefault = 32;

static_assert(kKeyLengthMin <= kKeyLengthDefault &&
              kKeyLengthDefault <= kKeyLengthMax,
              "default key length must lie within the bounds");

/* A fixed-size buffer for secret bytes.  Its storage is allocated once and
 * never reallocated; it is erased on destruction, on reset() and when moved
 * from.  It cannot be copied, printed or converted implicitly. */
class SecretBuffer final
{
public:
    SecretBuffer() noexcept = default;
    /* @size zero bytes; aborts on out-of-memory like GLib */
    explicit SecretBuffer(std::size_t size);
    SecretBuffer(const SecretBuffer &) = delete;
    SecretBuffer &operator=(const SecretBuffer &) = delete;
    SecretBuffer(SecretBuffer &&other) noexcept;
    SecretBuffer &operator=(SecretBuffer &&other) noexcept;
    ~SecretBuffer();

    /* Erases and releases the storage; the buffer becomes empty. */
    void reset() noexcept;

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

    /* The only ways to reach the secret bytes. */
    const unsigned char *revealData() const noexcept { return buf_.get(); }
    unsigned char *writableData() noexcept { return buf_.get(); }

private:
    std::unique_ptr<unsigned char[]> buf_;
    std::size_t size_ = 0;
};


/* Source of random bytes: fills @buf with @len bytes, returns 0 on success
 * or a negative value.  Replaceable by tests (qemu_migration_pskpriv.h). */
using RandomFunc = int (*)(unsigned char *buf, std::size_t len, void *opaque);

/* Installs @func (nullptr restores GnuTLS's GNUTLS_RND_KEY generator). */
void setRandomSource(RandomFunc func, void *opaque) noexcept;


/* Pre-shared key material: between kKeyLengthMin and kKeyLengthMax bytes,
 * or empty (default-constructed, reset or moved from). */
class SecretKey final
{
public:
    SecretKey() noexcept = default;
    SecretKey(const SecretKey &) = delete;
    SecretKey &operator=(const SecretKey &) = delete;
    SecretKey(SecretKey &&other) noexcept = default;
    SecretKey &operator=(SecretKey &&other) noexcept = default;
    ~SecretKey() = default;

    /* @len random bytes from the key-grade random generator */
    static Status generate(std::size_t len, SecretKey &out);
    /* a copy of @len bytes at @data */
    static Status fromBytes(const unsigned char *data, std::size_t len,
                            SecretKey &out);
    /* strict decoding of @len hex digits (either case) at @hex */
    static Status fromHex(const char *hex, std::size_t len, SecretKey &out);

    /* Checks a key length against the bounds. */
    static Status checkLength(std::size_t len);

    /* Lower-case hex digits (2 * size() characters, no terminator). */
    SecretBuffer toHex() const;

    std::size_t size() const noexcept { return bytes_.size(); }
    bool empty() const noexcept { return bytes_.empty(); }

    /* Compares without early exit (the length is not secret). */
    bool equals(const SecretKey &other) const noexcept;

    const unsigned char *revealBytes() const noexcept { return bytes_.revealData(); }

    void reset() noexcept { bytes_.reset(); }

private:
    explicit SecretKey(SecretBuffer bytes) noexcept : bytes_(std::move(bytes)) {}

    SecretBuffer bytes_;
};

/* Erases @len bytes at @ptr in a way the compiler cannot optimise away. */
void secureErase(void *ptr, std::size_t len) noexcept;

} /* namespace qemupsk */

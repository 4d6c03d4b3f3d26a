/*
 * qemu_migration_psk_key.cpp: key material (SecretBuffer, SecretKey)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include "qemu_migration_psk_key.hpp"

#include <cerrno>
#include <mutex>
#include <string>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

namespace qemupsk {

void
secureErase(void *ptr, std::size_t len) noexcept
{
    if (ptr && len > 0)
        gnutls_memset(ptr, 0, len);
}


SecretBuffer::SecretBuffer(std::size_t size)
{
    if (size > 0) {
        buf_.reset(new unsigned char[size]());
        size_ = size;
    }
}


SecretBuffer::SecretBuffer(SecretBuffer &&other) noexcept
    : buf_(std::move(other.buf_)), size_(other.size_)
{
    other.size_ = 0;
}


SecretBuffer &
SecretBuffer::operator=(SecretBuffer &&other) noexcept
{
    if (this != &other) {
        reset();
        buf_ = std::move(other.buf_);
        size_ = other.size_;
        other.size_ = 0;
    }
    return *this;
}


SecretBuffer::~SecretBuffer()
{
    reset();
}


void
SecretBuffer::reset() noexcept
{
    secureErase(buf_.get(), size_);
    buf_.reset();
    size_ = 0;
}


namespace {

struct RandomSource
{
    std::mutex lock;
    RandomFunc func = nullptr;
    void *opaque = nullptr;
};

RandomSource &
randomSource() noexcept
{
    static RandomSource source;
    return source;
}


/* Value of a hex digit, or -1. */
int
hexValue(char c) noexcept
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} /* namespace */


void
setRandomSource(RandomFunc func, void *opaque) noexcept
{
    RandomSource &src = randomSource();
    std::lock_guard<std::mutex> guard(src.lock);
    src.func = func;
    src.opaque = opaque;
}


Status
SecretKey::checkLength(std::size_t len)
{
    if (len < kKeyLengthMin)
        return Status::failure(-EINVAL,
                               "key length " + std::to_string(len) +
                               " bytes is below the minimum of " +
                               std::to_string(kKeyLengthMin));
    if (len > kKeyLengthMax)
        return Status::failure(-EINVAL,
                               "key length " + std::to_string(len) +
                               " bytes exceeds the maximum of " +
                               std::to_string(kKeyLengthMax));
    return Status::success();
}


Status
SecretKey::generate(std::size_t len, SecretKey &out)
{
    Status st = checkLength(len);
    if (!st.ok())
        return st;

    SecretBuffer bytes(len);
    int rc;
    {
        RandomSource &src = randomSource();
        std::lock_guard<std::mutex> guard(src.lock);
        if (src.func)
            rc = src.func(bytes.writableData(), len, src.opaque);
        else
            rc = gnutls_rnd(GNUTLS_RND_KEY, bytes.writableData(), len);
    }
    if (rc < 0) {
        /* bytes is erased by its destructor */
        return Status::failure(-EIO,
                               std::string("cannot generate random key: ") +
                               gnutls_strerror(rc));
    }

    out = SecretKey(std::move(bytes));
    return Status::success();
}


Status
SecretKey::fromBytes(const unsigned char *data, std::size_t len,
                     SecretKey &out)
{
    if (!data && len > 0)
        return Status::failure(-EINVAL, "key bytes missing");
    Status st = checkLength(len);
    if (!st.ok())
        return st;

    SecretBuffer bytes(len);
    for (std::size_t i = 0; i < len; i++)
        bytes.writableData()[i] = data[i];

    out = SecretKey(std::move(bytes));
    return Status::success();
}


Status
SecretKey::fromHex(const char *hex, std::size_t len, SecretKey &out)
{
    if (!hex && len > 0)
        return Status::failure(-EINVAL, "hex key missing");
    if (len == 0)
        return Status::failure(-EINVAL, "hex key is empty");
    if (len % 2 != 0)
        return Status::failure(-EINVAL,
                               "hex key has an odd number of digits (" +
                               std::to_string(len) + ")");

    /* Check every character before looking at the length so that the
     * message names the first problem in the input. */
    for (std::size_t i = 0; i < len; i++) {
        if (hexValue(hex[i]) < 0)
            return Status::failure(-EINVAL,
                                   "hex key has a character that is not a "
                                   "hex digit at offset " + std::to_string(i));
    }

    Status st = checkLength(len / 2);
    if (!st.ok())
        return st;

    SecretBuffer bytes(len / 2);
    for (std::size_t i = 0; i < len / 2; i++) {
        int hi = hexValue(hex[2 * i]);
        int lo = hexValue(hex[2 * i + 1]);
        bytes.writableData()[i] = static_cast<unsigned char>((hi << 4) | lo);
    }

    out = SecretKey(std::move(bytes));
    return Status::success();
}


SecretBuffer
SecretKey::toHex() const
{
    static const char digits[] = "0123456789abcdef";
    SecretBuffer hex(2 * bytes_.size());
    const unsigned char *in = bytes_.revealData();
    unsigned char *outp = hex.writableData();

    for (std::size_t i = 0; i < bytes_.size(); i++) {
        outp[2 * i] = static_cast<unsigned char>(digits[in[i] >> 4]);
        outp[2 * i + 1] = static_cast<unsigned char>(digits[in[i] & 0x0f]);
    }
    return hex;
}


bool
SecretKey::equals(const SecretKey &other) const noexcept
{
    if (bytes_.size() != other.bytes_.size())
        return false;

    unsigned char diff = 0;
    for (std::size_t i = 0; i < bytes_.size(); i++)
        diff = static_cast<unsigned char>(diff | (bytes_.revealData()[i] ^
                                                  other.bytes_.revealData()[i]));
    return diff == 0;
}

} /* namespace qemupsk */

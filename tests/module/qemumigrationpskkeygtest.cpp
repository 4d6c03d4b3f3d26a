/*
 * qemumigrationpskkeygtest.cpp: tests of SecretBuffer and SecretKey
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "qemu_migration_psk_key.hpp"

using qemupsk::SecretBuffer;
using qemupsk::SecretKey;
using qemupsk::Status;

static_assert(!std::is_copy_constructible<SecretKey>::value, "SecretKey must not copy");
static_assert(!std::is_copy_assignable<SecretKey>::value, "SecretKey must not copy");
static_assert(std::is_nothrow_move_constructible<SecretKey>::value, "move");
static_assert(!std::is_copy_constructible<SecretBuffer>::value, "no copy");
static_assert(!std::is_convertible<SecretKey, std::string>::value, "no conversion");

namespace {

std::string
hexOf(const SecretKey &key)
{
    SecretBuffer hex = key.toHex();
    return std::string(reinterpret_cast<const char *>(hex.revealData()), hex.size());
}


std::vector<unsigned char>
pattern(std::size_t len)
{
    std::vector<unsigned char> v(len);
    for (std::size_t i = 0; i < len; i++)
        v[i] = static_cast<unsigned char>(i * 7 + 3);
    return v;
}


int
fixedRandom(unsigned char *buf, std::size_t len, void *opaque)
{
    auto *calls = static_cast<int *>(opaque);
    (*calls)++;
    for (std::size_t i = 0; i < len; i++)
        buf[i] = static_cast<unsigned char>(0xa0 + i);
    return 0;
}


int
failingRandom(unsigned char *, std::size_t, void *)
{
    return -1;
}


class RandomSourceTest : public ::testing::Test
{
protected:
    void TearDown() override { qemupsk::setRandomSource(nullptr, nullptr); }
};

} /* namespace */


TEST(SecretBufferTest, StartsZeroedWithRequestedSize)
{
    SecretBuffer buf(8);
    ASSERT_EQ(buf.size(), 8u);
    for (std::size_t i = 0; i < buf.size(); i++)
        EXPECT_EQ(buf.revealData()[i], 0);
}


TEST(SecretBufferTest, MoveEmptiesSource)
{
    SecretBuffer a(4);
    a.writableData()[0] = 0x42;
    SecretBuffer b(std::move(a));
    EXPECT_TRUE(a.empty()); // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(a.revealData(), nullptr);
    ASSERT_EQ(b.size(), 4u);
    EXPECT_EQ(b.revealData()[0], 0x42);

    SecretBuffer c;
    c = std::move(b);
    EXPECT_TRUE(b.empty()); // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(c.size(), 4u);
}


TEST(SecretBufferTest, ResetEmpties)
{
    SecretBuffer buf(16);
    buf.reset();
    EXPECT_TRUE(buf.empty());
    EXPECT_EQ(buf.revealData(), nullptr);
}


TEST(SecureEraseTest, ZeroesMemory)
{
    unsigned char data[5] = {1, 2, 3, 4, 5};
    qemupsk::secureErase(data, sizeof(data));
    for (unsigned char c : data)
        EXPECT_EQ(c, 0);
    qemupsk::secureErase(nullptr, 3);
}


TEST(SecretKeyTest, GenerateProducesRequestedLength)
{
    SecretKey key;
    Status st = SecretKey::generate(32, key);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(key.size(), 32u);
}


TEST(SecretKeyTest, GenerateProducesDistinctKeys)
{
    SecretKey a;
    SecretKey b;
    ASSERT_TRUE(SecretKey::generate(16, a).ok());
    ASSERT_TRUE(SecretKey::generate(16, b).ok());
    EXPECT_FALSE(a.equals(b));
}


TEST(SecretKeyTest, GenerateAcceptsBounds)
{
    SecretKey key;
    EXPECT_TRUE(SecretKey::generate(qemupsk::kKeyLengthMin, key).ok());
    EXPECT_TRUE(SecretKey::generate(qemupsk::kKeyLengthMax, key).ok());
}


TEST(SecretKeyTest, GenerateRejectsTooShort)
{
    SecretKey key;
    Status st = SecretKey::generate(qemupsk::kKeyLengthMin - 1, key);
    EXPECT_EQ(st.code(), -EINVAL);
    EXPECT_NE(st.message().find("minimum"), std::string::npos);
    EXPECT_TRUE(key.empty());
    EXPECT_EQ(SecretKey::generate(0, key).code(), -EINVAL);
}


TEST(SecretKeyTest, GenerateRejectsTooLong)
{
    SecretKey key;
    Status st = SecretKey::generate(qemupsk::kKeyLengthMax + 1, key);
    EXPECT_EQ(st.code(), -EINVAL);
    EXPECT_NE(st.message().find("maximum"), std::string::npos);
}


TEST_F(RandomSourceTest, GenerateUsesInjectedSource)
{
    int calls = 0;
    qemupsk::setRandomSource(fixedRandom, &calls);
    SecretKey key;
    ASSERT_TRUE(SecretKey::generate(16, key).ok());
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(hexOf(key), "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
}


TEST_F(RandomSourceTest, GenerateReportsSourceFailure)
{
    qemupsk::setRandomSource(failingRandom, nullptr);
    SecretKey key;
    Status st = SecretKey::generate(16, key);
    EXPECT_EQ(st.code(), -EIO);
    EXPECT_TRUE(key.empty());
}


TEST(SecretKeyTest, FromBytesCopies)
{
    std::vector<unsigned char> data = pattern(20);
    SecretKey key;
    ASSERT_TRUE(SecretKey::fromBytes(data.data(), data.size(), key).ok());
    ASSERT_EQ(key.size(), 20u);
    EXPECT_EQ(std::memcmp(key.revealBytes(), data.data(), data.size()), 0);
}


TEST(SecretKeyTest, FromBytesRejectsBadLengths)
{
    std::vector<unsigned char> data = pattern(100);
    SecretKey key;
    EXPECT_EQ(SecretKey::fromBytes(data.data(), 15, key).code(), -EINVAL);
    EXPECT_EQ(SecretKey::fromBytes(data.data(), 65, key).code(), -EINVAL);
    EXPECT_EQ(SecretKey::fromBytes(nullptr, 16, key).code(), -EINVAL);
    EXPECT_TRUE(key.empty());
}


TEST(SecretKeyTest, HexIsLowerCase)
{
    std::vector<unsigned char> data(16, 0xAB);
    data[0] = 0x00;
    data[1] = 0x0f;
    SecretKey key;
    ASSERT_TRUE(SecretKey::fromBytes(data.data(), data.size(), key).ok());
    EXPECT_EQ(hexOf(key), "000fabababababababababababababab");
}


TEST(SecretKeyTest, HexRoundTrips)
{
    SecretKey key;
    ASSERT_TRUE(SecretKey::generate(48, key).ok());
    std::string hex = hexOf(key);
    SecretKey back;
    ASSERT_TRUE(SecretKey::fromHex(hex.data(), hex.size(), back).ok());
    EXPECT_TRUE(key.equals(back));
}


TEST(SecretKeyTest, FromHexAcceptsUpperCase)
{
    std::string hex(32, 'F');
    SecretKey key;
    ASSERT_TRUE(SecretKey::fromHex(hex.data(), hex.size(), key).ok());
    EXPECT_EQ(hexOf(key), std::string(32, 'f'));
}


TEST(SecretKeyTest, MoveEmptiesSource)
{
    SecretKey a;
    ASSERT_TRUE(SecretKey::generate(16, a).ok());
    SecretKey b(std::move(a));
    EXPECT_TRUE(a.empty()); // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(b.size(), 16u);
    b.reset();
    EXPECT_TRUE(b.empty());
}


TEST(SecretKeyTest, EqualsComparesLengthAndBytes)
{
    std::vector<unsigned char> data = pattern(32);
    SecretKey a;
    SecretKey b;
    SecretKey c;
    SecretKey d;
    ASSERT_TRUE(SecretKey::fromBytes(data.data(), 32, a).ok());
    ASSERT_TRUE(SecretKey::fromBytes(data.data(), 32, b).ok());
    ASSERT_TRUE(SecretKey::fromBytes(data.data(), 31, c).ok());
    data[31] ^= 1;
    ASSERT_TRUE(SecretKey::fromBytes(data.data(), 32, d).ok());
    EXPECT_TRUE(a.equals(b));
    EXPECT_FALSE(a.equals(c));
    EXPECT_FALSE(a.equals(d));
}


/* Rejection table for the hex decoder.  Every message must not echo the
 * input. */
struct BadHexCase
{
    const char *name;
    std::string hex;
    const char *expect; /* substring of the message */
};

class HexRejectTest : public ::testing::TestWithParam<BadHexCase>
{
};

TEST_P(HexRejectTest, RejectsWithoutEchoingInput)
{
    const BadHexCase &c = GetParam();
    SecretKey key;
    Status st = SecretKey::fromHex(c.hex.data(), c.hex.size(), key);
    EXPECT_EQ(st.code(), -EINVAL);
    EXPECT_NE(st.message().find(c.expect), std::string::npos) << st.message();
    EXPECT_TRUE(key.empty());
    if (c.hex.size() >= 8) {
        EXPECT_EQ(st.message().find(c.hex.substr(0, 8)), std::string::npos);
    }
}

INSTANTIATE_TEST_SUITE_P(
    BadHex, HexRejectTest,
    ::testing::Values(
        BadHexCase{"Empty", "", "empty"},
        BadHexCase{"OddLength", std::string(33, 'a'), "odd"},
        BadHexCase{"NonHexLetter", std::string(31, 'a') + "g", "offset 31"},
        BadHexCase{"Space", std::string(16, 'b') + " " + std::string(15, 'b'), "offset 16"},
        BadHexCase{"Newline", std::string(30, 'c') + "\n" + "c", "not a hex digit"},
        BadHexCase{"NulByte", std::string(16, 'd') + std::string(1, '\0') + std::string(15, 'd'),
                   "offset 16"},
        BadHexCase{"PrefixOx", "0x" + std::string(32, 'e'), "offset 1"},
        BadHexCase{"HighBit", std::string(31, 'a') + "\xc3", "offset 31"},
        BadHexCase{"TooShort", std::string(30, 'a'), "minimum"},
        BadHexCase{"TooLong", std::string(130, 'a'), "maximum"}),
    [](const ::testing::TestParamInfo<BadHexCase> &info) {
        return std::string(info.param.name);
    });

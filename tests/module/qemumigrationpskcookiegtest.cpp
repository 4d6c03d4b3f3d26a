/*
 * qemumigrationpskcookiegtest.cpp: tests of the <migration-key> element
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <cerrno>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "qemu_migration_psk_cookie.hpp"

using qemupsk::SecretBuffer;
using qemupsk::SecretKey;
using qemupsk::Status;

namespace {

const std::string kHex = "00112233445566778899aabbccddeeff";

std::string
cookie(const std::string &inner)
{
    return "<qemu-migration>\n  <name>vm</name>\n" + inner + "\n</qemu-migration>\n";
}


Status
parse(const std::string &xml, SecretKey &key)
{
    return qemupsk::parseCookieString(xml.data(), xml.size(), key);
}

} /* namespace */


TEST(CookieFormatTest, FormatsElement)
{
    SecretKey key;
    ASSERT_TRUE(SecretKey::fromHex(kHex.data(), kHex.size(), key).ok());
    SecretBuffer xml;
    ASSERT_TRUE(qemupsk::formatCookieElement(key, xml).ok());
    EXPECT_EQ(std::string(reinterpret_cast<const char *>(xml.revealData()), xml.size()),
              "<migration-key>" + kHex + "</migration-key>");
}


TEST(CookieFormatTest, RejectsEmptyKey)
{
    SecretKey key;
    SecretBuffer xml;
    EXPECT_EQ(qemupsk::formatCookieElement(key, xml).code(), -EINVAL);
}


TEST(CookieParseTest, RoundTrips)
{
    SecretKey key;
    ASSERT_TRUE(SecretKey::generate(32, key).ok());
    SecretBuffer xml;
    ASSERT_TRUE(qemupsk::formatCookieElement(key, xml).ok());
    std::string doc = cookie(std::string(reinterpret_cast<const char *>(xml.revealData()),
                                         xml.size()));
    SecretKey back;
    Status st = parse(doc, back);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_TRUE(key.equals(back));
}


TEST(CookieParseTest, AcceptsUpperCaseHexAndComments)
{
    SecretKey key;
    EXPECT_TRUE(parse(cookie("<migration-key>00112233445566778899AABBCCDDEEFF"
                             "</migration-key><!-- x -->"), key).ok());
    EXPECT_EQ(key.size(), 16u);
}


TEST(CookieParseTest, MissingElementIsENOENT)
{
    SecretKey key;
    Status st = parse(cookie("<other/>"), key);
    EXPECT_EQ(st.code(), -ENOENT);
}


TEST(CookieParseTest, NestedElementIsNotFound)
{
    SecretKey key;
    EXPECT_EQ(parse(cookie("<x><migration-key>" + kHex + "</migration-key></x>"), key).code(),
              -ENOENT);
}


struct BadCookieCase
{
    const char *name;
    std::string xml;
};

class CookieRejectTest : public ::testing::TestWithParam<BadCookieCase>
{
};

TEST_P(CookieRejectTest, RejectsWithoutEchoingKey)
{
    SecretKey key;
    Status st = parse(GetParam().xml, key);
    EXPECT_EQ(st.code(), -EINVAL) << st.message();
    EXPECT_TRUE(key.empty());
    EXPECT_EQ(st.message().find("00112233"), std::string::npos) << st.message();
}

INSTANTIATE_TEST_SUITE_P(
    BadCookie, CookieRejectTest,
    ::testing::Values(
        BadCookieCase{"Duplicate", cookie("<migration-key>" + kHex + "</migration-key>"
                                          "<migration-key>" + kHex + "</migration-key>")},
        BadCookieCase{"Empty", cookie("<migration-key></migration-key>")},
        BadCookieCase{"SelfClosing", cookie("<migration-key/>")},
        BadCookieCase{"OddLength", cookie("<migration-key>" + kHex + "0</migration-key>")},
        BadCookieCase{"BadHex", cookie("<migration-key>" + kHex.substr(0, 30) +
                                       "zz</migration-key>")},
        BadCookieCase{"Whitespace", cookie("<migration-key> " + kHex + " </migration-key>")},
        BadCookieCase{"TooShort", cookie("<migration-key>" + kHex.substr(0, 30) +
                                         "</migration-key>")},
        BadCookieCase{"TooLong", cookie("<migration-key>" + kHex + kHex + kHex + kHex + "00"
                                        "</migration-key>")},
        BadCookieCase{"ChildElement", cookie("<migration-key>" + kHex +
                                             "<b/></migration-key>")},
        BadCookieCase{"Cdata", cookie("<migration-key><![CDATA[" + kHex +
                                      "]]></migration-key>")},
        BadCookieCase{"NotXml", "<qemu-migration><migration-key>" + kHex},
        BadCookieCase{"NoDocument", ""}),
    [](const ::testing::TestParamInfo<BadCookieCase> &info) {
        return std::string(info.param.name);
    });


TEST(CookieParseTest, RejectsNullInput)
{
    SecretKey key;
    EXPECT_EQ(qemupsk::parseCookieString(nullptr, 0, key).code(), -EINVAL);
    EXPECT_EQ(qemupsk::parseCookieElement(nullptr, key).code(), -EINVAL);
}


TEST(CookieParseTest, DoesNotExpandExternalEntities)
{
    SecretKey key;
    std::string xml = "<!DOCTYPE q [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
        "<qemu-migration><migration-key>&e;</migration-key></qemu-migration>";
    EXPECT_FALSE(parse(xml, key).ok());
}


struct RedactCase
{
    const char *name;
    std::string in;
    std::string out;
};

class RedactTest : public ::testing::TestWithParam<RedactCase>
{
};

TEST_P(RedactTest, Redacts)
{
    EXPECT_EQ(qemupsk::redactCookie(GetParam().in), GetParam().out);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RedactTest,
    ::testing::Values(
        RedactCase{"NoElement", "<a>b</a>", "<a>b</a>"},
        RedactCase{"Empty", "", ""},
        RedactCase{"Simple", "<c><migration-key>" + kHex + "</migration-key></c>",
                   "<c><migration-key>(redacted)</migration-key></c>"},
        RedactCase{"Attributes", "<migration-key len='16'>" + kHex + "</migration-key>",
                   "<migration-key len='16'>(redacted)</migration-key>"},
        RedactCase{"Twice", "<migration-key>aa</migration-key>x<migration-key>bb</migration-key>",
                   "<migration-key>(redacted)</migration-key>x"
                   "<migration-key>(redacted)</migration-key>"},
        RedactCase{"EmptyElement", "<migration-key></migration-key>",
                   "<migration-key>(redacted)</migration-key>"},
        RedactCase{"SelfClosing", "<migration-key/><x/>", "<migration-key/><x/>"},
        RedactCase{"SelfClosingSpace", "<migration-key /><x/>", "<migration-key /><x/>"},
        RedactCase{"Unterminated", "<c><migration-key>" + kHex + "</c>",
                   "<c><migration-key>(redacted)"},
        RedactCase{"UnterminatedStartTag", "<c><migration-key " + kHex,
                   "<c><migration-key(redacted)"},
        RedactCase{"NameAtEnd", "<c><migration-key", "<c><migration-key(redacted)"},
        RedactCase{"OtherElement", "<migration-keys>ab</migration-keys>",
                   "<migration-keys>ab</migration-keys>"},
        RedactCase{"Multiline", "<migration-key>\n" + kHex + "\n</migration-key>\n",
                   "<migration-key>(redacted)</migration-key>\n"}),
    [](const ::testing::TestParamInfo<RedactCase> &info) {
        return std::string(info.param.name);
    });

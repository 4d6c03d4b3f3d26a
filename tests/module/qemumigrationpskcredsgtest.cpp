/*
 * qemumigrationpskcredsgtest.cpp: tests of the creds description and conf checks
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "qemu_migration_psk_conf.hpp"
#include "qemu_migration_psk_creds.hpp"
#include "qemu_migration_psk_keydir.hpp"

using qemupsk::Creds;
using qemupsk::Endpoint;
using qemupsk::Status;

namespace {
const char kDir[] = "/var/lib/libvirt/qemu/c7a5fdbd-edaf-9455-926a-d65c16db1809";
const char kId[] = "objlibvirt_migrate_tls0";
} /* namespace */


TEST(CredsTest, DescribesServer)
{
    Creds creds;
    Status st = Creds::create(kId, Endpoint::Server, kDir, "", false, creds);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(creds.id(), kId);
    EXPECT_STREQ(creds.endpointName(), "server");
    EXPECT_EQ(creds.dir(), kDir);
    EXPECT_FALSE(creds.hasUsername());
    EXPECT_EQ(creds.username(), nullptr);
    EXPECT_FALSE(creds.hasPriority());
}


TEST(CredsTest, DescribesClientWithUsernameAndPriority)
{
    Creds creds;
    Status st = Creds::create(kId, Endpoint::Client, kDir, qemupsk::kPriorityDefault, true,
                              creds);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_STREQ(creds.endpointName(), "client");
    EXPECT_STREQ(creds.username(), "qemu");
    EXPECT_TRUE(creds.hasPriority());
    EXPECT_EQ(creds.priority(), "NORMAL:-CHACHA20-POLY1305");
}


TEST(CredsTest, RejectsBadIds)
{
    Creds creds;
    for (const char *id : {"", "0abc", "a b", "a,b", "_x", "a/b"})
        EXPECT_EQ(Creds::create(id, Endpoint::Server, kDir, "", false, creds).code(), -EINVAL)
            << id;
    EXPECT_TRUE(qemupsk::isValidObjectId("a-b.c_d9"));
}


TEST(CredsTest, RejectsBadDir)
{
    Creds creds;
    for (const char *dir : {"", "relative", "/a/../b", "/a/", "/"})
        EXPECT_EQ(Creds::create(kId, Endpoint::Server, dir, "", false, creds).code(), -EINVAL)
            << dir;
}


TEST(CredsTest, RejectsBadEndpoint)
{
    Creds creds;
    EXPECT_EQ(Creds::create(kId, static_cast<Endpoint>(7), kDir, "", false, creds).code(),
              -EINVAL);
}


TEST(CredsTest, RejectsBadPriority)
{
    Creds creds;
    Status st = Creds::create(kId, Endpoint::Client, kDir, "NORMAL:+NO-SUCH-THING", true,
                              creds);
    EXPECT_EQ(st.code(), -EINVAL);
    EXPECT_NE(st.message().find("GnuTLS"), std::string::npos);
    EXPECT_EQ(Creds::create(kId, Endpoint::Client, kDir, "", true, creds).code(), -EINVAL);
}


TEST(PriorityTest, DefaultIsAccepted)
{
    EXPECT_TRUE(qemupsk::checkPriority(qemupsk::kPriorityDefault).ok());
    EXPECT_TRUE(qemupsk::checkPriority("NORMAL").ok());
}


TEST(ConfTest, LengthBounds)
{
    EXPECT_TRUE(qemupsk::checkConfLength(16).ok());
    EXPECT_TRUE(qemupsk::checkConfLength(32).ok());
    EXPECT_TRUE(qemupsk::checkConfLength(64).ok());
    EXPECT_EQ(qemupsk::checkConfLength(15).code(), -ERANGE);
    EXPECT_EQ(qemupsk::checkConfLength(0).code(), -ERANGE);
    EXPECT_EQ(qemupsk::checkConfLength(65).code(), -ERANGE);
    Status st = qemupsk::checkConfLength(~0ULL);
    EXPECT_EQ(st.code(), -ERANGE);
    EXPECT_NE(st.message().find("between 16 and 64"), std::string::npos);
}


TEST(ConfTest, BaseDirAcceptsNormalisedAbsolute)
{
    EXPECT_TRUE(qemupsk::checkConfBaseDir("/var/lib/libvirt/qemu").ok());
    EXPECT_TRUE(qemupsk::checkConfBaseDir("/x").ok());
}


class BaseDirRejectTest : public ::testing::TestWithParam<std::pair<const char *, std::string>>
{
};

TEST_P(BaseDirRejectTest, Rejects)
{
    Status st = qemupsk::checkConfBaseDir(GetParam().second);
    EXPECT_EQ(st.code(), -EINVAL);
    EXPECT_NE(st.message().find("migrate_base_psk_dir"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    BadBaseDir, BaseDirRejectTest,
    ::testing::Values(
        std::make_pair("Empty", std::string()),
        std::make_pair("Relative", std::string("var/lib")),
        std::make_pair("Root", std::string("/")),
        std::make_pair("TrailingSlash", std::string("/var/lib/")),
        std::make_pair("DoubleSlash", std::string("/var//lib")),
        std::make_pair("Dot", std::string("/var/./lib")),
        std::make_pair("DotDot", std::string("/var/../lib")),
        std::make_pair("EndsDotDot", std::string("/var/..")),
        std::make_pair("Nul", std::string("/var\0lib", 8)),
        std::make_pair("TooLong", "/" + std::string(4000, 'a'))),
    [](const auto &info) { return std::string(info.param.first); });

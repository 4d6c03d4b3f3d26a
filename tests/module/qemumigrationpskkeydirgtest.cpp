/*
 * qemumigrationpskkeydirgtest.cpp: tests of the key directory functions
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <gnutls/gnutls.h>

#include "qemu_migration_psk_keydir.hpp"

namespace fs = std::filesystem;

using qemupsk::SecretKey;
using qemupsk::Status;

namespace {

const std::string kUuid = "c7a5fdbd-edaf-9455-926a-d65c16db1809";
const std::string kUuid2 = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9";

class KeyDirTest : public ::testing::Test
{
protected:
    void SetUp() override
    {
        std::string tmpl = (fs::temp_directory_path() / "pskdirtest.XXXXXX").string();
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        ASSERT_NE(mkdtemp(buf.data()), nullptr);
        base_ = buf.data();
        std::vector<unsigned char> bytes(32);
        for (std::size_t i = 0; i < bytes.size(); i++)
            bytes[i] = static_cast<unsigned char>(i);
        ASSERT_TRUE(SecretKey::fromBytes(bytes.data(), bytes.size(), key_).ok());
    }

    void TearDown() override
    {
        std::error_code ec;
        fs::permissions(base_, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(base_, ec);
    }

    Status write(const std::string &uuid)
    {
        return qemupsk::writeKeyDir(base_, uuid, key_, getuid(), getgid(), &dir_);
    }

    std::string path(const std::string &rel) const { return base_ + "/" + rel; }

    static std::string readFile(const std::string &p)
    {
        std::ifstream in(p, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    static mode_t modeOf(const std::string &p)
    {
        struct stat sb;
        if (lstat(p.c_str(), &sb) < 0)
            return 0;
        return sb.st_mode & 07777;
    }

    std::string base_;
    std::string dir_;
    SecretKey key_;
};

const char kExpectedContent[] =
    "qemu:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";

} /* namespace */


TEST(UuidTest, AcceptsCanonical)
{
    EXPECT_TRUE(qemupsk::isCanonicalUuid(kUuid));
    EXPECT_TRUE(qemupsk::isCanonicalUuid(kUuid2));
}


class UuidRejectTest : public ::testing::TestWithParam<std::pair<const char *, std::string>>
{
};

TEST_P(UuidRejectTest, Rejects)
{
    EXPECT_FALSE(qemupsk::isCanonicalUuid(GetParam().second));
}

INSTANTIATE_TEST_SUITE_P(
    BadUuid, UuidRejectTest,
    ::testing::Values(
        std::make_pair("Empty", std::string()),
        std::make_pair("Dot", std::string(".")),
        std::make_pair("DotDot", std::string("..")),
        std::make_pair("Traversal", std::string("../c7a5fdbd-edaf-9455-926a-d65c16db18")),
        std::make_pair("Slash", std::string("c7a5fdbd/edaf-9455-926a-d65c16db1809x")),
        std::make_pair("UpperCase", std::string("C7A5FDBD-EDAF-9455-926A-D65C16DB1809")),
        std::make_pair("NoDashes", std::string("c7a5fdbdedaf9455926ad65c16db1809")),
        std::make_pair("TooLong", std::string("c7a5fdbd-edaf-9455-926a-d65c16db18090")),
        std::make_pair("WrongDashPlace", std::string("c7a5fdb-dedaf-9455-926a-d65c16db1809")),
        std::make_pair("NonHex", std::string("g7a5fdbd-edaf-9455-926a-d65c16db1809"))),
    [](const auto &info) { return std::string(info.param.first); });


TEST(ModuleFileNameTest, KnowsOwnFiles)
{
    EXPECT_TRUE(qemupsk::isModuleFileName("keys.psk"));
    EXPECT_TRUE(qemupsk::isModuleFileName("keys.psk.tmp"));
    EXPECT_TRUE(qemupsk::isModuleFileName("dh-params.pem"));
    EXPECT_FALSE(qemupsk::isModuleFileName("other"));
    EXPECT_FALSE(qemupsk::isModuleFileName(""));
}


TEST_F(KeyDirTest, WritesKeyFile)
{
    Status st = write(kUuid);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(dir_, path(kUuid));
    EXPECT_EQ(readFile(path(kUuid + "/keys.psk")), kExpectedContent);
    EXPECT_EQ(modeOf(path(kUuid)), 0700u);
    EXPECT_EQ(modeOf(path(kUuid + "/keys.psk")), 0600u);
    EXPECT_FALSE(fs::exists(path(kUuid + "/keys.psk.tmp")));

    struct stat sb;
    ASSERT_EQ(stat(path(kUuid + "/keys.psk").c_str(), &sb), 0);
    EXPECT_EQ(sb.st_uid, getuid());
    EXPECT_EQ(sb.st_gid, getgid());
}


TEST_F(KeyDirTest, WritesStandardDhParams)
{
    Status st = write(kUuid);
    ASSERT_TRUE(st.ok()) << st.message();

    const std::string pem = readFile(path(kUuid + "/dh-params.pem"));
    EXPECT_EQ(modeOf(path(kUuid + "/dh-params.pem")), 0600u);
    EXPECT_EQ(pem.rfind("-----BEGIN DH PARAMETERS-----", 0), 0u);

    /* QEMU loads it with GnuTLS: it must import as the ffdhe2048 group */
    gnutls_dh_params_t params = nullptr;
    ASSERT_EQ(gnutls_dh_params_init(&params), 0);
    gnutls_datum_t in = { reinterpret_cast<unsigned char *>(const_cast<char *>(pem.data())),
                          static_cast<unsigned int>(pem.size()) };
    EXPECT_EQ(gnutls_dh_params_import_pkcs3(params, &in, GNUTLS_X509_FMT_PEM), 0);
    gnutls_datum_t prime = { nullptr, 0 };
    gnutls_datum_t generator = { nullptr, 0 };
    unsigned int bits = 0;
    ASSERT_EQ(gnutls_dh_params_export_raw(params, &prime, &generator, &bits), 0);
    EXPECT_EQ(prime.size, gnutls_ffdhe_2048_group_prime.size);
    EXPECT_EQ(std::memcmp(prime.data, gnutls_ffdhe_2048_group_prime.data, prime.size), 0);
    gnutls_free(prime.data);
    gnutls_free(generator.data);
    gnutls_dh_params_deinit(params);
}


TEST_F(KeyDirTest, WriteSetsRequestedOwnerWhenRoot)
{
    if (geteuid() != 0)
        GTEST_SKIP() << "needs root to give files away";
    ASSERT_TRUE(qemupsk::writeKeyDir(base_, kUuid, key_, 65534, 65534, nullptr).ok());
    struct stat sb;
    ASSERT_EQ(stat(path(kUuid + "/keys.psk").c_str(), &sb), 0);
    EXPECT_EQ(sb.st_uid, 65534u);
    EXPECT_EQ(sb.st_gid, 65534u);
    ASSERT_EQ(stat(path(kUuid).c_str(), &sb), 0);
    EXPECT_EQ(sb.st_uid, 65534u);
}


TEST_F(KeyDirTest, WriteAcceptsTrailingSlashOnBase)
{
    ASSERT_TRUE(qemupsk::writeKeyDir(base_ + "/", kUuid, key_, getuid(), getgid(),
                                     &dir_).ok());
    EXPECT_EQ(dir_, path(kUuid));
}


TEST_F(KeyDirTest, RewriteReplacesKey)
{
    ASSERT_TRUE(write(kUuid).ok());
    std::vector<unsigned char> bytes(16, 0xff);
    ASSERT_TRUE(SecretKey::fromBytes(bytes.data(), bytes.size(), key_).ok());
    ASSERT_TRUE(write(kUuid).ok());
    EXPECT_EQ(readFile(path(kUuid + "/keys.psk")),
              "qemu:ffffffffffffffffffffffffffffffff\n");
}


TEST_F(KeyDirTest, WriteReplacesStaleTempFile)
{
    ASSERT_EQ(mkdir(path(kUuid).c_str(), 0700), 0);
    std::ofstream(path(kUuid + "/keys.psk.tmp")) << "partial";
    ASSERT_TRUE(write(kUuid).ok());
    EXPECT_FALSE(fs::exists(path(kUuid + "/keys.psk.tmp")));
    EXPECT_EQ(readFile(path(kUuid + "/keys.psk")), kExpectedContent);
}


TEST_F(KeyDirTest, WriteRejectsRelativeBase)
{
    Status st = qemupsk::writeKeyDir("relative/dir", kUuid, key_, getuid(), getgid(),
                                     nullptr);
    EXPECT_EQ(st.code(), -EINVAL);
    EXPECT_EQ(qemupsk::writeKeyDir("", kUuid, key_, getuid(), getgid(), nullptr).code(),
              -EINVAL);
}


TEST_F(KeyDirTest, WriteRejectsMissingBase)
{
    Status st = qemupsk::writeKeyDir(path("missing"), kUuid, key_, getuid(), getgid(),
                                     nullptr);
    EXPECT_EQ(st.code(), -ENOENT);
    EXPECT_FALSE(fs::exists(path("missing")));
}


TEST_F(KeyDirTest, WriteRejectsTraversalInUuid)
{
    fs::create_directory(path("sub"));
    Status st = qemupsk::writeKeyDir(path("sub"), "../" + kUuid.substr(3), key_,
                                     getuid(), getgid(), nullptr);
    EXPECT_EQ(st.code(), -EINVAL);
    EXPECT_EQ(write("..").code(), -EINVAL);
    EXPECT_EQ(write(".").code(), -EINVAL);
    EXPECT_EQ(write("").code(), -EINVAL);
    EXPECT_EQ(write("a/b").code(), -EINVAL);
    EXPECT_TRUE(fs::is_empty(path("sub")));
}


TEST_F(KeyDirTest, WriteRejectsSymlinkAtTarget)
{
    fs::create_directory(path("elsewhere"));
    fs::create_directory_symlink(path("elsewhere"), path(kUuid));
    Status st = write(kUuid);
    EXPECT_EQ(st.code(), -ELOOP);
    EXPECT_NE(st.message().find("symbolic link"), std::string::npos);
    EXPECT_TRUE(fs::is_empty(path("elsewhere")));
}


TEST_F(KeyDirTest, WriteRejectsDanglingSymlinkAtTarget)
{
    fs::create_symlink(path("nowhere"), path(kUuid));
    EXPECT_EQ(write(kUuid).code(), -ELOOP);
    EXPECT_FALSE(fs::exists(path("nowhere")));
}


TEST_F(KeyDirTest, WriteRejectsFileAtTarget)
{
    std::ofstream(path(kUuid)) << "x";
    Status st = write(kUuid);
    EXPECT_EQ(st.code(), -ENOTDIR);
    EXPECT_EQ(readFile(path(kUuid)), "x");
}


TEST_F(KeyDirTest, WriteRejectsWrongPermissionsOnExistingDir)
{
    ASSERT_EQ(mkdir(path(kUuid).c_str(), 0755), 0);
    ASSERT_EQ(chmod(path(kUuid).c_str(), 0755), 0);
    Status st = write(kUuid);
    EXPECT_EQ(st.code(), -EPERM);
    EXPECT_NE(st.message().find("0755"), std::string::npos) << st.message();
    EXPECT_FALSE(fs::exists(path(kUuid + "/keys.psk")));
}


TEST_F(KeyDirTest, WriteRejectsWrongOwnerOnExistingDir)
{
    ASSERT_EQ(mkdir(path(kUuid).c_str(), 0700), 0);
    Status st = qemupsk::writeKeyDir(base_, kUuid, key_, getuid() + 1, getgid(), nullptr);
    EXPECT_EQ(st.code(), -EPERM);
}


TEST_F(KeyDirTest, WriteRejectsSymlinkedKeyFileDirectory)
{
    /* keys.psk being a directory: the rename must fail, nothing leaks */
    ASSERT_EQ(mkdir(path(kUuid).c_str(), 0700), 0);
    ASSERT_EQ(mkdir(path(kUuid + "/keys.psk").c_str(), 0700), 0);
    Status st = write(kUuid);
    EXPECT_FALSE(st.ok());
    EXPECT_FALSE(fs::exists(path(kUuid + "/keys.psk.tmp")));
}


TEST_F(KeyDirTest, WriteReplacesSymlinkedKeyFileWithoutFollowing)
{
    ASSERT_EQ(mkdir(path(kUuid).c_str(), 0700), 0);
    std::ofstream(path("victim")) << "keep";
    fs::create_symlink(path("victim"), path(kUuid + "/keys.psk"));
    ASSERT_TRUE(write(kUuid).ok());
    EXPECT_EQ(readFile(path("victim")), "keep");
    EXPECT_FALSE(fs::is_symlink(path(kUuid + "/keys.psk")));
}


TEST_F(KeyDirTest, WriteRejectsEmptyKey)
{
    SecretKey empty;
    EXPECT_EQ(qemupsk::writeKeyDir(base_, kUuid, empty, getuid(), getgid(), nullptr).code(),
              -EINVAL);
}


TEST_F(KeyDirTest, RemoveDeletesDirectory)
{
    ASSERT_TRUE(write(kUuid).ok());
    std::ofstream(path(kUuid + "/dh-params.pem")) << "params";
    Status st = qemupsk::removeKeyDir(base_, kUuid);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_FALSE(fs::exists(path(kUuid)));
    EXPECT_TRUE(fs::exists(base_));
}


TEST_F(KeyDirTest, DoubleRemoveSucceeds)
{
    ASSERT_TRUE(write(kUuid).ok());
    EXPECT_TRUE(qemupsk::removeKeyDir(base_, kUuid).ok());
    EXPECT_TRUE(qemupsk::removeKeyDir(base_, kUuid).ok());
}


TEST_F(KeyDirTest, RemoveWithMissingBaseSucceeds)
{
    EXPECT_TRUE(qemupsk::removeKeyDir(path("missing"), kUuid).ok());
}


TEST_F(KeyDirTest, RemoveKeepsUnexpectedEntries)
{
    ASSERT_TRUE(write(kUuid).ok());
    std::ofstream(path(kUuid + "/unexpected")) << "x";
    Status st = qemupsk::removeKeyDir(base_, kUuid);
    EXPECT_EQ(st.code(), -ENOTEMPTY);
    EXPECT_NE(st.message().find("unexpected"), std::string::npos);
    EXPECT_TRUE(fs::exists(path(kUuid + "/unexpected")));
    EXPECT_FALSE(fs::exists(path(kUuid + "/keys.psk")));
}


TEST_F(KeyDirTest, RemoveKeepsUnexpectedSubdirectory)
{
    ASSERT_TRUE(write(kUuid).ok());
    ASSERT_TRUE(fs::remove(path(kUuid + "/dh-params.pem")));
    fs::create_directory(path(kUuid + "/dh-params.pem"));
    EXPECT_EQ(qemupsk::removeKeyDir(base_, kUuid).code(), -ENOTEMPTY);
    EXPECT_TRUE(fs::is_directory(path(kUuid + "/dh-params.pem")));
}


TEST_F(KeyDirTest, RemoveDoesNotFollowSymlink)
{
    fs::create_directory(path("elsewhere"));
    std::ofstream(path("elsewhere/keys.psk")) << "keep";
    fs::create_directory_symlink(path("elsewhere"), path(kUuid));
    EXPECT_EQ(qemupsk::removeKeyDir(base_, kUuid).code(), -ELOOP);
    EXPECT_TRUE(fs::exists(path("elsewhere/keys.psk")));
    EXPECT_TRUE(fs::is_symlink(path(kUuid)));
}


TEST_F(KeyDirTest, RemoveRejectsFileAtTarget)
{
    std::ofstream(path(kUuid)) << "x";
    EXPECT_EQ(qemupsk::removeKeyDir(base_, kUuid).code(), -ENOTDIR);
    EXPECT_TRUE(fs::exists(path(kUuid)));
}


TEST_F(KeyDirTest, RemoveRejectsBadArguments)
{
    EXPECT_EQ(qemupsk::removeKeyDir("relative", kUuid).code(), -EINVAL);
    EXPECT_EQ(qemupsk::removeKeyDir(base_, "..").code(), -EINVAL);
    EXPECT_TRUE(fs::exists(base_));
}


TEST_F(KeyDirTest, SweepRemovesOnlyOwnDirectories)
{
    ASSERT_TRUE(write(kUuid).ok());
    ASSERT_TRUE(write(kUuid2).ok());
    const std::string busy = "11111111-2222-3333-4444-555555555555";
    ASSERT_TRUE(write(busy).ok());
    const std::string foreign = "99999999-2222-3333-4444-555555555555";
    ASSERT_TRUE(write(foreign).ok());
    std::ofstream(path(foreign + "/domain.log")) << "x";
    std::ofstream(path("unrelated.xml")) << "x";
    fs::create_directory(path("not-a-uuid"));
    std::ofstream(path("not-a-uuid/keys.psk")) << "x";
    fs::create_directory(path("elsewhere"));
    const std::string linked = "88888888-2222-3333-4444-555555555555";
    fs::create_directory_symlink(path("elsewhere"), path(linked));
    std::ofstream(path("elsewhere/keys.psk")) << "x";
    const std::string empty = "77777777-2222-3333-4444-555555555555";
    fs::create_directory(path(empty));

    std::size_t removed = 0;
    Status st = qemupsk::sweepKeyDirs(
        base_, [&](const std::string &uuid) { return uuid == busy; }, removed);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(removed, 3u);
    EXPECT_FALSE(fs::exists(path(kUuid)));
    EXPECT_FALSE(fs::exists(path(kUuid2)));
    EXPECT_FALSE(fs::exists(path(empty)));
    EXPECT_TRUE(fs::exists(path(busy + "/keys.psk")));
    EXPECT_TRUE(fs::exists(path(foreign + "/keys.psk")));
    EXPECT_TRUE(fs::exists(path("unrelated.xml")));
    EXPECT_TRUE(fs::exists(path("not-a-uuid/keys.psk")));
    EXPECT_TRUE(fs::is_symlink(path(linked)));
    EXPECT_TRUE(fs::exists(path("elsewhere/keys.psk")));
}


TEST_F(KeyDirTest, SweepWithoutPredicateRemovesAll)
{
    ASSERT_TRUE(write(kUuid).ok());
    std::size_t removed = 0;
    ASSERT_TRUE(qemupsk::sweepKeyDirs(base_, nullptr, removed).ok());
    EXPECT_EQ(removed, 1u);
}


TEST_F(KeyDirTest, SweepMissingBaseSucceeds)
{
    std::size_t removed = 5;
    EXPECT_TRUE(qemupsk::sweepKeyDirs(path("missing"), nullptr, removed).ok());
    EXPECT_EQ(removed, 0u);
}


TEST_F(KeyDirTest, SweepRejectsRelativeBase)
{
    std::size_t removed = 0;
    EXPECT_EQ(qemupsk::sweepKeyDirs("relative", nullptr, removed).code(), -EINVAL);
}

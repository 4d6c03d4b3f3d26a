/*
 * qemumigrationpskcapigtest.cpp: tests of the C API wrappers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>
#include <libxml/parser.h>

#include "qemu_migration_psk.h"

#define LIBVIRT_QEMU_MIGRATION_PSKPRIV_H_ALLOW
#include "qemu_migration_pskpriv.h"

namespace fs = std::filesystem;

namespace {

const char kUuid[] = "c7a5fdbd-edaf-9455-926a-d65c16db1809";
const std::string kHex = "00112233445566778899aabbccddeeff";

/* Owns an error message. */
struct ErrMsg
{
    char *msg = nullptr;
    ~ErrMsg() { qemuMigrationPskStringFree(msg); }
    char **ptr() { return &msg; }
    std::string str() const { return msg ? msg : ""; }
};

qemuMigrationPskKey *
keyFromHex(const std::string &hex)
{
    qemuMigrationPskKey *key = nullptr;
    if (qemuMigrationPskKeyNewFromHex(hex.data(), hex.size(), &key, nullptr) < 0)
        return nullptr;
    return key;
}


int
zeroRandom(unsigned char *buf, size_t len, void *)
{
    std::memset(buf, 0, len);
    return 0;
}


int
keepUuid(const char *uuid, void *opaque)
{
    return std::string(uuid) == static_cast<const char *>(opaque) ? 1 : 0;
}

} /* namespace */


TEST(CApiTest, ModuleInfoIsStatic)
{
    const char *info = qemuMigrationPskModuleInfo();
    ASSERT_NE(info, nullptr);
    EXPECT_NE(std::string(info).find("GnuTLS"), std::string::npos);
    EXPECT_EQ(info, qemuMigrationPskModuleInfo());
}


TEST(CApiTest, FreeFunctionsAcceptNull)
{
    qemuMigrationPskStringFree(nullptr);
    qemuMigrationPskSecretStringFree(nullptr);
    qemuMigrationPskKeyFree(nullptr);
    qemuMigrationPskCredsFree(nullptr);
}


TEST(CApiTest, KeyNewReturnsKey)
{
    qemuMigrationPskKey *key = nullptr;
    ErrMsg err;
    ASSERT_EQ(qemuMigrationPskKeyNew(QEMU_MIGRATION_PSK_LENGTH_DEFAULT, &key, err.ptr()), 0);
    EXPECT_EQ(err.msg, nullptr);
    EXPECT_EQ(qemuMigrationPskKeyGetLength(key), 32u);
    qemuMigrationPskKeyFree(key);
}


TEST(CApiTest, KeyNewReportsBadLength)
{
    qemuMigrationPskKey *key = nullptr;
    ErrMsg err;
    EXPECT_EQ(qemuMigrationPskKeyNew(8, &key, err.ptr()), -EINVAL);
    EXPECT_EQ(key, nullptr);
    EXPECT_NE(err.str().find("minimum"), std::string::npos);
    EXPECT_EQ(qemuMigrationPskKeyNew(8, &key, nullptr), -EINVAL);
    EXPECT_EQ(qemuMigrationPskKeyNew(16, nullptr, nullptr), -EINVAL);
}


TEST(CApiTest, KeyNewUsesInjectedRandom)
{
    qemuMigrationPskSetRandomFunc(zeroRandom, nullptr);
    qemuMigrationPskKey *key = nullptr;
    ASSERT_EQ(qemuMigrationPskKeyNew(16, &key, nullptr), 0);
    qemuMigrationPskSetRandomFunc(nullptr, nullptr);
    qemuMigrationPskKey *zero = keyFromHex(std::string(32, '0'));
    EXPECT_EQ(qemuMigrationPskKeyEqual(key, zero), 1);
    qemuMigrationPskKeyFree(key);
    qemuMigrationPskKeyFree(zero);
}


TEST(CApiTest, KeyFromBytesAndHexAgree)
{
    std::vector<unsigned char> bytes = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                        0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    qemuMigrationPskKey *a = nullptr;
    ASSERT_EQ(qemuMigrationPskKeyNewFromBytes(bytes.data(), bytes.size(), &a, nullptr), 0);
    qemuMigrationPskKey *b = keyFromHex(kHex);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(qemuMigrationPskKeyEqual(a, b), 1);
    EXPECT_EQ(qemuMigrationPskKeyEqual(a, nullptr), 0);
    EXPECT_EQ(qemuMigrationPskKeyEqual(nullptr, nullptr), 0);
    EXPECT_EQ(qemuMigrationPskKeyGetLength(nullptr), 0u);

    qemuMigrationPskKey *c = nullptr;
    ErrMsg err;
    EXPECT_EQ(qemuMigrationPskKeyNewFromBytes(bytes.data(), 4, &c, err.ptr()), -EINVAL);
    EXPECT_EQ(c, nullptr);
    EXPECT_EQ(qemuMigrationPskKeyNewFromBytes(nullptr, 16, &c, nullptr), -EINVAL);
    qemuMigrationPskKeyFree(a);
    qemuMigrationPskKeyFree(b);
}


TEST(CApiTest, KeyFromHexReportsError)
{
    qemuMigrationPskKey *key = nullptr;
    ErrMsg err;
    std::string bad = kHex + "1";
    EXPECT_EQ(qemuMigrationPskKeyNewFromHex(bad.data(), bad.size(), &key, err.ptr()), -EINVAL);
    EXPECT_NE(err.str().find("odd"), std::string::npos);
    EXPECT_EQ(err.str().find("0011"), std::string::npos);
    EXPECT_EQ(qemuMigrationPskKeyNewFromHex(nullptr, 0, &key, nullptr), -EINVAL);
}


TEST(CApiTest, CookieFormatAndParseRoundTrip)
{
    qemuMigrationPskKey *key = keyFromHex(kHex);
    char *xml = nullptr;
    ASSERT_EQ(qemuMigrationPskCookieFormat(key, &xml, nullptr), 0);
    EXPECT_EQ(std::string(xml), "<migration-key>" + kHex + "</migration-key>");

    std::string doc = std::string("<qemu-migration>") + xml + "</qemu-migration>";
    qemuMigrationPskSecretStringFree(xml);

    qemuMigrationPskKey *back = nullptr;
    ASSERT_EQ(qemuMigrationPskCookieParseString(doc.data(), doc.size(), &back, nullptr), 0);
    EXPECT_EQ(qemuMigrationPskKeyEqual(key, back), 1);
    qemuMigrationPskKeyFree(back);
    back = nullptr;

    xmlDocPtr parsed = xmlReadMemory(doc.data(), static_cast<int>(doc.size()), "c.xml",
                                     nullptr, XML_PARSE_NONET);
    ASSERT_NE(parsed, nullptr);
    ASSERT_EQ(qemuMigrationPskCookieParse(xmlDocGetRootElement(parsed), &back, nullptr), 0);
    EXPECT_EQ(qemuMigrationPskKeyEqual(key, back), 1);
    xmlFreeDoc(parsed);

    qemuMigrationPskKeyFree(back);
    qemuMigrationPskKeyFree(key);
}


TEST(CApiTest, CookieParseReportsErrors)
{
    qemuMigrationPskKey *key = nullptr;
    ErrMsg err;
    std::string doc = "<qemu-migration/>";
    EXPECT_EQ(qemuMigrationPskCookieParseString(doc.data(), doc.size(), &key, err.ptr()),
              -ENOENT);
    EXPECT_FALSE(err.str().empty());
    EXPECT_EQ(qemuMigrationPskCookieParseString(nullptr, 0, &key, nullptr), -EINVAL);
    EXPECT_EQ(qemuMigrationPskCookieParse(nullptr, &key, nullptr), -EINVAL);
    EXPECT_EQ(qemuMigrationPskCookieFormat(nullptr, nullptr, nullptr), -EINVAL);
    EXPECT_EQ(key, nullptr);
}


TEST(CApiTest, RedactReturnsCopy)
{
    char *out = qemuMigrationPskRedact("<c><migration-key>abcd</migration-key></c>");
    ASSERT_NE(out, nullptr);
    EXPECT_STREQ(out, "<c><migration-key>" QEMU_MIGRATION_PSK_REDACTED "</migration-key></c>");
    qemuMigrationPskStringFree(out);
    EXPECT_EQ(qemuMigrationPskRedact(nullptr), nullptr);
}


TEST(CApiTest, CredsAccessors)
{
    qemuMigrationPskCreds *creds = nullptr;
    ASSERT_EQ(qemuMigrationPskCredsNew("objlibvirt_migrate_tls0",
                                       QEMU_MIGRATION_PSK_ENDPOINT_CLIENT, "/run/x",
                                       QEMU_MIGRATION_PSK_PRIORITY_DEFAULT, &creds, nullptr),
              0);
    EXPECT_STREQ(qemuMigrationPskCredsGetType(creds), "tls-creds-psk");
    EXPECT_STREQ(qemuMigrationPskCredsGetId(creds), "objlibvirt_migrate_tls0");
    EXPECT_STREQ(qemuMigrationPskCredsGetEndpoint(creds), "client");
    EXPECT_STREQ(qemuMigrationPskCredsGetDir(creds), "/run/x");
    EXPECT_STREQ(qemuMigrationPskCredsGetUsername(creds), QEMU_MIGRATION_PSK_USERNAME);
    EXPECT_STREQ(qemuMigrationPskCredsGetPriority(creds), "NORMAL:-CHACHA20-POLY1305");
    qemuMigrationPskCredsFree(creds);

    creds = nullptr;
    ASSERT_EQ(qemuMigrationPskCredsNew("id0", QEMU_MIGRATION_PSK_ENDPOINT_SERVER, "/run/x",
                                       nullptr, &creds, nullptr), 0);
    EXPECT_STREQ(qemuMigrationPskCredsGetEndpoint(creds), "server");
    EXPECT_EQ(qemuMigrationPskCredsGetUsername(creds), nullptr);
    EXPECT_EQ(qemuMigrationPskCredsGetPriority(creds), nullptr);
    qemuMigrationPskCredsFree(creds);

    EXPECT_EQ(qemuMigrationPskCredsGetType(nullptr), nullptr);
    EXPECT_EQ(qemuMigrationPskCredsGetId(nullptr), nullptr);
    EXPECT_EQ(qemuMigrationPskCredsGetEndpoint(nullptr), nullptr);
    EXPECT_EQ(qemuMigrationPskCredsGetDir(nullptr), nullptr);
    EXPECT_EQ(qemuMigrationPskCredsGetUsername(nullptr), nullptr);
    EXPECT_EQ(qemuMigrationPskCredsGetPriority(nullptr), nullptr);
}


TEST(CApiTest, CredsNewReportsErrors)
{
    qemuMigrationPskCreds *creds = nullptr;
    ErrMsg err;
    EXPECT_EQ(qemuMigrationPskCredsNew("id0", QEMU_MIGRATION_PSK_ENDPOINT_LAST, "/run/x",
                                       nullptr, &creds, err.ptr()), -EINVAL);
    EXPECT_NE(err.str().find("endpoint"), std::string::npos);
    EXPECT_EQ(qemuMigrationPskCredsNew(nullptr, QEMU_MIGRATION_PSK_ENDPOINT_SERVER, "/run/x",
                                       nullptr, &creds, nullptr), -EINVAL);
    EXPECT_EQ(qemuMigrationPskCredsNew("id0", QEMU_MIGRATION_PSK_ENDPOINT_SERVER, nullptr,
                                       nullptr, &creds, nullptr), -EINVAL);
    EXPECT_EQ(qemuMigrationPskCredsNew("id0", QEMU_MIGRATION_PSK_ENDPOINT_SERVER, "/run/x",
                                       nullptr, nullptr, nullptr), -EINVAL);
    EXPECT_EQ(creds, nullptr);
}


TEST(CApiTest, ConfChecks)
{
    ErrMsg err;
    EXPECT_EQ(qemuMigrationPskConfCheckLength(32, nullptr), 0);
    EXPECT_EQ(qemuMigrationPskConfCheckLength(8, err.ptr()), -ERANGE);
    EXPECT_FALSE(err.str().empty());
    EXPECT_EQ(qemuMigrationPskConfCheckBaseDir("/var/lib/libvirt/qemu", nullptr), 0);
    EXPECT_EQ(qemuMigrationPskConfCheckBaseDir("x", nullptr), -EINVAL);
    EXPECT_EQ(qemuMigrationPskConfCheckBaseDir(nullptr, nullptr), -EINVAL);
}


TEST(CApiTest, DirWriteRemoveAndSweep)
{
    std::string tmpl = (fs::temp_directory_path() / "pskcapi.XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    ASSERT_NE(mkdtemp(buf.data()), nullptr);
    std::string base = buf.data();

    qemuMigrationPskKey *key = keyFromHex(kHex);
    char *dir = nullptr;
    ErrMsg err;
    ASSERT_EQ(qemuMigrationPskDirWrite(base.c_str(), kUuid, key, getuid(), getgid(), &dir,
                                       err.ptr()), 0) << err.str();
    EXPECT_EQ(std::string(dir), base + "/" + kUuid);
    EXPECT_TRUE(fs::exists(std::string(dir) + "/keys.psk"));
    qemuMigrationPskStringFree(dir);

    EXPECT_EQ(qemuMigrationPskDirWrite(base.c_str(), "../x", key, getuid(), getgid(),
                                       nullptr, nullptr), -EINVAL);
    EXPECT_EQ(qemuMigrationPskDirWrite(nullptr, kUuid, key, 0, 0, nullptr, nullptr), -EINVAL);
    EXPECT_EQ(qemuMigrationPskDirWrite(base.c_str(), nullptr, key, 0, 0, nullptr, nullptr),
              -EINVAL);
    EXPECT_EQ(qemuMigrationPskDirWrite(base.c_str(), kUuid, nullptr, 0, 0, nullptr, nullptr),
              -EINVAL);

    size_t removed = 99;
    ASSERT_EQ(qemuMigrationPskDirSweep(base.c_str(), keepUuid,
                                       const_cast<char *>(kUuid), &removed, nullptr), 0);
    EXPECT_EQ(removed, 0u);
    EXPECT_EQ(qemuMigrationPskDirSweep(nullptr, nullptr, nullptr, nullptr, nullptr), -EINVAL);

    EXPECT_EQ(qemuMigrationPskDirRemove(base.c_str(), kUuid, nullptr), 0);
    EXPECT_EQ(qemuMigrationPskDirRemove(base.c_str(), kUuid, nullptr), 0);
    EXPECT_FALSE(fs::exists(base + "/" + kUuid));
    EXPECT_EQ(qemuMigrationPskDirRemove(nullptr, kUuid, nullptr), -EINVAL);
    EXPECT_EQ(qemuMigrationPskDirRemove(base.c_str(), nullptr, nullptr), -EINVAL);

    ASSERT_EQ(qemuMigrationPskDirWrite(base.c_str(), kUuid, key, getuid(), getgid(), nullptr,
                                       nullptr), 0);
    ASSERT_EQ(qemuMigrationPskDirSweep(base.c_str(), nullptr, nullptr, &removed, nullptr), 0);
    EXPECT_EQ(removed, 1u);

    qemuMigrationPskKeyFree(key);
    fs::remove_all(base);
}

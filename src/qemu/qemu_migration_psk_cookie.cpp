/*
 * qemu_migration_psk_cookie.cpp: the <migration-key> cookie element
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include "qemu_migration_psk_cookie.hpp"

#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>

#include <libxml/parser.h>

namespace qemupsk {

namespace {

struct XmlDocDeleter
{
    void operator()(xmlDoc *doc) const noexcept { xmlFreeDoc(doc); }
};

using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocDeleter>;


bool
isKeyElement(const xmlNode *node) noexcept
{
    return node->type == XML_ELEMENT_NODE &&
        xmlStrEqual(node->name, reinterpret_cast<const xmlChar *>(kCookieElement));
}


/* Erases the text of every <migration-key> child of @root. */
void
eraseKeyText(xmlNode *root) noexcept
{
    for (xmlNode *child = root->children; child; child = child->next) {
        if (!isKeyElement(child))
            continue;
        for (xmlNode *text = child->children; text; text = text->next) {
            if ((text->type == XML_TEXT_NODE || text->type == XML_CDATA_SECTION_NODE) &&
                text->content)
                secureErase(text->content,
                            std::strlen(reinterpret_cast<const char *>(text->content)));
        }
    }
}

} /* namespace */


Status
formatCookieElement(const SecretKey &key, SecretBuffer &xml)
{
    if (key.empty())
        return Status::failure(-EINVAL, "no key to format");

    const std::string open = std::string("<") + kCookieElement + ">";
    const std::string close = std::string("</") + kCookieElement + ">";
    SecretBuffer hex = key.toHex();
    SecretBuffer out(open.size() + hex.size() + close.size());
    unsigned char *p = out.writableData();

    for (char c : open)
        *p++ = static_cast<unsigned char>(c);
    for (std::size_t i = 0; i < hex.size(); i++)
        *p++ = hex.revealData()[i];
    for (char c : close)
        *p++ = static_cast<unsigned char>(c);

    xml = std::move(out);
    return Status::success();
}


Status
parseCookieElement(const xmlNode *root, SecretKey &key)
{
    if (!root || root->type != XML_ELEMENT_NODE)
        return Status::failure(-EINVAL, "migration cookie has no root element");

    const xmlNode *found = nullptr;
    std::size_t count = 0;
    for (const xmlNode *child = root->children; child; child = child->next) {
        if (isKeyElement(child)) {
            found = child;
            count++;
        }
    }
    if (count == 0)
        return Status::failure(-ENOENT,
                               "migration cookie has no <migration-key> element");
    if (count > 1)
        return Status::failure(-EINVAL,
                               "migration cookie has " + std::to_string(count) +
                               " <migration-key> elements, expected exactly one");

    const xmlNode *text = nullptr;
    for (const xmlNode *child = found->children; child; child = child->next) {
        if (child->type == XML_COMMENT_NODE)
            continue;
        if (child->type != XML_TEXT_NODE)
            return Status::failure(-EINVAL,
                                   "<migration-key> element must contain text only");
        if (text)
            return Status::failure(-EINVAL,
                                   "<migration-key> element must contain a single text");
        text = child;
    }
    if (!text || !text->content || text->content[0] == '\0')
        return Status::failure(-EINVAL, "<migration-key> element is empty");

    const char *hex = reinterpret_cast<const char *>(text->content);
    Status st = SecretKey::fromHex(hex, std::strlen(hex), key);
    if (!st.ok())
        return Status::failure(st.code(), "invalid <migration-key> element: " + st.message());
    return Status::success();
}


Status
parseCookieString(const char *xml, std::size_t len, SecretKey &key)
{
    if (!xml)
        return Status::failure(-EINVAL, "no migration cookie to parse");
    if (len > static_cast<std::size_t>(INT_MAX))
        return Status::failure(-EINVAL, "migration cookie is too large");

    /* No network, no entity substitution, no dictionary (so that the key
     * text lives only in its node and can be erased), no output. */
    const int options = XML_PARSE_NONET | XML_PARSE_NODICT |
        XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    XmlDocPtr doc(xmlReadMemory(xml, static_cast<int>(len), "migration-cookie.xml",
                                nullptr, options));
    if (!doc)
        return Status::failure(-EINVAL, "migration cookie is not well-formed XML");

    xmlNode *root = xmlDocGetRootElement(doc.get());
    Status st = parseCookieElement(root, key);
    if (root)
        eraseKeyText(root);
    return st;
}


std::string
redactCookie(std::string_view text)
{
    const std::string_view open = "<migration-key";
    const std::string_view close = "</migration-key";
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;

    for (;;) {
        std::size_t start = text.find(open, pos);
        if (start == std::string_view::npos)
            break;

        std::size_t after = start + open.size();
        if (after < text.size()) {
            char c = text[after];
            if (c != '>' && c != '/' && c != ' ' && c != '\t' &&
                c != '\r' && c != '\n') {
                /* a different element, such as <migration-keys> */
                out.append(text.substr(pos, after - pos));
                pos = after;
                continue;
            }
        }

        std::size_t gt = text.find('>', after);
        if (gt == std::string_view::npos) {
            /* unterminated start tag: hide everything after the name */
            out.append(text.substr(pos, after - pos));
            out.append(kRedactedMarker);
            return out;
        }

        out.append(text.substr(pos, gt + 1 - pos));
        pos = gt + 1;
        if (text[gt - 1] == '/')
            continue; /* self-closing: nothing inside */

        out.append(kRedactedMarker);
        std::size_t end = text.find(close, pos);
        if (end == std::string_view::npos)
            return out; /* no end tag: hide the rest */
        pos = end;
    }

    out.append(text.substr(pos));
    return out;
}

} /* namespace qemupsk */

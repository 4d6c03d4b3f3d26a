/*
 * qemumigrationpskfuzzreplay.cpp: runs a fuzz target over corpus files
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Linked with one fuzz target when libFuzzer is not used: each argument
 * is a file or a directory of files, fed once to LLVMFuzzerTestOneInput.
 */

#include <config.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace fs = std::filesystem;

namespace {

bool
runFile(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::cerr << "cannot read " << path << "\n";
        return false;
    }
    std::vector<char> buf((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(buf.data()), buf.size());
    return true;
}

} /* namespace */


int
main(int argc, char **argv)
{
    size_t count = 0;
    bool ok = true;

    for (int n = 1; n < argc; n++) {
        fs::path arg(argv[n]);
        std::error_code ec;
        if (fs::is_directory(arg, ec)) {
            for (const fs::directory_entry &ent : fs::directory_iterator(arg, ec)) {
                if (ent.is_regular_file()) {
                    ok = runFile(ent.path()) && ok;
                    count++;
                }
            }
        } else {
            ok = runFile(arg) && ok;
            count++;
        }
    }
    std::cout << "replayed " << count << " input(s)\n";
    return ok && count > 0 ? 0 : 1;
}

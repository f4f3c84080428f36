// SHA-256 (OpenSSL) of strings and files, as lowercase hex.
#pragma once

#include <string>
#include <string_view>

namespace bhasa {

std::string Sha256Hex(std::string_view data);
// Streams the file; throws Error naming the path when it cannot be read.
std::string Sha256File(const std::string& path);

}  // namespace bhasa

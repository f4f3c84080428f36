// Small filesystem helpers that throw bhasa::Error naming the path.
#pragma once

#include <string>
#include <string_view>

namespace bhasa {

std::string ReadFile(const std::string& path);
bool FileExists(const std::string& path);
// Writes to a temporary file beside `path`, then renames: readers never see a
// half-written file.
void WriteFileAtomic(const std::string& path, std::string_view content);
void MakeDirs(const std::string& path);

}  // namespace bhasa

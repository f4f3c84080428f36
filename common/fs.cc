#include "common/fs.h"

#include <array>
#include <filesystem>
#include <fstream>

#include "common/error.h"

namespace bhasa {

namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(path + ": no such file");
  if (fs::is_directory(path, ec)) throw Error(path + ": is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open for reading");
  // One read into a string of the file's size: copying the stream into a
  // stringstream grew and copied multi-megabyte inputs several times. What
  // the size does not cover (a file still growing, a pipe) is read in blocks.
  std::string out;
  if (const auto size = fs::file_size(path, ec); !ec) {
    out.resize(size);
    in.read(out.data(), static_cast<std::streamsize>(out.size()));
    out.resize(static_cast<size_t>(in.gcount()));
  }
  std::array<char, 1 << 16> block;
  while (in.read(block.data(), block.size()) || in.gcount() > 0)
    out.append(block.data(), static_cast<size_t>(in.gcount()));
  if (in.bad()) throw Error(path + ": read error");
  return out;
}

bool FileExists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

void WriteFileAtomic(const std::string& path, std::string_view content) {
  fs::path p(path);
  if (p.has_parent_path()) MakeDirs(p.parent_path().string());
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(tmp + ": cannot open for writing");
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) throw Error(tmp + ": write failed");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw Error(path + ": rename failed: " + ec.message());
}

void MakeDirs(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw Error(path + ": cannot create directory: " + ec.message());
}

}  // namespace bhasa

#include "fuzz/support.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

namespace bhasa::fuzz {

namespace fs = std::filesystem;

std::vector<std::string_view> SplitParts(const uint8_t* data, size_t size, size_t n) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < n) {
    size_t at = rest.find(kPartSeparator);
    if (at == std::string_view::npos) break;
    parts.push_back(rest.substr(0, at));
    rest.remove_prefix(at + kPartSeparator.size());
  }
  parts.push_back(rest);
  parts.resize(n);
  return parts;
}

ScratchDir::ScratchDir() {
  // RAM-backed when possible: the fuzzer writes a file per execution.
  fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
  static std::atomic<int> count{0};
  path_ = (base / ("bhasa-fuzz-" + std::to_string(getpid()) + "-" + std::to_string(count++))).string();
  fs::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void ScratchDir::Reset() const {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(path_, ec)) fs::remove_all(e.path(), ec);
}

std::string ScratchDir::Write(const std::string& name, std::string_view bytes) const {
  std::string p = path_ + "/" + name;
  std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return p;
}

}  // namespace bhasa::fuzz

#include "harness/file_hash_cache.h"

#include <filesystem>

#include "common/error.h"
#include "common/fs.h"
#include "common/jsonl.h"
#include "common/sha256.h"

namespace bhasa {

namespace fs = std::filesystem;

FileHashCache::FileHashCache(std::string cache_path) : cache_path_(std::move(cache_path)) {
  if (cache_path_.empty() || !FileExists(cache_path_)) return;
  auto j = nlohmann::json::parse(ReadFile(cache_path_), nullptr, false);
  if (j.is_object() && j.contains("files") && j["files"].is_object()) entries_ = j["files"];
}

std::string FileHashCache::Sha256(const std::string& file) {
  std::error_code ec;
  const fs::path abs = fs::absolute(file, ec);
  const auto size = fs::file_size(file, ec);
  if (ec) throw Error(file + ": cannot read (" + ec.message() + ")");
  const auto mtime = fs::last_write_time(file, ec);
  if (ec) throw Error(file + ": cannot read (" + ec.message() + ")");
  const long long mtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count();
  const std::string key = abs.lexically_normal().string();

  if (entries_.contains(key)) {
    const auto& e = entries_[key];
    // A damaged entry is a cache miss (json == compares types too).
    if (e.is_object() && e.contains("size") && e["size"] == static_cast<long long>(size) && e.contains("mtime_ns") &&
        e["mtime_ns"] == mtime_ns && e.contains("sha256") && e["sha256"].is_string())
      return e["sha256"].get<std::string>();
  }
  std::string digest = Sha256File(file);
  ++computed_;
  entries_[key] = {{"size", size}, {"mtime_ns", mtime_ns}, {"sha256", digest}};
  dirty_ = true;
  return digest;
}

void FileHashCache::Save() {
  if (!dirty_ || cache_path_.empty()) return;
  WriteFileAtomic(cache_path_, DumpJson({{"files", entries_}}, 2) + "\n");
  dirty_ = false;
}

}  // namespace bhasa

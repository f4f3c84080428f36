// FileHashCache: sha256 of files, remembered by absolute path, size and
// modification time in a JSON file (a run directory's file_hashes.json), so a
// resumed run does not rehash a multi-gigabyte model that has not changed.
//
// Not thread-safe. Failure: Sha256 throws bhasa::Error naming an unreadable
// file; an unreadable or malformed cache file is ignored (it is only a cache).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace bhasa {

class FileHashCache {
 public:
  // `cache_path` "" keeps the hashes in memory only.
  explicit FileHashCache(std::string cache_path);

  // Lowercase hex sha256 of the file's content.
  std::string Sha256(const std::string& file);
  // Files hashed (not found in the cache) since construction.
  int computed() const { return computed_; }
  // Writes the cache file atomically when an entry changed.
  void Save();

 private:
  std::string cache_path_;
  nlohmann::json entries_ = nlohmann::json::object();  // absolute path -> {size, mtime_ns, sha256}
  int computed_ = 0;
  bool dirty_ = false;
};

}  // namespace bhasa

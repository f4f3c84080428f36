// MappedFile: a whole file mapped read-only into memory (POSIX mmap).
// Ownership: unmaps on destruction. Thread-safety: immutable after Open.
// Failure: Open throws bhasa::Error naming the path. An empty file maps to
// size() == 0 and data() == nullptr.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace bhasa {

class MappedFile {
 public:
  // `populate` maps every page now (a file about to be read whole);
  // otherwise pages are read as they are touched.
  static std::shared_ptr<const MappedFile> Open(const std::string& path, bool populate = false);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // Bytes readable from data(): size() rounded up to whole pages (the bytes
  // past the file's end read as zero).
  size_t readable_size() const;
  // Maps the pages of [offset, offset + length) now, in one call rather than
  // a fault per few pages; threads can each populate their own part. Best
  // effort: a kernel without MADV_POPULATE_READ (before 5.14) faults them in
  // as they are read.
  void Populate(size_t offset, size_t length) const;
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace bhasa

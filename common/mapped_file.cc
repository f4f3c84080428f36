#include "common/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "common/error.h"

namespace bhasa {

std::shared_ptr<const MappedFile> MappedFile::Open(const std::string& path, bool populate) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path + ": not a regular file");
  }
  std::shared_ptr<MappedFile> f(new MappedFile());
  f->path_ = path;
  f->size_ = static_cast<size_t>(st.st_size);
  if (f->size_ > 0) {
    void* p = ::mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0), fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      throw Error(path + ": mmap failed: " + std::strerror(err));
    }
    f->data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);  // the mapping keeps the file alive
  return f;
}

size_t MappedFile::readable_size() const {
  const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return (size_ + page - 1) / page * page;
}

void MappedFile::Populate(size_t offset, size_t length) const {
#if defined(MADV_POPULATE_READ)
  if (!data_ || offset >= size_) return;
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(data_ + offset) / page * page;
  const auto end = reinterpret_cast<uintptr_t>(data_ + std::min(size_, offset + length));
  ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_READ);  // best effort
#else
  (void)offset;
  (void)length;
#endif
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace bhasa

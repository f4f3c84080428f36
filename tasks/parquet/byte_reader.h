// ByteReader: a bounds-checked cursor over bytes for the parquet decoders.
// Every read checks the remaining length first and throws bhasa::Error("...")
// naming what was being read; callers add the file/column/page context.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/error.h"

namespace bhasa::tasks::parquet {

class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(std::string_view bytes) : data_(bytes) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }
  std::string_view rest() const { return data_.substr(pos_); }

  void Need(uint64_t n, const char* what) const {
    if (n > remaining())
      throw Error(std::string(what) + " needs " + std::to_string(n) + " bytes, only " +
                  std::to_string(remaining()) + " remain");
  }
  std::string_view Take(uint64_t n, const char* what) {
    Need(n, what);
    std::string_view s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  void Skip(uint64_t n, const char* what) { Take(n, what); }
  uint8_t Byte(const char* what) {
    Need(1, what);
    return static_cast<uint8_t>(data_[pos_++]);
  }
  template <typename T>
  T Fixed(const char* what) {
    Need(sizeof(T), what);
    T v;
    std::memcpy(&v, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  // ULEB128, at most 10 bytes.
  uint64_t Varint(const char* what) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = Byte(what);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    throw Error(std::string(what) + ": varint longer than 10 bytes");
  }
  int64_t ZigZag(const char* what) {
    uint64_t u = Varint(what);
    return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace bhasa::tasks::parquet

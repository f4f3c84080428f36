// A reader for Thrift's compact protocol, the encoding of parquet's footer
// and page headers. Structs are read field by field: the caller switches on
// the field id and reads the value with the matching method; unknown fields
// are skipped. Nesting depth and collection sizes are bounded by the bytes
// that remain, so a hostile footer cannot allocate or recurse without limit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tasks/parquet/byte_reader.h"

namespace bhasa::tasks::parquet {

enum class ThriftType : uint8_t {
  kStop = 0, kTrue = 1, kFalse = 2, kByte = 3, kI16 = 4, kI32 = 5, kI64 = 6,
  kDouble = 7, kBinary = 8, kList = 9, kSet = 10, kMap = 11, kStruct = 12,
};

struct ThriftField {
  int16_t id = 0;
  ThriftType type = ThriftType::kStop;
};

struct ThriftList {
  ThriftType elem = ThriftType::kStop;
  uint32_t size = 0;
};

class ThriftReader {
 public:
  explicit ThriftReader(ByteReader& in) : in_(in) {}

  // Struct framing: BeginStruct, then NextField until it returns false.
  void BeginStruct();
  bool NextField(ThriftField& f);  // false at the struct's STOP (and ends it)

  bool Bool(const ThriftField& f);  // compact bools live in the field header
  int32_t I32();
  int64_t I64();
  std::string String();
  ThriftList List();  // then read `size` elements of type `elem`
  void Skip(ThriftType t);

 private:
  void SkipElement(ThriftType t);

  ByteReader& in_;
  int16_t last_id_[64] = {};
  int depth_ = -1;
  int skip_depth_ = 0;
};

}  // namespace bhasa::tasks::parquet

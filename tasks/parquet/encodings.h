// Parquet value and level encodings: PLAIN, the RLE/bit-packed hybrid,
// dictionary indices, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and
// DELTA_BYTE_ARRAY. Decoders append to typed vectors and throw Error("...")
// when the bytes run out or a count or width is impossible; they never read
// past the span they are given.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tasks/parquet/byte_reader.h"
#include "tasks/parquet/metadata.h"

namespace bhasa::tasks::parquet {

// The decoded values of one leaf column (nulls are not stored: the
// definition levels say where they are). Strings view page buffers that
// `arena` or the file keeps alive.
struct ColumnValues {
  PhysicalType type = PhysicalType::kInt32;
  std::vector<int64_t> ints;    // BOOLEAN (0/1), INT32, INT64
  std::vector<double> reals;    // FLOAT, DOUBLE
  std::vector<std::string_view> strings;  // BYTE_ARRAY
  std::vector<std::unique_ptr<std::string>> arena;

  size_t size() const;
  void AppendFrom(const ColumnValues& dict, uint32_t index);  // index checked by the caller
};

// RLE/bit-packed hybrid (levels, dictionary indices, RLE booleans): appends
// exactly `count` values of `bit_width` (0..32) bits.
template <typename T>
void DecodeRleHybrid(ByteReader& in, int bit_width, size_t count, std::vector<T>& out);

// PLAIN: `count` values of `type` (BOOLEAN, INT32, INT64, FLOAT, DOUBLE, BYTE_ARRAY).
void DecodePlain(ByteReader& in, size_t count, ColumnValues& out);

// DELTA_BINARY_PACKED integers; consumes exactly the encoded bytes.
void DecodeDeltaBinaryPacked(ByteReader& in, size_t count, std::vector<int64_t>& out);
void DecodeDeltaLengthByteArray(ByteReader& in, size_t count, ColumnValues& out);
void DecodeDeltaByteArray(ByteReader& in, size_t count, ColumnValues& out);

}  // namespace bhasa::tasks::parquet

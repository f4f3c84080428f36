// Parquet's footer (FileMetaData) and page headers: the fields this reader
// uses, parsed from Thrift compact bytes. Enum values are the format's own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tasks/parquet/byte_reader.h"

namespace bhasa::tasks::parquet {

enum class PhysicalType : int32_t {
  kBoolean = 0, kInt32 = 1, kInt64 = 2, kInt96 = 3, kFloat = 4, kDouble = 5, kByteArray = 6, kFixedLenByteArray = 7,
};
enum class Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };
enum class Codec : int32_t { kUncompressed = 0, kSnappy = 1, kGzip = 2, kLzo = 3, kBrotli = 4, kLz4 = 5, kZstd = 6, kLz4Raw = 7 };
enum class Encoding : int32_t {
  kPlain = 0, kPlainDictionary = 2, kRle = 3, kBitPacked = 4, kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6, kDeltaByteArray = 7, kRleDictionary = 8, kByteStreamSplit = 9,
};
enum class PageType : int32_t { kDataPage = 0, kIndexPage = 1, kDictionaryPage = 2, kDataPageV2 = 3 };

// Converted (legacy) types this reader acts on.
inline constexpr int32_t kConvertedUtf8 = 0, kConvertedMap = 1, kConvertedMapKeyValue = 2, kConvertedList = 3;

struct SchemaElement {
  std::optional<PhysicalType> type;  // absent for groups
  Repetition repetition = Repetition::kRequired;
  std::string name;
  int32_t num_children = 0;
  std::optional<int32_t> converted_type;
  bool logical_list = false, logical_map = false, logical_string = false;
};

struct ColumnMetaData {
  PhysicalType type = PhysicalType::kInt32;
  std::vector<std::string> path;
  std::vector<Encoding> encodings;  // every encoding used in the chunk's pages
  Codec codec = Codec::kUncompressed;
  int64_t num_values = 0;
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
};

struct RowGroup {
  std::vector<ColumnMetaData> columns;
  int64_t num_rows = 0;
};

struct FileMetaData {
  std::vector<SchemaElement> schema;  // depth-first, the root first
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
};

struct PageHeader {
  PageType type = PageType::kDataPage;
  int32_t uncompressed_size = 0;
  int32_t compressed_size = 0;
  int32_t num_values = 0;
  Encoding encoding = Encoding::kPlain;
  // Data page v2 only: level bytes (never compressed) precede the values.
  int32_t def_levels_bytes = 0, rep_levels_bytes = 0;
  bool v2_values_compressed = true;
};

// Both throw Error("...") naming the field that is malformed.
FileMetaData ParseFileMetaData(std::string_view footer);
PageHeader ParsePageHeader(ByteReader& in);

}  // namespace bhasa::tasks::parquet

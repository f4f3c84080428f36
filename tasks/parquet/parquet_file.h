// Reading a whole parquet file into rows: each row is a JSON object with the
// value the Hugging Face `datasets` library gives for it (nulls kept; lists
// and structs nested; maps as lists of [key, value] pairs).
//
// Supported: data pages v1 and v2, dictionary pages; PLAIN, RLE/bit-packed,
// PLAIN_DICTIONARY/RLE_DICTIONARY, DELTA_BINARY_PACKED,
// DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY; UNCOMPRESSED, SNAPPY, GZIP,
// ZSTD; BOOLEAN, INT32, INT64, FLOAT, DOUBLE, BYTE_ARRAY (as UTF-8 strings).
// Anything else, and any malformed or hostile file, throws Error naming the
// file and, where it applies, the row group, column and page. Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace bhasa::tasks::parquet {

std::vector<nlohmann::json> ReadParquetFile(const std::string& path);
// `bytes` is a whole file; `name` is used in error messages.
std::vector<nlohmann::json> ParseParquet(std::string_view bytes, const std::string& name);

}  // namespace bhasa::tasks::parquet

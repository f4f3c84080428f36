// Reads one column chunk: its pages (dictionary, data v1 and v2), each
// decompressed and decoded into definition levels, repetition levels and
// the non-null values.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tasks/parquet/encodings.h"
#include "tasks/parquet/metadata.h"
#include "tasks/parquet/schema.h"

namespace bhasa::tasks::parquet {

struct ColumnChunkData {
  std::vector<uint16_t> def, rep;  // one per value slot; empty when the max level is 0
  size_t num_slots = 0;
  ColumnValues values;             // only where def == max_def
};

// `file` is the whole file (offsets are absolute). Throws Error("page N: ...")
// for anything out of bounds, inconsistent or unsupported; the caller adds
// the file, row group and column.
ColumnChunkData ReadColumnChunk(std::string_view file, const ColumnMetaData& meta, const Leaf& leaf);

}  // namespace bhasa::tasks::parquet

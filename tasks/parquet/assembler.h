// Record assembly: places one leaf column's values into the rows' JSON,
// following its definition and repetition levels (nulls, empty lists, list
// elements, struct fields, map entries). Every leaf of a row group writes
// into the same rows; leaves that share a list reuse its elements.
#pragma once

#include <span>

#include <nlohmann/json.hpp>

#include "tasks/parquet/column_reader.h"
#include "tasks/parquet/schema.h"

namespace bhasa::tasks::parquet {

// `rows` holds the row group's rows (objects), sized by the caller. Throws
// Error("...") when the levels describe a different number of rows or are
// inconsistent (a first repetition level that is not 0, values missing).
void AssembleColumn(const Leaf& leaf, const ColumnChunkData& data, std::span<nlohmann::json> rows);

}  // namespace bhasa::tasks::parquet

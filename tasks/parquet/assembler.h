// Record assembly: places one leaf column's values into rows' JSON,
// following its definition and repetition levels (nulls, empty lists, list
// elements, struct fields, map entries). Every leaf of a row group writes
// into the same rows; leaves that share a list reuse its elements. Rows are
// assembled one at a time across all leaves, so each row stays in cache, and
// blocks of rows in parallel where every leaf's levels say where each block
// starts.
#pragma once

#include <span>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tasks/parquet/column_reader.h"
#include "tasks/parquet/schema.h"

namespace bhasa::tasks::parquet {

class LeafAssembler {
 public:
  // `leaf` and `data` must outlive the assembler. Throws Error when the level
  // and value counts disagree.
  LeafAssembler(const Leaf& leaf, const ColumnChunkData& data);
  // Starts at value slot `slot` (a row start), whose value, if any, is `value`.
  LeafAssembler(const Leaf& leaf, const ColumnChunkData& data, size_t slot, size_t value);

  // Writes this leaf's part of the next row into `row`. Throws Error when the
  // levels are inconsistent (a row that does not start at repetition level 0,
  // fewer rows or values than the levels say).
  void NextRow(nlohmann::json& row);
  // Throws Error when values or levels are left over after the last row.
  void Finish(size_t rows) const;
  // Where the next row starts: the slot and value index.
  std::pair<size_t, size_t> position() const { return {slot_, value_}; }

 private:
  void Place(nlohmann::json& row, int d);

  const Leaf& leaf_;
  const ColumnChunkData& data_;
  std::vector<size_t> index_;  // the current element of each repeated level
  size_t slot_ = 0, value_ = 0;
};

// Assembles `rows` (one per row of the row group; each becomes an object)
// from every leaf. Throws Error naming the column for the first bad row in row
// order, whether or not the rows were assembled in parallel.
void AssembleRows(std::span<const Leaf> leaves, std::span<const ColumnChunkData> data, std::span<nlohmann::json> rows);

}  // namespace bhasa::tasks::parquet

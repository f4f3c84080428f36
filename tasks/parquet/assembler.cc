#include "tasks/parquet/assembler.h"

#include <algorithm>
#include <atomic>

#include <tbb/parallel_for.h>

namespace bhasa::tasks::parquet {
namespace {

constexpr size_t kBlockRows = 2048;

// The slot and value index at which each block of kBlockRows rows starts,
// plus the end; false when the levels do not divide into `rows` rows (the
// serial assembly then names the problem).
bool BlockStarts(const Leaf& leaf, const ColumnChunkData& d, size_t rows, std::vector<std::pair<size_t, size_t>>* starts) {
  starts->clear();
  size_t row = 0, value = 0;
  for (size_t s = 0; s < d.num_slots; ++s) {
    if (!leaf.max_rep || d.rep[s] == 0) {
      if (row % kBlockRows == 0) starts->emplace_back(s, value);
      ++row;
    } else if (s == 0) {
      return false;
    }
    if (!leaf.max_def || d.def[s] == leaf.max_def) ++value;  // values are stored where def == max_def
  }
  if (row != rows || value != d.values.size()) return false;
  starts->emplace_back(d.num_slots, value);
  return true;
}

void AssembleSerially(std::span<const Leaf> leaves, std::span<const ColumnChunkData> data,
                      std::span<nlohmann::json> rows) {
  std::vector<LeafAssembler> cursors;
  cursors.reserve(leaves.size());
  size_t c = 0;
  try {
    for (c = 0; c < leaves.size(); ++c) cursors.emplace_back(leaves[c], data[c]);
    for (auto& row : rows) {
      row = nlohmann::json::object();
      for (c = 0; c < cursors.size(); ++c) cursors[c].NextRow(row);
    }
    for (c = 0; c < cursors.size(); ++c) cursors[c].Finish(rows.size());
  } catch (const Error& e) {
    throw Error("column '" + leaves[c].path + "': " + e.what());
  }
}

// Blocks of rows in parallel, each leaf's cursor placed at the block's start.
// False (rows then undefined) when any block meets a problem or does not end
// where the next one starts.
bool AssembleInBlocks(std::span<const Leaf> leaves, std::span<const ColumnChunkData> data,
                      std::span<nlohmann::json> rows) {
  std::vector<std::vector<std::pair<size_t, size_t>>> starts(leaves.size());
  for (size_t c = 0; c < leaves.size(); ++c)
    if (!BlockStarts(leaves[c], data[c], rows.size(), &starts[c])) return false;
  const size_t blocks = (rows.size() + kBlockRows - 1) / kBlockRows;
  std::atomic<bool> ok = true;
  tbb::parallel_for(size_t{0}, blocks, [&](size_t b) {
    if (!ok) return;
    try {
      std::vector<LeafAssembler> cursors;
      cursors.reserve(leaves.size());
      for (size_t c = 0; c < leaves.size(); ++c)
        cursors.emplace_back(leaves[c], data[c], starts[c][b].first, starts[c][b].second);
      const size_t end = std::min(rows.size(), (b + 1) * kBlockRows);
      for (size_t r = b * kBlockRows; r < end; ++r) {
        rows[r] = nlohmann::json::object();
        for (auto& cursor : cursors) cursor.NextRow(rows[r]);
      }
      for (size_t c = 0; c < leaves.size(); ++c)
        if (cursors[c].position() != starts[c][b + 1]) ok = false;
    } catch (const Error&) {
      ok = false;
    }
  });
  return ok;
}

nlohmann::json ValueAt(const ColumnValues& v, size_t i) {
  switch (v.type) {
    case PhysicalType::kBoolean: return v.ints[i] != 0;
    case PhysicalType::kFloat:
    case PhysicalType::kDouble: return v.reals[i];
    case PhysicalType::kByteArray: return std::string(v.strings[i]);
    default: return v.ints[i];
  }
}

}  // namespace

LeafAssembler::LeafAssembler(const Leaf& leaf, const ColumnChunkData& data) : LeafAssembler(leaf, data, 0, 0) {}

LeafAssembler::LeafAssembler(const Leaf& leaf, const ColumnChunkData& data, size_t slot, size_t value)
    : leaf_(leaf), data_(data), index_(static_cast<size_t>(leaf.max_rep) + 1, 0), slot_(slot), value_(value) {
  const size_t n = data.num_slots;
  if ((leaf.max_def > 0 && data.def.size() != n) || (leaf.max_rep > 0 && data.rep.size() != n))
    throw Error("level counts disagree with the value count");
}

void LeafAssembler::NextRow(nlohmann::json& row) {
  const size_t n = data_.num_slots;
  if (slot_ >= n) throw Error("holds fewer rows than the row group");
  if (leaf_.max_rep && data_.rep[slot_] != 0)
    throw Error("row starts at repetition level " + std::to_string(data_.rep[slot_]) + ", not 0");
  std::fill(index_.begin(), index_.end(), 0);
  Place(row, leaf_.max_def ? data_.def[slot_] : 0);
  ++slot_;
  if (!leaf_.max_rep) return;
  for (; slot_ < n && data_.rep[slot_] != 0; ++slot_) {
    const int r = data_.rep[slot_];
    ++index_[r];
    std::fill(index_.begin() + r + 1, index_.end(), 0);
    Place(row, leaf_.max_def ? data_.def[slot_] : 0);
  }
}

void LeafAssembler::Place(nlohmann::json& row, int d) {
  using Step = AssemblyStep;
  nlohmann::json* slot = &row;
  for (const Step& s : leaf_.steps) {
    if (s.enter == Step::Enter::kKey) {
      slot = &(*slot)[s.key];
    } else if (s.enter == Step::Enter::kPosition) {
      if (!slot->is_array() || slot->size() != 2) *slot = nlohmann::json::array({nullptr, nullptr});
      slot = &(*slot)[static_cast<size_t>(s.position)];
    }
    if (d < s.null_below) {
      *slot = nullptr;
      return;
    }
    if (s.shape == Step::Shape::kValue) {
      if (value_ >= data_.values.size()) throw Error("fewer values than definition levels say");
      *slot = ValueAt(data_.values, value_++);
      return;
    }
    if (s.shape == Step::Shape::kObject) {
      if (!slot->is_object()) *slot = nlohmann::json::object();
      continue;
    }
    if (!slot->is_array()) *slot = nlohmann::json::array();
    if (d < s.elements_from) return;  // an empty list
    const size_t k = index_[static_cast<size_t>(s.rep)];
    while (slot->size() <= k) slot->push_back(nullptr);
    slot = &(*slot)[k];
  }
}

void LeafAssembler::Finish(size_t rows) const {
  if (slot_ != data_.num_slots)
    throw Error("holds more than the row group's " + std::to_string(rows) + " rows");
  if (value_ != data_.values.size())
    throw Error("holds " + std::to_string(data_.values.size()) + " values, the levels place " + std::to_string(value_));
}

void AssembleRows(std::span<const Leaf> leaves, std::span<const ColumnChunkData> data, std::span<nlohmann::json> rows) {
  if (rows.size() > kBlockRows && AssembleInBlocks(leaves, data, rows)) return;
  AssembleSerially(leaves, data, rows);  // also the one that names a problem
}

}  // namespace bhasa::tasks::parquet

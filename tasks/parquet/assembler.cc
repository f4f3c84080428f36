#include "tasks/parquet/assembler.h"

namespace bhasa::tasks::parquet {
namespace {

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

LeafAssembler::LeafAssembler(const Leaf& leaf, const ColumnChunkData& data)
    : leaf_(leaf), data_(data), index_(static_cast<size_t>(leaf.max_rep) + 1, 0) {
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
  std::vector<LeafAssembler> cursors;
  cursors.reserve(leaves.size());
  size_t c = 0;
  try {
    for (c = 0; c < leaves.size(); ++c) cursors.emplace_back(leaves[c], data[c]);
    for (auto& row : rows)
      for (c = 0; c < cursors.size(); ++c) cursors[c].NextRow(row);
    for (c = 0; c < cursors.size(); ++c) cursors[c].Finish(rows.size());
  } catch (const Error& e) {
    throw Error("column '" + leaves[c].path + "': " + e.what());
  }
}

}  // namespace bhasa::tasks::parquet

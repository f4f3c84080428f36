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

void AssembleColumn(const Leaf& leaf, const ColumnChunkData& data, std::span<nlohmann::json> rows) {
  using Step = AssemblyStep;
  const size_t n = data.num_slots;
  if ((leaf.max_def > 0 && data.def.size() != n) || (leaf.max_rep > 0 && data.rep.size() != n))
    throw Error("level counts disagree with the value count");
  std::vector<size_t> index(static_cast<size_t>(leaf.max_rep) + 1, 0);
  size_t value = 0;
  long row = -1;
  const size_t n_values = data.values.size();
  for (size_t i = 0; i < n; ++i) {
    const int r = leaf.max_rep ? data.rep[i] : 0;
    const int d = leaf.max_def ? data.def[i] : 0;
    if (r == 0) {
      if (++row >= static_cast<long>(rows.size()))
        throw Error("holds more rows than the row group's " + std::to_string(rows.size()));
      std::fill(index.begin(), index.end(), 0);
    } else {
      if (row < 0) throw Error("first repetition level is " + std::to_string(r) + ", not 0");
      ++index[r];
      std::fill(index.begin() + r + 1, index.end(), 0);
    }
    nlohmann::json* slot = &rows[static_cast<size_t>(row)];
    for (const Step& s : leaf.steps) {
      if (s.enter == Step::Enter::kKey) {
        slot = &(*slot)[s.key];
      } else if (s.enter == Step::Enter::kPosition) {
        if (!slot->is_array() || slot->size() != 2) *slot = nlohmann::json::array({nullptr, nullptr});
        slot = &(*slot)[static_cast<size_t>(s.position)];
      }
      if (d < s.null_below) {
        *slot = nullptr;
        break;
      }
      if (s.shape == Step::Shape::kValue) {
        if (value >= n_values) throw Error("fewer values than definition levels say");
        *slot = ValueAt(data.values, value++);
        break;
      }
      if (s.shape == Step::Shape::kObject) {
        if (!slot->is_object()) *slot = nlohmann::json::object();
        continue;
      }
      if (!slot->is_array()) *slot = nlohmann::json::array();
      if (d < s.elements_from) break;  // an empty list
      const size_t k = index[static_cast<size_t>(s.rep)];
      while (slot->size() <= k) slot->push_back(nullptr);
      slot = &(*slot)[k];
    }
  }
  if (row + 1 != static_cast<long>(rows.size()))
    throw Error("holds " + std::to_string(row + 1) + " rows, the row group says " + std::to_string(rows.size()));
  if (value != n_values) throw Error("holds " + std::to_string(n_values) + " values, the levels place " + std::to_string(value));
}

}  // namespace bhasa::tasks::parquet

// The parquet schema as this reader uses it: one Leaf per physical column,
// with its maximum definition/repetition levels and the steps that place
// its values into a row's JSON (struct keys, list elements, map entries).
#pragma once

#include <string>
#include <vector>

#include "tasks/parquet/metadata.h"

namespace bhasa::tasks::parquet {

// One move from a parent JSON slot to a child slot, then what the slot is.
struct AssemblyStep {
  enum class Enter { kKey, kPosition, kNone } enter = Enter::kNone;
  std::string key;       // kKey: the struct field
  int position = 0;      // kPosition: 0 = map key, 1 = map value
  int null_below = -1;   // the slot is null when the definition level is below this
  enum class Shape { kValue, kObject, kList } shape = Shape::kValue;
  int elements_from = 0; // kList: elements exist at definition levels >= this
  int rep = 0;           // kList: the repetition level that starts a new element
  bool map_entries = false;  // kList: elements are [key, value] pairs
};

struct Leaf {
  std::string path;  // dotted physical path, for messages
  PhysicalType type = PhysicalType::kInt32;
  int max_def = 0, max_rep = 0;
  std::vector<AssemblyStep> steps;
};

// Leaves in column order; throws Error("schema: ...") for a malformed tree
// (children past the end, a LIST without a repeated child, too deep).
std::vector<Leaf> BuildLeaves(const std::vector<SchemaElement>& schema);

}  // namespace bhasa::tasks::parquet

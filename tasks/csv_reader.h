// CSV files (RFC 4180: quoted fields, doubled quotes, newlines inside
// quotes) read into row objects keyed by the header, with each column's type
// inferred the way the `datasets` CSV loader (pandas) does: a column whose
// non-empty cells are all integers holds integers, all numbers holds floats,
// otherwise strings; an empty unquoted cell is null.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace bhasa::tasks {

// Throws Error("name:line: ...") for an unterminated quote, a row with more
// cells than the header, a duplicate or empty header, invalid UTF-8.
std::vector<nlohmann::json> ParseCsv(std::string_view text, const std::string& name);

}  // namespace bhasa::tasks

#include "harness/columns.h"

#include <algorithm>

namespace bhasa {

namespace {

size_t Width(const std::string& s) {
  // Continuation bytes (10xxxxxx) do not start a code point.
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

std::string FormatColumns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) {
      if (widths.size() <= c) widths.push_back(0);
      widths[c] = std::max(widths[c], Width(row[c]));
    }
  std::string out;
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      out += row[c];
      if (c + 1 < row.size()) out += std::string(widths[c] - Width(row[c]) + 2, ' ');
    }
    out += "\n";
  }
  return out;
}

}  // namespace bhasa

// Plain-text tables for terminal output: every column as wide as its widest cell.
#pragma once

#include <string>
#include <vector>

namespace bhasa {

// One line per row, cells separated by two spaces (widths counted in UTF-8
// code points), the last cell not padded.
std::string FormatColumns(const std::vector<std::vector<std::string>>& rows);

}  // namespace bhasa

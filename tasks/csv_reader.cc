#include "tasks/csv_reader.h"

#include <charconv>
#include <set>

#include "common/error.h"

namespace bhasa::tasks {
namespace {

struct Cell {
  std::string text;
  bool quoted = false;
};

// Splits into records of cells; `lines` gets each record's first line number.
std::vector<std::vector<Cell>> SplitRecords(std::string_view s, const std::string& name, std::vector<long>& lines) {
  std::vector<std::vector<Cell>> records;
  std::vector<Cell> record;
  Cell cell;
  long line = 1, record_line = 1;
  size_t i = 0;
  if (s.substr(0, 3) == "\xEF\xBB\xBF") i = 3;  // byte-order mark
  auto end_cell = [&] { record.push_back(std::move(cell)); cell = Cell{}; };
  auto end_record = [&] {
    end_cell();
    if (!(record.size() == 1 && record[0].text.empty() && !record[0].quoted)) {  // skip blank lines
      records.push_back(std::move(record));
      lines.push_back(record_line);
    }
    record.clear();
  };
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"' && cell.text.empty() && !cell.quoted) {
      cell.quoted = true;
      const long start = line;
      for (++i;; ++i) {
        if (i >= s.size()) throw FileError(name, start, "unterminated quoted field");
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') { cell.text += '"'; ++i; continue; }
          ++i;
          break;
        }
        if (s[i] == '\n') ++line;
        cell.text += s[i];
      }
      continue;
    }
    if (c == ',') { end_cell(); ++i; continue; }
    if (c == '\r' || c == '\n') {
      end_record();
      if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      ++i;
      record_line = ++line;
      continue;
    }
    cell.text += c;
    ++i;
  }
  if (!cell.text.empty() || cell.quoted || !record.empty()) end_record();
  return records;
}

bool IsInteger(const std::string& t, int64_t* v) {
  const char* b = t.data() + (!t.empty() && t[0] == '+');
  auto [p, ec] = std::from_chars(b, t.data() + t.size(), *v);
  return ec == std::errc() && p == t.data() + t.size() && b != p;
}
bool IsNumber(const std::string& t, double* v) {
  const char* b = t.data() + (!t.empty() && t[0] == '+');
  auto [p, ec] = std::from_chars(b, t.data() + t.size(), *v);
  return ec == std::errc() && p == t.data() + t.size() && b != p;
}

}  // namespace

std::vector<nlohmann::json> ParseCsv(std::string_view text, const std::string& name) {
  std::vector<long> lines;
  auto records = SplitRecords(text, name, lines);
  if (records.empty()) return {};
  std::vector<std::string> header;
  std::set<std::string> seen;
  for (auto& c : records[0]) {
    if (c.text.empty()) throw FileError(name, 1, "empty column name in the header");
    if (!seen.insert(c.text).second) throw FileError(name, 1, "duplicate column '" + c.text + "' in the header");
    header.push_back(c.text);
  }
  enum Kind { kInt, kFloat, kString };
  std::vector<Kind> kind(header.size(), kInt);
  for (size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() > header.size())
      throw FileError(name, lines[r], std::to_string(records[r].size()) + " cells, the header has " +
                                          std::to_string(header.size()) + " columns");
    for (size_t c = 0; c < records[r].size(); ++c) {
      const Cell& cell = records[r][c];
      if (cell.text.empty() && !cell.quoted) continue;
      int64_t i;
      double d;
      if (kind[c] == kInt && !IsInteger(cell.text, &i)) kind[c] = kFloat;
      if (kind[c] == kFloat && !IsNumber(cell.text, &d)) kind[c] = kString;
    }
  }
  std::vector<nlohmann::json> rows;
  for (size_t r = 1; r < records.size(); ++r) {
    nlohmann::json row = nlohmann::json::object();
    for (size_t c = 0; c < header.size(); ++c) {
      if (c >= records[r].size()) { row[header[c]] = nullptr; continue; }
      const Cell& cell = records[r][c];
      if (cell.text.empty() && !cell.quoted) { row[header[c]] = nullptr; continue; }
      int64_t i;
      double d;
      if (kind[c] == kInt && IsInteger(cell.text, &i)) row[header[c]] = i;
      else if (kind[c] != kString && IsNumber(cell.text, &d)) row[header[c]] = d;
      else row[header[c]] = cell.text;
    }
    try {
      (void)row.dump();  // rejects invalid UTF-8 here, with the line
    } catch (const nlohmann::json::exception&) {
      throw FileError(name, lines[r], "invalid UTF-8");
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace bhasa::tasks

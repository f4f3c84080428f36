#include "tasks/parquet/parquet_file.h"

#include <cstring>

#include "common/error.h"
#include "common/fs.h"
#include "tasks/parquet/assembler.h"
#include "tasks/parquet/column_reader.h"
#include "tasks/parquet/metadata.h"
#include "tasks/parquet/schema.h"

namespace bhasa::tasks::parquet {
namespace {

constexpr std::string_view kMagic = "PAR1";
constexpr int64_t kMaxRows = int64_t{1} << 31;

FileMetaData ReadFooter(std::string_view bytes) {
  if (bytes.size() < 12) throw Error("not a parquet file: " + std::to_string(bytes.size()) + " bytes is too short");
  if (bytes.substr(0, 4) != kMagic) throw Error("not a parquet file: bad magic at the start");
  if (bytes.substr(bytes.size() - 4) != kMagic) throw Error("bad magic at the end (truncated or encrypted file)");
  uint32_t footer_len;
  std::memcpy(&footer_len, bytes.data() + bytes.size() - 8, 4);
  if (footer_len > bytes.size() - 12)
    throw Error("footer length " + std::to_string(footer_len) + " runs past the start of the file");
  try {
    return ParseFileMetaData(bytes.substr(bytes.size() - 8 - footer_len, footer_len));
  } catch (const Error& e) {
    throw Error(std::string("footer: ") + e.what());
  }
}

}  // namespace

std::vector<nlohmann::json> ParseParquet(std::string_view bytes, const std::string& name) {
  std::vector<nlohmann::json> rows;
  FileMetaData md;
  std::vector<Leaf> leaves;
  try {
    md = ReadFooter(bytes);
    leaves = BuildLeaves(md.schema);
  } catch (const Error& e) {
    throw Error(name + ": " + e.what());
  }
  int64_t total = 0;
  for (size_t g = 0; g < md.row_groups.size(); ++g) {
    const RowGroup& rg = md.row_groups[g];
    const std::string where = name + ": row group " + std::to_string(g);
    if (rg.columns.size() != leaves.size())
      throw Error(where + ": " + std::to_string(rg.columns.size()) + " column chunks, the schema has " +
                  std::to_string(leaves.size()) + " columns");
    if (leaves.empty() && rg.num_rows > 0) throw Error(where + ": rows without any column");
    total += rg.num_rows;
    if (rg.num_rows > kMaxRows || total > kMaxRows) throw Error(where + ": more than " + std::to_string(kMaxRows) + " rows");
    std::vector<ColumnChunkData> data;
    data.reserve(leaves.size());
    for (size_t c = 0; c < leaves.size(); ++c) {
      try {
        data.push_back(ReadColumnChunk(bytes, rg.columns[c], leaves[c]));
        // Every row has at least one slot in every column: this bounds the
        // rows allocated below by the data actually decoded.
        if (data.back().num_slots < static_cast<size_t>(rg.num_rows))
          throw Error("holds " + std::to_string(data.back().num_slots) + " values, fewer than the row group's " +
                      std::to_string(rg.num_rows) + " rows");
      } catch (const Error& e) {
        throw Error(where + ", column '" + leaves[c].path + "': " + e.what());
      }
    }
    const size_t first = rows.size();
    rows.resize(first + static_cast<size_t>(rg.num_rows));  // null; assembly makes each an object
    try {
      AssembleRows(leaves, data, std::span<nlohmann::json>(rows).subspan(first));
    } catch (const Error& e) {
      throw Error(where + ", " + e.what());
    }
  }
  if (total != md.num_rows)
    throw Error(name + ": row groups hold " + std::to_string(total) + " rows, the footer says " + std::to_string(md.num_rows));
  return rows;
}

std::vector<nlohmann::json> ReadParquetFile(const std::string& path) { return ParseParquet(ReadFile(path), path); }

}  // namespace bhasa::tasks::parquet

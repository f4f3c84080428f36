#include "tasks/data_files.h"

#include "common/error.h"
#include "common/fs.h"
#include "common/jsonl.h"
#include "tasks/csv_reader.h"
#include "tasks/parquet/parquet_file.h"

namespace bhasa::tasks {
namespace {

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

void EachRow(std::vector<nlohmann::json>& rows, const std::string& path,
             const std::function<void(nlohmann::json&, long)>& fn) {
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].is_object())
      throw FileError(path, static_cast<long>(i + 1), std::string("row is not an object but ") + rows[i].type_name());
    fn(rows[i], static_cast<long>(i + 1));
  }
}

}  // namespace

bool DataFormatOf(const std::string& path, DataFormat* format) {
  if (EndsWith(path, ".jsonl")) *format = DataFormat::kJsonl;
  else if (EndsWith(path, ".json")) *format = DataFormat::kJson;
  else if (EndsWith(path, ".csv")) *format = DataFormat::kCsv;
  else if (EndsWith(path, ".parquet")) *format = DataFormat::kParquet;
  else return false;
  return true;
}

void ReadDataFile(const std::string& path, const std::function<void(nlohmann::json&, long)>& fn) {
  DataFormat format;
  if (!DataFormatOf(path, &format))
    throw Error(path + ": unknown data format (expected .jsonl, .json, .csv or .parquet)");
  switch (format) {
    case DataFormat::kJsonl: ReadJsonl(path, fn); return;
    case DataFormat::kParquet: {
      auto rows = parquet::ReadParquetFile(path);
      EachRow(rows, path, fn);
      return;
    }
    case DataFormat::kCsv: {
      auto rows = ParseCsv(ReadFile(path), path);
      EachRow(rows, path, fn);
      return;
    }
    case DataFormat::kJson: {
      const std::string text = ReadFile(path);
      const size_t first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
      if (first != std::string::npos && text[first] == '[') {
        nlohmann::json doc;
        try {
          doc = nlohmann::json::parse(text);
        } catch (const nlohmann::json::exception& e) {
          throw Error(path + ": malformed JSON: " + e.what());
        }
        std::vector<nlohmann::json> rows = std::move(doc.get_ref<nlohmann::json::array_t&>());
        EachRow(rows, path, fn);
        return;
      }
      ReadJsonl(path, fn);  // `datasets` also reads JSON Lines from a .json file
      return;
    }
  }
}

}  // namespace bhasa::tasks

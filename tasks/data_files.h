// Dataset files in every format the Hugging Face hub holds them: JSON Lines,
// JSON (an array of objects, or JSON Lines under a .json name), CSV and
// parquet (possibly split into shards). Each row is the JSON object the
// `datasets` library would give.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bhasa::tasks {

enum class DataFormat { kJsonl, kJson, kCsv, kParquet };

// By extension (.jsonl, .json, .csv, .parquet); false for anything else.
bool DataFormatOf(const std::string& path, DataFormat* format);

// Calls fn(row, n) for each row: n is the line number for JSON Lines and the
// 1-based row number otherwise. Throws Error naming the file (and line, row,
// column or page) for malformed input or a row that is not an object.
void ReadDataFile(const std::string& path, const std::function<void(nlohmann::json&, long)>& fn);

}  // namespace bhasa::tasks

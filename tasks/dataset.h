// Dataset rows in SEA-HELM's row schema (SPEC 4.2) from local JSONL files.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tasks/row_schema.h"

namespace bhasa::tasks {

// Where a task's rows live under --data-dir: DIR/<task>/<lang>/test.jsonl and
// DIR/<task>/<lang>/examples.jsonl (the few-shot pool, first N rows used).
std::string TestSplitPath(const std::string& data_dir, const std::string& task, const std::string& lang);
std::string ExampleSplitPath(const std::string& data_dir, const std::string& task, const std::string& lang);

// Reads rows and checks each against `schema` (CheckRow) and ids for
// uniqueness; throws Error("path:line: column 'c': problem") at the first bad
// row. Normalizes: a QA string label becomes a one-element list (SPEC 7.1), a
// row with only `question_id` gets `id` = it as a string, and `__line` holds
// the line number (dropped again from every output record).
std::vector<nlohmann::json> LoadRows(const std::string& path, const RowSchema& schema);

// The row id as a string (SEA-HELM v1 data had integer ids).
std::string RowId(const nlohmann::json& row);

// One problem found by CheckDataFile.
struct DataProblem {
  std::string file;
  long line = 0;        // 0: the file as a whole
  std::string column;   // "" for whole-line problems (malformed JSON)
  std::string problem;
  std::string row_id;   // "" when the row has no usable id
  std::string Format() const;  // "file:line: row 'r': column 'c': problem"
};

// "row 'r': missing column 'c'" / "row 'r': column 'c': problem".
std::string DescribeProblem(const std::string& row_id, const std::string& column, const std::string& problem);


// Checks every line of one JSONL file against `schema` without stopping at
// the first problem: malformed JSON, non-object lines, duplicate ids, and
// every CheckRow problem. Appends to `out`; returns the number of rows read.
// A missing file is one problem with line 0.
size_t CheckDataFile(const std::string& path, const RowSchema& schema, std::vector<DataProblem>& out);

// Checks one task × language under `data_dir`: test.jsonl always, and
// examples.jsonl when the task prompts with shots (fewshot_num_examples > 0
// for either model kind). Appends every problem; returns the rows read.
size_t CheckTaskData(const TaskConfig& config, const std::string& lang, const std::string& data_dir,
                     std::vector<DataProblem>& out);

}  // namespace bhasa::tasks

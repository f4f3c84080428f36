// Dataset rows in SEA-HELM's row schema (SPEC 4.2), from our JSONL layout or
// any source tasks/data_source.h finds (parquet, CSV, JSON; the hub cache).
#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tasks/data_source.h"
#include "tasks/row_schema.h"

namespace bhasa::tasks {

// Where a task's rows live under --data-dir: DIR/<task>/<lang>/test.jsonl and
// DIR/<task>/<lang>/examples.jsonl (the few-shot pool, first N rows used).
std::string TestSplitPath(const std::string& data_dir, const std::string& task, const std::string& lang);
std::string ExampleSplitPath(const std::string& data_dir, const std::string& task, const std::string& lang);
// The task whose rows a log-likelihood version (sentiment-logprobs →
// sentiment) reads when it has none of its own; "" for other tasks.
std::string LogprobRowsTask(const TaskConfig& config);

// Reads rows and checks each against `schema` (CheckRow) and ids for
// uniqueness; throws Error("path:line: column 'c': problem") at the first bad
// row (for parquet, CSV and JSON files the number is the row's, from 1).
// Normalizes: a QA string label becomes a one-element list (SPEC 7.1), a
// row with only `question_id` gets `id` = it as a string, and `__line` holds
// the line number (dropped again from every output record).
std::vector<nlohmann::json> LoadRows(const std::string& path, const RowSchema& schema);
// The same over a split's shards, ids unique across all of them.
std::vector<nlohmann::json> LoadRows(const SplitFiles& split, const RowSchema& schema);

// Locates and loads a split of `config` in `lang`; throws Error listing every
// place looked at when it is nowhere. `why` ends the message ("set --data-dir").
std::vector<nlohmann::json> LoadTaskSplit(const TaskConfig& config, const std::string& lang, Split split,
                                          const DataOptions& options, const RowSchema& schema);

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


// Checks every row of one data file against `schema` without stopping at
// the first problem: malformed JSON, non-object lines, duplicate ids, and
// every CheckRow problem. Appends to `out`; returns the number of rows read.
// A missing file is one problem with line 0; so is a parquet/CSV/JSON file
// that cannot be parsed. `ids` carries id uniqueness across shards.
size_t CheckDataFile(const std::string& path, const RowSchema& schema, std::vector<DataProblem>& out);
size_t CheckDataFile(const std::string& path, const RowSchema& schema, std::vector<DataProblem>& out,
                     std::set<std::string>& ids);

// Checks one task × language wherever its data is (LocateSplit): the test
// split always, and the examples split when the task prompts with shots
// (fewshot_num_examples > 0 for either model kind). Appends every problem;
// returns the rows read.
size_t CheckTaskData(const TaskConfig& config, const std::string& lang, const DataOptions& options,
                     std::vector<DataProblem>& out);
inline size_t CheckTaskData(const TaskConfig& config, const std::string& lang, const std::string& data_dir,
                            std::vector<DataProblem>& out) {
  return CheckTaskData(config, lang, DataOptions{data_dir, ""}, out);
}

}  // namespace bhasa::tasks

#include "tasks/dataset.h"

#include <algorithm>
#include <set>

#include "common/error.h"
#include "common/fs.h"
#include "common/jsonl.h"
#include "tasks/data_files.h"

namespace bhasa::tasks {

std::string TestSplitPath(const std::string& data_dir, const std::string& task, const std::string& lang) {
  return data_dir + "/" + task + "/" + lang + "/test.jsonl";
}
std::string ExampleSplitPath(const std::string& data_dir, const std::string& task, const std::string& lang) {
  return data_dir + "/" + task + "/" + lang + "/examples.jsonl";
}

std::string LogprobRowsTask(const TaskConfig& config) {
  const std::string tail = "-logprobs";
  if (!config.use_logprobs || !config.name.ends_with(tail)) return "";
  return config.name.substr(0, config.name.size() - tail.size());
}

std::string RowId(const nlohmann::json& row) {
  const nlohmann::json* id = RowIdField(row);
  if (!id) throw Error("row has no 'id' column");
  return id->is_string() ? id->get<std::string>() : id->dump();
}

std::string DescribeProblem(const std::string& row_id, const std::string& column, const std::string& problem) {
  std::string s = row_id.empty() ? "" : "row '" + row_id + "': ";
  if (column.empty()) return s + problem;
  if (problem == "missing") return s + "missing column '" + column + "'";
  return s + "column '" + column + "': " + problem;
}

std::string DataProblem::Format() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line);
  return s + ": " + DescribeProblem(row_id, column, problem);
}

namespace {

std::string SafeRowId(const nlohmann::json& row) {
  const nlohmann::json* id = RowIdField(row);
  if (!id || (!id->is_string() && !id->is_number_integer())) return "";
  return RowId(row);
}

}  // namespace

namespace {

void LoadInto(const std::string& path, const RowSchema& schema, std::set<std::string>& ids,
              std::vector<nlohmann::json>& rows) {
  ReadDataFile(path, [&](nlohmann::json& row, long line) {
    MapSourceRow(row, schema);
    auto problems = CheckRow(row, schema);
    if (!problems.empty())
      throw FileError(path, line, DescribeProblem(SafeRowId(row), problems[0].column, problems[0].problem));
    std::string id = RowId(row);
    if (!ids.insert(id).second) throw FileError(path, line, "duplicate id '" + id + "'");
    if (!row.contains("id")) row["id"] = id;
    if (schema.label == LabelKind::kList && row["label"].is_string())
      row["label"] = nlohmann::json::array({row["label"]});
    row["__line"] = line;
    rows.push_back(std::move(row));
  });
}

std::string Joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += "\n  " + x;
  return s;
}

}  // namespace

std::vector<nlohmann::json> LoadRows(const std::string& path, const RowSchema& schema) {
  return LoadRows(SplitFiles{{path}, path}, schema);
}

std::vector<nlohmann::json> LoadRows(const SplitFiles& split, const RowSchema& schema) {
  std::vector<nlohmann::json> rows;
  std::set<std::string> ids;
  for (const auto& f : split.files) LoadInto(f, schema, ids, rows);
  return rows;
}

std::vector<nlohmann::json> LoadTaskSplit(const TaskConfig& config, const std::string& lang, Split split,
                                          const DataOptions& options, const RowSchema& schema) {
  std::vector<std::string> tried;
  auto found = LocateSplit(config, lang, split, options, &tried);
  if (!found)
    throw Error("task '" + config.name + "' (" + lang + "): " + (split == Split::kTest ? "test" : "examples") +
                " split not found: " + tried.front() +
                " (expected layout DATA_DIR/<task>/<lang>/test.jsonl, or the task's filepath in a dataset"
                " download or Hugging Face hub cache; set --data-dir)" +
                (tried.size() > 1 ? "; also looked at:" + Joined({tried.begin() + 1, tried.end()}) : ""));
  return LoadRows(*found, schema);
}

size_t CheckDataFile(const std::string& path, const RowSchema& schema, std::vector<DataProblem>& out) {
  std::set<std::string> ids;
  return CheckDataFile(path, schema, out, ids);
}

namespace {

size_t CheckRowsOf(const std::string& path, const RowSchema& schema, std::vector<DataProblem>& out,
                   std::set<std::string>& ids) {
  size_t n_rows = 0;
  try {
    ReadDataFile(path, [&](nlohmann::json& row, long n) {
      ++n_rows;
      MapSourceRow(row, schema);
      std::string row_id = SafeRowId(row);
      for (auto& p : CheckRow(row, schema)) out.push_back({path, n, p.column, p.problem, row_id});
      if (!row_id.empty() && !ids.insert(row_id).second)
        out.push_back({path, n, "id", "duplicate id '" + row_id + "'", row_id});
    });
  } catch (const Error& e) {
    out.push_back({path, 0, "", e.what(), ""});
  }
  return n_rows;
}

}  // namespace

size_t CheckDataFile(const std::string& path, const RowSchema& schema, std::vector<DataProblem>& out,
                     std::set<std::string>& ids) {
  if (!FileExists(path)) {
    out.push_back({path, 0, "", "file not found", ""});
    return 0;
  }
  DataFormat format;
  if (DataFormatOf(path, &format) && format != DataFormat::kJsonl) return CheckRowsOf(path, schema, out, ids);
  std::string content = ReadFile(path);
  size_t pos = 0, n_rows = 0;
  long line_no = 0;
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    if (end == std::string::npos) end = content.size();
    ++line_no;
    std::string line = content.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    nlohmann::json row = nlohmann::json::parse(line, nullptr, false);
    if (row.is_discarded()) {
      out.push_back({path, line_no, "", "malformed JSON", ""});
      continue;
    }
    if (!row.is_object()) {
      out.push_back({path, line_no, "", std::string("expected a JSON object, got ") + row.type_name(), ""});
      continue;
    }
    ++n_rows;
    MapSourceRow(row, schema);
    std::string row_id = SafeRowId(row);
    for (auto& p : CheckRow(row, schema)) out.push_back({path, line_no, p.column, p.problem, row_id});
    if (!row_id.empty() && !ids.insert(row_id).second)
      out.push_back({path, line_no, "id", "duplicate id '" + row_id + "'", row_id});
  }
  return n_rows;
}

size_t CheckTaskData(const TaskConfig& config, const std::string& lang, const DataOptions& options,
                     std::vector<DataProblem>& out) {
  const RowSchema schema = SchemaFor(config, lang);
  auto check_split = [&](Split split, const std::string& missing_note) -> size_t {
    std::vector<std::string> tried;
    std::optional<SplitFiles> found;
    try {
      found = LocateSplit(config, lang, split, options, &tried);
    } catch (const Error& e) {
      out.push_back({config.name + "/" + lang, 0, "", e.what(), ""});
      return 0;
    }
    if (!found) {
      out.push_back({tried.empty() ? config.name + "/" + lang : tried.front(), 0, "",
                     "file not found" + missing_note + (tried.size() > 1 ? "; also looked at:" + Joined({tried.begin() + 1, tried.end()}) : ""), ""});
      return 0;
    }
    std::set<std::string> ids;
    size_t n = 0;
    for (const auto& f : found->files) n += CheckDataFile(f, schema, out, ids);
    return n;
  };
  size_t n = check_split(Split::kTest, "");
  bool zero_shot_family = config.family == "ifeval" || config.family == "ifeval_en" ||
                          config.family == "mtbench" || config.family == "mtbench_judge";
  int shots = std::max(config.fewshot_base, config.fewshot_instruct);
  if (!zero_shot_family && shots > 0)  // fewer rows than shots is fine: all are used (SPEC 4.1)
    check_split(Split::kExamples, " (base models are prompted with " + std::to_string(shots) + " examples from it)");
  return n;
}

}  // namespace bhasa::tasks

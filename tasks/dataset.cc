#include "tasks/dataset.h"

#include <algorithm>
#include <set>

#include "common/error.h"
#include "common/fs.h"
#include "common/jsonl.h"

namespace bhasa::tasks {

std::string TestSplitPath(const std::string& data_dir, const std::string& task, const std::string& lang) {
  return data_dir + "/" + task + "/" + lang + "/test.jsonl";
}
std::string ExampleSplitPath(const std::string& data_dir, const std::string& task, const std::string& lang) {
  return data_dir + "/" + task + "/" + lang + "/examples.jsonl";
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

std::vector<nlohmann::json> LoadRows(const std::string& path, const RowSchema& schema) {
  std::vector<nlohmann::json> rows;
  std::set<std::string> ids;
  ReadJsonl(path, [&](nlohmann::json& row, long line) {
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
  return rows;
}

size_t CheckDataFile(const std::string& path, const RowSchema& schema, std::vector<DataProblem>& out) {
  if (!FileExists(path)) {
    out.push_back({path, 0, "", "file not found", ""});
    return 0;
  }
  std::string content = ReadFile(path);
  std::set<std::string> ids;
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
    std::string row_id = SafeRowId(row);
    for (auto& p : CheckRow(row, schema)) out.push_back({path, line_no, p.column, p.problem, row_id});
    if (!row_id.empty() && !ids.insert(row_id).second)
      out.push_back({path, line_no, "id", "duplicate id '" + row_id + "'", row_id});
  }
  return n_rows;
}

size_t CheckTaskData(const TaskConfig& config, const std::string& lang, const std::string& data_dir,
                     std::vector<DataProblem>& out) {
  const RowSchema schema = SchemaFor(config, lang);
  size_t n = CheckDataFile(TestSplitPath(data_dir, config.name, lang), schema, out);
  bool zero_shot_family = config.family == "ifeval" || config.family == "ifeval_en" ||
                          config.family == "mtbench" || config.family == "mtbench_judge";
  int shots = std::max(config.fewshot_base, config.fewshot_instruct);
  if (!zero_shot_family && shots > 0) {
    std::string ex = ExampleSplitPath(data_dir, config.name, lang);
    if (!FileExists(ex)) {
      out.push_back({ex, 0, "", "file not found (base models are prompted with " + std::to_string(shots) +
                                    " examples from it)", ""});
    } else {
      CheckDataFile(ex, schema, out);  // fewer rows than shots is fine: all are used (SPEC 4.1)
    }
  }
  return n;
}

}  // namespace bhasa::tasks

#include "results/run_set.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "common/error.h"
#include "common/fs.h"
#include "results/results_doc.h"
#include "results/run_dir.h"

namespace bhasa::results {

namespace fs = std::filesystem;

namespace {

int RunNumberFromName(const std::string& dir) {
  std::string base = fs::path(dir).filename().string();
  if (base.rfind("run_", 0) == 0) {
    try {
      return std::stoi(base.substr(4));
    } catch (...) {
    }
  }
  return 0;
}

// The per-row scale of a task, from the scorer its results.json names.
metrics::ScoreScale RowScale(const RunInput& run, const std::string& task) {
  const auto& tmeta = run.doc["tasks"][task];
  const std::string field = "tasks." + task + ".scorer";
  if (!tmeta.is_object() || !tmeta.contains("scorer") || !tmeta["scorer"].is_string())
    throw Error(run.path + ": " + field + " is missing; it names the scorer, which declares the scale of the "
                "per-row scores");
  const std::string scorer = tmeta["scorer"].get<std::string>();
  if (!metrics::ScorerRegistry().Has(scorer))
    throw Error(run.path + ": " + field + " names scorer '" + scorer + "', which this build does not have; " +
                "the scale of its per-row scores is unknown");
  return metrics::GetScorerInfo(scorer).row_scale;
}

}  // namespace

RunInput LoadRun(const std::string& path) {
  RunInput r;
  r.path = path;
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (fs::is_directory(p)) {
    r.root = p;
  } else if (!fs::exists(p)) {
    throw Error(path + ": no such file or directory");
  }
  r.doc = LoadResultsDoc(p);
  const auto& meta = r.doc["meta"];
  if (meta.contains("model") && meta["model"].is_object() && meta["model"].contains("name") &&
      meta["model"]["name"].is_string())
    r.model = meta["model"]["name"].get<std::string>();
  if (meta.contains("run") && meta["run"].is_object() && meta["run"].contains("run_number") &&
      meta["run"]["run_number"].is_number_integer())
    r.run_number = meta["run"]["run_number"].get<int>();
  else
    r.run_number = RunNumberFromName(r.root.empty() ? fs::path(p).parent_path().string() : r.root);
  if (!r.root.empty()) {
    RunDir dir = RunDir::Open(r.root);
    if (r.model.empty()) r.model = dir.model_name();
    auto cfg = nlohmann::json::parse(ReadFile(dir.ConfigPath()), nullptr, false);
    if (cfg.is_object() && cfg.contains("plan") && cfg["plan"].is_array()) r.plan = cfg["plan"];
  }
  if (r.model.empty()) r.model = ModelBasename(fs::path(p).parent_path().parent_path().string());
  return r;
}

std::vector<ModelRuns> GroupByModel(std::vector<RunInput> runs) {
  std::vector<ModelRuns> out;
  for (auto& r : runs) {
    auto it = std::find_if(out.begin(), out.end(), [&](const ModelRuns& m) { return m.model == r.model; });
    if (it == out.end()) {
      out.push_back({r.model, {}});
      it = out.end() - 1;
    }
    it->runs.push_back(std::move(r));
  }
  for (auto& m : out) {
    std::stable_sort(m.runs.begin(), m.runs.end(),
                     [](const RunInput& a, const RunInput& b) { return a.run_number < b.run_number; });
    for (size_t i = 1; i < m.runs.size(); ++i)
      if (m.runs[i].run_number == m.runs[i - 1].run_number)
        throw Error(m.runs[i].path + ": model '" + m.model + "' run " + std::to_string(m.runs[i].run_number) +
                    " given twice (also " + m.runs[i - 1].path + ")");
  }
  return out;
}

void ReadRowScores(const std::string& path, const std::string& task, const std::string& lang,
                   std::vector<double>* scores, std::vector<nlohmann::json>* labels) {
  scores->clear();
  labels->clear();
  if (!FileExists(path)) return;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  std::string line;
  long line_no = 0;
  std::string metric;
  bool first = true;
  const bool ifeval_hack = task == "if-eval" && (lang == "th" || lang == "my");
  auto as_score = [&](const nlohmann::ordered_json& v) -> double {
    if (v.is_null()) return 0.0;
    if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
    if (v.is_number()) {
      double d = v.get<double>();
      return std::isnan(d) ? 0.0 : d;
    }
    throw FileError(path, line_no, "individual score is not a number: " + v.dump());
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto row = nlohmann::ordered_json::parse(line, nullptr, false);
    if (row.is_discarded() || !row.is_object()) throw FileError(path, line_no, "malformed JSON line");
    if (!row.contains("individual_scores")) throw FileError(path, line_no, "missing 'individual_scores'");
    const auto& ind = row["individual_scores"];
    if (first) {
      // The notebook takes the metric name from the first line only.
      if (ind.is_object() && !ind.empty()) metric = ind.begin().key();
      first = false;
    }
    if (ifeval_hack && row.contains("metadata") && row["metadata"].is_object() &&
        row["metadata"].contains("subcategory") && row["metadata"]["subcategory"] == "length_constraints:number_words")
      continue;
    const nlohmann::ordered_json* value = &ind;
    if (!metric.empty()) {
      if (!ind.is_object() || !ind.contains(metric))
        throw FileError(path, line_no, "individual_scores lacks '" + metric + "' (the metric of line 1)");
      value = &ind[metric];
    }
    if (value->is_array()) {
      for (const auto& v : *value) scores->push_back(as_score(v));
    } else {
      scores->push_back(as_score(*value));
    }
    if (row.contains("label")) labels->push_back(nlohmann::json::parse(row["label"].dump()));
  }
}

std::string InferenceFile(const RunInput& run, const std::string& task, const std::string& lang,
                          const std::string& group) {
  RunDir dir = RunDir::Open(run.root);
  return dir.InferencePath(lang, group.empty() ? task : group, task);
}

std::vector<TaskRuns> CollectTaskRuns(const ModelRuns& model) {
  if (model.runs.empty()) return {};
  for (const auto& r : model.runs)
    if (r.root.empty())
      throw Error(r.path + ": multi-run statistics need run directories (with inferences/), not a bare results.json");
  const RunInput& first = model.runs.front();

  // Order: the first run's plan; tasks missing from it (or no plan) follow in
  // the order of its results tree.
  std::vector<std::pair<std::string, std::vector<std::string>>> order;
  auto add = [&](const std::string& task, const std::string& lang) {
    auto it = std::find_if(order.begin(), order.end(), [&](const auto& p) { return p.first == task; });
    if (it == order.end()) {
      order.push_back({task, {}});
      it = order.end() - 1;
    }
    if (std::find(it->second.begin(), it->second.end(), lang) == it->second.end()) it->second.push_back(lang);
  };
  std::set<std::pair<std::string, std::string>> present;
  for (const auto& [lang, lj] : first.doc["results"].items()) {
    if (!lj.is_object()) continue;
    for (const auto& [comp, cj] : lj.items()) {
      if (!cj.is_object()) continue;
      for (const auto& [name, v] : cj.items())
        if (v.is_object() && first.doc["tasks"].contains(name)) present.insert({name, lang});
    }
  }
  if (first.plan.is_array())
    for (const auto& p : first.plan)
      if (p.is_object() && p.contains("task") && p.contains("lang") && p["task"].is_string() &&
          p["lang"].is_string() && present.count({p["task"].get<std::string>(), p["lang"].get<std::string>()}))
        add(p["task"].get<std::string>(), p["lang"].get<std::string>());
  for (const auto& [task, lang] : present) add(task, lang);

  std::vector<TaskRuns> out;
  for (const auto& [task, langs] : order) {
    const auto& tmeta = first.doc["tasks"][task];
    for (const auto& lang : langs) {
      TaskRuns t;
      t.task = task;
      t.lang = lang;
      t.competency = tmeta.value("competency", "");
      t.group = tmeta.value("aggregation_group", "");
      t.version = tmeta.contains("version") ? tmeta["version"].dump() : "";
      t.row_scale = RowScale(first, task);
      for (size_t i = 0; i < model.runs.size(); ++i) {
        const RunInput& run = model.runs[i];
        const auto& tasks = run.doc["tasks"];
        if (tasks.contains(task) && tasks[task].contains("version") && tasks[task]["version"].dump() != t.version &&
            !t.version.empty())
          throw Error(run.path + ": task '" + task + "' is version " + tasks[task]["version"].dump() + " but " +
                      first.path + " has version " + t.version + "; runs of different task versions cannot be combined");
        std::vector<double> scores;
        std::vector<nlohmann::json> labels;
        ReadRowScores(InferenceFile(run, task, lang, t.group), task, lang, &scores, &labels);
        if (i == 0) t.labels = std::move(labels);
        t.scores.push_back(std::move(scores));
      }
      out.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace bhasa::results

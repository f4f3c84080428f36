#include "harness/evaluation.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>

#include "common/error.h"
#include "common/fs.h"
#include "common/jsonl.h"
#include "results/aggregate.h"
#include "results/results_doc.h"

namespace bhasa {

EvaluationSummary ScoreAndWrite(const std::vector<std::unique_ptr<tasks::Task>>& tasks,
                                const tasks::ResponseMap& done, const results::RunDir& dir,
                                const nlohmann::json& meta) {
  EvaluationSummary summary;
  std::vector<results::TaskScore> scores;
  nlohmann::json task_meta = nlohmann::json::object();
  for (const auto& task : tasks) {
    const auto& cfg = task->config();
    results::TaskScore ts;
    ts.task = cfg.name;
    ts.lang = task->lang();
    ts.competency = cfg.competency;
    ts.group = cfg.aggregation_group;
    ts.aggregation_type = cfg.aggregation_type;
    ts.metric = cfg.metric;
    try {
      tasks::TaskOutcome out = task->Score(done);
      ts.metrics = out.metrics;
      ts.n_rows = out.n_rows;
      if (!out.metrics.contains(cfg.metric) || !out.metrics[cfg.metric].is_number())
        throw Error("scorer '" + cfg.scorer + "' produced no metric '" + cfg.metric + "'");
      ts.score = out.metrics[cfg.metric].get<double>();
      summary.failed_rows += out.n_failed;
      std::string group_dir = cfg.aggregation_group.empty() ? cfg.name : cfg.aggregation_group;
      std::string path = dir.InferencePath(ts.lang, group_dir, cfg.name);
      std::string body;
      for (const auto& row : out.rows) body += DumpJson(row) + "\n";
      WriteFileAtomic(path, body);
    } catch (const Error& e) {
      // SEA-HELM scores a task that fails to evaluate as 0 and keeps it in the averages.
      ts.score = 0;
      ts.metrics = {{cfg.metric, 0}, {"error", std::string("Failed to run evaluation for task: ") + e.what()}};
      ++summary.failed_tasks;
      std::fprintf(stderr, "bhasa: task %s (%s) failed to score: %s\n", cfg.name.c_str(), ts.lang.c_str(), e.what());
    }
    scores.push_back(std::move(ts));
    task_meta[cfg.name] = {{"version", cfg.version},   {"family", cfg.family},
                           {"scorer", cfg.scorer},     {"metric", cfg.metric},
                           {"competency", cfg.competency}, {"aggregation_group", cfg.aggregation_group}};
  }
  summary.results = results::MakeResultsDoc(meta, task_meta, results::AggregateRun(scores),
                                            summary.failed_rows, summary.failed_tasks);
  WriteFileAtomic(dir.ResultsPath(), DumpJson(summary.results, 2) + "\n");
  return summary;
}

std::string FormatScoreTable(const nlohmann::json& doc) {
  std::string out;
  char line[512];
  // failed: rows whose request failed; null: rows whose answer could not be
  // extracted (the scorer's null_count), both counted in the score as wrong.
  auto row = [&](const std::string& lang, const std::string& comp, const std::string& task, double score,
                 const std::string& failed = "", const std::string& nulls = "", const char* note = "") {
    std::snprintf(line, sizeof line, "%-6s %-30s %-28s %9.2f %7s %6s%s\n", lang.c_str(), comp.c_str(), task.c_str(),
                  score, failed.c_str(), nulls.c_str(), note);
    std::string text = line;  // without the padding of empty count columns
    text.erase(text.find_last_not_of(" \n") + 1);
    out += text + "\n";
  };
  auto count = [](const nlohmann::json& v, const char* key) {
    return v.contains(key) && v[key].is_number_integer() ? std::to_string(v[key].get<long long>()) : std::string("-");
  };
  std::snprintf(line, sizeof line, "%-6s %-30s %-28s %9s %7s %6s\n", "lang", "competency", "task", "score", "failed",
                "null");
  out += line;
  const auto& res = doc.at("results");
  const auto& tasks = doc.at("tasks");
  for (const auto& [lang, lj] : res.items()) {
    if (!lj.is_object()) continue;
    for (const auto& [comp, cj] : lj.items()) {
      if (!cj.is_object()) continue;
      for (const auto& [name, v] : cj.items()) {
        if (name == "total") continue;
        if (v.is_object()) {
          std::string metric = tasks.contains(name) ? tasks[name].value("metric", "") : "";
          double score = v.contains(metric) && v[metric].is_number() ? v[metric].get<double>() : 0.0;
          row(lang, comp, name, score, count(v, "failed_count"), count(v, "null_count"),
              v.contains("error") ? "  (scoring failed)" : "");
        } else {
          row(lang, comp, "[" + name + "]", v.get<double>());
        }
      }
      row(lang, comp, "(competency)", cj.value("total", 0.0));
    }
    row(lang, "(language)", "", lj.value("total", 0.0));
  }
  row("all", "(total)", "", res.value("total", 0.0));
  return out;
}

}  // namespace bhasa

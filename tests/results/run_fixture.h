// Builds run directories for the results tests through the public writers
// (AggregateRun + MakeResultsDoc) plus hand-written inference rows.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/jsonl.h"
#include "results/aggregate.h"
#include "results/results_doc.h"
#include "results/run_dir.h"

namespace bhasa::results::testing {

struct FixtureTask {
  std::string task, lang, competency, group, metric = "score";
  double score = 0;                    // the results.json task score
  std::vector<double> row_scores = {}; // individual_scores per row
  std::vector<nlohmann::json> labels = {};  // one per row (or empty: no label column)
  std::vector<std::string> cleaned = {};    // cleaned_responses per row (default "x")
  int version = 1;
  std::string scorer = "classification";  // a registered scorer: it declares the row scale
};

// Writes <out>/<model>/run_<n>/{config.json, results.json, inferences/...}.
inline std::string WriteRun(const std::string& out, const std::string& model, int run,
                            const std::vector<FixtureTask>& tasks) {
  RunDir dir(out, model, run);
  dir.Create();
  nlohmann::json plan = nlohmann::json::array();
  std::vector<TaskScore> scores;
  nlohmann::json task_meta = nlohmann::json::object();
  for (const auto& t : tasks) {
    plan.push_back({{"task", t.task}, {"lang", t.lang}});
    TaskScore s;
    s.task = t.task;
    s.lang = t.lang;
    s.competency = t.competency;
    s.group = t.group;
    s.metric = t.metric;
    s.score = t.score;
    s.metrics = {{t.metric, t.score}, {"null_count", 0}};
    s.n_rows = static_cast<int>(t.row_scores.size());
    scores.push_back(s);
    task_meta[t.task] = {{"version", t.version}, {"metric", t.metric}, {"competency", t.competency},
                         {"aggregation_group", t.group}, {"scorer", t.scorer}, {"family", "fixture"}};
    std::string body;
    for (size_t i = 0; i < t.row_scores.size(); ++i) {
      nlohmann::json row = {{"id", t.task + "-" + std::to_string(i)},
                            {"conversations", {{{"role", "user"}, {"content", "Question " + std::to_string(i) + " <b>?</b>"}}}},
                            {"responses", {"Jawaban: x"}},
                            {"status", "ok"},
                            {"cleaned_responses", i < t.cleaned.size() ? t.cleaned[i] : "x"},
                            {"individual_scores", {{"normalized_" + t.metric, t.row_scores[i]}}}};
      if (i < t.labels.size()) row["label"] = t.labels[i];
      body += DumpJson(row) + "\n";
    }
    if (!t.row_scores.empty())
      WriteFileAtomic(dir.InferencePath(t.lang, t.group.empty() ? t.task : t.group, t.task), body);
  }
  WriteFileAtomic(dir.ConfigPath(), DumpJson({{"model_name", model}, {"plan", plan}}, 2));
  nlohmann::json meta = {{"model", {{"name", model}, {"path", "/models/" + model + ".gguf"}}},
                         {"run", {{"run_number", run}, {"seed", 1234}}}};
  WriteFileAtomic(dir.ResultsPath(), DumpJson(MakeResultsDoc(meta, task_meta, AggregateRun(scores), 0, 0), 2));
  return dir.root();
}

}  // namespace bhasa::results::testing

// Per-run roll-up (SPEC 10): task → aggregation group → competency →
// language → total, all unweighted means except micro-averaged groups.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bhasa::results {

struct TaskScore {
  std::string task, lang, competency;
  std::string group;                      // aggregation group, "" for none
  std::string aggregation_type = "macro-average";
  std::string metric;                     // the key of `metrics` that is the task score
  double score = 0;                       // metrics[metric]; 0 when scoring failed
  nlohmann::json metrics = nlohmann::json::object();
  int n_rows = 0;                         // weight for micro-averaged groups
};

// SEA-HELM's results structure:
// {lang: {competency: {task: metrics, group: score, "total": x}, "total": x}, "total": x}
nlohmann::json AggregateRun(const std::vector<TaskScore>& scores);

}  // namespace bhasa::results

// SEA-HELM's leaderboard aggregation over runs (SPEC 11,
// helpers/results_aggregation.ipynb): per task, 30 bootstrap statistics
// drawn from numpy.random.default_rng(94370244) by picking, for every
// question, the run whose score is used; then the roll-up task → aggregation
// group → competency → language → overall and SEA average, done per
// bootstrap index. Output has the structure of the notebook's scores.yaml.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/run_set.h"

namespace bhasa::results {

inline constexpr uint64_t kSeaHelmBootstrapSeed = 94370244;

struct BootstrapOptions {
  uint64_t seed = kSeaHelmBootstrapSeed;
  int n_bootstraps = 30;  // at least 2
  // Languages of the sea_ average (SPEC 11).
  std::vector<std::string> sea_languages = {"id", "vi", "th", "ta", "tl", "ms", "my"};
};

// The per-task statistic of one resample set, as the notebook computes it.
// Multi-choice: labels are scalars and repeat, and the rows are fractions
// (0/1 correctness); statistic = balanced accuracy of (label if score is 1
// else "") normalized against 1/K, ×100, floored at 0. Otherwise: numpy row
// mean in points (×100 for fraction-scale rows, as the scorer declares; the
// notebook instead multiplies when every value is <= 1, which misreads weak
// chrF++/ROUGE-L rows that are already points).
bool IsMultiChoice(const std::vector<nlohmann::json>& labels);

// Runs the bootstrap over `tasks` in order with one shared generator (the
// order decides which draws each task gets). Returns
// {lang: {competency: {tasks: {task: {mean, stderr, mean_list, ...}},
//   aggregation_groups: {...}, mean, stderr, mean_list}, mean, stderr, mean_list},
//  mean, stderr, mean_list, sea_mean, sea_stderr, sea_mean_list, [is_incomplete]}
// Error when runs of a task have different row counts.
nlohmann::ordered_json BootstrapScores(const std::vector<TaskRuns>& tasks, const BootstrapOptions& options = {});

}  // namespace bhasa::results

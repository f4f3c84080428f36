// `bhasa report`: one self-contained HTML file (inline CSS, JS and SVG; no
// network) with the leaderboard table, bar charts per language and
// competency, and a per-task drill-down of sample prompts, responses,
// extracted answers and extraction failures.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/run_set.h"

namespace bhasa::results {

// What the report's numbers are (stated in the page). `bhasa export` shows
// another estimator (kLeaderboardEstimator), so the two can differ.
inline constexpr const char* kReportEstimator =
    "per-run results.json task metrics in points (the task-level metric of each scorer), averaged over runs";

struct ReportOptions {
  std::string title = "bhasa evaluation report";
  size_t samples_per_task = 8;   // ordinary sample rows shown per task
  size_t failures_per_task = 8;  // extraction-failure rows shown per task
};

// The numbers the report shows for each model: per-run results.json values
// averaged over the model's runs, with the standard error over runs (sample
// standard deviation / sqrt(n)) when there are several. Keys: "total",
// "lang:<l>", "comp:<l>/<c>", "group:<l>/<c>/<g>", "task:<l>/<c>/<t>" →
// {mean, stderr|null, n}.
nlohmann::json ReportScores(const ModelRuns& model);

// The whole HTML document. Reads the inference files of each model's first
// run directory for the drill-down (absent files are noted, not fatal).
std::string MakeReportHtml(const std::vector<ModelRuns>& models, const ReportOptions& options = {});

// True when a cleaned answer counts as an extraction failure ("null" or empty).
bool IsExtractionFailure(const nlohmann::json& cleaned);

}  // namespace bhasa::results

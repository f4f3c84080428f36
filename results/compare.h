// Regression gate: compares the scores of a baseline and a current evaluation
// (one or more results.json files or run directories each) at every level of
// the roll-up (task, aggregation group, competency, language, total) and
// flags drops beyond per-row thresholds, optionally only when they exceed k
// standard errors of the run-to-run spread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "results/run_set.h"

namespace bhasa::results {

struct CompareThresholds {
  double max_drop = -1;                                  // points; < 0: no default limit
  std::map<std::string, double> tasks;                   // "task" or "task/lang" → points
  std::map<std::string, double> competencies;            // competency → points
  std::map<std::string, double> languages;               // language → points (its total row)
};

// Reads a thresholds YAML file:
//   max_drop: 2.0                  # default for every row
//   tasks: {sentiment: 3, qa: {th: 5, id: 4}}
//   competencies: {nlg: 2.5}
//   languages: {ta: 3}
// Error naming the file and key on anything else or on a non-number.
CompareThresholds LoadThresholds(const std::string& path);

struct CompareOptions {
  CompareThresholds thresholds;
  double sigma = 0;  // > 0: a drop must also exceed sigma × stderr of the delta
};

enum class RowStatus { kOk, kRegression, kWithinNoise, kOnlyBaseline, kOnlyCurrent };

struct CompareRow {
  std::string level;  // task | group | competency | language | total
  std::string lang, competency, name;
  double baseline = 0, current = 0, delta = 0;
  double baseline_se = -1, current_se = -1;  // < 0: fewer than two runs
  double threshold = -1;                     // < 0: none
  RowStatus status = RowStatus::kOk;
  bool scoring_failed = false;               // a run recorded an evaluation error for this task
};

struct CompareResult {
  std::vector<CompareRow> rows;
  int n_baseline_runs = 0, n_current_runs = 0;
  bool regression() const;
};

// Error (exit code 2) when a side is empty, mixes models, or when a task has
// different versions between or within the sides, or --sigma without
// several runs on either side.
CompareResult CompareRuns(const std::vector<RunInput>& baseline, const std::vector<RunInput>& current,
                          const CompareOptions& options);

std::string FormatCompareTable(const CompareResult& r);
// JUnit XML: one testcase per row, <failure> for regressions, <skipped> for
// rows present on one side only.
std::string CompareJUnit(const CompareResult& r);
// GitHub Actions workflow commands: ::error for regressions, ::warning for
// drops within noise and for rows present on one side only.
std::string CompareGithub(const CompareResult& r);

}  // namespace bhasa::results

// Regression gate: compares the scores of a baseline and a current evaluation
// (one or more results.json files or run directories each) at every level of
// the roll-up (task, aggregation group, competency, language, total) and
// flags drops beyond per-row thresholds (kDefaultMaxDrop unless told
// otherwise), optionally only when they exceed k standard errors of the
// run-to-run spread. Task rows of the baseline that the current side lacks
// fail the gate unless allowed; when the sides' task sets differ, the
// roll-ups are recomputed over the task rows both sides have.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/run_set.h"

namespace bhasa::results {

// The limit for every row that no threshold names: a drop of more than two
// points fails the gate.
inline constexpr double kDefaultMaxDrop = 2.0;

struct CompareThresholds {
  double max_drop = kDefaultMaxDrop;                     // points, for rows no entry below names
  std::map<std::string, double> tasks;                   // "task" or "task/lang" → points
  std::map<std::string, double> competencies;            // competency → points
  std::map<std::string, double> languages;               // language → points (its total row)
};

// Reads a thresholds YAML file:
//   max_drop: 2.0                  # default for every row (absent: kDefaultMaxDrop)
//   tasks: {sentiment: 3, qa: {th: 5, id: 4}}
//   competencies: {nlg: 2.5}
//   languages: {ta: 3}
// Error naming the file and key on anything else or on a non-number.
CompareThresholds LoadThresholds(const std::string& path);

struct CompareOptions {
  CompareThresholds thresholds;
  double sigma = 0;            // > 0: a drop must also exceed sigma × stderr of the delta
  bool allow_missing = false;  // rows only in the baseline are reported, not failed
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
  bool recomputed = false;                   // a roll-up recomputed over the common task rows
};

struct CompareResult {
  std::vector<CompareRow> rows;
  int n_baseline_runs = 0, n_current_runs = 0;
  bool allow_missing = false;
  // True when the sides' task rows differ: roll-up rows (group, competency,
  // language, total) are then recomputed over the n_common_tasks task rows
  // both sides have, leaving the others out of every average.
  bool rollups_recomputed = false;
  int n_common_tasks = 0;
  int regressions() const;    // rows with status kRegression
  int missing() const;        // rows with status kOnlyBaseline
  bool regression() const { return regressions() > 0; }
  // The gate's verdict: a regression, or a missing row unless allowed.
  bool gate_failed() const { return regression() || (!allow_missing && missing() > 0); }
};

// Error (exit code 2) when a side is empty, mixes models, or when a task has
// different versions between or within the sides, or --sigma without
// several runs on either side.
CompareResult CompareRuns(const std::vector<RunInput>& baseline, const std::vector<RunInput>& current,
                          const CompareOptions& options);

std::string FormatCompareTable(const CompareResult& r);
// The formats of `bhasa compare --format` (compare_format.cc). Each says when
// roll-ups were recomputed over the common task rows.
//
// JUnit XML: one testcase per row, <failure> for regressions and for rows
// missing in the current side (unless allowed), <skipped> for other rows
// present on one side only.
std::string CompareJUnit(const CompareResult& r);
// GitHub Actions workflow commands: ::error for regressions and missing rows
// (::warning when allowed), ::warning for drops within noise.
std::string CompareGithub(const CompareResult& r);
// {schema: "bhasa-compare", schema_version, passed, regressions, missing,
//  allow_missing, rollups_recomputed, n_common_tasks, n_baseline_runs,
//  n_current_runs, rows: [{level, lang, competency, name, baseline, current,
//  delta, stderr, threshold, status, scoring_failed, recomputed}]}; values
// absent on a side are null.
nlohmann::ordered_json CompareJson(const CompareResult& r);
// A GitHub-flavoured Markdown table with a verdict line (for PR comments).
std::string CompareMarkdown(const CompareResult& r);
// The machine name of a status: ok, regression, within_noise, missing, new.
const char* StatusName(RowStatus s);

}  // namespace bhasa::results

// Leaderboard export over one or more models, each with one or more runs:
// the bootstrap statistics (bootstrap.h) reshaped for a leaderboard, and the
// notebook's scores.yaml text.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/bootstrap.h"
#include "results/run_set.h"

namespace bhasa::results {

inline constexpr int kLeaderboardSchemaVersion = 1;

// What the export's numbers are, written into every export. They differ from
// `bhasa report` (kReportEstimator): a task's score here is the mean of its
// per-row scores, resampled over runs, not the scorer's corpus-level metric
// that results.json records (chrF++ over the pooled statistics, ROUGE-L's
// bootstrap median, balanced accuracy normalized against chance).
inline constexpr const char* kLeaderboardEstimator = "seahelm-bootstrap";
inline constexpr const char* kLeaderboardEstimatorDescription =
    "mean of the bootstrap resamples over runs of the per-row scores (SEA-HELM's results_aggregation "
    "notebook); not the per-run results.json task metrics that bhasa report shows";

// {schema: "bhasa-leaderboard", schema_version, bhasa_version, estimator,
//  estimator_description, bootstrap:
//  {seed, n_bootstraps, sea_languages}, models: {<model>: {n_runs, runs,
//  sea: {mean, stderr}, overall: {mean, stderr}, languages: {<lang>: {mean,
//  stderr, competencies: {<comp>: {mean, stderr, tasks: {<task>: {mean,
//  stderr, version, [aggregation_group], [incomplete]}}, aggregation_groups:
//  {<group>: {mean, stderr}}}}}}}}}
// Scores are points (0-100). Error (naming the run) on bare results.json
// inputs, mismatched task versions or row counts.
nlohmann::ordered_json MakeLeaderboard(const std::vector<ModelRuns>& models, const BootstrapOptions& options);

// The leaderboard block of one model from its bootstrap tree.
nlohmann::ordered_json LeaderboardEntry(const nlohmann::ordered_json& scores, const ModelRuns& model,
                                        const std::vector<TaskRuns>& tasks);

// One CSV row per number of a MakeLeaderboard document (RFC 4180 quoting):
// model,level,lang,competency,name,mean,stderr,n_runs,incomplete,estimator
// with level overall | sea | language | competency | group | task.
std::string LeaderboardCsv(const nlohmann::ordered_json& leaderboard);

// yaml.dump(scores, default_flow_style=False, sort_keys=False) of a
// BootstrapScores tree: block style, sequences not indented under their key,
// floats as Python's repr.
std::string ScoresYaml(const nlohmann::ordered_json& scores);

// Python's repr(float) as PyYAML writes it (1e-05 → 1.0e-05, inf → .inf).
std::string PyYamlFloat(double v);

}  // namespace bhasa::results

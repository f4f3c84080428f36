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

// {schema: "bhasa-leaderboard", schema_version, bhasa_version, bootstrap:
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

// yaml.dump(scores, default_flow_style=False, sort_keys=False) of a
// BootstrapScores tree: block style, sequences not indented under their key,
// floats as Python's repr.
std::string ScoresYaml(const nlohmann::ordered_json& scores);

// Python's repr(float) as PyYAML writes it (1e-05 → 1.0e-05, inf → .inf).
std::string PyYamlFloat(double v);

}  // namespace bhasa::results

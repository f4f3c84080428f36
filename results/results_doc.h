// results.json: the versioned, self-describing document of one run
// (schema in docs/results-schema.md).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bhasa::results {

inline constexpr int kResultsSchemaVersion = 1;

// {schema_version, bhasa_version, created_at, meta, tasks, results, summary}
// `meta`: model/backend/run facts; `tasks`: per task version, scorer, metric;
// `results`: SEA-HELM's nested lang → competency → task structure (AggregateRun).
nlohmann::json MakeResultsDoc(const nlohmann::json& meta, const nlohmann::json& tasks, const nlohmann::json& results,
                              int failed_rows, int failed_tasks);

// Reads and checks a results.json (or a run directory holding one). Error
// names the file and what is missing or of the wrong schema version.
nlohmann::json LoadResultsDoc(const std::string& path_or_run_dir);

// One number of a results.json roll-up. level: task (the task's metric named
// in `tasks`, 0 when absent), group, competency, language or total.
struct ScoreEntry {
  std::string level, lang, competency, name;
  double value = 0;
  bool scoring_failed = false;  // the task recorded an evaluation error
};
// Every number of doc["results"], tasks before the totals that contain them.
std::vector<ScoreEntry> FlattenResults(const nlohmann::json& doc);

}  // namespace bhasa::results

// Scoring a finished (or re-scored) run and writing its files: the per-row
// inference JSONL per task and results.json.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/run_dir.h"
#include "tasks/task.h"

namespace bhasa {

struct EvaluationSummary {
  nlohmann::json results;  // the whole results.json document
  int failed_rows = 0;     // rows whose answer failed (scored as "")
  int failed_tasks = 0;    // tasks whose scoring failed (scored 0)
};

// Scores every task, writes inferences/ and results.json into `dir`. A task
// whose scoring throws scores 0 and records the error (SPEC 9), the others go on.
// `meta` holds the model/backend/run facts recorded in results.json.
EvaluationSummary ScoreAndWrite(const std::vector<std::unique_ptr<tasks::Task>>& tasks,
                                const tasks::ResponseMap& done, const results::RunDir& dir,
                                const nlohmann::json& meta);

// A plain-text table of the scores (language, competency, task, score) with
// each task's failed rows and extraction failures (null_count).
std::string FormatScoreTable(const nlohmann::json& results_doc);

}  // namespace bhasa

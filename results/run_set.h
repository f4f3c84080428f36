// Loading several runs for multi-run statistics, comparison and reports:
// run directories (<out>/<model>/run_<n>/) or bare results.json files,
// grouped by model, plus the per-row scores of SEA-HELM's inference files.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/scorer.h"

namespace bhasa::results {

struct RunInput {
  std::string path;     // as given on the command line
  std::string root;     // the run directory; "" when only a results.json was given
  std::string model;    // meta.model.name, else the run directory's model folder
  int run_number = 0;   // meta.run.run_number, else the run_<n> suffix, else 0
  nlohmann::json doc;   // the results.json document (LoadResultsDoc)
  nlohmann::json plan;  // config.json "plan" ([{task, lang}] in run order), null if absent
};

struct ModelRuns {
  std::string model;
  std::vector<RunInput> runs;  // ordered by run_number
};

// Loads each path (run directory or results.json). Error names the path.
RunInput LoadRun(const std::string& path);
// Groups runs by model in first-seen order; runs of one model sorted by run
// number. Error when one model has two runs with the same number.
std::vector<ModelRuns> GroupByModel(std::vector<RunInput> runs);

// One (task, language) across the runs of a model.
struct TaskRuns {
  std::string task, lang, competency, group, version;
  // The scale of `scores`, declared by the task's scorer (results.json
  // tasks.<task>.scorer), never inferred from the values.
  metrics::ScoreScale row_scale = metrics::ScoreScale::kFraction;
  std::vector<std::vector<double>> scores;  // per run; empty when the run lacks the file
  std::vector<nlohmann::json> labels;       // the first run's labels (the notebook's task_labels[0])
};

// Reads the per-row scores of one inference file as the SEA-HELM notebook
// does: the first key of line 1's `individual_scores`, lists flattened,
// null/NaN as 0, IFEval number_words rows dropped for th and my. Missing file:
// empty result. Malformed lines: Error naming file and line.
void ReadRowScores(const std::string& path, const std::string& task, const std::string& lang,
                   std::vector<double>* scores, std::vector<nlohmann::json>* labels);

// Every (task, lang) of a model's runs in run order (the first run's plan:
// tasks in first-appearance order, each with its languages in plan order).
// Error when a run is a bare results.json (no inferences), when runs of
// the model disagree on a task's version, or when a task's scorer is missing
// or not registered in this build (its per-row scale would be unknown).
std::vector<TaskRuns> CollectTaskRuns(const ModelRuns& model);

// The inference file of (task, lang) inside a run directory.
std::string InferenceFile(const RunInput& run, const std::string& task, const std::string& lang,
                          const std::string& group);

}  // namespace bhasa::results

// Task definitions as data: our tasks/*.yaml and SEA-HELM's own config.yaml
// files share one schema (SPEC 3.2), loaded into a TaskCatalog.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bhasa::tasks {

struct PromptTemplate {
  std::string preamble;
  std::string task_template;
  std::string answer_template = "{answer_tag} {label}";
  std::string answer_tag;
};

struct LanguageConfig {
  std::string lang;
  std::string filepath;          // SEA-HELM: HF id or local JSONL; ours: informational
  std::string example_filepath;
  int max_tokens = 256;
  PromptTemplate prompt;
  nlohmann::json raw;            // the whole language block
};

struct TaskConfig {
  std::string name;              // the task key, e.g. "sentiment", "translation-en-xx"
  std::string family;            // plugin: classification families, qa, translation, ...
  std::string scorer;            // registered scorer name (metrics/)
  std::string metric;            // the key of the scorer's metrics that is the task score
  std::string metric_substituted_from;  // SEA-HELM's metric when ours differs (MetricX → chrF++), else ""
  std::string competency;
  std::string aggregation_group; // "" when none
  std::string aggregation_type = "macro-average";
  std::string version;           // metadata.version, reaches results.json
  int fewshot_instruct = 0;
  int fewshot_base = 5;
  // A log-likelihood task (SEA-HELM's *-logprobs, SPEC-ifeval-mtbench §C):
  // scored by the gold answer's log-probability after the answer tag.
  bool use_logprobs = false;
  int max_n_runs = 0;            // most runs of this task in a multi-run evaluation; 0 = no cap
  std::map<std::string, LanguageConfig> languages;
  nlohmann::json raw;            // the whole task node (judge settings etc.)
  std::string source;            // the file it came from
};

struct TaskCatalog {
  std::map<std::string, TaskConfig> tasks;
  // Task sets (SEA-HELM task_config.yaml): set → lang → task names (may name groups).
  std::map<std::string, std::map<std::string, std::vector<std::string>>> suites;
  nlohmann::json constants = nlohmann::json::object();  // constants.yaml

  // Members of an aggregation group, e.g. "translations" → the two translation tasks.
  std::vector<std::string> GroupMembers(const std::string& group) const;
  // Throws Error listing the valid task names.
  const TaskConfig& Get(const std::string& task) const;
};

// Loads every task definition under `dir`: our own `*.yaml` files at the top
// level and SEA-HELM's `**/config.yaml` tree (merged, then `${a.b}` resolved
// against the merged root), plus `task_config.yaml` and `constants.yaml` when
// present. Throws Error naming the file and key on malformed input.
TaskCatalog LoadCatalog(const std::string& dir);

// Resolves OmegaConf-style absolute interpolations `${a.b.c}` in every string of
// `root`, in place. A string that is exactly one reference takes the referenced
// node's value (any type). Throws Error on unknown paths and cycles.
void ResolveInterpolations(nlohmann::json& root);

// The registered scorer that implements a SEA-HELM metric class
// (F1AccMetric → "classification", ...); "" when unknown.
std::string ScorerForMetricClass(const std::string& metric_class);

}  // namespace bhasa::tasks

// Options of `bhasa run`, declared once: the CLI parser, --help and the
// config.json echoed into the run directory all come from DeclareRunFlags.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "harness/flags.h"
#include "tasks/task.h"

namespace bhasa {

struct RunOptions {
  std::string model;
  std::string model_name;           // names the run folder; default: basename of --model
  std::string backend;              // native | openai | replay; default from --model/--replay
  std::vector<std::string> tasks;
  std::vector<std::string> languages;
  std::string suite;
  std::string tasks_dir;
  std::string data_dir;
  std::string data_revision;
  std::string output = "runs";
  long long seed = 1234;
  int run = 0;
  int limit = 0;
  std::string model_kind = "instruct";
  // decoding (harness/decoding.h): unset until resolved from the next source
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int> top_k;
  std::optional<int> max_tokens;    // unset: each task's own
  std::string gen_kwargs;
  // backend settings
  std::string replay;
  std::string url;
  std::string api_key_env = "OPENAI_API_KEY";
  int concurrency = 16;
  double timeout = 600;
  int max_retries = 5;
  std::string prompt_logprobs = "vllm";  // openai backend: how prompt log-probabilities are asked
  std::string chat_template;
  int threads = 0;
  std::string device = "cpu";       // native backend: cpu | cuda
  int ctx = 0;
  int prefix_cache_mb = 1024;      // native backend: KV memory kept for shared prompt beginnings
  double gpu_memory_fraction = 0.9;  // native backend, --device cuda: share of GPU memory the model may take
  // judge (MT-Bench)
  std::string judge_backend;
  std::string judge_url;
  std::string judge_model;
  std::string judge_api_key_env = "OPENAI_API_KEY";
  // scoring
  std::string thai_dict;
  std::string langid_model;
  bool strip_think = false;
  bool reasoning = false;
};

void DeclareRunFlags(Flags& flags, RunOptions& o);
// Fills defaults that depend on other options (backend, tasks/data dirs, model name).
void FinalizeRunOptions(RunOptions& o);
nlohmann::json RunOptionsToJson(const RunOptions& o);
// `where` names the file in errors: a field of the wrong type is an Error
// "WHERE: options: field 'x' must be ..." (exit 2).
RunOptions RunOptionsFromJson(const nlohmann::json& j, const std::string& where = "config.json");

tasks::TaskContext MakeTaskContext(const RunOptions& o);
BackendOptions MakeBackendOptions(const RunOptions& o);
BackendOptions MakeJudgeOptions(const RunOptions& o);

}  // namespace bhasa

// Task: one task family in one language. Produces Requests in rounds and
// scores the Responses. Never knows which backend answers.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/registry.h"
#include "common/request.h"
#include "tasks/task_config.h"

namespace bhasa::tasks {

enum class ModelKind { kInstruct, kBase };

struct TaskContext {
  ModelKind kind = ModelKind::kInstruct;
  uint64_t seed = 1234;
  int limit = 0;                 // 0 = all rows
  std::string data_dir;          // --data-dir: our layout, a dataset download or a hub cache
  std::string data_revision;     // --data-revision: hub cache snapshot ("" = refs/main)
  nlohmann::json scorer_options = nlohmann::json::object();  // thai_dict, langid_model, ...
  bool strip_think = false;      // drop text through the last </think> before scoring
  int max_tokens_bonus = 0;      // reasoning models: SEA-HELM adds 20000
  // Decoding settings for the model under test, resolved by the harness
  // (flags > --gen-kwargs > task config > generation_config.json > greedy).
  // Unset ones are left out of the requests, as in run directories written
  // before they existed, so that re-scoring those finds their answers.
  std::optional<int> max_tokens;  // replaces every task's max_tokens (--max-tokens)
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int> top_k;       // 0 = no top-k cut

  // The generation parameters of a request to the model under test from a
  // task whose configuration asks for `task_max_tokens`.
  GenerationParams ModelParams(int task_max_tokens) const;
};

// Responses gathered so far, by request id.
using ResponseMap = std::map<std::string, Response>;

struct TaskOutcome {
  nlohmann::json metrics = nlohmann::json::object();  // the scorer's metrics (+ failed_count)
  std::vector<nlohmann::json> rows;                    // per-row inference records (SPEC 9)
  int n_rows = 0;
  int n_failed = 0;                                    // rows with a failed response
};

class Task {
 public:
  virtual ~Task() = default;
  virtual const TaskConfig& config() const = 0;
  virtual const std::string& lang() const = 0;
  // Requests of round `round` (0, 1, ...) given every response so far; an
  // empty result means the task needs nothing more. Deterministic: the same
  // inputs give the same requests (resume relies on it).
  virtual std::vector<Request> Requests(int round, const ResponseMap& done) = 0;
  // Scores after the last round. Throws Error when scoring is impossible.
  virtual TaskOutcome Score(const ResponseMap& done) = 0;
};

using TaskFactory = std::function<std::unique_ptr<Task>(const TaskConfig&, const std::string& lang, const TaskContext&)>;
Registry<TaskFactory>& TaskFamilyRegistry();

struct RegisterTaskFamily {
  RegisterTaskFamily(const std::string& family, TaskFactory f) { TaskFamilyRegistry().Add(family, std::move(f)); }
};

// Creates the task for `lang`; Error when the task lacks the language (listing
// the valid ones) or its family has no plugin.
std::unique_ptr<Task> MakeTask(const TaskConfig& config, const std::string& lang, const TaskContext& ctx);

}  // namespace bhasa::tasks

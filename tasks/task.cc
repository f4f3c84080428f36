#include "tasks/task.h"

#include "common/error.h"
#include "tasks/logprob_task.h"

namespace bhasa::tasks {

GenerationParams TaskContext::ModelParams(int task_max_tokens) const {
  GenerationParams p;
  p.max_tokens = max_tokens.value_or(task_max_tokens + max_tokens_bonus);
  p.seed = seed;
  p.temperature = temperature;
  p.top_p = top_p;
  p.top_k = top_k;
  return p;
}

Registry<TaskFactory>& TaskFamilyRegistry() {
  static Registry<TaskFactory> r("task family");
  return r;
}

std::unique_ptr<Task> MakeTask(const TaskConfig& config, const std::string& lang, const TaskContext& ctx) {
  if (!config.languages.count(lang)) {
    std::string valid;
    for (const auto& [l, v] : config.languages) valid += (valid.empty() ? "" : ", ") + l;
    throw Error("task '" + config.name + "' has no language '" + lang + "' (valid: " + valid + ")");
  }
  if (config.use_logprobs) return std::make_unique<LogprobTask>(config, lang, ctx);
  if (config.family.empty() || !TaskFamilyRegistry().Has(config.family))
    throw Error("task '" + config.name + "' (" + config.source + "): no plugin for family '" + config.family +
                "' (known: " + [] {
                  std::string s;
                  for (const auto& n : TaskFamilyRegistry().Names()) s += (s.empty() ? "" : ", ") + n;
                  return s;
                }() + ")");
  return TaskFamilyRegistry().Get(config.family)(config, lang, ctx);
}

}  // namespace bhasa::tasks

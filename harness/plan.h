// Plan: which (task, language) pairs a run evaluates, resolved from --tasks,
// --languages and --suite against the task catalog.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness/home.h"  // DefaultTasksDir, DefaultDataDir
#include "tasks/task.h"
#include "tasks/task_config.h"

namespace bhasa {

struct PlanRequest {
  std::vector<std::string> tasks;      // task names or aggregation groups; empty = all (or the suite's)
  std::vector<std::string> languages;  // empty = every language the tasks have
  std::string suite;                   // a task set from task_config.yaml / suites.yaml
  bool base_model = false;             // drops SEA-HELM's base_models_skip_tasks
};

struct PlannedTask {
  std::string task, lang;
};

// Throws Error naming unknown tasks, languages or suites with the valid ones.
std::vector<PlannedTask> ResolvePlan(const tasks::TaskCatalog& catalog, const PlanRequest& req);

}  // namespace bhasa

// `bhasa tasks`: the task catalog, tasks x languages, and their scorers.
#include <cstdio>

#include "common/exit_codes.h"
#include "common/jsonl.h"
#include "harness/command.h"
#include "common/error.h"
#include "backends/backend.h"
#include "harness/flags.h"
#include "harness/columns.h"
#include "harness/plan.h"
#include "metrics/scorer.h"
#include "tasks/task.h"
#include "tasks/task_config.h"

namespace bhasa {
namespace {

int TasksCommand(std::span<const std::string> args) {
  std::string tasks_dir;
  bool json = false;
  Flags f("tasks", "[--tasks-dir DIR] [--json]",
          "Lists the tasks, their languages, scorers and task metrics, and whether this build\n"
          "implements them (a task plugin for its family and a registered scorer).");
  f.String("tasks-dir", &tasks_dir, "task definitions to list (default: the installed ones)", "DIR").Bool("json", &json, "print JSON");
  if (!f.Parse(args)) return kExitOk;
  if (tasks_dir.empty()) tasks_dir = DefaultTasksDir();
  auto cat = tasks::LoadCatalog(tasks_dir);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, t] : cat.tasks) {
    std::vector<std::string> langs;
    for (const auto& [l, v] : t.languages) langs.push_back(l);
    bool implemented = tasks::TaskFamilyRegistry().Has(t.family) && metrics::ScorerRegistry().Has(t.scorer);
    out.push_back({{"task", name}, {"family", t.family}, {"languages", langs}, {"scorer", t.scorer},
                   {"metric", t.metric}, {"competency", t.competency}, {"aggregation_group", t.aggregation_group},
                   {"version", t.version}, {"implemented", implemented}});
  }
  if (json) {
    std::printf("%s\n", DumpJson(out, 2).c_str());
    return kExitOk;
  }
  std::vector<std::vector<std::string>> table = {{"task", "family", "competency", "scorer", "metric", "languages"}};
  for (const auto& t : out) {
    std::string langs;
    for (const auto& l : t["languages"]) langs += (langs.empty() ? "" : ",") + l.get<std::string>();
    if (!t["implemented"].get<bool>()) langs += "  (not implemented)";
    auto cell = [&](const char* key) { return t[key].get<std::string>(); };
    table.push_back({cell("task"), cell("family"), cell("competency"), cell("scorer"), cell("metric"), langs});
  }
  std::fputs(FormatColumns(table).c_str(), stdout);
  return kExitOk;
}

int ListCommand(std::span<const std::string> args) {
  std::string what;
  Flags f("list", "metrics|backends|commands", "Lists registered scorers, backends or task families.");
  f.Positional("WHAT", &what, "metrics, backends or families");
  if (!f.Parse(args)) return kExitOk;
  if (what == "metrics") {
    std::printf("%-18s %-28s %-6s %s\n", "metric", "task score key", "higher", "description");
    for (const auto& [name, factory] : metrics::ScorerRegistry().entries()) {
      auto s = factory();
      const auto& i = s->info();
      std::printf("%-18s %-28s %-6s %s\n", name.c_str(), i.main_metric.c_str(), i.higher_is_better ? "yes" : "no",
                  i.description.c_str());
    }
  } else if (what == "backends") {
    for (const auto& n : BackendRegistry().Names()) std::printf("%s\n", n.c_str());
  } else if (what == "families") {
    for (const auto& n : tasks::TaskFamilyRegistry().Names()) std::printf("%s\n", n.c_str());
  } else {
    throw Error("bhasa list: unknown '" + what + "' (valid: metrics, backends, families)", kExitUsage);
  }
  return kExitOk;
}

const RegisterCommand kTasks("tasks", "list tasks x languages and their metrics", TasksCommand);
const RegisterCommand kList("list", "list registered metrics, backends or task families", ListCommand);

}  // namespace
}  // namespace bhasa

// `bhasa tasks`: the task catalog, tasks x languages, and their scorers.
#include <algorithm>
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

// Prints rows as columns padded to their widest cell (the last column unpadded;
// the cells are ASCII names).
void PrintColumns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

int ListCommand(std::span<const std::string> args) {
  std::string what;
  Flags f("list", "metrics|backends|families",
          "Lists the registered scorers (with their task score key, direction and the scale of their\n"
          "per-row scores), the backends, or the task families.");
  f.Positional("WHAT", &what, "metrics, backends or families");
  if (!f.Parse(args)) return kExitOk;
  if (what == "metrics") {
    std::vector<std::vector<std::string>> rows = {{"metric", "task score key", "higher", "row scale", "description"}};
    for (const auto& [name, factory] : metrics::ScorerRegistry().entries()) {
      const metrics::ScorerInfo info = factory()->info();
      rows.push_back({name, info.main_metric, info.higher_is_better ? "yes" : "no", metrics::ToString(info.row_scale),
                      info.description});
    }
    PrintColumns(rows);
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

// `bhasa data check`: validates datasets against the task definitions and
// reports every bad row (file:line, column, problem); exits non-zero when any.
#include <cstdio>
#include <set>

#include "common/error.h"
#include "common/exit_codes.h"
#include "harness/command.h"
#include "harness/flags.h"
#include "harness/plan.h"
#include "tasks/dataset.h"
#include "tasks/task.h"
#include "tasks/task_config.h"

namespace bhasa {
namespace {

int DataCheck(std::span<const std::string> args) {
  std::string tasks_dir, data_dir, suite;
  std::vector<std::string> task_names, languages;
  int max_report = 200;
  Flags f("data check", "[--tasks-dir DIR] [--data-dir DIR] [--tasks T] [--languages L]",
          "Checks DATA/<task>/<lang>/test.jsonl (and examples.jsonl for tasks with few-shot\n"
          "prompts) against each task's row schema: ids, labels (and the label set), prompt\n"
          "fields, IFEval instruction ids and kwargs, MT-Bench turns, baselines and references.\n"
          "Prints one line per problem; exits 2 when there is any.");
  f.String("tasks-dir", &tasks_dir, "task definitions (ours or SEA-HELM's seahelm_tasks; default: the installed ones)", "DIR")
      .String("data-dir", &data_dir, "datasets: DIR/<task>/<lang>/{test,examples}.jsonl (default: bundled samples)", "DIR")
      .List("tasks", &task_names, "tasks or aggregation groups to check (default: all)", "T1,T2")
      .List("languages", &languages, "languages to check (default: every language of the tasks)", "id,vi")
      .String("suite", &suite, "check the tasks of a task set", "NAME")
      .Int("max-report", &max_report, "print at most this many problems (0 = all)");
  if (!f.Parse(args)) return kExitOk;
  if (tasks_dir.empty()) tasks_dir = DefaultTasksDir();
  if (data_dir.empty()) data_dir = DefaultDataDir();
  auto catalog = tasks::LoadCatalog(tasks_dir);
  auto plan = ResolvePlan(catalog, PlanRequest{task_names, languages, suite, false});
  std::vector<tasks::DataProblem> problems;
  size_t rows = 0, checked = 0;
  std::set<std::string> skipped;
  for (const auto& pt : plan) {
    const auto& cfg = catalog.Get(pt.task);
    if (!tasks::TaskFamilyRegistry().Has(cfg.family)) {
      skipped.insert(pt.task);
      continue;
    }
    rows += tasks::CheckTaskData(cfg, pt.lang, data_dir, problems);
    ++checked;
  }
  size_t shown = 0;
  for (const auto& p : problems) {
    if (max_report > 0 && shown >= static_cast<size_t>(max_report)) break;
    std::printf("%s\n", p.Format().c_str());
    ++shown;
  }
  if (shown < problems.size()) std::printf("... and %zu more\n", problems.size() - shown);
  for (const auto& t : skipped)
    std::fprintf(stderr, "bhasa: data check: skipped task '%s' (no plugin for its family in this build)\n", t.c_str());
  std::printf("%zu task x language pair(s), %zu row(s) checked: %zu problem(s)\n", checked, rows, problems.size());
  return problems.empty() ? kExitOk : kExitUsage;
}

int DataCommand(std::span<const std::string> args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("usage: bhasa data check [options]   (bhasa data check --help for details)\n\n"
                "subcommands:\n  check            validate datasets and report every bad row\n");
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] == "check") return DataCheck(args.subspan(1));
  throw Error("bhasa data: unknown subcommand '" + args[0] + "' (valid: check)", kExitUsage);
}

const RegisterCommand kData("data", "dataset tools: `data check` validates rows against the task schemas",
                            DataCommand);

}  // namespace
}  // namespace bhasa

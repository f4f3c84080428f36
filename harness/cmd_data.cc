// `bhasa data check`: validates datasets against the task definitions and
// reports every bad row (file:line, column, problem); exits non-zero when any.
// `bhasa data import`: copies every task's splits from any source (parquet
// in a hub cache, CSV, JSON) into our JSONL layout.
#include <cstdio>
#include <set>

#include "common/error.h"
#include "common/exit_codes.h"
#include "common/fs.h"
#include "common/jsonl.h"
#include "harness/command.h"
#include "harness/flags.h"
#include "harness/plan.h"
#include "tasks/dataset.h"
#include "tasks/task.h"
#include "tasks/task_config.h"

namespace bhasa {
namespace {

int DataCheck(std::span<const std::string> args) {
  std::string tasks_dir, data_dir, revision, suite;
  std::vector<std::string> task_names, languages;
  int max_report = 200;
  Flags f("data check", "[--tasks-dir DIR] [--data-dir DIR] [--tasks T] [--languages L]",
          "Checks each task's test split (and examples split for tasks with few-shot prompts),\n"
          "wherever it is (DATA/<task>/<lang>/*.jsonl, SEA-HELM's filepath in a dataset folder\n"
          "or Hugging Face hub cache; parquet, CSV, JSON), against the task's row schema: ids,\n"
          "labels (and the label set), prompt fields, IFEval instruction ids and kwargs, MT-Bench\n"
          "turns, baselines and references. Prints one line per problem; exits 2 when there is any.");
  f.String("tasks-dir", &tasks_dir, "task definitions (ours or SEA-HELM's seahelm_tasks; default: the installed ones)", "DIR")
      .String("data-dir", &data_dir, "datasets: our layout, a dataset download or a hub cache (default: bundled samples)", "DIR")
      .String("data-revision", &revision, "hub cache snapshot: a commit or ref (default: refs/main)", "REV")
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
    rows += tasks::CheckTaskData(cfg, pt.lang, tasks::DataOptions{data_dir, revision}, problems);
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

// Writes `rows` (as loaded: checked, ids filled in) as DIR/<task>/<lang>/<file>.
void WriteSplit(const std::string& path, std::vector<nlohmann::json>& rows) {
  std::string body;
  for (auto& row : rows) {
    row.erase("__line");
    body += DumpJson(row) + "\n";
  }
  MakeDirs(path.substr(0, path.rfind('/')));
  WriteFileAtomic(path, body);
}

int DataImport(std::span<const std::string> args) {
  std::string tasks_dir = DefaultTasksDir(), src, out, revision, suite;
  std::vector<std::string> task_names, languages;
  Flags f("data import", "SRC --out DIR [--tasks-dir DIR] [--tasks T] [--languages L]",
          "Reads each task's test and examples splits from SRC, wherever `data check` would find\n"
          "them (our layout, SEA-HELM's filepath in a dataset folder or Hugging Face hub cache;\n"
          "parquet, CSV, JSON), checks every row, and writes DIR/<task>/<lang>/test.jsonl and\n"
          "examples.jsonl. Pairs with no data in SRC are listed and skipped; exits 2 when none is found.");
  f.Positional("SRC", &src, "where the data is: a data folder, a dataset download or a hub cache")
      .String("out", &out, "output folder (our JSONL layout)", "DIR")
      .String("tasks-dir", &tasks_dir, "task definitions (ours or SEA-HELM's seahelm_tasks)", "DIR")
      .String("data-revision", &revision, "hub cache snapshot: a commit or ref (default: refs/main)", "REV")
      .List("tasks", &task_names, "tasks or aggregation groups to import (default: all)", "T1,T2")
      .List("languages", &languages, "languages to import (default: every language of the tasks)", "id,vi")
      .String("suite", &suite, "import the tasks of a task set", "NAME");
  if (!f.Parse(args)) return kExitOk;
  if (out.empty()) throw Error("bhasa data import: --out DIR is required", kExitUsage);
  const tasks::DataOptions source{src, revision};
  auto catalog = tasks::LoadCatalog(tasks_dir);
  auto plan = ResolvePlan(catalog, PlanRequest{task_names, languages, suite, false});
  size_t imported = 0;
  for (const auto& pt : plan) {
    const auto& cfg = catalog.Get(pt.task);
    const auto schema = tasks::SchemaFor(cfg, pt.lang);
    auto test = tasks::LocateSplit(cfg, pt.lang, tasks::Split::kTest, source, nullptr);
    if (!test) {
      std::printf("%s/%s: no data in %s, skipped\n", pt.task.c_str(), pt.lang.c_str(), src.c_str());
      continue;
    }
    auto rows = tasks::LoadRows(*test, schema);
    WriteSplit(tasks::TestSplitPath(out, cfg.name, pt.lang), rows);
    std::string line = pt.task + "/" + pt.lang + ": " + std::to_string(rows.size()) + " test rows";
    if (auto ex = tasks::LocateSplit(cfg, pt.lang, tasks::Split::kExamples, source, nullptr)) {
      auto examples = tasks::LoadRows(*ex, schema);
      WriteSplit(tasks::ExampleSplitPath(out, cfg.name, pt.lang), examples);
      line += ", " + std::to_string(examples.size()) + " examples";
    }
    std::printf("%s from %s\n", line.c_str(), test->origin.c_str());
    ++imported;
  }
  std::printf("%zu task x language pair(s) imported into %s\n", imported, out.c_str());
  return imported > 0 ? kExitOk : kExitUsage;
}

int DataCommand(std::span<const std::string> args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("usage: bhasa data check|import [options]   (bhasa data <subcommand> --help for details)\n\n"
                "subcommands:\n  check            validate datasets and report every bad row\n"
                "  import SRC       write any supported source (parquet, hub cache, CSV, JSON) as our JSONL layout\n");
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] == "check") return DataCheck(args.subspan(1));
  if (args[0] == "import") return DataImport(args.subspan(1));
  throw Error("bhasa data: unknown subcommand '" + args[0] + "' (valid: check, import)", kExitUsage);
}

const RegisterCommand kData("data", "dataset tools: `data check` validates rows, `data import` converts sources to JSONL",
                            DataCommand);

}  // namespace
}  // namespace bhasa

// `bhasa compare`: the regression gate between a baseline and a current run.
#include <cstdio>

#include "common/error.h"
#include "common/exit_codes.h"
#include "common/fs.h"
#include "harness/command.h"
#include "harness/flags.h"
#include "results/compare.h"
#include "results/run_set.h"

namespace bhasa {
namespace {

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

int CompareCommand(std::span<const std::string> args) {
  std::string baseline_arg, current_arg, thresholds_file, junit, format = "table";
  std::vector<std::string> more_baseline, more_current;
  double max_drop = -1, sigma = 0;
  Flags f("compare", "BASELINE CURRENT [--max-drop P] [--thresholds FILE] [--sigma K]",
          "Compares scores task by task and at every roll-up level. BASELINE and CURRENT are results.json\n"
          "files or run directories; give several runs of a side as a comma-separated list or with\n"
          "--baseline/--current. Exits 1 when a score drops by more than its threshold (and, with --sigma,\n"
          "by more than K standard errors of the delta). Refuses to compare different task versions.");
  f.Positional("BASELINE", &baseline_arg, "baseline results.json or run dir (comma-separated for several)")
      .Positional("CURRENT", &current_arg, "current results.json or run dir (comma-separated for several)")
      .List("baseline", &more_baseline, "more baseline runs", "PATH")
      .List("current", &more_current, "more current runs", "PATH")
      .Double("max-drop", &max_drop, "largest allowed drop in points for every row (-1 = no limit)")
      .String("thresholds", &thresholds_file, "YAML with max_drop and per-task/competency/language limits", "FILE")
      .Double("sigma", &sigma, "also require the drop to exceed K standard errors (needs several runs)")
      .String("junit", &junit, "write a JUnit XML report here", "FILE")
      .String("format", &format, "table or github (::error/::warning annotations)", "FORMAT");
  if (!f.Parse(args)) return kExitOk;
  if (format != "table" && format != "github")
    throw Error("compare: unknown --format '" + format + "' (expected table or github)", kExitUsage);
  if (sigma < 0) throw Error("compare: --sigma must be non-negative", kExitUsage);
  results::CompareOptions opts;
  if (!thresholds_file.empty()) opts.thresholds = results::LoadThresholds(thresholds_file);
  if (f.WasSet("max-drop")) {
    if (max_drop < 0) throw Error("compare: --max-drop must be non-negative", kExitUsage);
    opts.thresholds.max_drop = max_drop;
  }
  opts.sigma = sigma;
  auto load = [](const std::string& first, const std::vector<std::string>& more) {
    std::vector<results::RunInput> runs;
    for (const auto& p : SplitCommas(first)) runs.push_back(results::LoadRun(p));
    for (const auto& p : more) runs.push_back(results::LoadRun(p));
    return runs;
  };
  auto result = results::CompareRuns(load(baseline_arg, more_baseline), load(current_arg, more_current), opts);
  std::string text = format == "github" ? results::CompareGithub(result) : results::FormatCompareTable(result);
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!junit.empty()) WriteFileAtomic(junit, results::CompareJUnit(result));
  return result.regression() ? kExitRegression : kExitOk;
}

const RegisterCommand kCompare("compare", "regression gate: score deltas between a baseline and a current run",
                               CompareCommand);

}  // namespace
}  // namespace bhasa

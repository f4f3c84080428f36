// `bhasa compare`: the regression gate between a baseline and a current run.
#include <cstdio>

#include "common/error.h"
#include "common/exit_codes.h"
#include "common/fs.h"
#include "harness/command.h"
#include "harness/flags.h"
#include "results/compare.h"
#include "results/provenance.h"
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
  double max_drop = results::kDefaultMaxDrop, sigma = 0;
  bool allow_missing = false;
  Flags f("compare", "BASELINE CURRENT [--max-drop P] [--thresholds FILE] [--sigma K] [--allow-missing]",
          "Compares scores task by task and at every roll-up level. BASELINE and CURRENT are results.json\n"
          "files or run directories; give several runs of a side as a comma-separated list or with\n"
          "--baseline/--current. Exits 1 when a score drops by more than its limit (2 points unless\n"
          "--max-drop or a thresholds file says otherwise; with --sigma, also by more than K standard\n"
          "errors of the delta), or when a task row of BASELINE is missing in CURRENT (unless\n"
          "--allow-missing). When the task sets differ, group/competency/language/total rows are\n"
          "recomputed over the task rows both sides have. Warns on stderr when the runs differ in data\n"
          "hashes, --limit or decoding settings. Refuses to compare different task versions.");
  f.Positional("BASELINE", &baseline_arg, "baseline results.json or run dir (comma-separated for several)")
      .Positional("CURRENT", &current_arg, "current results.json or run dir (comma-separated for several)")
      .List("baseline", &more_baseline, "more baseline runs", "PATH")
      .List("current", &more_current, "more current runs", "PATH")
      .Double("max-drop", &max_drop, "largest allowed drop in points for rows no threshold names")
      .String("thresholds", &thresholds_file, "YAML with max_drop and per-task/competency/language limits", "FILE")
      .Double("sigma", &sigma, "also require the drop to exceed this many standard errors (needs several runs; 0: off)")
      .Bool("allow-missing", &allow_missing, "rows missing in CURRENT are reported, not failed")
      .String("junit", &junit, "write a JUnit XML report here", "FILE")
      .String("format", &format, "table, json, markdown or github (::error/::warning annotations)", "FORMAT");
  if (!f.Parse(args)) return kExitOk;
  if (format != "table" && format != "github" && format != "json" && format != "markdown")
    throw Error("compare: unknown --format '" + format + "' (expected table, json, markdown or github)", kExitUsage);
  if (sigma < 0) throw Error("compare: --sigma must be non-negative", kExitUsage);
  results::CompareOptions opts;
  if (!thresholds_file.empty()) opts.thresholds = results::LoadThresholds(thresholds_file);
  if (f.WasSet("max-drop")) {
    if (!(max_drop >= 0)) throw Error("compare: --max-drop must be non-negative", kExitUsage);
    opts.thresholds.max_drop = max_drop;
  }
  opts.sigma = sigma;
  opts.allow_missing = allow_missing;
  auto load = [](const std::string& first, const std::vector<std::string>& more) {
    std::vector<results::RunInput> runs;
    for (const auto& p : SplitCommas(first)) runs.push_back(results::LoadRun(p));
    for (const auto& p : more) runs.push_back(results::LoadRun(p));
    return runs;
  };
  const auto baseline = load(baseline_arg, more_baseline), current = load(current_arg, more_current);
  std::vector<const results::RunInput*> all;
  for (const auto* side : {&baseline, &current})
    for (const auto& r : *side) all.push_back(&r);
  results::PrintWarnings("compare", results::ProvenanceWarnings(all));
  auto result = results::CompareRuns(baseline, current, opts);
  std::string text;
  if (format == "github") text = results::CompareGithub(result);
  else if (format == "json") text = results::CompareJson(result).dump(2) + "\n";
  else if (format == "markdown") text = results::CompareMarkdown(result);
  else text = results::FormatCompareTable(result);
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!junit.empty()) WriteFileAtomic(junit, results::CompareJUnit(result));
  return result.gate_failed() ? kExitRegression : kExitOk;
}

const RegisterCommand kCompare("compare", "regression gate: score deltas between a baseline and a current run",
                               CompareCommand);

}  // namespace
}  // namespace bhasa

// `bhasa report`: a self-contained HTML report of one or more runs.
#include <cstdio>

#include "common/error.h"
#include "common/exit_codes.h"
#include "common/fs.h"
#include "harness/command.h"
#include "harness/flags.h"
#include "results/report.h"
#include "results/run_set.h"

namespace bhasa {
namespace {

int ReportCommand(std::span<const std::string> args) {
  std::vector<std::string> paths;
  std::string output, title;
  int samples = 8;
  results::ReportOptions opts;
  title = opts.title;
  Flags f("report", "RUN_DIR... -o report.html",
          "Writes one self-contained HTML file (no network access needed): leaderboard, bar charts per\n"
          "language and competency, and per-task samples with extraction failures.");
  f.Rest("RUN_DIR", &paths, "run directories (or results.json files; no drill-down for those)", 1)
      .String("output", &output, "the HTML file to write", "FILE")
      .Alias("-o", "--output")
      .String("title", &title, "page title", "TEXT")
      .Int("samples", &samples, "sample rows and extraction failures shown per task");
  if (!f.Parse(args)) return kExitOk;
  if (output.empty()) throw Error("report: give the output file with -o report.html", kExitUsage);
  if (samples < 0) throw Error("report: --samples must be non-negative", kExitUsage);
  opts.title = title;
  opts.samples_per_task = opts.failures_per_task = static_cast<size_t>(samples);
  std::vector<results::RunInput> runs;
  for (const auto& p : paths) runs.push_back(results::LoadRun(p));
  WriteFileAtomic(output, results::MakeReportHtml(results::GroupByModel(std::move(runs)), opts));
  std::printf("report: %s\n", output.c_str());
  return kExitOk;
}

const RegisterCommand kReport("report", "self-contained HTML report of runs (leaderboard, charts, samples)",
                              ReportCommand);

}  // namespace
}  // namespace bhasa

// results.json as `score`, `compare`, `export` and `report` read it: the
// document checks, the roll-up, a comparison of the run with itself under a
// thresholds file, the leaderboard entry and the HTML report.
// Input: results.json, thresholds YAML (fuzz/support.h parts).
#include "fuzz/support.h"
#include "results/bootstrap.h"
#include "results/compare.h"
#include "results/leaderboard.h"
#include "results/report.h"
#include "results/results_doc.h"
#include "results/run_set.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bhasa::results;
  static const bhasa::fuzz::ScratchDir dir;
  auto parts = bhasa::fuzz::SplitParts(data, size, 2);
  dir.Reset();
  std::string path = dir.Write("results.json", parts[0]);
  std::string thresholds = dir.Write("thresholds.yaml", parts[1]);
  bhasa::fuzz::ExpectErrorOnly([&] { FlattenResults(LoadResultsDoc(path)); });
  bhasa::fuzz::ExpectErrorOnly([&] {
    RunInput run = LoadRun(path);
    CompareOptions options;
    options.thresholds = LoadThresholds(thresholds);
    CompareResult r = CompareRuns({run}, {run}, options);
    FormatCompareTable(r);
    CompareJson(r).dump();
    CompareMarkdown(r);
    CompareJUnit(r);
    CompareGithub(r);
  });
  bhasa::fuzz::ExpectErrorOnly([&] {
    std::vector<ModelRuns> models = GroupByModel({LoadRun(path)});
    MakeReportHtml(models);
    // Two resamples run every line the default thirty do, at a fifteenth of the cost.
    BootstrapOptions bootstrap;
    bootstrap.n_bootstraps = 2;
    LeaderboardCsv(MakeLeaderboard(models, bootstrap));
  });
  return 0;
}

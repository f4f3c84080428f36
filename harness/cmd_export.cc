// `bhasa export`: leaderboard JSON or CSV (or SEA-HELM's scores.yaml) over runs.
#include <cstdio>

#include "common/error.h"
#include "common/exit_codes.h"
#include "common/fs.h"
#include "common/jsonl.h"
#include "harness/command.h"
#include "harness/flags.h"
#include "results/bootstrap.h"
#include "results/leaderboard.h"
#include "results/provenance.h"
#include "results/run_set.h"

namespace bhasa {
namespace {

int ExportCommand(std::span<const std::string> args) {
  results::BootstrapOptions opts;
  std::vector<std::string> run_dirs, languages = opts.sea_languages;
  std::string format = "leaderboard", output;
  int n_bootstraps = opts.n_bootstraps;
  long long seed = static_cast<long long>(results::kSeaHelmBootstrapSeed);
  Flags f("export", "RUN_DIR... [--format leaderboard|csv|seahelm-yaml] [-o FILE]",
          "Aggregates one or more runs per model with SEA-HELM's bootstrap over runs (30 resamples,\n"
          "numpy default_rng(94370244)) and writes the leaderboard JSON (mean and standard error per\n"
          "task, competency, language, overall and SEA average), the same numbers as CSV, or the\n"
          "notebook's scores.yaml. Per-row scores are converted to points with the scale their scorer\n"
          "declares (bhasa list metrics). A task's number comes from its per-row scores (their mean, or\n"
          "balanced accuracy for multiple choice), so it can differ from the scorer's corpus-level metric\n"
          "in results.json, which bhasa report shows.\n"
          "Warns on stderr when the runs differ in data hashes, --limit or decoding settings.");
  f.Rest("RUN_DIR", &run_dirs, "run directories <out>/<model>/run_<n>/ (several models allowed)", 1)
      .String("format", &format, "leaderboard (JSON), csv, or seahelm-yaml (one model)", "FORMAT")
      .String("output", &output, "write here instead of stdout", "FILE")
      .Alias("-o", "--output")
      .List("languages", &languages, "languages of the SEA average")
      .Int("bootstraps", &n_bootstraps, "number of resamples")
      .Int64("seed", &seed, "bootstrap seed");
  if (!f.Parse(args)) return kExitOk;
  if (format != "leaderboard" && format != "csv" && format != "seahelm-yaml")
    throw Error("export: unknown --format '" + format + "' (expected leaderboard, csv or seahelm-yaml)", kExitUsage);
  if (n_bootstraps < 2) throw Error("export: --bootstraps must be at least 2", kExitUsage);
  if (seed < 0) throw Error("export: --seed must be non-negative", kExitUsage);
  opts.seed = static_cast<uint64_t>(seed);
  opts.n_bootstraps = n_bootstraps;
  opts.sea_languages = languages;

  std::vector<results::RunInput> runs;
  for (const auto& p : run_dirs) runs.push_back(results::LoadRun(p));
  std::vector<const results::RunInput*> all;
  for (const auto& r : runs) all.push_back(&r);
  results::PrintWarnings("export", results::ProvenanceWarnings(all));
  auto models = results::GroupByModel(std::move(runs));
  std::string text;
  if (format == "leaderboard") {
    text = results::MakeLeaderboard(models, opts).dump(2) + "\n";
  } else if (format == "csv") {
    text = results::LeaderboardCsv(results::MakeLeaderboard(models, opts));
  } else {
    if (models.size() != 1)
      throw Error("export: --format seahelm-yaml writes one model's scores.yaml; got " +
                      std::to_string(models.size()) + " models",
                  kExitUsage);
    text = results::ScoresYaml(results::BootstrapScores(results::CollectTaskRuns(models[0]), opts));
  }
  if (output.empty() || output == "-") std::fwrite(text.data(), 1, text.size(), stdout);
  else WriteFileAtomic(output, text);
  return kExitOk;
}

const RegisterCommand kExport("export", "leaderboard JSON / scores.yaml with bootstrap standard errors over runs",
                              ExportCommand);

}  // namespace
}  // namespace bhasa

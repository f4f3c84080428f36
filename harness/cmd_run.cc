// `bhasa run` and `bhasa score`: evaluate a model, or re-score a run directory.
#include <cstdio>

#include "common/error.h"
#include "common/exit_codes.h"
#include "common/fs.h"
#include "common/jsonl.h"
#include "harness/backend_check.h"
#include "harness/command.h"
#include "harness/decoding.h"
#include "harness/evaluation.h"
#include "harness/pipeline.h"
#include "harness/provenance.h"
#include "harness/plan.h"
#include "harness/run_options.h"
#include "results/journal.h"
#include "results/run_dir.h"
#include "results/run_lock.h"
#include "tasks/task_config.h"

namespace bhasa {
namespace {

struct PreparedRun {
  tasks::TaskCatalog catalog;
  std::vector<std::unique_ptr<tasks::Task>> tasks;
  std::vector<tasks::Task*> ptrs;
  bool needs_judge = false;
};

// Loads the catalog, resolves the plan and builds every task, which reads and
// validates its data before any request is sent.
PreparedRun Prepare(const RunOptions& o) {
  PreparedRun p;
  p.catalog = tasks::LoadCatalog(o.tasks_dir);
  PlanRequest req{o.tasks, o.languages, o.suite, o.model_kind == "base"};
  auto plan = ResolvePlan(p.catalog, req);
  if (plan.empty()) throw Error("nothing to run: no task has the requested languages", kExitUsage);
  tasks::TaskContext ctx = MakeTaskContext(o);
  for (const auto& pt : plan) {
    const auto& cfg = p.catalog.Get(pt.task);
    // Reasoning models run such tasks on every run, as SEA-HELM lets them.
    if (cfg.max_n_runs > 0 && o.run >= cfg.max_n_runs && !o.reasoning) {
      std::fprintf(stderr, "bhasa: skipping %s (%s): it runs at most %d time(s) (max_n_runs), this is run %d\n",
                   pt.task.c_str(), pt.lang.c_str(), cfg.max_n_runs, o.run);
      continue;
    }
    p.tasks.push_back(tasks::MakeTask(cfg, pt.lang, ctx));
    if (cfg.raw.value("use_judges", false) && cfg.family == "mtbench") p.needs_judge = true;
  }
  if (p.tasks.empty()) throw Error("nothing to run: every planned task is past its max_n_runs", kExitUsage);
  for (auto& t : p.tasks) p.ptrs.push_back(t.get());
  return p;
}

// Tasks the backend cannot run (log-likelihood tasks without
// log-probabilities) are left out, saying why, and the rest runs.
void SkipTasksTheBackendCannotRun(PreparedRun& p, const BackendCapabilities& caps, const std::string& backend) {
  std::erase_if(p.tasks, [&](const std::unique_ptr<tasks::Task>& t) {
    const std::string why = WhyBackendCannotRun(t->config(), caps, backend);
    if (why.empty()) return false;
    std::fprintf(stderr, "bhasa: skipping %s (%s): %s\n", t->config().name.c_str(), t->lang().c_str(), why.c_str());
    return true;
  });
  p.ptrs.clear();
  for (auto& t : p.tasks) p.ptrs.push_back(t.get());
  if (p.tasks.empty()) throw Error("nothing to run: the " + backend + " backend can run none of the planned tasks", kExitUsage);
}

nlohmann::json RunMeta(const RunOptions& o, const nlohmann::json& backend_desc, const PipelineStats& stats) {
  return {{"model", {{"name", o.model_name}, {"path", o.model}}},
          {"backend", backend_desc},
          {"run", {{"run_number", o.run}, {"seed", o.seed}, {"model_kind", o.model_kind}, {"limit", o.limit},
                   {"tasks_dir", o.tasks_dir}, {"data_dir", o.data_dir}}},
          {"requests", {{"reused", stats.reused}, {"asked", stats.asked}, {"failed", stats.failed}}}};
}

int Finish(const EvaluationSummary& s, const results::RunDir& dir, const PipelineStats& stats, const RunClock& clock) {
  std::fputs(FormatScoreTable(s.results).c_str(), stdout);
  std::printf("\nrequests: %zu from the journal, %zu asked, %zu failed\n", stats.reused, stats.asked, stats.failed);
  std::fputs(FormatProvenance(s.results.value("meta", nlohmann::json::object())).c_str(), stdout);
  std::printf("elapsed: %.1f s\n", clock.ElapsedSeconds());
  std::printf("results: %s\n", dir.ResultsPath().c_str());
  if (s.failed_rows > 0 || s.failed_tasks > 0) {
    std::fprintf(stderr,
                 "bhasa: %d row(s) had failed requests and %d task(s) failed to score; "
                 "run the same command again to retry only those\n",
                 s.failed_rows, s.failed_tasks);
    return kExitIncomplete;
  }
  return kExitOk;
}

int RunCommand(std::span<const std::string> args) {
  const RunClock clock;
  RunOptions o;
  Flags f("run", "--model PATH [--tasks T] [--languages L] [options]",
          "Evaluates a model on tasks x languages. The run directory survives crashes: run the same\n"
          "command again and it re-asks only what is missing from responses.jsonl.");
  DeclareRunFlags(f, o);
  if (!f.Parse(args)) return kExitOk;
  FinalizeRunOptions(o);
  ResolveDecoding(o, f.WasSet("seed"));
  PreparedRun p = Prepare(o);
  WarnIfBundledSamples(o.data_dir);

  // Backends are made and asked before the run directory exists: an
  // unreachable server stops here with exit 3.
  std::unique_ptr<Backend> backend = MakeBackend(o.backend, MakeBackendOptions(o));
  const BackendCapabilities caps = CheckBackend(*backend, "model", o.model_kind == "base");
  SkipTasksTheBackendCannotRun(p, caps, backend->name());
  std::unique_ptr<Backend> judge;
  if (p.needs_judge) {
    if (o.judge_backend.empty())
      throw Error("MT-Bench needs a judge: give --judge-backend (openai, native or replay) and --judge-url/--judge-model",
                  kExitUsage);
    judge = MakeBackend(o.judge_backend == "builtin" ? "native" : o.judge_backend, MakeJudgeOptions(o));
    CheckBackend(*judge, "judge", false);
  }

  results::RunDir dir(o.output, o.model_name, o.run);
  dir.Create();
  const results::RunLock lock(dir);
  nlohmann::json config = {{"options", RunOptionsToJson(o)}, {"model_name", o.model_name}};
  for (const auto* t : p.ptrs) config["plan"].push_back({{"task", t->config().name}, {"lang", t->lang()}});
  WriteFileAtomic(dir.ConfigPath(), DumpJson(config, 2) + "\n");

  results::Journal journal(dir.JournalPath());
  if (journal.size() > 0)
    std::fprintf(stderr, "bhasa: resuming %s (%zu saved responses%s)\n", dir.root().c_str(), journal.size(),
                 journal.had_torn_tail() ? ", a torn last line ignored" : "");
  tasks::ResponseMap done;
  PipelineStats stats = RunRounds(p.ptrs, backend.get(), judge.get(), journal, done);
  nlohmann::json meta = RunMeta(o, backend->Describe(), stats);
  if (judge) meta["judge"] = judge->Describe();
  FileHashCache hashes(dir.root() + "/file_hashes.json");
  AddProvenance(meta, o.data_dir, DataFilesRead(p.ptrs, o.data_dir, o.model_kind == "base"), stats, clock, hashes);
  EvaluationSummary s = ScoreAndWrite(p.tasks, done, dir, meta);
  return Finish(s, dir, stats, clock);
}

int ScoreCommand(std::span<const std::string> args) {
  const RunClock clock;
  std::string run_dir, thai_dict, langid_model, tasks_dir, data_dir;
  bool strip_think = false;
  Flags f("score", "RUN_DIR [options]",
          "Re-scores the saved responses of a run directory without inference and rewrites its\n"
          "inferences/ and results.json. Requests missing from the journal count as failed.");
  f.Positional("RUN_DIR", &run_dir, "a run directory <out>/<model>/run_<n>/")
      .String("tasks-dir", &tasks_dir, "override the task definitions recorded in the run", "DIR")
      .String("data-dir", &data_dir, "override the data directory recorded in the run", "DIR")
      .String("thai-dict", &thai_dict, "word list for newmm-compatible Thai segmentation", "FILE")
      .String("langid-model", &langid_model, "fastText lid.176 model for IFEval language checks", "FILE")
      .Bool("strip-think", &strip_think, "drop text through the last </think> before scoring");
  if (!f.Parse(args)) return kExitOk;
  results::RunDir dir = results::RunDir::Open(run_dir);
  const results::RunLock lock(dir);
  auto config = nlohmann::json::parse(ReadFile(dir.ConfigPath()), nullptr, false);
  if (config.is_discarded() || !config.contains("options"))
    throw Error(dir.ConfigPath() + ": malformed run configuration");
  RunOptions o = RunOptionsFromJson(config["options"], dir.ConfigPath());
  if (!tasks_dir.empty()) o.tasks_dir = tasks_dir;
  if (!data_dir.empty()) o.data_dir = data_dir;
  if (f.WasSet("thai-dict")) o.thai_dict = thai_dict;
  if (f.WasSet("langid-model")) o.langid_model = langid_model;
  if (f.WasSet("strip-think")) o.strip_think = strip_think;
  PreparedRun p = Prepare(o);
  results::Journal journal(dir.JournalPath());
  tasks::ResponseMap done;
  PipelineStats stats = RunRounds(p.ptrs, nullptr, nullptr, journal, done);
  nlohmann::json recorded = RecordedBackends(dir.ResultsPath());
  nlohmann::json backend = recorded.value("backend", nlohmann::json{{"backend", o.backend}});
  backend["rescored"] = true;
  nlohmann::json meta = RunMeta(o, backend, stats);
  if (recorded.contains("judge")) meta["judge"] = recorded["judge"];
  FileHashCache hashes(dir.root() + "/file_hashes.json");
  AddProvenance(meta, o.data_dir, DataFilesRead(p.ptrs, o.data_dir, o.model_kind == "base"), stats, clock, hashes);
  EvaluationSummary s = ScoreAndWrite(p.tasks, done, dir, meta);
  return Finish(s, dir, stats, clock);
}

const RegisterCommand kRun("run", "evaluate a model on tasks x languages (resumable)", RunCommand);
const RegisterCommand kScore("score", "re-score a run directory's saved responses without inference", ScoreCommand);

}  // namespace
}  // namespace bhasa

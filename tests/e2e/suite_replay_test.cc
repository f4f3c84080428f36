// End-to-end: every task × language of the bundled suite through
// `bhasa run --backend replay`, answered from the samples' gold data (labels,
// references, IFEval sample answers, MT-Bench judge verdicts favouring the
// model), then `bhasa data check` over the same data.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/jsonl.h"
#include "tasks/dataset.h"
#include "tasks/task_config.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

namespace fs = std::filesystem;
using testing::BhasaBinary;
using testing::RunCommand;
using testing::SourceDir;

// One answer per request id, built from each row's gold data.
size_t WriteGoldAnswers(const tasks::TaskCatalog& cat, const std::string& path) {
  std::ofstream out(path);
  size_t n = 0;
  auto emit = [&](const std::string& id, const std::string& text) {
    out << nlohmann::json({{"id", id}, {"response", text}, {"finish_reason", "stop"}}).dump() << "\n";
    ++n;
  };
  for (const auto& [name, cfg] : cat.tasks) {
    if (cfg.use_logprobs) continue;  // not in "all"
    for (const auto& [lang, lc] : cfg.languages) {
      auto rows = ReadJsonlAll(tasks::TestSplitPath(SourceDir() + "/data/samples", name, lang));
      for (const auto& row : rows) {
        std::string base = name + "/" + lang + "/" + tasks::RowId(row);
        if (cfg.family == "mtbench") {
          emit(base + "/t1", "First answer.");
          emit(base + "/t2", "Second answer.");
          for (const char* t : {"t1", "t2"}) {
            emit(base + "/judge/" + t + "/baseline-before", "Assistant B is better. [[B]]");
            emit(base + "/judge/" + t + "/baseline-after", "Assistant A is better. [[A]]");
          }
        } else if (cfg.family == "ifeval" || cfg.family == "ifeval_en") {
          emit(base + "/t1", row["metadata"]["sample_answer"].get<std::string>());
        } else {
          const auto& label = row["label"];
          std::string gold = label.is_array() ? label[0].get<std::string>() : label.get<std::string>();
          emit(base + "/t1", lc.prompt.answer_tag + " " + gold);
        }
      }
    }
  }
  return n;
}

TEST(SuiteReplay, EveryTaskAndLanguageScoresFromGoldAnswers) {
  auto dir = testing::TempDir("suite");
  auto cat = tasks::LoadCatalog(SourceDir() + "/tasks");
  std::string answers = dir + "/answers.jsonl";
  ASSERT_GT(WriteGoldAnswers(cat, answers), 400u);
  std::string log;
  ASSERT_EQ(RunCommand(BhasaBinary() + " run --backend replay --replay " + answers +
                           " --judge-backend replay --output " + dir + "/runs --model-name gold",
                       &log),
            0)
      << log;
  auto doc = nlohmann::json::parse(ReadFile(dir + "/runs/gold/run_0/results.json"));
  const auto& res = doc["results"];
  int pairs = 0;
  for (const auto& [name, cfg] : cat.tasks) {
    if (cfg.use_logprobs) {  // log-likelihood tasks run only when named
      EXPECT_FALSE(doc["tasks"].contains(name)) << name;
      continue;
    }
    ASSERT_TRUE(doc["tasks"].contains(name)) << name;
    EXPECT_EQ(doc["tasks"][name]["version"], "1") << name;
    for (const auto& [lang, lc] : cfg.languages) {
      SCOPED_TRACE(name + " " + lang);
      ASSERT_TRUE(res.contains(lang));
      ASSERT_TRUE(res[lang].contains(cfg.competency));
      ASSERT_TRUE(res[lang][cfg.competency].contains(name));
      const auto& m = res[lang][cfg.competency][name];
      ASSERT_TRUE(m.contains(cfg.metric)) << m.dump();
      double score = m[cfg.metric].get<double>();
      EXPECT_FALSE(m.contains("error")) << m.dump();
      if (cfg.family == "ifeval") {
        // Every sample answer follows its instruction; the language gate (CLD2
        // on short answers) may reject some, so only the ungated rate is exact.
        EXPECT_DOUBLE_EQ(m["overall_acc"].get<double>(), 100.0) << m.dump();
        EXPECT_GE(score, 50.0);
      } else {
        EXPECT_NEAR(score, 100.0, 1e-6) << m.dump();
      }
      ++pairs;
    }
  }
  EXPECT_EQ(pairs, 42);
  EXPECT_NEAR(res["id"]["nlg"]["translations"].get<double>(), 100.0, 1e-6);
  // Per-row inference files exist for grouped and plain tasks alike.
  EXPECT_TRUE(fs::exists(dir + "/runs/gold/run_0/inferences/th/translations/gold_translation-xx-en_th.jsonl"));
  auto mt = ReadJsonlAll(dir + "/runs/gold/run_0/inferences/ta/mt-bench/gold_mt-bench_ta.jsonl");
  ASSERT_EQ(mt.size(), 10u);
  EXPECT_EQ(mt[0]["individual_scores"]["weighted_win_rate"], nlohmann::json({1.0, 1.0}));
}

TEST(SuiteReplay, BaseModelsSkipInstructionFollowingAndChatTasks) {
  auto dir = testing::TempDir("suite-base");
  std::string answers = dir + "/answers.jsonl";
  std::ofstream(answers) << R"({"id": "none", "response": "x"})" << "\n";
  std::string log;
  // Base models: 5-shot prompts; replay has no answers, so the run is incomplete (exit 4),
  // but the plan must hold no if-eval, ifeval or mt-bench task.
  int rc = RunCommand(BhasaBinary() + " run --backend replay --replay " + answers + " --model-kind base --suite seahelm" +
                          " --languages id --output " + dir + "/runs --model-name base",
                      &log);
  EXPECT_EQ(rc, 4) << log;
  auto config = nlohmann::json::parse(ReadFile(dir + "/runs/base/run_0/config.json"));
  std::set<std::string> planned;
  for (const auto& p : config["plan"]) planned.insert(p["task"].get<std::string>());
  EXPECT_EQ(planned, (std::set<std::string>{"sentiment", "qa", "toxicity", "translation-en-xx", "translation-xx-en",
                                            "abssum", "causal", "nli"}));
}

TEST(DataCheckCli, CleanSamplesPassAndBadRowsAreEachReported) {
  std::string log;
  EXPECT_EQ(RunCommand(BhasaBinary() + " data check", &log), 0) << log;
  EXPECT_NE(log.find("42 task x language pair(s)"), std::string::npos) << log;
  EXPECT_NE(log.find(": 0 problem(s)"), std::string::npos) << log;

  auto dir = testing::TempDir("datacheck");
  fs::create_directories(dir + "/nli/id");
  std::ofstream(dir + "/nli/id/test.jsonl")
      << R"({"id": "a", "label": "A", "prompts": [{"sentence1": "x", "sentence2": "y"}]})" << "\n"
      << R"({"id": "b", "label": "Z", "prompts": [{"sentence1": "x"}]})" << "\n"
      << "{broken\n";
  EXPECT_EQ(RunCommand(BhasaBinary() + " data check --data-dir " + dir + " --tasks nli --languages id", &log), 2) << log;
  const std::string f = dir + "/nli/id/test.jsonl";
  EXPECT_NE(log.find(f + ":2: row 'b': column 'label': gold label 'Z' is outside the label set (A, B, C)"),
            std::string::npos) << log;
  EXPECT_NE(log.find(f + ":2: row 'b': missing column 'prompts[0].sentence2'"), std::string::npos) << log;
  EXPECT_NE(log.find(f + ":3: malformed JSON"), std::string::npos) << log;
  EXPECT_NE(log.find(dir + "/nli/id/examples.jsonl: file not found"), std::string::npos) << log;
  EXPECT_NE(log.find("4 problem(s)"), std::string::npos) << log;

  EXPECT_EQ(RunCommand(BhasaBinary() + " data nosuch", &log), 2);
  EXPECT_NE(log.find("unknown subcommand 'nosuch'"), std::string::npos) << log;
}

TEST(DataCheckCli, SeaHelmTasksDirChecksOurSamplesUnderItsOwnConfigs) {
  BHASA_REQUIRE_SHARED("seahelm/seahelm_tasks");
  std::string log;
  EXPECT_EQ(RunCommand(BhasaBinary() + " data check --tasks-dir " + testing::SharedDir() +
                           "/seahelm/seahelm_tasks --tasks sentiment,qa,nli,causal --languages id,vi,th,ta",
                       &log),
            0)
      << log;
  EXPECT_NE(log.find("16 task x language pair(s)"), std::string::npos) << log;
}

}  // namespace
}  // namespace bhasa

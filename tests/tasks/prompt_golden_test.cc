// Rendered prompts, character for character, against goldens written by
// tests/tasks/golden/make_golden.py (SPEC 5.1 in Python over the same YAML and
// sample rows): every family × language of tasks/*.yaml, instruct and 5-shot
// base, and SEA-HELM's own sentiment/qa/nli configs loaded unchanged.
#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "tasks/task.h"
#include "tasks/task_config.h"
#include "tests/test_support.h"

namespace bhasa::tasks {
namespace {

namespace fs = std::filesystem;
using testing::SharedDir;
using testing::SourceDir;

std::string GoldenDir() { return SourceDir() + "/tests/tasks/golden"; }

// Compares every request of round 0 with the golden conversations; returns the
// number of rows compared.
int CompareGolden(const TaskCatalog& cat, const std::string& golden_path) {
  auto golden = nlohmann::json::parse(ReadFile(golden_path));
  const auto& cfg = cat.Get(golden["task"].get<std::string>());
  int compared = 0;
  for (const auto& [lang, kinds] : golden["languages"].items()) {
    for (const auto& [kind, rows] : kinds.items()) {
      TaskContext ctx;
      ctx.kind = kind == "base" ? ModelKind::kBase : ModelKind::kInstruct;
      ctx.data_dir = SourceDir() + "/" + golden["data_dir"].get<std::string>();
      auto task = MakeTask(cfg, lang, ctx);
      auto reqs = task->Requests(0, {});
      EXPECT_EQ(reqs.size(), rows.size()) << golden_path << " " << lang << " " << kind;
      for (const auto& r : reqs) {
        std::string row_id = r.id.substr(0, r.id.rfind('/'));
        row_id = row_id.substr(row_id.rfind('/') + 1);
        SCOPED_TRACE(golden_path + " " + lang + " " + kind + " row " + row_id);
        if (!rows.contains(row_id)) {
          ADD_FAILURE() << "no golden for row " << row_id;
          continue;
        }
        const auto& want = rows[row_id];
        if (r.messages.size() != want.size()) {
          ADD_FAILURE() << r.messages.size() << " messages, golden has " << want.size();
          continue;
        }
        for (size_t i = 0; i < want.size(); ++i) {
          EXPECT_EQ(r.messages[i].role, want[i][0].get<std::string>()) << "message " << i;
          EXPECT_EQ(r.messages[i].content, want[i][1].get<std::string>()) << "message " << i;
        }
        if (kind == "base") {
          EXPECT_EQ(r.messages.size(), 2u * golden["shots"].get<size_t>() + 1);
          EXPECT_EQ(r.params.stop, std::vector<std::string>{cfg.languages.at(lang).prompt.answer_tag});  // SPEC 6.2
          EXPECT_TRUE(r.params.include_stop_str_in_output);
        } else {
          EXPECT_EQ(r.messages.size(), 1u);
          EXPECT_TRUE(r.params.stop.empty());
        }
        ++compared;
      }
    }
  }
  return compared;
}

TEST(PromptGolden, OurTasksMatchThePythonRenderingForEveryFamilyAndLanguage) {
  auto cat = LoadCatalog(SourceDir() + "/tasks");
  std::map<std::string, int> per_task;
  for (const auto& e : fs::directory_iterator(GoldenDir() + "/ours")) {
    if (e.path().extension() != ".json") continue;
    per_task[e.path().stem().string()] = CompareGolden(cat, e.path().string());
  }
  // 8 test rows per language: sentiment 10×4, qa/translation/abssum/causal/nli
  // 8×4 × (instruct + base), toxicity 8×3 × 2, if-eval 10×5, ifeval 10.
  EXPECT_EQ(per_task["sentiment"], 80);
  for (const char* t : {"qa", "translation-en-xx", "translation-xx-en", "abssum", "causal", "nli"})
    EXPECT_EQ(per_task[t], 64) << t;
  EXPECT_EQ(per_task["toxicity"], 48);
  EXPECT_EQ(per_task["if-eval"], 50);
  EXPECT_EQ(per_task["ifeval"], 10);
}

TEST(PromptGolden, SeaHelmConfigsRenderExactlyAsSeaHelmWould) {
  BHASA_REQUIRE_SHARED("seahelm/seahelm_tasks");
  auto cat = LoadCatalog(SharedDir() + "/seahelm/seahelm_tasks");
  for (const char* t : {"sentiment", "qa", "nli"}) {
    std::string path = GoldenDir() + "/seahelm/" + t + ".json";
    ASSERT_TRUE(fs::exists(path)) << path << " (run tests/tasks/golden/make_golden.py)";
    EXPECT_GT(CompareGolden(cat, path), 50) << t;
  }
}

// tests/parity/seahelm_prompts: instruct prompts rendered by SEA-HELM's own
// dataloader code (tests/parity/gen_seahelm_prompts.py), not a restatement.
TEST(PromptGolden, SeaHelmDataloaderCodeRendersTheSameInstructPrompts) {
  BHASA_REQUIRE_SHARED("seahelm/seahelm_tasks");
  auto cat = LoadCatalog(SharedDir() + "/seahelm/seahelm_tasks");
  for (const char* t : {"sentiment", "qa", "nli"}) {
    std::string path = SourceDir() + "/tests/parity/seahelm_prompts/" + t + ".json";
    ASSERT_TRUE(fs::exists(path)) << path;
    EXPECT_GE(CompareGolden(cat, path), 32) << t;  // 8-10 rows in each of id, vi, th, ta
  }
}

TEST(PromptGolden, MaxTokensPerTaskFollowSeaHelm) {
  // SPEC 6.1: the same per-task budget in every language.
  auto cat = LoadCatalog(SourceDir() + "/tasks");
  const std::map<std::string, int> want = {{"qa", 256},  {"sentiment", 32},          {"toxicity", 64},
                                           {"abssum", 512}, {"translation-en-xx", 256}, {"translation-xx-en", 256},
                                           {"causal", 128}, {"nli", 128},              {"if-eval", 4096},
                                           {"ifeval", 2048}, {"mt-bench", 1024}};
  for (const auto& [task, tokens] : want)
    for (const auto& [lang, lc] : cat.Get(task).languages) EXPECT_EQ(lc.max_tokens, tokens) << task << " " << lang;
  TaskContext ctx;
  ctx.data_dir = SourceDir() + "/data/samples";
  ctx.max_tokens_bonus = 20000;  // --reasoning
  auto reqs = MakeTask(cat.Get("nli"), "th", ctx)->Requests(0, {});
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs[0].params.max_tokens, 20128);
}

}  // namespace
}  // namespace bhasa::tasks

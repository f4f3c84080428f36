// IFEval and MT-Bench tasks: the rounds they ask, the judge requests, and
// scoring through the registered scorers with hand-computed results.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/fs.h"
#include "common/jsonl.h"
#include "common/pystr.h"
#include "tasks/task.h"
#include "tasks/task_config.h"
#include "tests/test_support.h"

namespace bhasa::tasks {
namespace {

using testing::SourceDir;

const TaskCatalog& Ours() {
  static TaskCatalog cat = LoadCatalog(SourceDir() + "/tasks");
  return cat;
}

TaskContext Ctx() {
  TaskContext ctx;
  ctx.data_dir = SourceDir() + "/data/samples";
  return ctx;
}

Response Ok(const std::string& id, const std::string& text) {
  Response r;
  r.request_id = id;
  r.text = text;
  r.finish_reason = "stop";
  return r;
}

TEST(IfevalTask, OneStrippedTurnScoredFromTheRowsInstructions) {
  auto task = MakeTask(Ours().Get("if-eval"), "id", Ctx());
  auto reqs = task->Requests(0, {});
  auto rows = ReadJsonlAll(SourceDir() + "/data/samples/if-eval/id/test.jsonl");
  ASSERT_EQ(reqs.size(), rows.size());
  EXPECT_EQ(reqs[0].messages.size(), 1u);
  EXPECT_EQ(reqs[0].messages[0].content, py::Strip(rows[0]["prompts"][0]["text"].get<std::string>()));
  EXPECT_EQ(reqs[0].params.max_tokens, 4096);
  EXPECT_TRUE(task->Requests(1, {}).empty());
  // The sample answers follow every instruction; row 0's answer is replaced by
  // one that misses its end phrase.
  ResponseMap done;
  for (size_t i = 0; i < rows.size(); ++i)
    done[reqs[i].id] = Ok(reqs[i].id, i == 0 ? "Air itu penting untuk kesehatan tubuh kita setiap hari."
                                             : rows[i]["metadata"]["sample_answer"].get<std::string>());
  auto out = task->Score(done);
  EXPECT_DOUBLE_EQ(out.metrics["overall_acc"].get<double>(), 90.0);
  EXPECT_EQ(out.metrics["overall_count"], 10);
  EXPECT_EQ(out.rows[0]["individual_scores"]["overall_lang_normalized_acc"], false);
}

TEST(IfevalTask, BaseModelsGetTheSameZeroShotPromptAndNoAnswerTagStop) {
  TaskContext ctx = Ctx();
  ctx.kind = ModelKind::kBase;
  auto reqs = MakeTask(Ours().Get("ifeval"), "en", ctx)->Requests(0, {});
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs[0].messages.size(), 1u);
  EXPECT_TRUE(reqs[0].params.stop.empty());
}

TEST(IfevalTask, EnglishIfevalScoresPromptLevelStrictAccuracy) {
  auto task = MakeTask(Ours().Get("ifeval"), "en", Ctx());
  auto reqs = task->Requests(0, {});
  auto rows = ReadJsonlAll(SourceDir() + "/data/samples/ifeval/en/test.jsonl");
  ResponseMap done;
  for (size_t i = 0; i < rows.size(); ++i)
    done[reqs[i].id] = Ok(reqs[i].id, rows[i]["metadata"]["sample_answer"].get<std::string>());
  // Row 0 forbids commas: answer it with one.
  done[reqs[0].id] = Ok(reqs[0].id, "The sun shines, and children play.");
  auto out = task->Score(done);
  EXPECT_DOUBLE_EQ(out.metrics["normalized_prompt_level_strict_acc"].get<double>(), 90.0);
}

class MtBenchTaskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    task_ = MakeTask(Ours().Get("mt-bench"), "en", Ctx());
    rows_ = ReadJsonlAll(SourceDir() + "/data/samples/mt-bench/en/test.jsonl");
  }
  std::unique_ptr<Task> task_;
  std::vector<nlohmann::json> rows_;
};

TEST_F(MtBenchTaskTest, AsksTurnOneThenTurnTwoWithTheConversationThenTheJudge) {
  auto r0 = task_->Requests(0, {});
  ASSERT_EQ(r0.size(), rows_.size());
  EXPECT_EQ(r0[0].id, "mt-bench/en/en-mt00/t1");
  EXPECT_EQ(r0[0].messages.size(), 1u);
  EXPECT_EQ(r0[0].params.max_tokens, 1024);
  EXPECT_TRUE(r0[0].role.empty());

  ResponseMap done;
  for (const auto& r : r0) done[r.id] = Ok(r.id, "answer one of " + r.id);
  done[r0[1].id].status = ResponseStatus::kFailed;  // question 1 is not continued
  auto r1 = task_->Requests(1, done);
  ASSERT_EQ(r1.size(), rows_.size() - 1);
  ASSERT_EQ(r1[0].messages.size(), 3u);
  EXPECT_EQ(r1[0].messages[0].content, rows_[0]["prompts"][0]["text"]);
  EXPECT_EQ(r1[0].messages[1].role, "assistant");
  EXPECT_EQ(r1[0].messages[1].content, "answer one of mt-bench/en/en-mt00/t1");
  EXPECT_EQ(r1[0].messages[2].content, rows_[0]["prompts"][1]["text"]);

  for (const auto& r : r1) done[r.id] = Ok(r.id, "answer two");
  auto r2 = task_->Requests(2, done);
  ASSERT_EQ(r2.size(), 4 * (rows_.size() - 1));  // 2 turns × 2 orders, question 1 skipped
  EXPECT_EQ(r2[0].id, "mt-bench/en/en-mt00/judge/t1/baseline-before");
  EXPECT_EQ(r2[1].id, "mt-bench/en/en-mt00/judge/t1/baseline-after");
  EXPECT_EQ(r2[0].role, "judge");
  EXPECT_EQ(r2[0].params.max_tokens, 2048);
  ASSERT_TRUE(r2[0].params.temperature.has_value());
  EXPECT_DOUBLE_EQ(*r2[0].params.temperature, 0.6);
  ASSERT_EQ(r2[0].messages.size(), 2u);
  EXPECT_EQ(r2[0].messages[0].role, "system");
  // baseline-before: assistant A is the baseline, B the model.
  const std::string baseline1 = rows_[0]["baselines"]["gpt-4.1-2025-04-14"][0];
  EXPECT_NE(r2[0].messages[1].content.find("[The Start of Assistant A's Answer]\n" + baseline1), std::string::npos);
  EXPECT_NE(r2[1].messages[1].content.find("[The Start of Assistant A's Answer]\nanswer one of"), std::string::npos);
  // Math rows are judged against the reference answer.
  bool saw_reference = false;
  for (const auto& r : r2)
    if (r.messages[1].content.find("[The Start of Reference Answer]") != std::string::npos) saw_reference = true;
  EXPECT_TRUE(saw_reference);
  EXPECT_TRUE(task_->Requests(3, done).empty());
}

TEST_F(MtBenchTaskTest, VerdictsBecomeTheCategoryWeightedWinRate) {
  ResponseMap done;
  for (const auto& r : task_->Requests(0, {})) done[r.id] = Ok(r.id, "a1");
  for (const auto& r : task_->Requests(1, done)) done[r.id] = Ok(r.id, "a2");
  // The model wins everything in both orders (before: [[B]], after: [[A]]),
  // except the math questions, where the judge calls a tie.
  for (const auto& r : task_->Requests(2, done)) {
    bool math = r.messages[1].content.find("[The Start of Reference Answer]") != std::string::npos ||
                r.messages[1].content.find("<|The Start of Reference Answer|>") != std::string::npos;
    bool before = r.id.find("baseline-before") != std::string::npos;
    done[r.id] = Ok(r.id, math ? "Equal. [[C]]" : before ? "B is better. [[B]]" : "[[A]]");
  }
  auto out = task_->Score(done);
  // Categories: writing, roleplay, stem, humanities, extraction win (1.0);
  // math and reasoning (both have references) tie (0.5) → (5 + 0.5 + 0.5) / 7.
  EXPECT_NEAR(out.metrics["weighted_win_rate"].get<double>(), 100.0 * 6.0 / 7.0, 1e-9);
  EXPECT_EQ(out.n_failed, 0);
  EXPECT_EQ(out.rows.size(), rows_.size());
  EXPECT_EQ(out.rows[0]["responses"], nlohmann::json({"a1", "a2"}));
  EXPECT_EQ(out.rows[0]["judge_responses"].size(), 4u);
}

TEST_F(MtBenchTaskTest, MissingJudgementsAreErrorsAndTheRowCountsAsFailed) {
  ResponseMap done;
  for (const auto& r : task_->Requests(0, {})) done[r.id] = Ok(r.id, "a1");
  for (const auto& r : task_->Requests(1, done)) done[r.id] = Ok(r.id, "a2");
  auto out = task_->Score(done);  // no judge answered
  EXPECT_EQ(out.n_failed, static_cast<int>(rows_.size()));
  EXPECT_DOUBLE_EQ(out.metrics["weighted_win_rate"].get<double>(), 0.0);
  EXPECT_EQ(out.metrics["missing_judgements"], 4 * static_cast<int>(rows_.size()));
}

TEST(SeaHelmMtBench, PairwiseJudgePromptsComeFromSeaHelmsOwnConfig) {
  BHASA_REQUIRE_SHARED("seahelm/seahelm_tasks/multi_turn/mt_bench/config.yaml");
  auto cat = LoadCatalog(testing::SharedDir() + "/seahelm/seahelm_tasks");
  auto task = MakeTask(cat.Get("mt-bench"), "th", Ctx());  // our samples, SEA-HELM's config
  ResponseMap done;
  for (const auto& r : task->Requests(0, {})) done[r.id] = Ok(r.id, "a1");
  for (const auto& r : task->Requests(1, done)) done[r.id] = Ok(r.id, "a2");
  auto judge = task->Requests(2, done);
  ASSERT_EQ(judge.size(), 40u);
  EXPECT_EQ(judge[0].params.max_tokens, 2048);
  EXPECT_NE(judge[0].messages[0].content.find("Please act as an impartial judge"), std::string::npos);
  EXPECT_NE(judge[0].messages[0].content.find("\"[[A]]\" if assistant A is better"), std::string::npos);
}

TEST(SeaHelmMtBenchJudge, CriteriaRequestsAndAverageCriteriaScore) {
  BHASA_REQUIRE_SHARED("seahelm/seahelm_tasks/multi_turn/mt_bench_judge/config.yaml");
  auto cat = LoadCatalog(testing::SharedDir() + "/seahelm/seahelm_tasks");
  const auto& cfg = cat.Get("mt-bench-judge");
  EXPECT_EQ(cfg.family, "mtbench_judge");
  EXPECT_EQ(cfg.scorer, "mtbench_judge");
  auto dir = testing::TempDir("mtjudge");
  std::filesystem::create_directories(dir + "/mt-bench-judge/id");
  std::ofstream(dir + "/mt-bench-judge/id/test.jsonl")
      << R"({"id": "q1", "prompts": [{"text": "Tulis puisi."}, {"text": "Persingkat."}], "metadata": {"category": "writing"},)"
      << R"( "criteria": [{"turn": 0, "criterion": "Berbentuk puisi"}, {"turn": 0, "criterion": "Berbahasa Indonesia"}, {"turn": 1, "criterion": "Lebih pendek"}]})"
      << "\n";
  TaskContext ctx;
  ctx.data_dir = dir;
  auto task = MakeTask(cfg, "id", ctx);
  ResponseMap done;
  for (const auto& r : task->Requests(0, {})) done[r.id] = Ok(r.id, "puisi");
  for (const auto& r : task->Requests(1, done)) done[r.id] = Ok(r.id, "pendek");
  auto judge = task->Requests(2, done);
  ASSERT_EQ(judge.size(), 3u);
  EXPECT_EQ(judge[2].id, "mt-bench-judge/id/q1/judge/criterion2");
  EXPECT_EQ(judge[0].role, "judge");
  EXPECT_EQ(judge[0].params.max_tokens, 16384);
  EXPECT_NE(judge[2].messages[1].content.find("[Assistant (fixed)]\npuisi"), std::string::npos);
  // Turn 0: exactly met (1.0) and half met (0.5) → 0.75; turn 1: majorly met 0.75 → question 0.75.
  done[judge[0].id] = Ok(judge[0].id, "<classification>CLASS_EXACTLY_MET</classification>");
  done[judge[1].id] = Ok(judge[1].id, "<classification>CLASS_MODERATELY_MET</classification>");
  done[judge[2].id] = Ok(judge[2].id, "<classification>CLASS_MAJORLY_MET</classification>");
  auto out = task->Score(done);
  EXPECT_DOUBLE_EQ(out.metrics["average_criteria_score"].get<double>(), 75.0);
  EXPECT_EQ(out.n_failed, 0);
}

}  // namespace
}  // namespace bhasa::tasks

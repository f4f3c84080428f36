// Log-likelihood tasks (sentiment-logprobs on the bundled samples): the first
// round stops at the answer tag, the second appends the separator and the
// gold label and asks for prompt log-probabilities, and the score sums those
// after the first answer's tokens (SPEC-ifeval-mtbench §C), by hand.
#include <cmath>

#include <gtest/gtest.h>

#include "tasks/dataset.h"
#include "tasks/logprob_task.h"
#include "tasks/task.h"
#include "tests/test_support.h"

namespace bhasa::tasks {
namespace {

using testing::SourceDir;

class LogprobTaskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = LoadCatalog(SourceDir() + "/tasks");
    ctx_.data_dir = SourceDir() + "/data/samples";
    ctx_.limit = 3;
  }
  // A phase-2 answer whose prompt had `n` tokens with the given log-probabilities at the end.
  static Response Scored(const std::string& id, int n, const std::vector<double>& tail) {
    Response r;
    r.request_id = id;
    r.text = "x";
    r.finish_reason = "length";
    nlohmann::json prompt = nlohmann::json::array();
    for (int i = 0; i < n; ++i) {
      const size_t from_end = static_cast<size_t>(n - i);
      const nlohmann::json lp = i == 0 ? nlohmann::json() : from_end <= tail.size() ? nlohmann::json(tail[tail.size() - from_end]) : nlohmann::json(-9.0);
      prompt.push_back({{"token", "t"}, {"logprob", lp}});
    }
    r.logprobs = {{"prompt", prompt}};
    return r;
  }
  TaskCatalog catalog_;
  TaskContext ctx_;
};

TEST_F(LogprobTaskTest, ConfigLoadsAsALogprobTaskOfItsFamily) {
  const TaskConfig& c = catalog_.Get("sentiment-logprobs");
  EXPECT_TRUE(c.use_logprobs);
  EXPECT_EQ(c.max_n_runs, 1);
  EXPECT_EQ(c.family, "sentiment");
  EXPECT_EQ(c.scorer, "logprobs");
  EXPECT_FALSE(catalog_.Get("sentiment").use_logprobs);
  EXPECT_EQ(LogprobRowsTask(c), "sentiment");  // reads the family task's rows
  EXPECT_EQ(LogprobRowsTask(catalog_.Get("sentiment")), "");
  EXPECT_EQ(LogprobTask::Separator(c.languages.at("id")), " ");
  LanguageConfig odd;
  odd.prompt.answer_template = "{answer_tag}\n{label}";  // the regex's `.` stops at a line break
  EXPECT_EQ(LogprobTask::Separator(odd), " ");
  odd.prompt.answer_template = "{answer_tag} -> {label}";
  EXPECT_EQ(LogprobTask::Separator(odd), " -> ");
}

TEST_F(LogprobTaskTest, RoundsAndHandComputedScores) {
  auto task = MakeTask(catalog_.Get("sentiment-logprobs"), "id", ctx_);
  auto first = task->Requests(0, {});
  ASSERT_EQ(first.size(), 3u);
  for (const Request& r : first) {
    EXPECT_EQ(r.params.stop, std::vector<std::string>{"Jawaban:"});
    EXPECT_TRUE(r.params.include_stop_str_in_output);
    EXPECT_EQ(r.params.prompt_logprobs, -1);
  }
  ResponseMap done;
  auto answer = [&](const Request& r, const std::string& text, const std::string& finish, int prompt, int completion) {
    Response a;
    a.request_id = r.id;
    a.text = text;
    a.finish_reason = finish;
    a.prompt_tokens = prompt;
    a.completion_tokens = completion;
    done[r.id] = a;
  };
  answer(first[0], "Menurut saya Jawaban:", "stop", 40, 5);
  answer(first[1], "Jawaban:", "stop", 38, 2);
  answer(first[2], "Saya tidak tahu", "length", 41, 32);  // never printed the tag: skipped
  auto second = task->Requests(1, done);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].id, first[0].id + "/logprob");
  EXPECT_TRUE(second[0].continue_final_message);
  EXPECT_EQ(second[0].params.max_tokens, 1);
  EXPECT_EQ(second[0].params.prompt_logprobs, 0);
  EXPECT_TRUE(second[0].params.stop.empty());
  EXPECT_EQ(second[0].messages.back().role, "assistant");
  EXPECT_EQ(second[0].messages.back().content, "Menurut saya Jawaban: Positif");  // id-s00's gold label
  EXPECT_EQ(second[1].messages.back().content, "Jawaban: Negatif");
  EXPECT_TRUE(task->Requests(2, done).empty());

  // Row 0: 45 tokens before the continuation, then two of it: log 0.5 + log 0.4.
  done[second[0].id] = Scored(second[0].id, 47, {std::log(0.5), std::log(0.4)});
  // Row 1: 40 before, one after.
  done[second[1].id] = Scored(second[1].id, 41, {-1.0});
  const TaskOutcome out = task->Score(done);
  ASSERT_EQ(out.rows.size(), 3u);
  EXPECT_NEAR(out.rows[0]["cumulative_logprobs"][0].get<double>(), std::log(0.2), 1e-12);
  EXPECT_NEAR(out.rows[1]["cumulative_logprobs"][0].get<double>(), -1.0, 1e-12);
  EXPECT_TRUE(out.rows[2]["cumulative_logprobs"][0].is_null());
  EXPECT_NEAR(out.rows[0]["individual_scores"]["probabilities_accuracy"].get<double>(), 20.0, 1e-9);
  // (20 + 100·e^-1 + 0) / 3
  EXPECT_NEAR(out.metrics["average_cumulative_probabilities"].get<double>(), (20.0 + 100.0 * std::exp(-1.0)) / 3, 1e-9);
  EXPECT_EQ(out.metrics["null_count"], 1);
  EXPECT_EQ(out.n_failed, 0);
}

TEST_F(LogprobTaskTest, AnswerWithoutLogprobsIsNullAndAFailedRequestFails) {
  auto task = MakeTask(catalog_.Get("sentiment-logprobs"), "id", ctx_);
  auto first = task->Requests(0, {});
  ResponseMap done;
  for (const Request& r : first) {
    Response a;
    a.request_id = r.id;
    a.text = "Jawaban:";
    a.finish_reason = "stop";
    a.prompt_tokens = 30;
    a.completion_tokens = 2;
    done[r.id] = a;
  }
  auto second = task->Requests(1, done);
  ASSERT_EQ(second.size(), 3u);
  Response plain;  // a backend that gave no log-probabilities
  plain.request_id = second[0].id;
  done[second[0].id] = plain;
  Response failed;
  failed.request_id = second[1].id;
  failed.status = ResponseStatus::kFailed;
  failed.error = "boom";
  done[second[1].id] = failed;
  done[second[2].id] = Scored(second[2].id, 32, {-0.5});  // 32 tokens, the answer ended at 32: nothing after
  const TaskOutcome out = task->Score(done);
  EXPECT_TRUE(out.rows[0]["cumulative_logprobs"][0].is_null());
  EXPECT_EQ(out.rows[1]["status"], "failed");
  EXPECT_TRUE(out.rows[2]["cumulative_logprobs"][0].is_null());
  EXPECT_EQ(out.n_failed, 1);
  EXPECT_EQ(out.metrics["average_cumulative_probabilities"], 0.0);
}

}  // namespace
}  // namespace bhasa::tasks

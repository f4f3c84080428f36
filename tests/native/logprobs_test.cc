// Log-probabilities: log_softmax by hand, and the engine's per-token values —
// a continuation scored in one pass over prompt+continuation equals the sum of
// the next-token log-probabilities of its growing prefixes, in every batch
// shape (alone, admitted together sharing a beginning, from the prefix pool),
// and last-position values equal log_softmax of llama.cpp's logits.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/native/engine.h"
#include "backends/native/logprobs.h"
#include "common/error.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

TEST(Logprobs, LogSoftmaxByHandWithTopAlternativesAndTies) {
  const std::vector<float> logits{1.0f, 3.0f, 2.0f, 3.0f};
  const double norm = 3.0 + std::log(std::exp(-2.0) + 1.0 + std::exp(-1.0) + 1.0);
  EXPECT_NEAR(LogSumExp(logits), norm, 1e-6);
  const TokenLogprob lp = LogprobOf(logits, 2, 3);
  EXPECT_EQ(lp.token, 2);
  EXPECT_NEAR(lp.logprob, 2.0 - norm, 1e-6);
  EXPECT_EQ(lp.rank, 3);
  EXPECT_EQ(LogprobOf(logits, 3, 0).rank, 1);  // tied for the top
  ASSERT_EQ(lp.top.size(), 3u);
  EXPECT_EQ(lp.top[0].first, 1);  // tied with 3: the lower id first
  EXPECT_EQ(lp.top[1].first, 3);
  EXPECT_EQ(lp.top[2].first, 2);
  EXPECT_NEAR(lp.top[0].second, 3.0 - norm, 1e-6);
  EXPECT_EQ(LogprobOf(logits, 0, 10).top.size(), 4u);  // at most the vocabulary
  EXPECT_TRUE(LogprobOf(logits, 0, 0).top.empty());
}

// Logits far from zero would overflow exp() without the max subtracted.
TEST(Logprobs, LargeLogitsStayFiniteAndProbabilitiesSumToOne) {
  for (float offset : {100.0f, -100.0f}) {
    std::vector<float> logits(5000);
    for (size_t i = 0; i < logits.size(); ++i) logits[i] = offset + static_cast<float>(i % 97) * 0.05f;
    double total = 0;
    for (size_t i = 0; i < logits.size(); ++i) {
      const float lp = LogprobOf(logits, static_cast<int32_t>(i), 0).logprob;
      ASSERT_TRUE(std::isfinite(lp));
      total += std::exp(static_cast<double>(lp));
    }
    EXPECT_NEAR(total, 1.0, 1e-4) << offset;
  }
  const std::vector<float> huge{1000.0f, 1000.0f, 0.0f};  // exp(1000) overflows even a double
  EXPECT_NEAR(LogprobOf(huge, 0, 0).logprob, -std::log(2.0), 1e-4);
}

TEST(Logprobs, BadInputIsAnError) {
  const std::vector<float> logits{0.0f, 1.0f};
  EXPECT_THROW(LogprobOf(logits, 2, 0), Error);
  EXPECT_THROW(LogprobOf(logits, -1, 0), Error);
  EXPECT_THROW(LogprobOf({}, 0, 0), Error);
}

class EngineLogprobs : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string rel = "fixtures/llama-tiny/reference/llama-tiny-F32.json";
    BHASA_REQUIRE_SHARED(rel);
    std::ifstream(testing::SharedDir() + "/" + rel) >> ref_;
    model_ = Model::Load(testing::SharedDir() + "/fixtures/llama-tiny/models/llama-tiny-F32.gguf");
  }
  // Σ log p(continuation[i] | prompt + continuation[..i]) from the last
  // position of each growing prefix, one forward pass per prefix.
  static double SumOverPrefixes(Engine& engine, std::vector<int32_t> prefix, const std::vector<int32_t>& continuation) {
    double sum = 0;
    for (int32_t t : continuation) {
      sum += LogprobOf(engine.PromptLogits(prefix), t, 0).logprob;
      prefix.push_back(t);
    }
    return sum;
  }
  static GenerationJob ScoreJob(const std::vector<int32_t>& prompt, const std::vector<int32_t>& continuation) {
    GenerationJob j;
    j.prompt = prompt;
    j.prompt.insert(j.prompt.end(), continuation.begin(), continuation.end());
    j.max_tokens = 0;
    j.prompt_logprobs_from = static_cast<int>(prompt.size());
    return j;
  }
  static double Sum(const std::vector<TokenLogprob>& lps) {
    return std::accumulate(lps.begin(), lps.end(), 0.0, [](double s, const TokenLogprob& l) { return s + l.logprob; });
  }
  nlohmann::json ref_;
  std::shared_ptr<const Model> model_;
};

// Prompts long enough to share (at least 16 tokens) with several
// continuations each, scored alone, admitted together, and again from the
// pool; every value equals the sum over growing prefixes.
TEST_F(EngineLogprobs, OnePassEqualsGrowingPrefixesInEveryBatchShape) {
  Engine engine(model_, {.threads = 2, .n_ctx = 512, .max_batch = 4});
  std::vector<GenerationJob> jobs;
  std::vector<double> want;
  for (size_t k = 0; k < 3; ++k) {
    const auto& c = ref_["cases"][k];
    auto prompt = c["tokens_bos"].get<std::vector<int32_t>>();
    const auto greedy = c["greedy"].get<std::vector<int32_t>>();
    prompt.insert(prompt.end(), greedy.begin(), greedy.begin() + 16);  // at least 17 tokens
    for (int variant = 0; variant < 3; ++variant) {
      const std::vector<int32_t> continuation{static_cast<int32_t>(100 + variant), greedy[17],
                                              static_cast<int32_t>(7 * variant + 3)};
      jobs.push_back(ScoreJob(prompt, continuation));
      want.push_back(SumOverPrefixes(engine, prompt, continuation));
    }
  }
  for (const char* shape : {"together", "pooled", "alone"}) {
    SCOPED_TRACE(shape);
    std::vector<GenerationResult> got(jobs.size());
    if (std::string(shape) == "alone") {
      Engine fresh(model_, {.threads = 2, .n_ctx = 512, .max_batch = 1, .prefix_cache_bytes = 0});
      fresh.Generate(jobs, [&](size_t i, GenerationResult r) { got[i] = std::move(r); });
    } else {
      engine.Generate(jobs, [&](size_t i, GenerationResult r) { got[i] = std::move(r); });
    }
    for (size_t i = 0; i < jobs.size(); ++i) {
      ASSERT_TRUE(got[i].error.empty()) << got[i].error;
      EXPECT_TRUE(got[i].tokens.empty());
      EXPECT_EQ(got[i].finish_reason, "length");
      ASSERT_EQ(got[i].prompt_logprobs.size(), 3u) << i;
      for (size_t t = 0; t < 3; ++t)
        EXPECT_EQ(got[i].prompt_logprobs[t].token, jobs[i].prompt[jobs[i].prompt.size() - 3 + t]);
      EXPECT_NEAR(Sum(got[i].prompt_logprobs), want[i], 1e-4) << i;
      // Only the prompt before the continuation can come from another sequence.
      const int before = jobs[i].prompt_logprobs_from - 1;
      if (std::string(shape) == "alone") {
        EXPECT_EQ(got[i].cached_tokens, 0);
      } else if (std::string(shape) == "pooled" || i % 3 != 0) {
        EXPECT_EQ(got[i].cached_tokens, before) << i;
      }
    }
  }
}

// Every prompt token after the first, with alternatives: each equals the
// last-position value of its prefix.
TEST_F(EngineLogprobs, WholePromptLogprobsWithAlternatives) {
  Engine engine(model_, {.threads = 2, .n_ctx = 512, .n_batch = 5});  // several prefill chunks
  GenerationJob job;
  job.prompt = ref_["cases"][1]["tokens_bos"].get<std::vector<int32_t>>();
  job.max_tokens = 2;
  job.prompt_logprobs_from = 1;
  job.prompt_top_logprobs = 4;
  GenerationResult got;
  engine.Generate({&job, 1}, [&](size_t, GenerationResult r) { got = std::move(r); });
  ASSERT_EQ(got.prompt_logprobs.size(), job.prompt.size() - 1);
  EXPECT_EQ(got.tokens.size(), 2u);
  for (size_t i = 1; i < job.prompt.size(); ++i) {
    const auto one = LogprobOf(engine.PromptLogits(std::span(job.prompt).first(i)), job.prompt[i], 4);
    const TokenLogprob& lp = got.prompt_logprobs[i - 1];
    EXPECT_EQ(lp.token, job.prompt[i]);
    EXPECT_NEAR(lp.logprob, one.logprob, 1e-4) << i;
    ASSERT_EQ(lp.top.size(), 4u);
    for (size_t k = 0; k < 4; ++k) EXPECT_NEAR(lp.top[k].second, one.top[k].second, 1e-4) << i;
  }
}

// Sampled tokens' log-probabilities, and the last prompt position, against
// log_softmax of llama.cpp's reference logits (logits within 1e-3, so
// log-probabilities within 2e-3).
TEST_F(EngineLogprobs, LastPositionEqualsLogSoftmaxOfReferenceLogits) {
  Engine engine(model_, {.threads = 2, .n_ctx = 512, .max_batch = 8});
  std::vector<GenerationJob> jobs;
  for (const auto& c : ref_["cases"]) {
    GenerationJob j;
    j.prompt = c["tokens_bos"].get<std::vector<int32_t>>();
    j.prompt.push_back(c["greedy"][0].get<int32_t>());
    j.prompt_logprobs_from = static_cast<int>(j.prompt.size()) - 1;
    j.max_tokens = 3;
    j.stop_at_eog = false;
    j.logprobs = true;
    j.top_logprobs = 5;
    jobs.push_back(j);
  }
  for (const auto& c : ref_["cases"]) {  // the first sampled token, with alternatives
    GenerationJob j;
    j.prompt = c["tokens_bos"].get<std::vector<int32_t>>();
    j.max_tokens = 1;
    j.logprobs = true;
    j.top_logprobs = 5;
    jobs.push_back(j);
  }
  std::vector<GenerationResult> got(jobs.size());
  engine.Generate(jobs, [&](size_t i, GenerationResult r) { got[i] = std::move(r); });
  const size_t n = ref_["cases"].size();
  for (size_t i = 0; i < n; ++i) {
    const auto& c = ref_["cases"][i];
    const auto logits = c["last_logits"].get<std::vector<float>>();
    const float norm = LogSumExp(logits);
    const auto greedy = c["greedy"].get<std::vector<int32_t>>();
    ASSERT_EQ(got[i].prompt_logprobs.size(), 1u);
    EXPECT_NEAR(got[i].prompt_logprobs[0].logprob, logits[static_cast<size_t>(greedy[0])] - norm, 2e-3) << i;
    ASSERT_EQ(got[i].logprobs.size(), got[i].tokens.size());
    EXPECT_EQ(got[i].tokens, std::vector<int32_t>(greedy.begin() + 1, greedy.begin() + 4)) << i;
    for (const TokenLogprob& lp : got[i].logprobs) {
      ASSERT_EQ(lp.top.size(), 5u);
      EXPECT_EQ(lp.top[0].first, lp.token);  // greedy: the most likely token
      EXPECT_FLOAT_EQ(lp.top[0].second, lp.logprob);
      EXPECT_LE(lp.logprob, 0.0f);
    }
    std::vector<int32_t> order(logits.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return logits[size_t(a)] > logits[size_t(b)]; });
    const GenerationResult& first = got[n + i];
    ASSERT_EQ(first.logprobs.size(), 1u);
    EXPECT_EQ(first.tokens[0], greedy[0]);
    for (size_t k = 0; k < 5; ++k) {
      EXPECT_EQ(first.logprobs[0].top[k].first, order[k]) << i << " " << k;
      EXPECT_NEAR(first.logprobs[0].top[k].second, logits[size_t(order[k])] - norm, 2e-3) << i << " " << k;
    }
  }
}

}  // namespace
}  // namespace bhasa::native

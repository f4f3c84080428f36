// The engine on each architecture's fixture (../shared/fixtures/{llama31,
// qwen2,gemma2}-tiny, F32): greedy generation equals llama.cpp's reference,
// and continuous batching and prompt-prefix reuse change no token; the
// latter also on random models of each family, which need no ../shared.
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/native/engine.h"
#include "tests/native/random_arch_model.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

class ArchEngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string set = GetParam();
    const std::string ref = "fixtures/" + set + "/reference/" + set + "-F32.json";
    const std::string model = "fixtures/" + set + "/models/" + set + "-F32.gguf";
    BHASA_REQUIRE_SHARED(ref);
    BHASA_REQUIRE_SHARED(model);
    std::ifstream(testing::SharedDir() + "/" + ref) >> ref_;
    model_ = Model::Load(testing::SharedDir() + "/" + model);
  }

  // Each case's prompt, then the prompt plus its first `extra` greedy tokens.
  std::vector<GenerationJob> Jobs(int extra) const {
    std::vector<GenerationJob> jobs;
    for (const auto& c : ref_["cases"]) {
      const auto greedy = c["greedy"].get<std::vector<int32_t>>();
      GenerationJob first;
      first.prompt = c["tokens_bos"].get<std::vector<int32_t>>();
      first.max_tokens = 24;
      first.stop_at_eog = false;
      GenerationJob again = first;
      again.prompt.insert(again.prompt.end(), greedy.begin(), greedy.begin() + extra);
      again.max_tokens = 24 - extra;
      jobs.push_back(first);
      jobs.push_back(again);
    }
    return jobs;
  }

  std::vector<GenerationResult> Run(const std::vector<GenerationJob>& jobs, int max_batch, size_t pool_bytes) const {
    Engine engine(model_, {.threads = 2, .n_ctx = 512, .max_batch = max_batch, .prefix_cache_bytes = pool_bytes});
    std::vector<GenerationResult> results(jobs.size());
    engine.Generate(jobs, [&](size_t i, GenerationResult r) { results[i] = std::move(r); });
    return results;
  }

  nlohmann::json ref_;
  std::shared_ptr<const Model> model_;
};

TEST_P(ArchEngineTest, GreedyEqualsReferenceAlonePooledAndBatched) {
  const auto jobs = Jobs(10);
  const auto alone = Run(jobs, 1, 0);
  const auto pooled = Run(jobs, 1, size_t{1} << 30);
  const auto batched = Run(jobs, 16, size_t{1} << 30);
  int reused = 0;
  for (size_t k = 0; k < ref_["cases"].size(); ++k) {
    SCOPED_TRACE(ref_["cases"][k]["id"].get<std::string>());
    const auto greedy = ref_["cases"][k]["greedy"].get<std::vector<int32_t>>();
    EXPECT_EQ(alone[2 * k].tokens, greedy);
    EXPECT_EQ(alone[2 * k + 1].tokens, std::vector<int32_t>(greedy.begin() + 10, greedy.end()));
    for (size_t i : {2 * k, 2 * k + 1}) {
      EXPECT_EQ(pooled[i].tokens, alone[i].tokens) << "prefix reuse, job " << i;
      EXPECT_EQ(batched[i].tokens, alone[i].tokens) << "continuous batching, job " << i;
    }
    EXPECT_EQ(alone[2 * k + 1].cached_tokens, 0);
    reused += pooled[2 * k + 1].cached_tokens > 0;
  }
  EXPECT_GT(reused, 0) << "no job reused a pooled prefix";
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ArchEngineTest, ::testing::Values("llama31-tiny", "qwen2-tiny", "gemma2-tiny"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (c == '-') c = '_';
                           return s;
                         });

// Four prompts sharing a 30-token beginning (past Gemma 2's window of 5 and
// Llama 3.1's original context of 32 once decoded), generated alone, with
// prefix reuse, and batched with prefix reuse.
class ArchEngineRandomTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ArchEngineRandomTest, PrefixReuseAndBatchingChangeNoToken) {
  std::shared_ptr<const Model> model = Model::Load(testing::RandomArchModel(GetParam()));
  std::vector<GenerationJob> jobs;
  for (int k = 0; k < 4; ++k) {
    GenerationJob j;
    for (int i = 0; i < 30; ++i) j.prompt.push_back((i * 5 + 2) % testing::kRandomVocab);
    for (int i = 0; i < 3 + k; ++i) j.prompt.push_back((i * 3 + k * 7 + 1) % testing::kRandomVocab);
    j.max_tokens = 12;
    j.stop_at_eog = false;
    jobs.push_back(j);
  }
  auto run = [&](int max_batch, size_t pool_bytes) {
    Engine engine(model, {.threads = 2, .n_ctx = 256, .max_batch = max_batch, .prefix_cache_bytes = pool_bytes});
    std::vector<GenerationResult> results(jobs.size());
    engine.Generate(jobs, [&](size_t i, GenerationResult r) { results[i] = std::move(r); });
    return results;
  };
  const auto alone = run(1, 0), pooled = run(1, size_t{1} << 26), batched = run(16, size_t{1} << 26);
  int reused = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    ASSERT_EQ(alone[i].error, "") << i;
    EXPECT_EQ(alone[i].tokens.size(), 12u) << i;
    EXPECT_EQ(pooled[i].tokens, alone[i].tokens) << "prefix reuse, job " << i;
    EXPECT_EQ(batched[i].tokens, alone[i].tokens) << "continuous batching, job " << i;
    reused += pooled[i].cached_tokens >= 30;
  }
  EXPECT_EQ(reused, 3) << "every job after the first reuses the shared beginning";
}

INSTANTIATE_TEST_SUITE_P(Random, ArchEngineRandomTest, ::testing::Values("llama", "qwen2", "gemma2"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace bhasa::native

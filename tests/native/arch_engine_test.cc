// The engine on each architecture's fixture (../shared/fixtures/{llama31,
// qwen2,gemma2}-tiny, F32): greedy generation equals llama.cpp's reference,
// and continuous batching and prompt-prefix reuse change no token.
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/native/engine.h"
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

}  // namespace
}  // namespace bhasa::native

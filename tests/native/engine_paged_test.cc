// The engine's paged scheduler (engine_paged.cc) on HostPagedForward, the
// CPU twin of the CUDA forward pass: continuous batching over a small paged
// cache, shared prompt blocks, device-style sampling and log-probabilities
// give what the CPU engine gives with an f16 KV cache.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backends/native/engine.h"
#include "backends/native/host_paged_forward.h"
#include "backends/native/kernels.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

constexpr const char* kModel = "fixtures/llama-tiny/models/llama-tiny-F32.gguf";

std::vector<int32_t> Prompt(size_t shared, size_t own, int salt, int64_t n_vocab) {
  std::vector<int32_t> t;
  for (size_t i = 0; i < shared; ++i) t.push_back(static_cast<int32_t>((i * 7 + 3) % n_vocab));
  for (size_t i = 0; i < own; ++i) t.push_back(static_cast<int32_t>((i * 11 + salt * 13 + 5) % n_vocab));
  return t;
}

std::vector<GenerationResult> RunAll(Engine& engine, const std::vector<GenerationJob>& jobs) {
  std::vector<GenerationResult> out(jobs.size());
  engine.Generate(jobs, [&](size_t i, GenerationResult r) { out[i] = std::move(r); });
  return out;
}

class EnginePaged : public ::testing::Test {
 protected:
  void SetUp() override {
    BHASA_REQUIRE_SHARED(kModel);
    model_ = Model::Load(testing::SharedDir() + "/" + kModel);
    vocab_ = std::make_shared<const Vocab>(Vocab::FromModelFile(model_->file()));
  }
  std::unique_ptr<Engine> Paged(int32_t n_blocks, int max_batch) {
    EngineOptions o{.threads = 2, .n_ctx = 256, .kv_type = KvType::kF16, .max_batch = max_batch, .n_batch = 48};
    return std::make_unique<Engine>(model_, vocab_, o,
                                    std::make_unique<HostPagedForward>(*model_, CpuKernels(), n_blocks, 16));
  }
  std::shared_ptr<const Model> model_;
  std::shared_ptr<const Vocab> vocab_;
};

TEST_F(EnginePaged, GivesWhatTheCpuEngineGives) {
  const int64_t nv = model_->hparams().n_vocab;
  std::vector<GenerationJob> jobs;
  for (int j = 0; j < 7; ++j) {
    GenerationJob job;
    job.prompt = Prompt(j % 3 == 0 ? 40 : 0, 9 + 5 * j, j, nv);  // three share 40 tokens: two full blocks
    job.max_tokens = 6 + 3 * (j % 4);                             // they finish at different steps
    job.stop_at_eog = false;
    if (j % 2 == 1) job.sampler = {.temperature = 0.8f, .top_k = j == 3 ? 20 : 0, .top_p = j == 5 ? 0.9f : 1.0f,
                                   .seed = static_cast<uint64_t>(100 + j)};
    if (j == 4) job.logprobs = true, job.top_logprobs = 3;
    if (j == 6) job.prompt_logprobs_from = 44, job.prompt_top_logprobs = 2;  // after the shared blocks
    jobs.push_back(job);
  }
  Engine cpu(model_, vocab_, {.threads = 2, .n_ctx = 256, .kv_type = KvType::kF16, .max_batch = 3, .n_batch = 48});
  auto paged = Paged(40, 3);  // 640 positions: admission waits for blocks at times
  const auto want = RunAll(cpu, jobs);
  const auto got = RunAll(*paged, jobs);
  int shared = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    SCOPED_TRACE("job " + std::to_string(i));
    ASSERT_TRUE(got[i].error.empty()) << got[i].error;
    EXPECT_EQ(got[i].tokens, want[i].tokens);
    EXPECT_EQ(got[i].text, want[i].text);
    EXPECT_EQ(got[i].finish_reason, want[i].finish_reason);
    ASSERT_EQ(got[i].logprobs.size(), want[i].logprobs.size());
    for (size_t t = 0; t < got[i].logprobs.size(); ++t) {
      EXPECT_EQ(got[i].logprobs[t].token, want[i].logprobs[t].token);
      EXPECT_NEAR(got[i].logprobs[t].logprob, want[i].logprobs[t].logprob, 1e-4);
    }
    ASSERT_EQ(got[i].prompt_logprobs.size(), want[i].prompt_logprobs.size());
    for (size_t t = 0; t < got[i].prompt_logprobs.size(); ++t)
      EXPECT_NEAR(got[i].prompt_logprobs[t].logprob, want[i].prompt_logprobs[t].logprob, 1e-4);
    shared += got[i].cached_tokens >= 32 ? 1 : 0;
  }
  EXPECT_GE(shared, 2) << "jobs 3 and 6 map job 0's two prompt blocks";
}

TEST_F(EnginePaged, LaterCallsReuseIndexedBlocksAndKeepTheirTokens) {
  auto paged = Paged(64, 4);
  GenerationJob job;
  job.prompt = Prompt(50, 3, 1, model_->hparams().n_vocab);
  job.max_tokens = 5;
  job.stop_at_eog = false;
  const auto first = RunAll(*paged, {job});
  const auto again = RunAll(*paged, {job});
  EXPECT_EQ(first[0].cached_tokens, 0);
  EXPECT_EQ(again[0].cached_tokens, 48);  // three full blocks of 16
  EXPECT_EQ(again[0].tokens, first[0].tokens);
  EXPECT_EQ(paged->PromptLogits(job.prompt), paged->PromptLogits(job.prompt));
}

TEST_F(EnginePaged, AJobLargerThanTheWholeCacheFailsAloneOthersRun) {
  auto paged = Paged(4, 2);  // 64 positions
  GenerationJob big, small;
  big.prompt = Prompt(0, 60, 1, model_->hparams().n_vocab);
  big.max_tokens = 30;
  small.prompt = Prompt(0, 8, 2, model_->hparams().n_vocab);
  small.max_tokens = 4;
  small.stop_at_eog = false;
  const auto r = RunAll(*paged, {big, small});
  EXPECT_EQ(r[0].finish_reason, "error");
  EXPECT_NE(r[0].error.find("does not fit the device's KV cache of 64 positions"), std::string::npos) << r[0].error;
  EXPECT_TRUE(r[1].error.empty()) << r[1].error;
  EXPECT_EQ(r[1].tokens.size(), 4u);
}

}  // namespace
}  // namespace bhasa::native

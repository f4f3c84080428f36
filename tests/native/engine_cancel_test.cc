// A cancelled job stops: the engine samples no more tokens for it, the other
// jobs of its batch go on unchanged.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/native/engine.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

constexpr const char* kModel = "fixtures/llama-tiny/models/llama-tiny-F32.gguf";
constexpr const char* kReference = "fixtures/llama-tiny/reference/llama-tiny-F32.json";

GenerationJob LongJob(const std::vector<int32_t>& prompt) {
  GenerationJob j;
  j.prompt = prompt;
  j.max_tokens = 200;
  j.stop_at_eog = false;
  return j;
}

TEST(EngineCancel, CancelledJobEndsAtItsNextTokenOthersRunOn) {
  BHASA_REQUIRE_SHARED(kModel);
  BHASA_REQUIRE_SHARED(kReference);
  nlohmann::json ref;
  std::ifstream(testing::SharedDir() + "/" + kReference) >> ref;
  const auto prompt = ref["cases"][0]["tokens_bos"].get<std::vector<int32_t>>();
  Engine engine(Model::Load(testing::SharedDir() + "/" + kModel), {.threads = 2, .n_ctx = 512, .max_batch = 4});
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  auto cancelled_before = std::make_shared<std::atomic<bool>>(true);
  std::vector<GenerationJob> jobs = {LongJob(prompt), LongJob(prompt), LongJob(prompt)};
  int pieces = 0;
  jobs[0].cancelled = cancel;
  jobs[0].on_text = [&](std::string_view) {
    if (++pieces == 3) cancel->store(true);  // the client hangs up after three pieces
  };
  jobs[2].cancelled = cancelled_before;  // hung up while still queued
  std::vector<GenerationResult> r(jobs.size());
  engine.Generate(jobs, [&](size_t i, GenerationResult g) { r[i] = std::move(g); });

  EXPECT_EQ(r[0].finish_reason, "abort");
  EXPECT_TRUE(r[0].error.empty());
  EXPECT_GE(r[0].completion_tokens, 3);
  EXPECT_LT(r[0].completion_tokens, 12) << "it ran on after its client left";
  EXPECT_EQ(r[1].finish_reason, "length");
  EXPECT_EQ(r[1].completion_tokens, 200);
  EXPECT_EQ(r[2].finish_reason, "abort");
  EXPECT_EQ(r[2].completion_tokens, 0);
  EXPECT_EQ(r[2].prompt_tokens, static_cast<int>(prompt.size()));
}

}  // namespace
}  // namespace bhasa::native

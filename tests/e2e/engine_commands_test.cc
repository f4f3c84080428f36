// `bhasa generate`, `bhasa model logits` and `bhasa bench` through the binary,
// on a tiny random model: greedy decoding follows the logits' argmax.
#include <algorithm>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/e2e/tiny_model.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

using testing::BhasaBinary;
using testing::RunCommand;
using testing::TinyModel;

nlohmann::json RunJson(const std::string& args) {
  std::string out;
  EXPECT_EQ(RunCommand(BhasaBinary() + " " + args + " --threads 1", &out), 0) << out;
  return nlohmann::json::parse(out.substr(out.find('{')));
}

TEST(EngineCommands, GreedyGenerationStartsWithTheLogitsArgmax) {
  const auto logits = RunJson("model logits " + TinyModel() + " --text 'Halo dunia' --top 3 --json");
  ASSERT_EQ(logits["top"].size(), 3u);
  EXPECT_EQ(logits["n_vocab"], 261);
  EXPECT_GE(logits["top"][0][1].get<double>(), logits["top"][1][1].get<double>());

  const auto gen = RunJson("generate " + TinyModel() + " --text 'Halo dunia' --greedy --max-tokens 6 --no-stop-at-eog --json");
  EXPECT_EQ(gen["prompt_tokens"], logits["tokens"]);
  ASSERT_EQ(gen["tokens"].size(), 6u);
  EXPECT_EQ(gen["tokens"][0], logits["top"][0][0]);
  EXPECT_EQ(gen["finish_reason"], "length");
  // Greedy decoding is deterministic.
  EXPECT_EQ(RunJson("generate " + TinyModel() + " --text 'Halo dunia' --greedy --max-tokens 6 --no-stop-at-eog --json")["tokens"],
            gen["tokens"]);
}

TEST(EngineCommands, SampledGenerationRepeatsWithTheSameSeed) {
  const std::string cmd = "generate " + TinyModel() + " --text 'Xin chào' --temperature 1.5 --max-tokens 8 --no-stop-at-eog --json";
  const auto a = RunJson(cmd + " --seed 11"), b = RunJson(cmd + " --seed 11");
  EXPECT_EQ(a["tokens"], b["tokens"]);
  EXPECT_EQ(a["tokens"].size(), 8u);
}

TEST(EngineCommands, GenerateAndLogitsNeedText) {
  std::string out;
  EXPECT_EQ(RunCommand(BhasaBinary() + " generate " + TinyModel(), &out), 2) << out;
  EXPECT_NE(out.find("--text"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(BhasaBinary() + " model logits " + TinyModel(), &out), 2) << out;
  EXPECT_EQ(RunCommand(BhasaBinary() + " generate /nonexistent.gguf --text x", &out) == 0, false) << out;
}

TEST(EngineCommands, BenchHelpListsItsOptionsOnce) {
  std::string out;
  ASSERT_EQ(RunCommand(BhasaBinary() + " bench --help", &out), 0) << out;
  for (const char* flag : {"--model FILE", "--prompt-len N", "--gen-len N", "--threads N", "--device NAME", "--reps N",
                           "--batch N", "--prompts N", "--n-batch N", "--kv-type TYPE", "--json"})
    EXPECT_NE(out.find(flag), std::string::npos) << flag << "\n" << out;
  EXPECT_EQ(out.find("(default"), std::string::npos) << "a default stated twice:\n" << out;
  EXPECT_EQ(RunCommand(BhasaBinary() + " bench", &out), 2) << out;
}

TEST(EngineCommands, BenchMeasuresTheTinyModel) {
  const auto j = RunJson("bench --model " + TinyModel() + " --prompt-len 8 --gen-len 4 --reps 1 --json");
  EXPECT_FALSE(j.empty()) << j.dump();
}

TEST(EngineCommands, GpuMemoryFractionOutsideZeroToOneIsAUsageError) {
  std::string out;
  EXPECT_EQ(RunCommand(BhasaBinary() + " bench --model " + TinyModel() + " --gpu-memory-fraction 1.5 --reps 1", &out), 2)
      << out;
  EXPECT_NE(out.find("--gpu-memory-fraction must be in (0, 1]"), std::string::npos) << out;
  // In range it changes nothing on the CPU.
  EXPECT_FALSE(RunJson("bench --model " + TinyModel() + " --prompt-len 4 --gen-len 1 --reps 1 --json "
                       "--gpu-memory-fraction 0.5")
                   .empty());
}

TEST(EngineCommands, BenchMeasuresABatchOfSequences) {
  const auto j = RunJson("bench --model " + TinyModel() + " --prompt-len 8 --gen-len 4 --reps 1 --batch 3 --json");
  ASSERT_TRUE(j.is_object()) << j.dump();
  EXPECT_EQ(j.value("batch", 0), 3);
  for (const char* key : {"pp_tokens_per_s", "tg_tokens_per_s", "total_tokens_per_s"})
    EXPECT_GT(j.value(key, 0.0), 0.0) << key << " " << j.dump();
  // Total throughput covers both phases, so it lies between them.
  EXPECT_LE(j.value("total_tokens_per_s", 0.0), std::max(j.value("pp_tokens_per_s", 0.0), j.value("tg_tokens_per_s", 0.0)));
}

TEST(EngineCommands, BenchRunsAnEvaluationThroughTheScheduler) {
  const auto j = RunJson("bench --model " + TinyModel() +
                         " --prompts 7 --prompt-len 12 --gen-len 3 --batch 3 --n-batch 16 --json");
  ASSERT_TRUE(j.is_object()) << j.dump();
  EXPECT_EQ(j.value("prompts", 0), 7);
  EXPECT_EQ(j.value("batch", 0), 3);
  EXPECT_EQ(j.value("generated_tokens", 0), 7 * 3) << "no job stops early";
  const double wall = j.value("wall_seconds", 0.0);
  ASSERT_GT(wall, 0.0);
  EXPECT_NEAR(j.value("total_tokens_per_s", 0.0) * wall, 7 * (12 + 3), 1e-6 * 7 * 15) << j.dump();
  EXPECT_EQ(j.value("peak_gpu_mib", -1.0), 0.0) << "the cpu has no GPU memory to report";
}

}  // namespace
}  // namespace bhasa

// Decoding settings: --gen-kwargs parsing, generation_config.json, and the
// precedence flag > gen-kwargs > task config > generation_config.json > greedy.
#include "harness/decoding.h"

#include <fstream>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/exit_codes.h"
#include "tasks/task.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

// The exit code and message of what `f` throws; {-1, ""} when it does not.
template <typename F>
std::pair<int, std::string> Thrown(F f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.exit_code(), e.what()};
  }
  return {-1, ""};
}

std::string ModelDir(const std::string& generation_config) {
  std::string dir = testing::TempDir("decoding");
  std::ofstream(dir + "/generation_config.json") << generation_config;
  return dir;
}

TEST(GenKwargs, ParsesEveryKey) {
  DecodingLayer d = ParseGenKwargs("temperature=0.7, top_p=0.95,top_k=40,max_tokens=64,seed=7");
  EXPECT_EQ(d.temperature, 0.7);
  EXPECT_EQ(d.top_p, 0.95);
  EXPECT_EQ(d.top_k, 40);
  EXPECT_EQ(d.max_tokens, 64);
  EXPECT_EQ(d.seed, 7);
  DecodingLayer none = ParseGenKwargs("");
  EXPECT_FALSE(none.temperature || none.top_p || none.top_k || none.max_tokens || none.seed);
}

TEST(GenKwargs, BadInputIsAUsageErrorNamingTheKey) {
  const std::pair<std::string, std::string> cases[] = {
      {"temprature=0", "unknown key 'temprature'"},
      {"do_sample=false", "unknown key 'do_sample'"},
      {"temperature", "not key=value"},
      {"temperature=hot", "temperature='hot'"},
      {"max_tokens=12.5", "max_tokens='12.5'"},
      {"seed=1,seed=2", "seed is given twice"},
      {"top_p=0", "top_p = 0"},
      {"temperature=-1", "temperature = -1"},
      {"max_tokens=0", "max_tokens = 0"},
  };
  for (const auto& [text, needle] : cases) {
    auto [code, what] = Thrown([&] { ParseGenKwargs(text); });
    EXPECT_EQ(code, kExitUsage) << text;
    EXPECT_NE(what.find(needle), std::string::npos) << text << " -> " << what;
    EXPECT_NE(what.find("--gen-kwargs"), std::string::npos) << what;
  }
}

TEST(GenerationConfig, ReadsSamplingFieldsOfAModelDirectory) {
  DecodingLayer d = ReadGenerationConfig(
      ModelDir(R"({"do_sample": true, "temperature": 0.6, "top_p": 0.9, "top_k": 20, "max_new_tokens": 9})"));
  EXPECT_EQ(d.temperature, 0.6);
  EXPECT_EQ(d.top_p, 0.9);
  EXPECT_EQ(d.top_k, 20);
  EXPECT_FALSE(d.max_tokens);  // SEA-HELM's per-task max_tokens always applies
  EXPECT_FALSE(ReadGenerationConfig(ModelDir(R"({"bos_token_id": 1})")).temperature);
}

TEST(GenerationConfig, NoneForAFileOrAMissingPath) {
  std::string dir = ModelDir(R"({"temperature": 0.6})");
  std::ofstream(dir + "/model.gguf") << "GGUF";
  EXPECT_FALSE(ReadGenerationConfig(dir + "/model.gguf").temperature);
  EXPECT_FALSE(ReadGenerationConfig("aisingapore/Llama-SEA-LION-v3-8B-IT").temperature);
}

TEST(GenerationConfig, MalformedFileNamesFileAndField) {
  std::string dir = ModelDir(R"({"temperature": "warm"})");
  auto [code, what] = Thrown([&] { ReadGenerationConfig(dir); });
  EXPECT_EQ(code, kExitUsage);
  EXPECT_NE(what.find(dir + "/generation_config.json"), std::string::npos) << what;
  EXPECT_NE(what.find("temperature"), std::string::npos) << what;
  std::tie(code, what) = Thrown([&] { ReadGenerationConfig(ModelDir("{not json")); });
  EXPECT_NE(what.find("generation_config.json"), std::string::npos) << what;
}

TEST(ResolveDecoding, GreedyWhenNothingSaysOtherwise) {
  RunOptions o;
  o.model = "model.gguf";
  ResolveDecoding(o, false);
  EXPECT_EQ(o.temperature, 0.0);
  EXPECT_EQ(o.top_p, 1.0);
  EXPECT_EQ(o.top_k, 0);
  EXPECT_FALSE(o.max_tokens);  // each task's own
  EXPECT_EQ(o.seed, 1234);
}

TEST(ResolveDecoding, FlagBeatsGenKwargsBeatsGenerationConfig) {
  RunOptions o;
  o.model = ModelDir(R"({"temperature": 0.6, "top_p": 0.9, "top_k": 20})");
  o.temperature = 0.3;                                  // flag
  o.gen_kwargs = "temperature=0.5,top_p=0.8,seed=7";   // below the flag, above the model
  ResolveDecoding(o, /*seed_flag_given=*/false);
  EXPECT_EQ(o.temperature, 0.3);
  EXPECT_EQ(o.top_p, 0.8);
  EXPECT_EQ(o.top_k, 20);
  EXPECT_EQ(o.seed, 7);
}

TEST(ResolveDecoding, SeedFlagBeatsGenKwargsSeed) {
  RunOptions o;
  o.seed = 99;
  o.gen_kwargs = "seed=7,max_tokens=64";
  ResolveDecoding(o, /*seed_flag_given=*/true);
  EXPECT_EQ(o.seed, 99);
  EXPECT_EQ(o.max_tokens, 64);
}

TEST(ResolveDecoding, OutOfRangeFlagsNameTheFlag) {
  RunOptions o;
  o.top_p = 1.5;
  auto [code, what] = Thrown([&] { ResolveDecoding(o, false); });
  EXPECT_EQ(code, kExitUsage);
  EXPECT_NE(what.find("--top-p"), std::string::npos) << what;
  RunOptions k;
  k.top_k = -2;
  std::tie(code, what) = Thrown([&] { ResolveDecoding(k, false); });
  EXPECT_NE(what.find("--top-k"), std::string::npos) << what;
}

TEST(ResolveDecoding, VllmsMinusOneTopKMeansNoCut) {
  RunOptions o;
  o.gen_kwargs = "top_k=-1";
  ResolveDecoding(o, false);
  EXPECT_EQ(o.top_k, 0);
}

TEST(ResolveDecoding, SurvivesTheConfigJsonRoundTrip) {
  RunOptions o;
  o.model = "m.gguf";
  o.gen_kwargs = "temperature=0.2,max_tokens=48";
  ResolveDecoding(o, false);
  RunOptions back = RunOptionsFromJson(RunOptionsToJson(o));
  EXPECT_EQ(back.temperature, 0.2);
  EXPECT_EQ(back.top_p, 1.0);
  EXPECT_EQ(back.top_k, 0);
  EXPECT_EQ(back.max_tokens, 48);
  RunOptions old = RunOptionsFromJson(nlohmann::json{{"model", "m.gguf"}});  // a run dir from before
  EXPECT_FALSE(old.temperature || old.top_p || old.top_k || old.max_tokens);
}

TEST(ModelParams, TaskMaxTokensUnlessOverridden) {
  RunOptions o;
  o.reasoning = true;
  ResolveDecoding(o, false);
  tasks::TaskContext ctx = MakeTaskContext(o);
  GenerationParams p = ctx.ModelParams(32);
  EXPECT_EQ(p.max_tokens, 32 + 20000);
  EXPECT_EQ(p.temperature, 0.0);
  EXPECT_EQ(p.top_p, 1.0);
  EXPECT_EQ(p.top_k, 0);
  EXPECT_EQ(p.seed, 1234u);
  o.max_tokens = 64;
  EXPECT_EQ(MakeTaskContext(o).ModelParams(32).max_tokens, 64);
}

}  // namespace
}  // namespace bhasa

// `bhasa model create-random` and `bhasa model info` through the binary.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace bhasa {
namespace {

using testing::BhasaBinary;
using testing::RunCommand;

nlohmann::json Info(const std::string& path) {
  std::string out;
  EXPECT_EQ(RunCommand(BhasaBinary() + " model info " + path + " --json", &out), 0) << out;
  return nlohmann::json::parse(out.substr(out.find('{')));
}

// Q4_K_M follows llama-quantize's mixture: output in Q6_K, attn_v and
// ffn_down in Q6_K on the use_more_bits layers (0, 3, 6, 7 of 8), the rest Q4_K.
TEST(ModelCommands, CreateRandomQ4KMUsesTheMixture) {
  auto dir = testing::TempDir("model-cmd");
  std::string log;
  ASSERT_EQ(RunCommand(BhasaBinary() + " model create-random --out " + dir + "/m.gguf --type Q4_K_M --n-embd 256 " +
                           "--n-ff 256 --n-layer 8 --n-head 4 --n-head-kv 2",
                       &log),
            0)
      << log;
  const auto info = Info(dir + "/m.gguf");
  EXPECT_EQ(info["type_counts"]["q6_K"], 9) << info["type_counts"].dump();
  EXPECT_EQ(info["type_counts"]["q4_K"], 8 * 7 - 8 + 1) << info["type_counts"].dump();  // + token_embd
  for (const auto& t : info["tensors"]) {
    const std::string name = t["name"];
    if (name == "blk.3.attn_v.weight" || name == "blk.7.ffn_down.weight" || name == "output.weight") {
      EXPECT_EQ(t["type"], "q6_K") << name;
    }
    if (name == "blk.1.attn_v.weight" || name == "blk.2.ffn_down.weight") {
      EXPECT_EQ(t["type"], "q4_K") << name;
    }
  }
}

TEST(ModelCommands, CreateRandomRejectsUnknownTypes) {
  auto dir = testing::TempDir("model-cmd");
  std::string log;
  EXPECT_EQ(RunCommand(BhasaBinary() + " model create-random --out " + dir + "/m.gguf --type Q4_K_X", &log), 2);
  EXPECT_NE(log.find("Q4_K_M"), std::string::npos) << log;
}

// Every architecture: create-random writes a file the engine loads, and
// model info reports the descriptor it made of it.
TEST(ModelCommands, CreateRandomEachArchitectureAndInfoShowsItsDescriptor) {
  auto dir = testing::TempDir("model-cmd-arch");
  for (const std::string arch : {"llama", "qwen2", "gemma2"}) {
    SCOPED_TRACE(arch);
    std::string log;
    const std::string path = dir + "/" + arch + ".gguf";
    ASSERT_EQ(RunCommand(BhasaBinary() + " model create-random --arch " + arch + " --out " + path +
                             " --type Q8_0 --n-embd 64 --n-head 4 --n-head-kv 2 --head-dim 32 --n-ff 96 --n-layer 2",
                         &log),
              0)
        << log;
    const auto info = Info(path);
    EXPECT_EQ(info["architecture"], arch);
    const auto& eng = info["engine"];
    ASSERT_TRUE(eng["supported"].get<bool>()) << eng.dump();
    EXPECT_EQ(eng["head_dim"], 32);
    EXPECT_EQ(eng["rope"]["mode"], arch == "llama" ? "normal" : "neox");
    EXPECT_EQ(eng["qkv_bias"], arch == "qwen2");
    EXPECT_EQ(eng["norms"], arch == "gemma2" ? "pre+post" : "pre");
    EXPECT_EQ(eng["activation"], arch == "gemma2" ? "gelu-tanh" : "silu");
    EXPECT_EQ(eng["sliding_layers"], arch == "gemma2" ? 1 : 0);
    EXPECT_EQ(eng["final_softcap"].get<double>(), arch == "gemma2" ? 30.0 : 0.0);
    EXPECT_EQ(eng["output"], arch == "gemma2" ? "token_embd (tied)" : "output.weight");
    ASSERT_EQ(RunCommand(BhasaBinary() + " generate " + path + " --text hello --greedy --max-tokens 4 --threads 2", &log), 0)
        << log;
  }
  std::string log;
  EXPECT_EQ(RunCommand(BhasaBinary() + " model create-random --arch mamba --out " + dir + "/m.gguf", &log), 2);
  EXPECT_NE(log.find("gemma2|llama|qwen2"), std::string::npos) << log;
}

// A file the engine cannot run still gets described, with the reason.
TEST(ModelCommands, InfoNamesWhatTheEngineLacks) {
  auto dir = testing::TempDir("model-cmd-arch");
  std::string log;
  ASSERT_EQ(RunCommand(BhasaBinary() + " model create-random --arch qwen2 --out " + dir + "/q.gguf", &log), 0) << log;
  // Rename the architecture in place: same length, so every offset stays valid.
  ASSERT_EQ(RunCommand("sed -i 's/qwen2/qwen9/g' " + dir + "/q.gguf", &log), 0) << log;
  const auto info = Info(dir + "/q.gguf");
  EXPECT_FALSE(info["engine"]["supported"].get<bool>());
  EXPECT_NE(info["engine"]["error"].get<std::string>().find("'qwen9' is not supported"), std::string::npos)
      << info["engine"].dump();
}

}  // namespace
}  // namespace bhasa

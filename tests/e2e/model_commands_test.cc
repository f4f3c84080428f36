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

}  // namespace
}  // namespace bhasa

// `bhasa model tokenize`: the CLI over the tokenizer, on the shared fixtures.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace bhasa {
namespace {

TEST(CmdTokenize, TokenizerJsonWithBosAndJson) {
  BHASA_REQUIRE_SHARED("fixtures/llama3-tokenizer/tokenizer.json");
  std::string out;
  std::string cmd = testing::BhasaBinary() + " model tokenize " + testing::SharedDir() +
                    "/fixtures/llama3-tokenizer/tokenizer.json --text 'Hello world<|eot_id|>' --parse-special --json";
  ASSERT_EQ(testing::RunCommand(cmd, &out), 0) << out;
  auto j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_EQ(j["ids"], nlohmann::json({128000, 9906, 1917, 128009}));
  EXPECT_EQ(j["pieces"][2], " world");
}

TEST(CmdTokenize, GgufWithoutBosPrintsIds) {
  BHASA_REQUIRE_SHARED("fixtures/llama-tiny/models/llama-tiny-F32.gguf");
  std::string out;
  std::string cmd = testing::BhasaBinary() + " model tokenize " + testing::SharedDir() +
                    "/fixtures/llama-tiny/models/llama-tiny-F32.gguf --text A --no-bos";
  ASSERT_EQ(testing::RunCommand(cmd, &out), 0) << out;
  EXPECT_NE(out.find("1 tokens: 32"), std::string::npos) << out;
}

TEST(CmdTokenize, MissingModelFailsCleanly) {
  std::string out;
  int rc = testing::RunCommand(testing::BhasaBinary() + " model tokenize /nonexistent/model.gguf --text x", &out);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("error"), std::string::npos) << out;
}

}  // namespace
}  // namespace bhasa

// The tiny Llama GGUF fixtures: the vocabulary comes from GGUF metadata via
// ModelFile; token ids must equal llama.cpp's (reference/<model>.json).
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/native/model_file.h"
#include "backends/native/vocab.h"
#include "common/fs.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

constexpr const char* kTinyDir = "fixtures/llama-tiny";

// One test per reference file, named after it.
const char* const kReferences[] = {
    "llama-tiny-BF16",      "llama-tiny-F16",         "llama-tiny-F32",     "llama-tiny-F32.kvf16",
    "llama-tiny-Q2_K",      "llama-tiny-Q3_K_M",      "llama-tiny-Q4_0",    "llama-tiny-Q4_K_M",
    "llama-tiny-Q5_0",      "llama-tiny-Q5_K_M",      "llama-tiny-Q6_K",    "llama-tiny-Q8_0",
    "llama-tiny-tied-F16",  "llama-tiny-tied-F32",    "llama-tiny-tied-Q4_0", "llama-tiny-tied-Q4_K_M",
    "llama-tiny-tied-Q8_0",
};

class TinyGgufVocab : public ::testing::TestWithParam<const char*> {};

TEST_P(TinyGgufVocab, MatchesLlamaCppTokens) {
  const std::string ref_rel = std::string(kTinyDir) + "/reference/" + GetParam() + ".json";
  BHASA_REQUIRE_SHARED(ref_rel);
  const std::string dir = testing::SharedDir() + "/" + kTinyDir;
  nlohmann::json ref = nlohmann::json::parse(ReadFile(testing::SharedDir() + "/" + ref_rel));
  const std::string model_path = dir + "/" + ref["model_file"].get<std::string>();
  ASSERT_TRUE(std::filesystem::exists(model_path)) << model_path;
  auto mf = ModelFile::Open(model_path);
  Vocab v = Vocab::FromModelFile(*mf);
  EXPECT_EQ(v.size(), ref["n_vocab"].get<int>());
  EXPECT_EQ(v.kind(), VocabKind::kBpe);
  EXPECT_EQ(v.pre(), PreTokenizer::kLlama3);
  EXPECT_EQ(v.bos(), 763);
  EXPECT_EQ(v.eos(), 767);
  EXPECT_TRUE(v.add_bos());
  EXPECT_TRUE(v.IsEog(767));
  EXPECT_EQ(v.Type(765), TokenType::kControl);
  EXPECT_NE(v.chat_template().find("<|start_header_id|>"), std::string::npos);
  ASSERT_EQ(ref["cases"].size(), 8u);
  const bool parse_special = ref["tokenize_parse_special"].get<bool>();
  for (const auto& c : ref["cases"]) {
    const std::string text = c["text"];
    auto nobos = c["tokens_nobos"].get<std::vector<int32_t>>();
    auto bos = c["tokens_bos"].get<std::vector<int32_t>>();
    EXPECT_EQ(v.Tokenize(text, false, parse_special), nobos) << c["id"];
    EXPECT_EQ(v.Tokenize(text, true, parse_special), bos) << c["id"];
    EXPECT_EQ(v.Detokenize(nobos, /*render_special=*/true), text) << c["id"];
  }
}

INSTANTIATE_TEST_SUITE_P(Reference, TinyGgufVocab, ::testing::ValuesIn(kReferences),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           for (char& ch : name)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

// Same vocabulary through the generic loader that the CLI uses.
TEST(TinyGgufVocabLoad, LoadDispatchesOnGguf) {
  BHASA_REQUIRE_SHARED(std::string(kTinyDir) + "/models/llama-tiny-F32.gguf");
  Vocab v = Vocab::Load(testing::SharedDir() + "/" + kTinyDir + "/models/llama-tiny-F32.gguf");
  EXPECT_EQ(v.Tokenize("A", true, true), (std::vector<int32_t>{763, 32}));
}

}  // namespace
}  // namespace bhasa::native

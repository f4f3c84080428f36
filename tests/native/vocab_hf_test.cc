// Hugging Face tokenizer.json files of the Qwen2 kind (byte-level BPE, Qwen2
// Split regex, NFC) and of the Gemma kind (BPE over "▁"-escaped text with
// byte fallback), checked against the ids the Hugging Face tokenizers give
// (tests/native/data/tokenizers/README.md says how they were made); the same
// vocabularies as GGUF metadata; the Qwen2 pre-tokenizer by hand.
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/native/gguf_writer.h"
#include "backends/native/model_file.h"
#include "backends/native/vocab.h"
#include "backends/native/vocab_bpe.h"
#include "common/error.h"
#include "common/fs.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

using nlohmann::json;
using Ids = std::vector<int32_t>;
using Pieces = std::vector<std::string>;

struct Case {
  std::string text;
  Ids ids, ids_special;
};

std::string DataDir() { return testing::SourceDir() + "/tests/native/data/tokenizers"; }

std::map<std::string, std::vector<Case>> LoadCases(const std::string& file) {
  std::map<std::string, std::vector<Case>> out;
  std::istringstream in(ReadFile(file));
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    json j = json::parse(line);
    out[j["tokenizer"]].push_back({j["text"], j["ids"].get<Ids>(), j["ids_special"].get<Ids>()});
  }
  return out;
}

const std::map<std::string, std::vector<Case>>& Cases() {
  static const auto cases = LoadCases(DataDir() + "/cases.jsonl");
  return cases;
}

Vocab LoadMini(const std::string& name) {
  return Vocab::FromTokenizerJson(DataDir() + "/" + name + "/tokenizer.json",
                                  DataDir() + "/" + name + "/tokenizer_config.json");
}

// parse_special: Hugging Face always splits out added tokens.
void ExpectSameIds(const Vocab& v, const std::vector<Case>& cases, bool with_special = true) {
  ASSERT_FALSE(cases.empty());
  for (const Case& c : cases) {
    EXPECT_EQ(v.Tokenize(c.text, false, true), c.ids) << c.text;
    if (with_special) {
      EXPECT_EQ(v.Tokenize(c.text, true, true), c.ids_special) << c.text;
    }
  }
}

TEST(Qwen2PreTokenizer, DigitsOneByOne) {
  auto qwen2 = [](std::string_view s) { return PreTokenize(PreTokenizer::kQwen2, s); };
  EXPECT_EQ(qwen2("12345"), (Pieces{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(PreTokenize(PreTokenizer::kLlama3, "12345"), (Pieces{"123", "45"}));
  EXPECT_EQ(qwen2("x1y22"), (Pieces{"x", "1", "y", "2", "2"}));
  EXPECT_EQ(qwen2("Rp 1.500"), (Pieces{"Rp", " ", "1", ".", "5", "0", "0"}));
  // Thai digits are \p{N} too.
  EXPECT_EQ(qwen2("\u0e51\u0e52"), (Pieces{"\u0e51", "\u0e52"}));
  // Everything else is Llama 3's: case-insensitive contractions, a space
  // before letters, newlines kept with the run before them.
  EXPECT_EQ(qwen2("I'M here"), (Pieces{"I", "'M", " here"}));
  EXPECT_EQ(qwen2("a  b\n\nc"), (Pieces{"a", " ", " b", "\n\n", "c"}));
  EXPECT_EQ(qwen2("Xin chào"), (Pieces{"Xin", " chào"}));
  // Tamil's virama (U+0BCD) is a mark, not \p{L}: it opens the next piece.
  EXPECT_EQ(qwen2("வணக்கம்"), (Pieces{"வணக", "\u0bcdகம", "\u0bcd"}));
}

TEST(HfTokenizerJson, Qwen2MatchesHuggingFace) {
  Vocab v = LoadMini("qwen2-mini");
  EXPECT_EQ(v.kind(), VocabKind::kBpe);
  EXPECT_EQ(v.pre(), PreTokenizer::kQwen2);
  EXPECT_TRUE(v.nfc());
  EXPECT_FALSE(v.add_bos());
  EXPECT_EQ(v.EosText(), "<|im_end|>");
  EXPECT_TRUE(v.IsEog(v.Find("<|im_end|>")));
  ExpectSameIds(v, Cases().at("qwen2-mini"));
  // NFC: decomposed Vietnamese gives the ids of the composed text.
  EXPECT_EQ(v.Tokenize("Vi\u1ec7t", false, false), v.Tokenize("Vie\u0323\u0302t", false, false));
}

TEST(HfTokenizerJson, GemmaMatchesHuggingFace) {
  Vocab v = LoadMini("gemma-mini");
  EXPECT_EQ(v.kind(), VocabKind::kSpm);
  EXPECT_FALSE(v.add_space_prefix());
  EXPECT_TRUE(v.add_bos());
  EXPECT_EQ(v.BosText(), "<bos>");
  EXPECT_EQ(v.Type(v.Find("<0x0A>")), TokenType::kByte);
  ExpectSameIds(v, Cases().at("gemma-mini"));
  // Tamil is not in the vocabulary: bytes, which decode back to the text.
  const std::string tamil = "தமிழ்";
  Ids ids = v.Tokenize(tamil, false, false);
  EXPECT_EQ(ids.size(), tamil.size());
  EXPECT_EQ(v.Detokenize(ids), tamil);
  EXPECT_EQ(v.Detokenize(v.Tokenize("Saya suka  nasi\n", false, false)), "Saya suka  nasi\n");
}

TEST(HfTokenizerJson, PrependNormalizerIsTheSpacePrefix) {
  Vocab v = LoadMini("spm-prepend-mini");
  EXPECT_EQ(v.kind(), VocabKind::kSpm);
  EXPECT_TRUE(v.add_space_prefix());
  ExpectSameIds(v, Cases().at("spm-prepend-mini"));
}

// The qwen2-mini vocabulary as llama.cpp's converter writes it to GGUF
// (tokenizer.ggml.model gpt2, pre qwen2): no NFC, no BOS.
std::string WriteQwen2Gguf() {
  json tj = json::parse(ReadFile(DataDir() + "/qwen2-mini/tokenizer.json"));
  std::vector<std::string> tokens(tj["model"]["vocab"].size() + tj["added_tokens"].size());
  std::vector<int64_t> types(tokens.size(), static_cast<int64_t>(TokenType::kNormal));
  for (auto& [text, id] : tj["model"]["vocab"].items()) tokens[id.get<size_t>()] = text;
  for (auto& a : tj["added_tokens"]) {
    tokens[a["id"].get<size_t>()] = a["content"];
    types[a["id"].get<size_t>()] = static_cast<int64_t>(TokenType::kControl);
  }
  std::vector<std::string> merges;
  for (auto& m : tj["model"]["merges"]) merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
  GgufWriter w;
  w.Add("general.architecture", MetaValue::Str("qwen2"));
  w.Add("tokenizer.ggml.model", MetaValue::Str("gpt2"));
  w.Add("tokenizer.ggml.pre", MetaValue::Str("qwen2"));
  w.Add("tokenizer.ggml.tokens", MetaValue::StrArray(tokens));
  w.Add("tokenizer.ggml.token_type", MetaValue::IntArray(GgufValueType::kInt32, types));
  w.Add("tokenizer.ggml.merges", MetaValue::StrArray(merges));
  w.Add("tokenizer.ggml.bos_token_id", MetaValue::Int(GgufValueType::kUint32, static_cast<int64_t>(tokens.size()) - 3));
  w.Add("tokenizer.ggml.eos_token_id", MetaValue::Int(GgufValueType::kUint32, static_cast<int64_t>(tokens.size()) - 1));
  w.AddTensor("token_embd.weight", GgmlType::F32, {4, static_cast<int64_t>(tokens.size())},
              std::vector<float>(4 * tokens.size(), 0.0f));
  std::string path = testing::TempDir("qwen2-gguf") + "/qwen2.gguf";
  w.Write(path);
  return path;
}

TEST(GgufTokenizer, Qwen2PreTokenizerWithoutNormalization) {
  auto mf = ModelFile::Open(WriteQwen2Gguf());
  Vocab v = Vocab::FromModelFile(*mf);
  EXPECT_EQ(v.pre(), PreTokenizer::kQwen2);
  EXPECT_FALSE(v.ignore_merges());
  EXPECT_FALSE(v.nfc());
  EXPECT_FALSE(v.add_bos());  // llama.cpp adds BOS by default only for Llama 3's pre-tokenizer
  ExpectSameIds(v, Cases().at("qwen2-mini-gguf"));
}

// The gemma-mini vocabulary as a Gemma GGUF: tokenizer.ggml.model llama,
// add_space_prefix false, scores falling with each merge's rank (the order a
// SentencePiece BPE model lists its pieces in).
std::string WriteGemmaGguf() {
  json tj = json::parse(ReadFile(DataDir() + "/gemma-mini/tokenizer.json"));
  const size_t n = tj["model"]["vocab"].size();
  std::vector<std::string> tokens(n);
  std::vector<double> scores(n, 0.0);
  std::vector<int64_t> types(n, static_cast<int64_t>(TokenType::kNormal));
  for (auto& [text, id] : tj["model"]["vocab"].items()) tokens[id.get<size_t>()] = text;
  for (auto& a : tj["added_tokens"]) types[a["id"].get<size_t>()] = static_cast<int64_t>(TokenType::kControl);
  for (size_t i = 0; i < n; ++i)
    if (tokens[i].starts_with("<0x")) types[i] = static_cast<int64_t>(TokenType::kByte);
  const auto& merges = tj["model"]["merges"];
  for (size_t r = merges.size(); r-- > 0;) {
    const std::string merged = merges[r][0].get<std::string>() + merges[r][1].get<std::string>();
    scores[tj["model"]["vocab"][merged].get<size_t>()] = -static_cast<double>(r) - 1.0;
  }
  GgufWriter w;
  w.Add("general.architecture", MetaValue::Str("gemma2"));
  w.Add("tokenizer.ggml.model", MetaValue::Str("llama"));
  w.Add("tokenizer.ggml.pre", MetaValue::Str("default"));
  w.Add("tokenizer.ggml.tokens", MetaValue::StrArray(tokens));
  w.Add("tokenizer.ggml.scores", MetaValue::FloatArray(GgufValueType::kFloat32, scores));
  w.Add("tokenizer.ggml.token_type", MetaValue::IntArray(GgufValueType::kInt32, types));
  w.Add("tokenizer.ggml.bos_token_id", MetaValue::Int(GgufValueType::kUint32, 2));
  w.Add("tokenizer.ggml.eos_token_id", MetaValue::Int(GgufValueType::kUint32, 1));
  w.Add("tokenizer.ggml.unknown_token_id", MetaValue::Int(GgufValueType::kUint32, 3));
  w.Add("tokenizer.ggml.padding_token_id", MetaValue::Int(GgufValueType::kUint32, 0));
  w.Add("tokenizer.ggml.add_space_prefix", MetaValue::Bool(false));
  w.Add("tokenizer.ggml.add_bos_token", MetaValue::Bool(true));
  w.AddTensor("token_embd.weight", GgmlType::F32, {4, static_cast<int64_t>(n)}, std::vector<float>(4 * n, 0.0f));
  std::string path = testing::TempDir("gemma-gguf") + "/gemma.gguf";
  w.Write(path);
  return path;
}

TEST(GgufTokenizer, GemmaConventions) {
  auto mf = ModelFile::Open(WriteGemmaGguf());
  Vocab v = Vocab::FromModelFile(*mf);
  EXPECT_EQ(v.kind(), VocabKind::kSpm);
  EXPECT_FALSE(v.add_space_prefix());
  EXPECT_TRUE(v.add_bos());
  EXPECT_TRUE(v.IsEog(v.Find("<end_of_turn>")));
  // On this vocabulary, merging by score gives what merging by rank gives.
  ExpectSameIds(v, Cases().at("gemma-mini"));
}

TEST(HfTokenizerJson, UnsupportedFormsAreNamed) {
  json tj = json::parse(ReadFile(DataDir() + "/gemma-mini/tokenizer.json"));
  const std::string dir = testing::TempDir("hf-tok-bad");
  auto expect_error = [&](const json& j, const std::string& needle) {
    const std::string path = dir + "/tokenizer.json";
    WriteFileAtomic(path, j.dump());
    try {
      Vocab::FromTokenizerJson(path);
      ADD_FAILURE() << "accepted; wanted an error about " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  };
  json j = tj;
  j["normalizer"] = {{"type", "NFKC"}};
  expect_error(j, "NFKC");
  j = tj;
  j["model"]["byte_fallback"] = false;
  expect_error(j, "byte_fallback");
  j = tj;
  j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}};
  expect_error(j, "Metaspace");
  j = tj;
  j["normalizer"] = nullptr;
  expect_error(j, "byte-level");
  j = tj;
  j["model"]["merges"] = json::array();
  expect_error(j, "merges");
}

// The real Qwen3 (= Qwen2.5 vocabulary) and Gemma 3 tokenizer.json files are
// too large to keep here; set BHASA_REAL_TOKENIZERS to the folder holding
// tokenizer-qwen3/ and tokenizer-gemma3/ (see the README) to check them.
TEST(HfTokenizerJson, RealVocabulariesMatchHuggingFace) {
  const char* dir = std::getenv("BHASA_REAL_TOKENIZERS");
  if (!dir || !std::filesystem::exists(std::string(dir) + "/tokenizer-qwen3/models/tokenizer.json"))
    GTEST_SKIP() << "BHASA_REAL_TOKENIZERS is not set to a folder with tokenizer-qwen3/ and tokenizer-gemma3/";
  for (const auto& [name, cases] : LoadCases(DataDir() + "/real-cases.jsonl")) {
    const std::string m = std::string(dir) + "/" + name + "/models";
    Vocab v = Vocab::FromTokenizerJson(m + "/tokenizer.json", m + "/tokenizer_config.json");
    SCOPED_TRACE(name);
    ExpectSameIds(v, cases);
  }
}

}  // namespace
}  // namespace bhasa::native

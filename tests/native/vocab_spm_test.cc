// SentencePiece-style tokenization on a small hand-built vocab: score order,
// leftmost ties, dummy prefix, byte fallback and special-token handling.
#include "backends/native/vocab_spm.h"

#include <cstdio>

#include <gtest/gtest.h>

#include "backends/native/gguf_writer.h"
#include "backends/native/model_file.h"
#include "backends/native/vocab.h"
#include "common/error.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

using Ids = std::vector<int32_t>;

constexpr int32_t kUnk = 0, kBos = 1, kEos = 2;
int32_t ByteId(uint8_t b) { return 3 + b; }
// Pieces after the 259 fixed tokens, with their ids.
enum : int32_t { kSpace = 259, kA, kB, kC, kAB, kBC, kSpaceA, kSpaceABC, kABC, kAA };

VocabSpec SpmSpec(bool add_space_prefix) {
  VocabSpec spec;
  spec.kind = VocabKind::kSpm;
  auto add = [&](std::string text, float score, TokenType type) {
    spec.tokens.push_back(std::move(text));
    spec.scores.push_back(score);
    spec.types.push_back(type);
  };
  add("<unk>", 0, TokenType::kUnknown);
  add("<s>", 0, TokenType::kControl);
  add("</s>", 0, TokenType::kControl);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    add(name, 0, TokenType::kByte);
  }
  add("\u2581", -1, TokenType::kNormal);
  add("a", -2, TokenType::kNormal);
  add("b", -3, TokenType::kNormal);
  add("c", -4, TokenType::kNormal);
  add("ab", -5, TokenType::kNormal);
  add("bc", -0.5f, TokenType::kNormal);
  add("\u2581a", -6, TokenType::kNormal);
  add("\u2581abc", -7, TokenType::kNormal);
  add("abc", -8, TokenType::kNormal);
  add("aa", -1, TokenType::kNormal);
  spec.bos_id = kBos;
  spec.eos_id = kEos;
  spec.unk_id = kUnk;
  spec.add_bos = true;
  spec.add_space_prefix = add_space_prefix;
  return spec;
}

Vocab MakeSpm(bool add_space_prefix) { return Vocab(SpmSpec(add_space_prefix)); }

// The same vocabulary written as GGUF metadata (tokenizer.ggml.model = llama).
std::string WriteSpmGguf(const std::string& model_name, bool add_space_prefix) {
  VocabSpec spec = SpmSpec(add_space_prefix);
  GgufWriter w;
  w.Add("general.architecture", MetaValue::Str("llama"));
  w.Add("tokenizer.ggml.model", MetaValue::Str(model_name));
  w.Add("tokenizer.ggml.tokens", MetaValue::StrArray(spec.tokens));
  w.Add("tokenizer.ggml.scores",
        MetaValue::FloatArray(GgufValueType::kFloat32, std::vector<double>(spec.scores.begin(), spec.scores.end())));
  std::vector<int64_t> types;
  for (TokenType t : spec.types) types.push_back(static_cast<int64_t>(t));
  w.Add("tokenizer.ggml.token_type", MetaValue::IntArray(GgufValueType::kInt32, types));
  w.Add("tokenizer.ggml.bos_token_id", MetaValue::Int(GgufValueType::kUint32, kBos));
  w.Add("tokenizer.ggml.eos_token_id", MetaValue::Int(GgufValueType::kUint32, kEos));
  w.Add("tokenizer.ggml.unknown_token_id", MetaValue::Int(GgufValueType::kUint32, kUnk));
  w.Add("tokenizer.ggml.add_space_prefix", MetaValue::Bool(add_space_prefix));
  w.AddTensor("token_embd.weight", GgmlType::F32, {4, static_cast<int64_t>(spec.tokens.size())},
              std::vector<float>(4 * spec.tokens.size(), 0.0f));
  std::string path = testing::TempDir("spm-gguf") + "/spm.gguf";
  w.Write(path);
  return path;
}

TEST(SpmVocab, HighestScoreMergesFirst) {
  Vocab v = MakeSpm(true);
  // ▁ a b c: "bc" (-0.5) first; then "▁a" (-6) beats "abc" (-8); then "▁abc".
  EXPECT_EQ(v.Tokenize("abc", false, false), (Ids{kSpaceABC}));
  // Without the dummy prefix: a bc -> abc.
  Vocab g = MakeSpm(false);
  EXPECT_EQ(g.Tokenize("abc", false, false), (Ids{kABC}));
}

TEST(SpmVocab, EqualScoresMergeLeftmostFirst) {
  Vocab g = MakeSpm(false);
  EXPECT_EQ(g.Tokenize("aaa", false, false), (Ids{kAA, kA}));
  Vocab v = MakeSpm(true);
  // ▁ a a a: "aa" (-1) at the left pair wins over "▁a" (-6).
  EXPECT_EQ(v.Tokenize("aaa", false, false), (Ids{kSpace, kAA, kA}));
}

TEST(SpmVocab, SpacesBecomeLowerBlock) {
  Vocab v = MakeSpm(true);
  Ids ids = v.Tokenize("a b", true, false);
  EXPECT_EQ(ids, (Ids{kBos, kSpaceA, kSpace, kB}));
  EXPECT_EQ(v.Detokenize(ids), " a b");
  EXPECT_EQ(v.Detokenize(ids, true), "<s> a b");
}

TEST(SpmVocab, ByteFallbackForUnknownCharacters) {
  Vocab v = MakeSpm(true);
  Ids ids = v.Tokenize("\u00e9", false, false);  // é = C3 A9
  EXPECT_EQ(ids, (Ids{kSpace, ByteId(0xC3), ByteId(0xA9)}));
  EXPECT_EQ(v.Detokenize(ids), " \u00e9");
  EXPECT_EQ(v.TokenToPiece(ByteId(0xC3)), "\xC3");
}

TEST(SpmVocab, SpecialTokensAndDummyPrefix) {
  Vocab v = MakeSpm(true);
  // After a special token the raw text gets the dummy prefix again.
  EXPECT_EQ(v.Tokenize("<s>a", false, true), (Ids{kBos, kSpaceA}));
  EXPECT_EQ(v.Tokenize("a</s>a", false, true), (Ids{kSpaceA, kEos, kSpaceA}));
  // Not parsed: "<s>" is spelled with byte tokens.
  EXPECT_EQ(v.Tokenize("<s>", false, false), (Ids{kSpace, ByteId('<'), ByteId('s'), ByteId('>')}));
  EXPECT_EQ(v.Tokenize("", true, false), (Ids{kBos}));
  EXPECT_EQ(v.Tokenize("", false, false), Ids{});
}

TEST(SpmVocab, EscapeHelpers) {
  EXPECT_EQ(SpmEscapeSpaces(" a  b"), "\u2581a\u2581\u2581b");
  EXPECT_EQ(SpmUnescapeSpaces("\u2581a\u2581\u2581b"), " a  b");
  EXPECT_EQ(ParseByteToken("<0x0A>"), 10);
  EXPECT_EQ(ParseByteToken("<0xfF>"), 255);
  EXPECT_EQ(ParseByteToken("<0x0G>"), -1);
  EXPECT_EQ(ParseByteToken("0x0A"), -1);
}

TEST(SpmVocab, InvalidUtf8NeverThrows) {
  Vocab v = MakeSpm(false);
  Ids ids = v.Tokenize("\xff\xc3", false, false);
  EXPECT_EQ(ids, (Ids{ByteId(0xFF), ByteId(0xC3)}));
}

TEST(SpmVocab, LoadsFromGgufMetadata) {
  for (bool prefix : {true, false}) {
    auto mf = ModelFile::Open(WriteSpmGguf("llama", prefix));
    Vocab g = Vocab::FromModelFile(*mf);
    Vocab v = MakeSpm(prefix);
    EXPECT_EQ(g.kind(), VocabKind::kSpm);
    EXPECT_EQ(g.add_space_prefix(), prefix);
    EXPECT_TRUE(g.add_bos());  // llama.cpp's default for SentencePiece vocabs
    EXPECT_EQ(g.Type(ByteId(7)), TokenType::kByte);
    for (const char* text : {"abc", "a b", "aaa", "\u00e9 abc", "<s>a</s>"})
      EXPECT_EQ(g.Tokenize(text, true, true), v.Tokenize(text, true, true)) << text;
  }
  auto bad = ModelFile::Open(WriteSpmGguf("bert", true));
  try {
    Vocab::FromModelFile(*bad);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bert"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bhasa::native

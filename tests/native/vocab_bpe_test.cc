// Byte-level BPE: pre-tokenizer rules by hand, merge order on a tiny vocab,
// and the Llama 3 fixtures (cases.jsonl, llama.cpp's .inp/.out vectors).
#include "backends/native/vocab_bpe.h"

#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/native/vocab.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/jsonl.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

using Pieces = std::vector<std::string>;

Pieces Llama3(std::string_view s) { return PreTokenize(PreTokenizer::kLlama3, s); }
Pieces Gpt2(std::string_view s) { return PreTokenize(PreTokenizer::kGpt2, s); }

TEST(PreTokenizeLlama3, ContractionsIgnoreCase) {
  EXPECT_EQ(Llama3("don't"), (Pieces{"don", "'t"}));
  EXPECT_EQ(Llama3("I'M"), (Pieces{"I", "'M"}));
  EXPECT_EQ(Llama3("We'Ve"), (Pieces{"We", "'Ve"}));
  EXPECT_EQ(Llama3("'RE"), (Pieces{"'RE"}));
  EXPECT_EQ(Llama3("they'll"), (Pieces{"they", "'ll"}));
  // 'x is no contraction: the quote joins the letters after it.
  EXPECT_EQ(Llama3("'xyz"), (Pieces{"'xyz"}));
}

TEST(PreTokenizeLlama3, LettersTakeOneLeadingNonLetter) {
  EXPECT_EQ(Llama3("Hello world"), (Pieces{"Hello", " world"}));
  EXPECT_EQ(Llama3("a,b"), (Pieces{"a", ",b"}));
  EXPECT_EQ(Llama3("(abc)"), (Pieces{"(abc", ")"}));
  // A newline never leads a letter run.
  EXPECT_EQ(Llama3("\nabc"), (Pieces{"\n", "abc"}));
  // Thai: vowel and tone marks (Mn) are not letters, so they split runs.
  EXPECT_EQ(Llama3("ภาษา"), (Pieces{"ภาษา"}));
  EXPECT_EQ(Llama3("ที่"), (Pieces{"ท", "ี่"}));
}

TEST(PreTokenizeLlama3, DigitsInGroupsOfThree) {
  EXPECT_EQ(Llama3("1234567"), (Pieces{"123", "456", "7"}));
  EXPECT_EQ(Llama3("+62 812"), (Pieces{"+", "62", " ", "812"}));
  // \p{N} includes other numbers such as superscripts and Thai digits.
  EXPECT_EQ(Llama3("๑๒๓๔"), (Pieces{"๑๒๓", "๔"}));
}

TEST(PreTokenizeLlama3, PunctuationAndWhitespace) {
  EXPECT_EQ(Llama3("Hi!!\n\nYo"), (Pieces{"Hi", "!!\n\n", "Yo"}));
  EXPECT_EQ(Llama3("a  b"), (Pieces{"a", " ", " b"}));
  EXPECT_EQ(Llama3("a   "), (Pieces{"a", "   "}));
  EXPECT_EQ(Llama3("  \n  x"), (Pieces{"  \n", " ", " x"}));
  EXPECT_EQ(Llama3("x \t\ny"), (Pieces{"x", " \t\n", "y"}));
  EXPECT_EQ(Llama3(" ..."), (Pieces{" ..."}));
  EXPECT_EQ(Llama3("\r\n"), (Pieces{"\r\n"}));
  // NBSP and the ideographic space are White_Space.
  EXPECT_EQ(Llama3("a\u00a0\u00a0b"), (Pieces{"a", "\u00a0", "\u00a0b"}));
  EXPECT_EQ(Llama3(""), Pieces{});
}

TEST(PreTokenizeLlama3, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(Llama3("a\xff"), (Pieces{"a", "\xEF\xBF\xBD"}));
}

TEST(PreTokenizeGpt2, Rules) {
  EXPECT_EQ(Gpt2("I'M don't"), (Pieces{"I", "'", "M", " don", "'t"}));
  EXPECT_EQ(Gpt2("abc 12345 !!"), (Pieces{"abc", " 12345", " !!"}));
  EXPECT_EQ(Gpt2("a  b\n\nc"), (Pieces{"a", " ", " b", "\n", "\n", "c"}));
}

TEST(ByteLevel, RoundTripsEveryByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  EXPECT_EQ(ByteLevelDecode(ByteLevelEncode(all)), all);
  EXPECT_EQ(ByteToChars(' '), "\u0120");
  EXPECT_EQ(ByteToChars('\n'), "\u010a");
  EXPECT_EQ(ByteToChars('A'), "A");
  EXPECT_EQ(ByteToChars(0xAD), "\u0143");  // the last remapped byte
}

// A vocab of the 256 byte tokens plus a few merges, in a chosen rank order.
Vocab TinyBpe(std::vector<std::string> merges, bool ignore_merges) {
  VocabSpec spec;
  spec.pre = PreTokenizer::kLlama3;
  spec.ignore_merges = ignore_merges;
  for (int b = 0; b < 256; ++b) spec.tokens.push_back(ByteToChars(static_cast<uint8_t>(b)));
  for (const std::string& m : merges) {
    std::string joined = m;
    joined.erase(joined.find(' '), 1);
    spec.tokens.push_back(joined);
  }
  spec.tokens.push_back("<|bos|>");
  spec.tokens.push_back("<|eot|>");
  spec.tokens.push_back("<|user|>");
  spec.types.assign(spec.tokens.size(), TokenType::kNormal);
  spec.types[spec.tokens.size() - 3] = TokenType::kControl;
  spec.types[spec.tokens.size() - 2] = TokenType::kControl;
  spec.types[spec.tokens.size() - 1] = TokenType::kUserDefined;
  spec.bos_id = static_cast<int32_t>(spec.tokens.size()) - 3;
  spec.add_bos = true;
  spec.merges = std::move(merges);
  return Vocab(std::move(spec));
}

TEST(BpeModel, MergesLowestRankFirstThenLeftmost) {
  // ids: 256 "ab", 257 "bc", 258 "abc"; "bc" outranks "ab".
  Vocab v = TinyBpe({"b c", "a b", "a bc"}, false);
  EXPECT_EQ(v.Find("bc"), 256);
  // abc: "bc" first (rank 0), then "a"+"bc" (rank 2).
  EXPECT_EQ(v.Tokenize("abc", false, false), (std::vector<int32_t>{258}));
  // abab: only "a b" applies; both pairs merge, leftmost first.
  EXPECT_EQ(v.Tokenize("abab", false, false), (std::vector<int32_t>{257, 257}));
  // bcbc -> bc bc; "cb" has no merge.
  EXPECT_EQ(v.Tokenize("bcbc", false, false), (std::vector<int32_t>{256, 256}));
  // Unmerged bytes map to their byte tokens.
  EXPECT_EQ(v.Tokenize("xa", false, false), (std::vector<int32_t>{'x', 'a'}));
}

TEST(BpeModel, IgnoreMergesEmitsWholeVocabWord) {
  // "abc" is in the vocab but unreachable by merges (no "a b" or "ab c").
  VocabSpec spec;
  for (int b = 0; b < 256; ++b) spec.tokens.push_back(ByteToChars(static_cast<uint8_t>(b)));
  spec.tokens.push_back("bc");
  spec.tokens.push_back("abc");
  spec.merges = {"b c"};
  spec.ignore_merges = false;
  VocabSpec spec2 = spec;
  spec2.ignore_merges = true;
  Vocab with_merges(std::move(spec)), ignoring(std::move(spec2));
  EXPECT_EQ(with_merges.Tokenize("abc", false, false), (std::vector<int32_t>{'a', 256}));
  EXPECT_EQ(ignoring.Tokenize("abc", false, false), (std::vector<int32_t>{257}));
}

TEST(Vocab, SpecialTokensParsedOnlyOnRequestButUserDefinedAlways) {
  Vocab v = TinyBpe({}, true);
  const int32_t bos = v.bos(), eot = bos + 1, user = bos + 2;
  auto ids = v.Tokenize("<|eot|>x", false, true);
  EXPECT_EQ(ids, (std::vector<int32_t>{eot, 'x'}));
  ids = v.Tokenize("<|eot|>", false, false);
  EXPECT_EQ(ids.size(), 7u);  // no merges: one byte token per character
  EXPECT_EQ(v.Detokenize(ids), "<|eot|>");
  ids = v.Tokenize("a<|user|>", true, false);
  EXPECT_EQ(ids, (std::vector<int32_t>{bos, 'a', user}));
  EXPECT_EQ(v.Detokenize(ids), "a<|user|>");  // control tokens render only on request
  EXPECT_EQ(v.Detokenize(ids, true), "<|bos|>a<|user|>");
  EXPECT_EQ(v.Tokenize("", true, true), (std::vector<int32_t>{bos}));
}

TEST(Vocab, RejectsBrokenSpecs) {
  VocabSpec empty;
  EXPECT_THROW(Vocab{std::move(empty)}, Error);
  VocabSpec bad_bos;
  bad_bos.tokens = {"a"};
  bad_bos.bos_id = 5;
  EXPECT_THROW(Vocab{std::move(bad_bos)}, Error);
  VocabSpec bad_scores;
  bad_scores.kind = VocabKind::kSpm;
  bad_scores.tokens = {"a", "b"};
  bad_scores.scores = {1.0f};
  EXPECT_THROW(Vocab{std::move(bad_scores)}, Error);
  VocabSpec bad_merge;
  bad_merge.tokens = {"a"};
  bad_merge.merges = {"nospace"};
  EXPECT_THROW(Vocab{std::move(bad_merge)}, Error);
  Vocab ok = TinyBpe({}, true);
  EXPECT_THROW(ok.TokenToPiece(-1), Error);
  EXPECT_THROW(ok.Detokenize(std::vector<int32_t>{ok.size()}), Error);
}

// ---- Llama 3 fixtures ---------------------------------------------------

constexpr const char* kLlama3Dir = "fixtures/llama3-tokenizer";

class Llama3Tokenizer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (testing::SharedDir().empty()) return;
    std::string dir = testing::SharedDir() + "/" + kLlama3Dir;
    if (!FileExists(dir + "/tokenizer.json")) return;
    // The generic loader, given the directory, finds tokenizer_config.json.
    vocab_ = new Vocab(Vocab::Load(dir));
  }
  static void TearDownTestSuite() {
    delete vocab_;
    vocab_ = nullptr;
  }
  static std::string Dir() { return testing::SharedDir() + "/" + kLlama3Dir; }
  static Vocab* vocab_;
};
Vocab* Llama3Tokenizer::vocab_ = nullptr;

TEST_F(Llama3Tokenizer, LoadsSpecialsFromConfig) {
  BHASA_REQUIRE_SHARED(std::string(kLlama3Dir) + "/tokenizer.json");
  EXPECT_EQ(vocab_->size(), 128256);
  EXPECT_EQ(vocab_->bos(), 128000);
  EXPECT_EQ(vocab_->eos(), 128001);
  EXPECT_EQ(vocab_->eot(), 128009);  // <|eot_id|>
  EXPECT_TRUE(vocab_->IsEog(128009));
  EXPECT_TRUE(vocab_->IsEog(128001));
  EXPECT_FALSE(vocab_->IsEog(128000));
  EXPECT_TRUE(vocab_->add_bos());
  EXPECT_EQ(vocab_->Type(128006), TokenType::kControl);
  EXPECT_NE(vocab_->chat_template().find("<|start_header_id|>"), std::string::npos);
  EXPECT_EQ(vocab_->Tokenize("Hello", true, false), (std::vector<int32_t>{128000, 9906}));
  EXPECT_EQ(vocab_->Tokenize("<|eot_id|>", false, true), (std::vector<int32_t>{128009}));
}

TEST_F(Llama3Tokenizer, CasesJsonl) {
  BHASA_REQUIRE_SHARED(std::string(kLlama3Dir) + "/cases.jsonl");
  int n = 0, failures = 0;
  ReadJsonl(Dir() + "/cases.jsonl", [&](nlohmann::json& c, long line) {
    std::string text = c["text"];
    auto ids = c["ids"].get<std::vector<int32_t>>();
    auto ids_special = c["ids_parse_special"].get<std::vector<int32_t>>();
    auto got = vocab_->Tokenize(text, false, false);
    auto got_special = vocab_->Tokenize(text, false, true);
    if (got != ids || got_special != ids_special) ++failures;
    EXPECT_EQ(got, ids) << "line " << line << " id " << c["id"] << " text \"" << text << "\"";
    EXPECT_EQ(got_special, ids_special) << "line " << line << " id " << c["id"];
    // Every id sequence decodes back to the text (special text included).
    EXPECT_EQ(vocab_->Detokenize(got), text) << "line " << line;
    EXPECT_EQ(vocab_->Detokenize(got_special, true), text) << "line " << line;
    ++n;
  });
  EXPECT_EQ(n, 150);
  EXPECT_EQ(failures, 0);
}

TEST_F(Llama3Tokenizer, LlamaCppVocabVectors) {
  BHASA_REQUIRE_SHARED(std::string(kLlama3Dir) + "/ggml-vocab-llama-bpe.gguf.inp");
  std::string inp = ReadFile(Dir() + "/ggml-vocab-llama-bpe.gguf.inp");
  std::string out = ReadFile(Dir() + "/ggml-vocab-llama-bpe.gguf.out");
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  for (size_t pos = 0;;) {
    size_t hit = inp.find(sep, pos);
    if (hit == std::string::npos) break;
    texts.push_back(inp.substr(pos, hit - pos));
    pos = hit + sep.size();
  }
  std::vector<std::vector<int32_t>> expected;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream nums(line);
    std::vector<int32_t> ids;
    for (int32_t id; nums >> id;) ids.push_back(id);
    expected.push_back(ids);
  }
  ASSERT_EQ(texts.size(), 46u);
  ASSERT_EQ(expected.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i)
    EXPECT_EQ(vocab_->Tokenize(texts[i], false, false), expected[i]) << "case " << i << " \"" << texts[i] << "\"";
}

TEST(VocabLoad, BadTokenizerJsonNamesTheFile) {
  std::string dir = testing::TempDir("vocab-bad");
  WriteFileAtomic(dir + "/tokenizer.json", "{\"model\": {\"type\": \"Unigram\"}}");
  try {
    Vocab::FromTokenizerJson(dir + "/tokenizer.json");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Unigram"), std::string::npos) << e.what();
  }
  WriteFileAtomic(dir + "/broken.json", "{not json");
  EXPECT_THROW(Vocab::FromTokenizerJson(dir + "/broken.json"), Error);
}

}  // namespace
}  // namespace bhasa::native

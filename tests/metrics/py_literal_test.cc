// Literal patterns matched without ICU, against ICU on random text: the ICU
// path (PyRegex::kIcuOnly) is the one the parity fixtures pinned to Python.
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/pystr.h"
#include "metrics/ifeval_pyregex.h"
#include "metrics/ifeval_pytext.h"
#include "metrics/py_literal.h"

namespace bhasa::metrics {
namespace {

TEST(PyLiteral, ParsesPlainTextBetweenOptionalBoundaries) {
  EXPECT_TRUE(PyLiteralPattern::Parse("nasi", true));
  EXPECT_TRUE(PyLiteralPattern::Parse(R"(\bgoreng\b)", true));
  EXPECT_TRUE(PyLiteralPattern::Parse(R"(\bdua kata)", false));
  EXPECT_TRUE(PyLiteralPattern::Parse("ภาษา ไทย", false));
  EXPECT_FALSE(PyLiteralPattern::Parse("", true));
  EXPECT_FALSE(PyLiteralPattern::Parse(R"(\b\b)", true));
  EXPECT_FALSE(PyLiteralPattern::Parse("a.b", true));
  EXPECT_FALSE(PyLiteralPattern::Parse(R"(a\.b)", true));
  EXPECT_FALSE(PyLiteralPattern::Parse(R"(\bfoo\B)", true));
  EXPECT_FALSE(PyLiteralPattern::Parse("a|b", true));
  EXPECT_FALSE(PyLiteralPattern::Parse("x{2}", true));
  EXPECT_FALSE(PyLiteralPattern::Parse("\uFFFD", true));
}

// The SSE2 scan against its plain twin: one to four wanted bytes (high
// bytes too), hits at every offset of a 16-byte step and in the tail.
TEST(PyLiteral, FindAnyByteEqualsTheScalarScan) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 5000; ++trial) {
    std::string text(rng() % 70, '\0');
    for (auto& c : text) c = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : 'a' + rng() % 6);
    std::vector<unsigned char> wanted(1 + rng() % 4);
    for (auto& b : wanted) b = static_cast<unsigned char>(rng() % 3 == 0 ? rng() % 256 : 'a' + rng() % 8);
    const size_t from = text.empty() ? 0 : rng() % (text.size() + 1);
    ASSERT_EQ(FindAnyByte(text, from, wanted), FindAnyByteScalar(text, from, wanted))
        << "trial " << trial << ", from " << from;
  }
  const std::vector<unsigned char> none = {'z'};
  EXPECT_EQ(FindAnyByte(std::string(40, 'a'), 0, none), 40u);
  EXPECT_EQ(FindAnyByte(std::string(40, 'a') + "z", 3, none), 40u);
}

// The same for the two-byte scans (SSE2, and AVX2 where the CPU has it):
// pairs straddling each step and the tail, a first byte as the last byte.
TEST(PyLiteral, FindBytePairEqualsTheScalarScan) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 5000; ++trial) {
    std::string text(rng() % 140, '\0');
    for (auto& c : text) c = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : 'a' + rng() % 4);
    std::vector<unsigned char> first(1 + rng() % 4), second(1 + rng() % 4);
    for (auto& b : first) b = static_cast<unsigned char>(rng() % 3 == 0 ? rng() % 256 : 'a' + rng() % 5);
    for (auto& b : second) b = static_cast<unsigned char>(rng() % 3 == 0 ? rng() % 256 : 'a' + rng() % 5);
    const size_t from = text.empty() ? 0 : rng() % (text.size() + 1);
    const size_t want = FindBytePairScalar(text, from, first, second);
    ASSERT_EQ(FindBytePair(text, from, first, second), want) << "trial " << trial << ", from " << from;
    ASSERT_EQ(FindBytePairSse2(text, from, first, second), want) << "trial " << trial << ", from " << from;
    if (CpuHasAvx2()) {
      ASSERT_EQ(FindBytePairAvx2(text, from, first, second), want) << "trial " << trial << ", from " << from;
    }
  }
  const std::vector<unsigned char> a = {'a'}, b = {'b'};
  EXPECT_EQ(FindBytePair(std::string(40, 'a'), 0, a, b), 40u);
  EXPECT_EQ(FindBytePair(std::string(40, 'b') + "a", 0, a, b), 41u);
  EXPECT_EQ(FindBytePair(std::string(15, 'a') + "ab", 0, b, a), 17u);  // "b" is the last byte
  EXPECT_EQ(FindBytePair(std::string(16, 'x') + "ab", 0, a, b), 16u);
}

TEST(PyLiteral, PythonCaseInsensitiveEquivalences) {
  EXPECT_TRUE(PyRegex(R"(\bhari\b)", PyRegex::kIgnoreCase).Search("HARİ INI CERAH."));  // U+0130
  EXPECT_TRUE(PyRegex("hari", PyRegex::kIgnoreCase).Search("harı"));                    // U+0131
  EXPECT_TRUE(PyRegex("kasus", PyRegex::kIgnoreCase).Search("\u212Aaſuſ"));             // Kelvin sign, long s
  EXPECT_FALSE(PyRegex("strasse", PyRegex::kIgnoreCase).Search("STRAßE"));              // no full folding
  EXPECT_FALSE(PyRegex("hari").Search("HARI"));
  EXPECT_FALSE(PyRegex(R"(\bkata\b)", PyRegex::kIgnoreCase).Search("katak"));
  EXPECT_FALSE(PyRegex(R"(\bkata\b)").Search("kata\u00B2"));  // a No character is \w
  EXPECT_TRUE(PyRegex(R"(\bkata\b)").Search("kata\u0301"));   // a mark is not
  EXPECT_EQ(PyRegex("aa").Count("aaaaa"), 2u);               // matches do not overlap
  EXPECT_EQ(PyRegex("-").Split("a-b-"), (std::vector<std::string>{"a", "b", ""}));
  // Invalid UTF-8 goes to ICU, which reads each bad byte as U+FFFD.
  EXPECT_TRUE(PyRegex(R"(\bnasi\b)", PyRegex::kIgnoreCase).Search("\xff" "NASI"));
  EXPECT_EQ(PyRegex("x").Count("x\xc3x"), 2u);
}

// Code points whose Python case classes, \w status or UTF-8 length differ.
const std::vector<char32_t> kAlphabet = {
    U'a', U'b', U'i', U'I', U'k', U'K', U's', U'S', U'_', U'1', U' ', U'-', U'\n', U'.',
    0x130, 0x131, 0x17F, 0x212A, 0xDF, 0x1E9E, 0xB2, 0x301, 0xBA4, 0xBCD, 0xE01, 0x1F600};

std::string RandomText(std::mt19937& rng, size_t max_len) {
  std::string s;
  const size_t n = rng() % (max_len + 1);
  for (size_t k = 0; k < n; ++k) py::AppendUtf8(s, kAlphabet[rng() % kAlphabet.size()]);
  return s;
}

TEST(PyLiteral, MatchesEqualIcuOnRandomText) {
  std::mt19937 rng(20261130);
  int literal = 0;
  for (int trial = 0; trial < 1500; ++trial) {
    std::string body;
    do body = RandomText(rng, 3);
    while (body.empty() || body.find_first_of(".-") != std::string::npos);
    const bool before = rng() % 2, after = rng() % 2;
    const std::string pattern = (before ? R"(\b)" : "") + body + (after ? R"(\b)" : "");
    const int flags = rng() % 2 ? PyRegex::kIgnoreCase : PyRegex::kNone;
    literal += PyLiteralPattern::Parse(pattern, flags & PyRegex::kIgnoreCase).has_value();
    const PyRegex fast(pattern, flags), icu(pattern, flags | PyRegex::kIcuOnly);
    for (int t = 0; t < 8; ++t) {
      const std::string text = RandomText(rng, 24);
      SCOPED_TRACE("pattern " + pattern + ", text " + text);
      ASSERT_EQ(fast.Search(text), icu.Search(text));
      ASSERT_EQ(fast.Count(text), icu.Count(text));
      ASSERT_EQ(fast.FindAll(text), icu.FindAll(text));
      ASSERT_EQ(fast.Split(text), icu.Split(text));
    }
  }
  EXPECT_EQ(literal, 1500);  // every pattern above took the literal path
}

TEST(PyLiteral, AngleTitlesEqualIcuOnRandomText) {
  const PyRegex icu(R"(<<[^\n]+>>)", PyRegex::kIcuOnly);
  const std::vector<std::string> pieces = {"<", ">", "<<", ">>", "\n", "a", " ", "é", "ไทย"};
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20000; ++trial) {
    std::string text;
    for (size_t n = rng() % 16; n > 0; --n) text += pieces[rng() % pieces.size()];
    SCOPED_TRACE(text);
    const auto fast = FindAngleTitles(text);
    const auto want = icu.FindAll(text);
    ASSERT_EQ(std::vector<std::string>(fast.begin(), fast.end()), want);
    for (const auto& m : want) ASSERT_EQ(AngleTitleText(m), PyRStripChars(PyLStripChars(m, U"<"), U">"));
  }
}

TEST(PyLiteral, CountPyWordsEqualsIcuWordRunsOnRandomText) {
  const PyRegex words(R"(\w+)", PyRegex::kIcuOnly);
  std::mt19937 rng(11);
  for (int trial = 0; trial < 5000; ++trial) {
    const std::string text = RandomText(rng, 40);
    ASSERT_EQ(CountPyWords(text), words.Count(text)) << text;
  }
  // Mostly ASCII, every byte value below 0x80: the sixteen- and eight-byte paths.
  for (int trial = 0; trial < 5000; ++trial) {
    std::string text;
    for (size_t n = rng() % 100; n > 0; --n) {
      if (rng() % 16) text += static_cast<char>(rng() % 128);
      else py::AppendUtf8(text, kAlphabet[rng() % kAlphabet.size()]);
    }
    ASSERT_EQ(CountPyWords(text), words.Count(text)) << text;
  }
}

}  // namespace
}  // namespace bhasa::metrics

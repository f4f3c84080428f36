#include "common/pystr.h"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"

namespace bhasa::py {
namespace {

TEST(PyStr, StripRemovesUnicodeWhitespaceButNotZeroWidthSpace) {
  EXPECT_EQ(Strip("\u00a0\u3000 hi \t\n\u2003"), "hi");
  EXPECT_EQ(Strip("\u200bhi\u200b"), "\u200bhi\u200b");  // U+200B is not isspace in Python
  EXPECT_EQ(Strip("\x1c" "a" "\x1f"), "a");
  EXPECT_EQ(Strip(""), "");
  EXPECT_EQ(LStrip("  a  "), "a  ");
  EXPECT_EQ(RStrip("  a  "), "  a");
}

TEST(PyStr, StripOfInvalidUtf8ReplacesBadBytesAsPythonDecodeDoes) {
  // The fast path slices valid UTF-8; invalid bytes still come back as U+FFFD.
  EXPECT_EQ(Strip(" a\xff \u3000"), "a\uFFFD");
  EXPECT_EQ(Strip("\u3000\u00e9 x\u2003"), "\u00e9 x");
  EXPECT_EQ(RStrip("\u0e01\u0e34\u00a0"), "\u0e01\u0e34");
  EXPECT_EQ(StripChars("\u00ab\u00aba\u00bb", U"\u00ab\u00bb"), "a");
}

TEST(PyStr, Utf8ValidationPastLongAsciiRuns) {
  const std::string ascii(21, 'a');
  EXPECT_EQ(FindInvalidUtf8(ascii + "\xff"), 21u);
  EXPECT_EQ(FindInvalidUtf8(ascii + "\xc3\xa9" + ascii + "\xe0\xb8" + ascii), 44u);
  EXPECT_TRUE(IsValidUtf8(ascii + "\u0e01" + ascii));
  EXPECT_EQ(Strip(ascii + "\xff "), ascii + "\uFFFD");
}

TEST(PyStr, IsBlankEqualsStripIsEmpty) {
  for (std::string_view s : {"", " ", "\t\n\u3000\u2003", " a ", "\u200b", "\xff", " \xc3", "\u00a0x"})
    EXPECT_EQ(IsBlank(s), Strip(s).empty()) << s;
}

TEST(PyStr, SplitOnRunsOfWhitespace) {
  auto v = Split("  a\u00a0b\n\nc  ");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0], "a");
  EXPECT_EQ(v[1], "b");
  EXPECT_EQ(v[2], "c");
  EXPECT_TRUE(Split(" \t ").empty());
  EXPECT_EQ(CollapseWhitespace(" x   y "), "x y");
}

TEST(PyStr, LowerIsFullUnicode) {
  EXPECT_EQ(Lower("ABC"), "abc");
  EXPECT_EQ(Lower("TIÊU CỰC"), "tiêu cực");
  EXPECT_EQ(Lower("İ"), "i\u0307");  // full lowercasing, as Python
  EXPECT_EQ(Lower("ΟΔΟΣ"), "οδος");  // final sigma in context
  // Thai has no case: ASCII and Thai text lowers without ICU, to what ICU gives.
  EXPECT_EQ(Lower("คำตอบ: ABC ๑๒ ฿"), "คำตอบ: abc ๑๒ ฿");
  EXPECT_EQ(Lower("คำ ÀB"), "คำ àb");  // another block: ICU
}

TEST(PyStr, StripCharsOnlyStripsListed) {
  EXPECT_EQ(StripChars("..a.b..", U"."), "a.b");
  EXPECT_EQ(StripChars("«a»", U"«»"), "a");
}

TEST(PyStr, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("ภาษาไทย"));
  EXPECT_FALSE(IsValidUtf8("a\xff" "b"));
  EXPECT_EQ(FindInvalidUtf8("ab\xc3"), 2u);
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // a surrogate
  EXPECT_EQ(Decode("a\xff").back(), U'\uFFFD');
  EXPECT_EQ(Encode(Decode("ஆம் ✓")), "ஆம் ✓");
}

TEST(PyStr, DecodeOfAnAsciiPrefixWidensItAndDecodesTheRestAlike) {
  // An ASCII prefix is widened eight bytes at a time: what follows it, valid
  // or not, decodes as it does alone, and the buffer keeps nothing from
  // before. Lengths around the eight-byte chunks.
  std::mt19937 rng(7);
  const std::vector<std::string> pieces = {"a", " ", "\x7f", "\xc3\xa9", "\xe0\xb8\x81", "\xf0\x9f\x98\x80", "\xff",
                                           "\xc3", "\xed\xa0\x80"};
  std::u32string buffer = U"left over";
  for (int trial = 0; trial < 2000; ++trial) {
    std::string ascii;
    for (size_t k = rng() % 20; k > 0; --k) ascii.push_back(static_cast<char>(rng() % 0x80));
    std::string rest;
    for (size_t k = rng() % 6; k > 0; --k) rest += pieces[rng() % pieces.size()];
    const std::u32string want = std::u32string(ascii.begin(), ascii.end()) + Decode(rest);
    DecodeTo(ascii + rest, &buffer);
    ASSERT_EQ(buffer, want) << trial;
    ASSERT_EQ(Decode(ascii + rest), want) << trial;
  }
}

TEST(PyStr, Utf8ValidationAgreesWithDecodingOnRandomBytes) {
  // Valid text survives Decode and Encode unchanged; invalid text does not
  // (each bad byte becomes U+FFFD). Pieces: valid sequences of each length,
  // overlong forms, surrogates, past U+10FFFF, truncated and stray bytes.
  const std::vector<std::string> pieces = {"a", "\x7f", "\xc3\xa9", "\xe0\xb8\x81", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf",
                                           "\xc0\x80", "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5", "\xc3",
                                           "\xe0\xb8", "\x80", "\xff", std::string(40, 'x')};
  std::mt19937 rng(11);
  for (int trial = 0; trial < 5000; ++trial) {
    std::string s;
    for (size_t k = rng() % 12; k > 0; --k) s += pieces[rng() % pieces.size()];
    const bool valid = Encode(Decode(s)) == s;
    ASSERT_EQ(IsValidUtf8(s), valid) << trial;
    if (!valid) {  // the first bad byte: the text before it is valid
      const size_t bad = FindInvalidUtf8(s);
      ASSERT_LT(bad, s.size());
      ASSERT_TRUE(IsValidUtf8(s.substr(0, bad)));
      ASSERT_EQ(FindInvalidUtf8(s.substr(bad)), 0u);
    }
  }
}

TEST(PyStr, AsciiPunctIsStringPunctuation) {
  for (char32_t c = 0; c < 0x200; ++c)
    EXPECT_EQ(IsAsciiPunct(c), c < 0x80 && kAsciiPunctuation.find(static_cast<char>(c)) != std::string_view::npos)
        << static_cast<unsigned>(c);
}

TEST(PyStr, FormatFieldsAndEscapes) {
  EXPECT_EQ(Format("{a} + {b} {{x}}", {{"a", "1"}, {"b", "2"}}), "1 + 2 {x}");
  EXPECT_THROW(Format("{missing}", {}), Error);
  try {
    Format("{text}", {});
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("text"), std::string::npos);
  }
}

TEST(PyStr, AsciiPunctuationIsPythonStringPunctuation) {
  EXPECT_EQ(kAsciiPunctuation.size(), 32u);
  EXPECT_TRUE(IsAsciiPunct('!'));
  EXPECT_FALSE(IsAsciiPunct(U'“'));
}

}  // namespace
}  // namespace bhasa::py

// Thai segmenters (pythainlp newmm rules; ICU default).
#include "metrics/thai_segment.h"

#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/pystr.h"

namespace bhasa::metrics {
namespace {

using V = std::vector<std::string>;

TEST(Tcc, ClustersFollowPythainlpRules) {
  // กิน: "c[ะ-ู]tk" gives กิ (the final group needs ์), then น alone.
  EXPECT_EQ(TccEnds(py::Decode("กิน")), (std::vector<size_t>{2, 3}));
  // ข้าว: "ct[ะาำ]?k" gives ข้า, then ว.
  EXPECT_EQ(TccEnds(py::Decode("ข้าว")), (std::vector<size_t>{3, 4}));
  // ไป: "[เ-ไ]ct"; เกม: "เctา?ะ?k" stops after เก (no ์ for the group).
  EXPECT_EQ(TccEnds(py::Decode("ไป")), (std::vector<size_t>{2}));
  EXPECT_EQ(TccEnds(py::Decode("เกม")), (std::vector<size_t>{2, 3}));
  // เดีย + lookahead: "เcีtย(?=[เ-ไก-ฮ]|$)k" matches only before a consonant or at the end.
  EXPECT_EQ(TccEnds(py::Decode("เดีย")), (std::vector<size_t>{4}));
  EXPECT_EQ(TccEnds(py::Decode("เดียก")), (std::vector<size_t>{4, 5}));
  // การ์ด: "c[ะ-ู]tk" takes กา plus the final group ร์ (c, then ์): การ์, then ด.
  EXPECT_EQ(TccEnds(py::Decode("การ์ด")), (std::vector<size_t>{4, 5}));
  EXPECT_EQ(TccEnds(py::Decode("abc")), (std::vector<size_t>{1, 2, 3}));
}

TEST(Newmm, DictionaryWords) {
  NewmmSegmenter seg({"ฉัน", "ไป", "กิน", "ข้าว"});
  EXPECT_EQ(seg.Segment("ฉันไปกินข้าว"), (V{"ฉัน", "ไป", "กิน", "ข้าว"}));
  EXPECT_EQ(seg.Segment(""), V{});
}

TEST(Newmm, WordsAreStrippedAndOrderedWhateverTheListOrder) {
  // Stripping moves " ไป" and "\tข้าว" after "ฉัน" and "กิน" in code point
  // order, and a bad byte sorts differently as bytes than as U+FFFD: the
  // trie must still see every word, in order.
  NewmmSegmenter seg({"ฉัน", " ไป", "กิน", "\tข้าว", "ข้าว ", "", "  ", "\xff"});
  EXPECT_EQ(seg.Segment("ฉันไปกินข้าว"), (V{"ฉัน", "ไป", "กิน", "ข้าว"}));
  const std::string path = ::testing::TempDir() + "/thai_words_unsorted.txt";
  {
    std::ofstream f(path);
    f << "ไป\n ข้าว\nกิน\n\nฉัน\t\n";
  }
  EXPECT_EQ(NewmmSegmenter::FromFile(path)->Segment("ฉันไปกินข้าว"), (V{"ฉัน", "ไป", "กิน", "ข้าว"}));
}

TEST(Newmm, AmbiguityResolvedByFewestWordsThenOrder) {
  // ตา|กลม and ตาก|ลม both have two words; BFS over the edges in
  // shortest-first order reaches the end through ตา first.
  NewmmSegmenter seg({"ตา", "ตาก", "กลม", "ลม"});
  EXPECT_EQ(seg.Segment("ตากลม"), (V{"ตา", "กลม"}));
}

TEST(Newmm, NonThaiTokensAndWhitespaceKept) {
  NewmmSegmenter seg({"ฉัน"});
  EXPECT_EQ(seg.Segment("abc ฉัน 1,234.5 x\r\ny"), (V{"abc", " ", "ฉัน", " ", "1,234.5", " ", "x", "\r\n", "y"}));
  EXPECT_EQ(seg.Segment("abc123"), (V{"abc", "123"}));
}

TEST(Newmm, UnknownThaiSkipsToNextKnownWord) {
  NewmmSegmenter seg({"ไป"});
  // "กขค" is unknown: the minimal skip stops where a dictionary word (not
  // one or two bare consonants) starts on a TCC boundary.
  auto toks = seg.Segment("กขคไป");
  EXPECT_EQ(toks, (V{"กขค", "ไป"}));
}

TEST(Newmm, ConcatenationIsLossless) {
  NewmmSegmenter seg({"ประเทศ", "ไทย", "ประ", "เทศ", "ภาษา"});
  std::string text = "ภาษาไทยประเทศไทย  hello 12:00น ภาษา";
  std::string joined;
  for (const auto& t : seg.Segment(text)) joined += t;
  EXPECT_EQ(joined, text);
}

TEST(RejoinFormattedNumbers, PythainlpDocExample) {
  EXPECT_EQ(RejoinFormattedNumbers({"เวลา", " ", "12", ":", "00น", " ", "1", ",", "234", ".", "5", " ", "x"}),
            (V{"เวลา", " ", "12:00น", " ", "1,234.5", " ", "x"}));
  EXPECT_EQ(RejoinFormattedNumbers({"127", ".", "0", ".", "0", ".", "1"}), (V{"127.0.0.1"}));
  EXPECT_EQ(RejoinFormattedNumbers({"12", ":"}), (V{"12", ":"}));
}

TEST(Newmm, TokenEndsAreTheSegmentsOnRandomTextWithNumbers) {
  // Scorers read token ends (code points) instead of token strings: they
  // must be the segments' ends, formatted numbers rejoined, for newmm and for
  // the default that goes through Segment (ICU).
  NewmmSegmenter newmm({"ฉัน", "ไป", "กิน", "ข้าว", "เวลา", "น"});
  const auto icu = MakeIcuThaiSegmenter();
  const std::vector<std::string> pieces = {"ฉัน", "ไป", "กิน", "ข้าว", "เวลา", "น", "1", "23", ":", ".", ",", " ",
                                           "x", "\u0e51", "ๆ", "\n"};
  std::mt19937 rng(17);
  std::vector<size_t> ends;
  for (int trial = 0; trial < 1000; ++trial) {
    std::string text;
    for (size_t k = rng() % 12; k > 0; --k) text += pieces[rng() % pieces.size()];
    for (const ThaiSegmenter* seg : std::vector<const ThaiSegmenter*>{&newmm, icu.get()}) {
      std::vector<size_t> want;
      size_t end = 0;
      for (const auto& t : seg->Segment(text)) want.push_back(end += py::Decode(t).size());
      seg->TokenEnds(py::Decode(text), &ends);
      ASSERT_EQ(ends, want) << text;
    }
  }
  EXPECT_EQ(newmm.Segment("เวลา 12:30น 1,234.5"), (V{"เวลา", " ", "12:30", "น", " ", "1,234.5"}));
}

TEST(IcuThai, SegmentsAndKeepsSpaces) {
  auto seg = MakeIcuThaiSegmenter();
  auto toks = seg->Segment("ฉันไปกินข้าว กับแม่");
  std::string joined;
  for (const auto& t : toks) joined += t;
  EXPECT_EQ(joined, "ฉันไปกินข้าว กับแม่");
  EXPECT_GE(toks.size(), 5u);
  EXPECT_NE(std::find(toks.begin(), toks.end(), " "), toks.end());
}

TEST(ThaiSegmenterFor, MissingWordListNamesPath) {
  try {
    ThaiSegmenterFor("/nonexistent/words_th.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/words_th.txt"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bhasa::metrics

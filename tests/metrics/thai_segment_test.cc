// Thai segmenters (pythainlp newmm rules; ICU default).
#include "metrics/thai_segment.h"

#include <algorithm>
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

TEST(Tcc, CachedMatchesEqualFreshOnesOnRandomText) {
  // The cache is a tree over the classes of the characters a match read, with
  // every non-Thai character but '\n' alike. Texts are made of the longest
  // rules written out (c: a consonant, t: a tone mark or none, k: a final
  // group or none, L: the lookahead's character, [..]: one of the set), cut
  // anywhere, and of random characters, so that many positions share their
  // first characters and differ further on.
  const std::vector<std::u32string> rules = {U"เccีtยะk", U"เccีtยLk", U"เcctาะk", U"เc[ิีุู]tยLk", U"cัtวะk",
                                             U"เcิcck", U"c[ะ-ู]tk", U"ct[ะาำ]k"};
  const std::vector<std::u32string> consonants = {U"ก", U"ด", U"ร"}, tones = {U"", U"่", U"้"},
                                    finals = {U"", U"ก", U"กร์", U"ดุ์", U"กิ", U"ร"}, lookaheads = {U"ก", U"เ", U"า", U"\n"};
  std::u32string others = U"\n a1\u0e51";
  for (char32_t c = 0x0E01; c <= 0x0E4E; ++c) others.push_back(c);
  std::mt19937 rng(23);
  auto pick = [&](const std::vector<std::u32string>& v) { return v[rng() % v.size()]; };
  auto written_out = [&](const std::u32string& rule) {
    std::u32string out;
    for (size_t i = 0; i < rule.size(); ++i) {
      if (rule[i] == U'c') out += pick(consonants);
      else if (rule[i] == U't') out += pick(tones);
      else if (rule[i] == U'k') out += pick(finals);
      else if (rule[i] == U'L') out += pick(lookaheads);
      else if (rule[i] == U'[') {
        const size_t close = rule.find(U']', i);
        std::u32string set = rule.substr(i + 1, close - i - 1);
        if (set.size() == 3 && set[1] == U'-') set = {set[0], set[2]};
        out.push_back(set[rng() % set.size()]);
        i = close;
      } else {
        out.push_back(rule[i]);
      }
    }
    return out;
  };
  for (int trial = 0; trial < 20000; ++trial) {
    std::u32string text;
    for (size_t k = 1 + rng() % 3; k > 0; --k) text += rng() % 4 ? written_out(pick(rules)) : std::u32string(1, others[rng() % others.size()]);
    text.resize(rng() % (text.size() + 1));
    ASSERT_EQ(TccEnds(text), TccEnds(text, false)) << py::Encode(text);
  }
}

TEST(Tcc, CachedMatchesEqualFreshOnesWhenTheTreeStartsOver) {
  // Random Thai-block text (with spaces and newlines) reads so many different
  // paths (some 6,000 tree nodes, where a real text needs a few hundred) that
  // the per-thread tree fills up and starts over.
  std::u32string alphabet = U" \n";
  for (char32_t c = 0x0E01; c <= 0x0E5B; ++c) alphabet.push_back(c);
  std::mt19937 rng(29);
  std::u32string text;
  for (int i = 0; i < 2000000; ++i) text.push_back(alphabet[rng() % alphabet.size()]);
  ASSERT_EQ(TccEnds(text), TccEnds(text, false));
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
  // Nothing to strip: sorting the valid bytes is all the order the trie gets.
  {
    std::ofstream f(path);
    f << "ไป\nข้าวสวย\nข้าว\nกิน\nฉัน\nกินข้าว\n";
  }
  EXPECT_EQ(NewmmSegmenter::FromFile(path)->Segment("ฉันไปกินข้าวสวย"), (V{"ฉัน", "ไป", "กิน", "ข้าวสวย"}));
  EXPECT_EQ(NewmmSegmenter::FromFile(path)->Segment("กินข้าว"), (V{"กินข้าว"}));
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

TEST(Newmm, EveryKindOfTrieNodeFindsItsWords) {
  // Two-character words and one of one character ("ซ", which begins no other
  // word), each consonant or non-Thai character a cluster of its own: a text
  // of words is cut into exactly those words ("ซซ" too, which an unknown
  // run would keep whole). The trie's
  // nodes with many children look characters of the Thai block up in a table
  // (the root: 10 children; "ข": 46 consonants and 10 characters outside the
  // block, which are searched); "ก" has 302 children, too many for a table,
  // and the rest 3, so few they are searched.
  std::vector<std::u32string> words;
  for (char32_t c = U'ก'; c <= U'ฮ'; ++c) {
    words.push_back({U'ก', c});
    words.push_back({U'ข', c});
  }
  for (char32_t c = 0x100; c < 0x200; ++c) words.push_back({U'ก', c});
  for (char32_t c = 0x100; c < 0x10A; ++c) words.push_back({U'ข', c});
  for (char32_t first = U'ค'; first <= U'ฉ'; ++first)
    for (char32_t c : {U'ก', U'ม', U'ฮ'}) words.push_back({first, c});
  words.push_back(U"ซ");
  std::vector<std::string> list;
  for (const auto& w : words) list.push_back(py::Encode(w));
  std::shuffle(list.begin(), list.end(), std::mt19937(3));
  NewmmSegmenter seg(list);
  std::mt19937 rng(31);
  for (int trial = 0; trial < 500; ++trial) {
    V want;
    std::string text;
    for (size_t k = 1 + rng() % 20; k > 0; --k) {
      want.push_back(rng() % 4 ? list[rng() % list.size()] : "ซ");
      text += want.back();
    }
    ASSERT_EQ(seg.Segment(text), want) << text;
  }
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

// chrF++ (sacrebleu 2.x CHRF(word_order=2)).
#include "metrics/chrf.h"

#include <algorithm>
#include <map>
#include <random>

#include "common/pystr.h"

#include <gtest/gtest.h>

namespace bhasa::metrics {
namespace {

// The character half of sacrebleu's extract_all_char_ngrams + match counting,
// written plainly with maps of strings: the twin of the packed-key multiset.
std::array<long long, 3 * kChrfCharOrder> PlainCharStats(const std::string& hyp, const std::string& ref) {
  auto counts = [](const std::string& s, int n) {
    std::u32string line;
    for (char32_t c : py::Decode(s))
      if (!py::IsSpace(c)) line.push_back(c);
    std::map<std::u32string, long long> m;
    for (size_t i = 0; i + n <= line.size(); ++i) ++m[line.substr(i, n)];
    return m;
  };
  std::array<long long, 3 * kChrfCharOrder> out{};
  for (int n = 1; n <= kChrfCharOrder; ++n) {
    auto h = counts(hyp, n), r = counts(ref, n);
    long long nh = 0, nr = 0, match = 0;
    for (const auto& [g, c] : h) {
      nh += c;
      if (auto it = r.find(g); it != r.end()) match += std::min(c, it->second);
    }
    for (const auto& [g, c] : r) nr += c;
    out[3 * (n - 1)] = r.empty() ? 0 : nh;
    out[3 * (n - 1) + 1] = nr;
    out[3 * (n - 1) + 2] = match;
  }
  return out;
}

TEST(Chrf, CharStatsEqualPlainCountingOnRandomText) {
  // Few distinct characters (so n-grams repeat), multi-byte ones, U+0000 and
  // the top code point, lengths 0 to 40. The first alphabet stays below
  // U+03FF (64-bit keys, U+03FE the last code point that fits), the second
  // does not (128-bit keys), and the third mixes them by the row.
  const std::vector<std::vector<std::string>> alphabets = {
      {"a", "b", " ", "\u00e9", "\u03fe", std::string(1, '\0'), "\u0301", "\t", "\x1c", "\r", "\x7f"},
      {"a", "b", " ", "\u00e9", "\u0e01", "\U0010FFFF", std::string(1, '\0'), "\u0301", "\t"},
      {"a", "b", " ", "\u03fe", "\u03ff", "\u0301"}};
  for (const auto& alphabet : alphabets) {
    std::mt19937 rng(5);
    int trial = 0;
    auto text = [&] {  // the last trials are long, so the multiset grows
      std::string s;
      for (size_t k = rng() % (trial < 1800 ? 41 : 700); k > 0; --k) s += alphabet[rng() % alphabet.size()];
      return s;
    };
    for (; trial < 2000; ++trial) {
      const std::string hyp = text(), ref = text();
      const ChrfStats got = ChrfSegmentStats(hyp, ref);
      const auto want = PlainCharStats(hyp, ref);
      for (size_t k = 0; k < want.size(); ++k) ASSERT_EQ(got[k], want[k]) << "trial " << trial << " stat " << k;
    }
  }
}

// The word half, plainly: sacrebleu's word n-grams of ChrfWordTokens as
// strings in maps, the twin of the per-row word ids.
std::array<long long, 3 * kChrfWordOrder> PlainWordStats(const std::string& hyp, const std::string& ref) {
  auto counts = [](const std::string& s, size_t n) {
    const auto words = ChrfWordTokens(s);
    std::map<std::vector<std::string>, long long> m;
    for (size_t i = 0; i + n <= words.size(); ++i) ++m[{words.begin() + i, words.begin() + i + n}];
    return m;
  };
  std::array<long long, 3 * kChrfWordOrder> out{};
  for (size_t n = 1; n <= kChrfWordOrder; ++n) {
    auto h = counts(hyp, n), r = counts(ref, n);
    long long nh = 0, nr = 0, match = 0;
    for (const auto& [g, c] : h) {
      nh += c;
      if (auto it = r.find(g); it != r.end()) match += std::min(c, it->second);
    }
    for (const auto& [g, c] : r) nr += c;
    out[3 * (n - 1)] = r.empty() ? 0 : nh;
    out[3 * (n - 1) + 1] = nr;
    out[3 * (n - 1) + 2] = match;
  }
  return out;
}

TEST(Chrf, WordStatsEqualPlainCountingOnRandomText) {
  // Few words (so words and pairs repeat, within a row and across the two
  // sides), punctuation that splits off, multi-byte and wide characters,
  // several kinds of whitespace; the last rows are long.
  const std::vector<std::string> pieces = {"a", "ab", "b", "ba", "\u00e9", "\U0010FFFF", ".", ",", "(", "'", " ", " ",
                                           "\t", "\u3000", "\n", "\x0b", "\x1f", "\x85"};
  std::mt19937 rng(13);
  for (int trial = 0; trial < 3000; ++trial) {
    auto text = [&] {
      std::string s;
      for (size_t k = rng() % (trial < 2900 ? 30 : 2000); k > 0; --k) s += pieces[rng() % pieces.size()];
      return s;
    };
    const std::string hyp = text(), ref = text();
    const ChrfStats got = ChrfSegmentStats(hyp, ref);
    const auto want = PlainWordStats(hyp, ref);
    for (size_t k = 0; k < want.size(); ++k)
      ASSERT_EQ(got[3 * kChrfCharOrder + k], want[k]) << "trial " << trial << " stat " << k;
  }
}

TEST(Chrf, IdenticalIsHundred) {
  // "ab" vs "ab": char orders 1,2 and word order 1 are effective, all exact.
  EXPECT_DOUBLE_EQ(ChrfSentence("ab", "ab"), 100.0);
  EXPECT_DOUBLE_EQ(ChrfSentence("Saya makan nasi.", "Saya makan nasi."), 100.0);
}

TEST(Chrf, HandComputedSmallPair) {
  // hyp "a b", ref "a c" (whitespace removed for chars: "ab" vs "ac").
  //   char1: hyp {a,b} ref {a,c}: P = R = 1/2.   char2: "ab" vs "ac": 0, 0.
  //   char3..6: the reference has none -> not effective.
  //   word1: {a,b} vs {a,c}: 1/2, 1/2.           word2: "a b" vs "a c": 0, 0.
  //   4 effective orders: P = R = (0.5 + 0 + 0.5 + 0)/4 = 0.25.
  //   chrF = 100 * 5 * P * R / (4P + R) = 100 * 0.3125 / 1.25 = 25.
  EXPECT_NEAR(ChrfSentence("a b", "a c"), 25.0, 1e-12);
}

TEST(Chrf, ReferenceValues) {
  // Computed by following the algorithm step by step (sacrebleu's stats).
  EXPECT_NEAR(ChrfSentence("The cat sat on the mat.", "The cat is on the mat."), 69.43695278069349, 1e-9);
  EXPECT_NEAR(ChrfSentence("Kucing itu duduk.", "Kucing duduk di tikar."), 37.80043509669516, 1e-9);
  std::vector<std::string> hyps = {"The cat sat on the mat.", "Kucing itu duduk."};
  std::vector<std::string> refs = {"The cat is on the mat.", "Kucing duduk di tikar."};
  // Corpus: stats summed first, so it is not the mean of the two sentence scores.
  EXPECT_NEAR(ChrfCorpus(hyps, refs), 54.47065337718158, 1e-9);
}

TEST(Chrf, EmptySidesScoreZero) {
  EXPECT_EQ(ChrfSentence("", "abc"), 0.0);
  EXPECT_EQ(ChrfSentence("abc", ""), 0.0);
  EXPECT_EQ(ChrfSentence("", ""), 0.0);
}

TEST(Chrf, WordTokensSplitOneSideOnly) {
  EXPECT_EQ(ChrfWordTokens("(hi) hello, world! -x ."),
            (std::vector<std::string>{"(hi", ")", "hello", ",", "world", "!", "-", "x", "."}));
}

TEST(Chrf, StatsCountHypOnlyWhenReferenceHasOrder) {
  auto st = ChrfSegmentStats("abcdefg", "ab");
  EXPECT_EQ(st[0], 7);  // char1 hyp count
  EXPECT_EQ(st[1], 2);
  EXPECT_EQ(st[2], 2);
  EXPECT_EQ(st[3 * 2], 0);  // char3: the reference has no trigram
  EXPECT_EQ(st[3 * 2 + 1], 0);
}

TEST(Chrf, RangeAndCorpusPermutationInvariance) {
  std::mt19937 gen(11);
  const char* words[] = {"saya", "makan", "nasi", "goreng", "di", "rumah", "ibu", "."};
  auto sentence = [&] {
    std::string s;
    for (int i = 0, n = 1 + gen() % 8; i < n; ++i) s += std::string(i ? " " : "") + words[gen() % 8];
    return s;
  };
  std::vector<std::string> h, r;
  for (int i = 0; i < 40; ++i) {
    h.push_back(sentence());
    r.push_back(sentence());
    double s = ChrfSentence(h.back(), r.back());
    EXPECT_GE(s, 0.0);
    EXPECT_LE(s, 100.0 + 1e-9);
  }
  double a = ChrfCorpus(h, r);
  std::vector<size_t> idx(h.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::shuffle(idx.begin(), idx.end(), gen);
  std::vector<std::string> h2, r2;
  for (size_t i : idx) h2.push_back(h[i]), r2.push_back(r[i]);
  EXPECT_DOUBLE_EQ(ChrfCorpus(h2, r2), a);
  EXPECT_THROW(ChrfCorpus(h, std::vector<std::string>{}), Error);
}

TEST(ChrfScorer, CorpusScoreOfParallelRowsEqualsTheSerialCorpus) {
  // Rows are scored in parallel, each thread summing its rows' statistics:
  // the corpus score must be ChrfCorpus's over the same answers, in order.
  std::mt19937 rng(21);
  const char* words[] = {"saya", "makan", "nasi", "di", "rumah", "ibu", ".", ",", "caf\u00e9", "\u0e01\u0e34\u0e19"};
  auto sentence = [&] {
    std::string s;
    for (size_t k = rng() % 12; k > 0; --k) s += std::string(k % 3 ? " " : "") + words[rng() % 10];
    return s;
  };
  std::vector<ScoreItem> items(5000);
  std::vector<std::string> hyps, refs;
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].id = std::to_string(i);
    hyps.push_back(sentence());
    refs.push_back(sentence());
    items[i].responses = {"Terjemahan: " + hyps.back()};
    items[i].label = refs.back();
  }
  ScoreOptions opts;
  opts.answer_tag = "Terjemahan:";
  const auto r = ChrfScorer().Score(items, opts);
  std::vector<std::string> cleaned;
  for (const auto& it : r.items) cleaned.push_back(it.cleaned);
  EXPECT_EQ(r.metrics["chrf_score"].get<double>(), ChrfCorpus(cleaned, refs));
  for (size_t i = 0; i < items.size(); i += 97)
    ASSERT_EQ(r.items[i].individual_scores["normalized_chrf_score"].get<double>(), ChrfSentence(cleaned[i], refs[i]));
}

TEST(ChrfScorer, TranslationAliasAndExtraction) {
  ScoreItem it;
  it.id = "1";
  it.responses = {"Terjemahan: The cat sat on the mat.\nNotes: none"};
  it.label = "The cat is on the mat.";
  ScoreItem empty;
  empty.id = "2";
  empty.responses = {""};
  empty.label = "x";
  std::vector<ScoreItem> items = {it, empty};
  ScoreOptions opts;
  opts.answer_tag = "Terjemahan:";
  for (const char* name : {"chrf", "translation"}) {
    auto scorer = MakeScorer(name);
    EXPECT_EQ(scorer->info().main_metric, "normalized_chrf_score");
    auto r = scorer->Score(items, opts);
    EXPECT_EQ(r.items[0].cleaned, "The cat sat on the mat.");
    EXPECT_NEAR(r.items[0].individual_scores["normalized_chrf_score"].get<double>(), 69.43695278069349, 1e-9);
    EXPECT_EQ(r.metrics["null_count"], 1);
    EXPECT_DOUBLE_EQ(r.metrics["normalized_chrf_score"].get<double>(), r.metrics["chrf_score"].get<double>());
  }
}

}  // namespace
}  // namespace bhasa::metrics

#include "metrics/chrf.h"

#include <algorithm>
#include <array>
#include <bit>
#include <utility>

#include <tbb/combinable.h>
#include <tbb/parallel_for.h>

#include "common/error.h"
#include "common/pystr.h"
#include "metrics/extract.h"
#include "metrics/ngram_multiset.h"

namespace bhasa::metrics {

namespace {

// Stats of one order from the n-gram counts and the matches.
void OrderStats(size_t hyp_len, size_t ref_len, size_t n, long long matches, long long* out) {
  const long long in_hyp = hyp_len >= n ? static_cast<long long>(hyp_len - n + 1) : 0;
  const long long in_ref = ref_len >= n ? static_cast<long long>(ref_len - n + 1) : 0;
  out[0] = in_ref == 0 ? 0 : in_hyp;  // no hits without a reference n-gram
  out[1] = in_ref;
  out[2] = matches;
}

// Character n-grams of order n at position i pack the n characters from i
// (code point + 1, kBits bits each, first character highest). The first
// character is never 0, so the keys of different orders never collide and
// one multiset serves all six orders. Lines whose code points all fit in 10
// bits (Latin, most of the text scored) pack into 64-bit keys.
constexpr unsigned kWideCharBits = 21, kNarrowCharBits = 10;
static_assert(kChrfCharOrder * kWideCharBits <= 128 && kChrfCharOrder * kNarrowCharBits <= 64);

// Matches are symmetric, so the shorter line's n-grams are added and the
// longer line's taken. An n-gram that was never added cannot be the prefix
// of one that was, so the orders above it at that position are skipped.
template <class Key, unsigned kBits>
void CharMatches(const std::u32string& added, const std::u32string& taken, std::array<long long, kChrfCharOrder>* matches) {
  thread_local NgramMultiset<Key> ngrams;  // reused across rows: no allocation per row
  ngrams.Reset(added.size() * kChrfCharOrder);
  for (size_t i = 0; i < added.size(); ++i) {
    Key k = 0;
    for (size_t n = 0; n < kChrfCharOrder && i + n < added.size(); ++n) {
      k = (k << kBits) | (static_cast<Key>(added[i + n]) + 1);
      ngrams.Add(k);
    }
  }
  for (size_t i = 0; i < taken.size(); ++i) {
    Key k = 0;
    for (size_t n = 0; n < kChrfCharOrder && i + n < taken.size(); ++n) {
      k = (k << kBits) | (static_cast<Key>(taken[i + n]) + 1);
      const auto t = ngrams.Take(k);
      if (t == NgramMultiset<Key>::Taken::kNeverAdded) break;
      (*matches)[n] += t == NgramMultiset<Key>::Taken::kOne;
    }
  }
}

void CharMatchStats(const std::u32string& hyp, const std::u32string& ref, long long* out) {
  const std::u32string& added = hyp.size() <= ref.size() ? hyp : ref;
  const std::u32string& taken = hyp.size() <= ref.size() ? ref : hyp;
  auto narrow = [](const std::u32string& line) {
    return std::all_of(line.begin(), line.end(), [](char32_t c) { return c + 1 < (char32_t{1} << kNarrowCharBits); });
  };
  std::array<long long, kChrfCharOrder> matches{};
  if (narrow(added) && narrow(taken))
    CharMatches<uint64_t, kNarrowCharBits>(added, taken, &matches);
  else
    CharMatches<unsigned __int128, kWideCharBits>(added, taken, &matches);
  for (size_t n = 1; n <= kChrfCharOrder; ++n) OrderStats(hyp.size(), ref.size(), n, matches[n - 1], &out[3 * (n - 1)]);
}

// py::IsSpace, ASCII answered without the call: bit c of the mask is whether
// character c (below 64) is a space to Python (\t..\r, U+001C..U+001F, ' ').
inline bool IsSpaceQuick(char32_t c) {
  constexpr uint64_t kAsciiSpaces = 0x1'F000'3E00ull;
  if (c < 0x80) return c < 64 && (kAsciiSpaces >> c) & 1;
  return py::IsSpace(c);
}

// A line as chrF++ reads it, in one pass: its characters without
// whitespace (sacrebleu removes it before counting character n-grams) and
// its words, sacrebleu's CHRF._remove_punctuation on str.split(), as views
// of those characters (a word of str.split() is a run of them). A word of two
// or more characters sheds one ASCII punctuation character, the last one, or
// else the first.
struct ChrfLine {
  std::u32string chars;
  std::vector<std::u32string_view> words;

  void Read(std::string_view utf8) {
    thread_local std::u32string decoded;
    thread_local std::vector<std::pair<size_t, size_t>> runs;
    py::DecodeTo(utf8, &decoded);
    chars.clear();
    runs.clear();
    size_t start = 0;
    for (const char32_t c : decoded) {
      if (!IsSpaceQuick(c)) {
        chars.push_back(c);
        continue;
      }
      if (chars.size() > start) runs.emplace_back(start, chars.size() - start);
      start = chars.size();
    }
    if (chars.size() > start) runs.emplace_back(start, chars.size() - start);
    words.clear();
    for (const auto& [at, n] : runs) {  // `chars` is complete: the views stay valid
      const std::u32string_view w = std::u32string_view(chars).substr(at, n);
      if (w.size() > 1 && py::IsAsciiPunct(w.back())) {
        words.push_back(w.substr(0, w.size() - 1));
        words.push_back(w.substr(w.size() - 1));
      } else if (w.size() > 1 && py::IsAsciiPunct(w.front())) {
        words.push_back(w.substr(0, 1));
        words.push_back(w.substr(1));
      } else {
        words.push_back(w);
      }
    }
  }
};

// Per-row word ids: equal words get equal ids (from 1, in order of first
// sight), found through a hash of their characters in an open-addressing
// table reused from row to row (a slot is the row's when it has its stamp).
class WordIds {
 public:
  void Reset(size_t max_words) {
    const size_t want = std::bit_ceil(std::max<size_t>(64, 2 * max_words));  // load at most 1/2
    if (want > slots_.size()) {
      slots_.assign(want, Slot{});
      stamp_ = 0;
    }
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(slots_.size()));
    if (++stamp_ == 0) {  // wrapped: old stamps could look current
      slots_.assign(slots_.size(), Slot{});
      stamp_ = 1;
    }
    next_ = 1;
  }

  uint64_t IdOf(std::u32string_view w) {
    uint64_t h = w.size();
    for (const char32_t c : w) h = (h + c) * 0x9e3779b97f4a7c15ull;
    for (size_t i = h >> shift_;; i = (i + 1) & (slots_.size() - 1)) {
      Slot& s = slots_[i];
      if (s.stamp != stamp_) {
        s = Slot{h, w, next_, stamp_};
        return next_++;
      }
      if (s.hash == h && s.word == w) return s.id;
    }
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    std::u32string_view word;
    uint32_t id = 0;
    uint32_t stamp = 0;
  };
  std::vector<Slot> slots_;
  unsigned shift_ = 64;
  uint32_t stamp_ = 0;
  uint32_t next_ = 1;
};

// Word unigrams and bigrams as keys of per-row word ids (from 1 and below
// 2^32, so a unigram is below 2^32 and a bigram, two ids, above).
static_assert(kChrfWordOrder == 2);

void WordMatchStats(const std::vector<std::u32string_view>& hw, const std::vector<std::u32string_view>& rw,
                    long long* out) {
  thread_local std::vector<uint64_t> h, r;
  thread_local WordIds word_ids;
  thread_local NgramMultiset<uint64_t> hyp_ngrams;  // bigrams pack two 32-bit ids
  word_ids.Reset(hw.size() + rw.size());
  h.clear();
  r.clear();
  for (const auto w : hw) h.push_back(word_ids.IdOf(w));
  for (const auto w : rw) r.push_back(word_ids.IdOf(w));
  hyp_ngrams.Reset(2 * h.size());
  for (size_t i = 0; i < h.size(); ++i) {
    hyp_ngrams.Add(h[i]);
    if (i + 1 < h.size()) hyp_ngrams.Add(h[i] << 32 | h[i + 1]);
  }
  long long unigrams = 0, bigrams = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    using Taken = NgramMultiset<uint64_t>::Taken;
    unigrams += hyp_ngrams.Take(r[i]) == Taken::kOne;
    if (i + 1 < r.size()) bigrams += hyp_ngrams.Take(r[i] << 32 | r[i + 1]) == Taken::kOne;
  }
  OrderStats(h.size(), r.size(), 1, unigrams, &out[0]);
  OrderStats(h.size(), r.size(), 2, bigrams, &out[3]);
}

const std::string& GoldString(const ScoreItem& item) {
  if (item.label.is_string()) return item.label.get_ref<const std::string&>();
  if (item.label.is_array() && !item.label.empty() && item.label[0].is_string())
    return item.label[0].get_ref<const std::string&>();
  throw Error("item '" + item.id + "': field 'label' must be a reference string, got " +
              std::string(item.label.type_name()));
}

}  // namespace

std::vector<std::string> ChrfWordTokens(std::string_view s) {
  ChrfLine line;
  line.Read(s);
  std::vector<std::string> out;
  for (const auto& w : line.words) out.push_back(py::Encode(w));
  return out;
}

ChrfStats ChrfSegmentStats(std::string_view hypothesis, std::string_view reference) {
  ChrfStats st{};
  thread_local ChrfLine hyp, ref;
  hyp.Read(hypothesis);
  ref.Read(reference);
  CharMatchStats(hyp.chars, ref.chars, st.data());
  WordMatchStats(hyp.words, ref.words, &st[3 * kChrfCharOrder]);
  return st;
}

double ChrfFromStats(const ChrfStats& st) {
  const double factor = kChrfBeta * kChrfBeta;
  double avg_prec = 0, avg_rec = 0;
  int effective = 0;
  for (size_t i = 0; i < st.size() / 3; ++i) {
    long long n_hyp = st[3 * i], n_ref = st[3 * i + 1], n_match = st[3 * i + 2];
    if (n_hyp > 0 && n_ref > 0) {
      avg_prec += static_cast<double>(n_match) / n_hyp;
      avg_rec += static_cast<double>(n_match) / n_ref;
      ++effective;
    }
  }
  if (effective == 0) return 0.0;
  avg_prec /= effective;
  avg_rec /= effective;
  if (avg_prec + avg_rec == 0) return 0.0;
  return 100.0 * (1 + factor) * avg_prec * avg_rec / (factor * avg_prec + avg_rec);
}

double ChrfSentence(std::string_view hypothesis, std::string_view reference) {
  return ChrfFromStats(ChrfSegmentStats(hypothesis, reference));
}

double ChrfCorpus(std::span<const std::string> hypotheses, std::span<const std::string> references) {
  if (hypotheses.size() != references.size())
    throw Error("chrF: " + std::to_string(hypotheses.size()) + " hypotheses but " +
                std::to_string(references.size()) + " references");
  ChrfStats total{};
  for (size_t i = 0; i < hypotheses.size(); ++i) {
    auto st = ChrfSegmentStats(hypotheses[i], references[i]);
    for (size_t k = 0; k < st.size(); ++k) total[k] += st[k];
  }
  return ChrfFromStats(total);
}

ChrfScorer::ChrfScorer(std::string name) {
  info_.name = std::move(name);
  info_.main_metric = "normalized_chrf_score";
  info_.higher_is_better = true;
  info_.description = info_.name == "translation"
                          ? "SEA-HELM translation scored with chrF++ (not MetricX-24, the leaderboard metric)"
                          : "chrF++ (sacrebleu 2.x CHRF(word_order=2)) over the tag+rest-of-line answer";
  info_.input_fields = "response|responses, label|reference (string); --answer-tag";
  info_.row_scale = ScoreScale::kPoints;  // sentence chrF++ is 0-100, like the corpus score
}

ScoreResult ChrfScorer::Score(std::span<const ScoreItem> items, const ScoreOptions& opts) const {
  RestOfLineExtractor extractor(opts.answer_tag);
  ScoreResult out;
  out.items.resize(items.size());
  // Rows are independent; the corpus sums are integers, so their order is
  // moot: each thread sums its rows, and the threads' sums are added.
  tbb::combinable<ChrfStats> sums([] { return ChrfStats{}; });
  tbb::parallel_for(size_t{0}, items.size(), [&](size_t i) {
    const std::string& ref = GoldString(items[i]);
    ItemResult& r = out.items[i];
    r.cleaned = extractor.Extract(FirstTurn(items[i], opts));
    const ChrfStats st = ChrfSegmentStats(r.cleaned, ref);
    ChrfStats& sum = sums.local();
    for (size_t k = 0; k < sum.size(); ++k) sum[k] += st[k];
    r.individual_scores = {{"normalized_chrf_score", ChrfFromStats(st)}};
  });
  const ChrfStats total = sums.combine([](ChrfStats a, const ChrfStats& b) {
    for (size_t k = 0; k < a.size(); ++k) a[k] += b[k];
    return a;
  });
  long nulls = 0;
  for (const auto& r : out.items) nulls += r.cleaned.empty();
  double score = ChrfFromStats(total);
  out.metrics = {{"chrf_score", score},
                 {"normalized_chrf_score", NormalizeScore(score, 0, 1)},
                 {"null_count", nulls}};
  return out;
}

namespace {
const RegisterScorer kRegisterChrf("chrf", [] { return std::make_unique<ChrfScorer>("chrf"); });
const RegisterScorer kRegisterTranslation("translation",
                                          [] { return std::make_unique<ChrfScorer>("translation"); });
}  // namespace

}  // namespace bhasa::metrics

#include "metrics/chrf.h"

#include <algorithm>
#include <unordered_map>

#include <tbb/parallel_for.h>

#include "common/error.h"
#include "common/pystr.h"
#include "metrics/extract.h"

namespace bhasa::metrics {

namespace {

// n-gram counts compared as sorted lists of integer keys: the matches are
// the size of the multiset intersection, found by one merge.
template <typename Key>
void MergeMatchStats(const std::vector<Key>& hyp, const std::vector<Key>& ref, long long* out) {
  long long match = 0;
  for (size_t i = 0, j = 0; i < hyp.size() && j < ref.size();) {
    if (hyp[i] < ref[j]) {
      ++i;
    } else if (ref[j] < hyp[i]) {
      ++j;
    } else {
      ++match, ++i, ++j;
    }
  }
  out[0] = ref.empty() ? 0 : static_cast<long long>(hyp.size());  // no hits without a reference n-gram
  out[1] = static_cast<long long>(ref.size());
  out[2] = match;
}

template <typename Key>
void AddMatchStats(std::vector<Key>& hyp, std::vector<Key>& ref, long long* out) {
  std::sort(hyp.begin(), hyp.end());
  std::sort(ref.begin(), ref.end());
  MergeMatchStats(hyp, ref, out);
}

// sacrebleu removes whitespace before counting character n-grams.
std::u32string WithoutSpaces(std::string_view s) {
  std::u32string line;
  for (char32_t c : py::Decode(s))
    if (!py::IsSpace(c)) line.push_back(c);
  return line;
}

// Character n-grams of every order from one sort. Position i's key packs
// the kChrfCharOrder characters from i (code point + 1, 21 bits each, first
// character highest, 0 past the end of the line). Sorting the keys also sorts
// each of their prefixes, so the n-grams of order n are read off in order as
// the top n characters of each key that has no padding among them.
using CharKey = unsigned __int128;
constexpr unsigned kCharBits = 21;
static_assert(kChrfCharOrder * kCharBits <= 128);

void SortedCharKeys(const std::u32string& line, std::vector<CharKey>* keys) {
  keys->clear();
  for (size_t i = 0; i < line.size(); ++i) {
    CharKey k = 0;
    for (size_t j = 0; j < kChrfCharOrder; ++j)
      k = (k << kCharBits) | (i + j < line.size() ? static_cast<CharKey>(line[i + j]) + 1 : 0);
    keys->push_back(k);
  }
  std::sort(keys->begin(), keys->end());
}

void OrderNgrams(const std::vector<CharKey>& sorted, int n, std::vector<CharKey>* out) {
  out->clear();
  const unsigned shift = kCharBits * static_cast<unsigned>(kChrfCharOrder - n);
  const CharKey last_char = (CharKey{1} << kCharBits) - 1;
  for (CharKey k : sorted) {
    const CharKey prefix = k >> shift;
    if ((prefix & last_char) != 0) out->push_back(prefix);
  }
}

// Word n-grams (n <= 2) as pairs of per-segment token ids.
static_assert(kChrfWordOrder <= 2);

std::vector<uint64_t> WordNgrams(const std::vector<uint32_t>& ids, size_t n) {
  std::vector<uint64_t> out;
  for (size_t i = 0; i + n <= ids.size(); ++i)
    out.push_back(n == 1 ? ids[i] : static_cast<uint64_t>(ids[i]) << 32 | ids[i + 1]);
  return out;
}

std::string GoldString(const ScoreItem& item) {
  if (item.label.is_string()) return item.label.get<std::string>();
  if (item.label.is_array() && !item.label.empty() && item.label[0].is_string()) return item.label[0];
  throw Error("item '" + item.id + "': field 'label' must be a reference string, got " +
              std::string(item.label.type_name()));
}

}  // namespace

std::vector<std::string> ChrfWordTokens(std::string_view s) {
  std::vector<std::string> out;
  for (const auto& w : py::Split(s)) {
    std::u32string u = py::Decode(w);
    if (u.size() == 1) {
      out.push_back(w);
    } else if (py::IsAsciiPunct(u.back())) {
      out.push_back(py::Encode(std::u32string_view(u).substr(0, u.size() - 1)));
      out.push_back(py::Encode(std::u32string_view(u).substr(u.size() - 1)));
    } else if (py::IsAsciiPunct(u.front())) {
      out.push_back(py::Encode(std::u32string_view(u).substr(0, 1)));
      out.push_back(py::Encode(std::u32string_view(u).substr(1)));
    } else {
      out.push_back(w);
    }
  }
  return out;
}

ChrfStats ChrfSegmentStats(std::string_view hypothesis, std::string_view reference) {
  ChrfStats st{};
  const std::u32string hc = WithoutSpaces(hypothesis), rc = WithoutSpaces(reference);
  // Scratch lists reused across rows: allocation dominated otherwise.
  thread_local std::vector<CharKey> hk, rk, h, r;
  SortedCharKeys(hc, &hk);
  SortedCharKeys(rc, &rk);
  for (int n = 1; n <= kChrfCharOrder; ++n) {
    OrderNgrams(hk, n, &h);
    OrderNgrams(rk, n, &r);
    MergeMatchStats(h, r, &st[3 * (n - 1)]);
  }
  const std::vector<std::string> hw = ChrfWordTokens(hypothesis), rw = ChrfWordTokens(reference);
  std::unordered_map<std::string_view, uint32_t> vocab;
  auto ids = [&](const std::vector<std::string>& toks) {
    std::vector<uint32_t> out;
    for (const auto& t : toks) out.push_back(vocab.emplace(t, static_cast<uint32_t>(vocab.size())).first->second);
    return out;
  };
  const std::vector<uint32_t> hi = ids(hw), ri = ids(rw);
  for (int n = 1; n <= kChrfWordOrder; ++n) {
    auto h = WordNgrams(hi, n), r = WordNgrams(ri, n);
    AddMatchStats(h, r, &st[3 * (kChrfCharOrder + n - 1)]);
  }
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
  std::vector<ChrfStats> stats(items.size());
  // Rows are independent; the corpus sums are integers, so their order is moot.
  tbb::parallel_for(size_t{0}, items.size(), [&](size_t i) {
    const std::string ref = GoldString(items[i]);
    ItemResult& r = out.items[i];
    r.cleaned = extractor.Extract(FirstTurn(items[i], opts));
    stats[i] = ChrfSegmentStats(r.cleaned, ref);
    r.individual_scores = {{"normalized_chrf_score", ChrfFromStats(stats[i])}};
  });
  ChrfStats total{};
  long nulls = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    for (size_t k = 0; k < total.size(); ++k) total[k] += stats[i][k];
    if (out.items[i].cleaned.empty()) ++nulls;
  }
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

#include "metrics/chrf.h"

#include <unordered_map>

#include "common/error.h"
#include "common/pystr.h"
#include "metrics/extract.h"

namespace bhasa::metrics {

namespace {

using Counter = std::unordered_map<std::u32string, long long>;

void AddMatchStats(const Counter& hyp, const Counter& ref, long long* out) {
  long long hyp_count = 0, ref_count = 0, match = 0;
  for (const auto& [ng, c] : hyp) {
    hyp_count += c;
    auto it = ref.find(ng);
    if (it != ref.end()) match += std::min(c, it->second);
  }
  for (const auto& [ng, c] : ref) ref_count += c;
  out[0] = ref.empty() ? 0 : hyp_count;  // no hits counted without a reference n-gram
  out[1] = ref_count;
  out[2] = match;
}

std::array<Counter, kChrfCharOrder> CharNgrams(std::string_view s) {
  std::u32string line;
  for (char32_t c : py::Decode(s))
    if (!py::IsSpace(c)) line.push_back(c);
  std::array<Counter, kChrfCharOrder> out;
  for (int n = 1; n <= kChrfCharOrder; ++n)
    for (size_t i = 0; i + n <= line.size(); ++i) ++out[n - 1][line.substr(i, n)];
  return out;
}

std::array<Counter, kChrfWordOrder> WordNgrams(std::string_view s) {
  std::vector<std::u32string> toks;
  for (const auto& t : ChrfWordTokens(s)) toks.push_back(py::Decode(t));
  std::array<Counter, kChrfWordOrder> out;
  for (int n = 1; n <= kChrfWordOrder; ++n) {
    for (size_t i = 0; i + n <= toks.size(); ++i) {
      std::u32string key = toks[i];
      for (int k = 1; k < n; ++k) key += U' ' + toks[i + k];
      ++out[n - 1][key];
    }
  }
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
  auto hc = CharNgrams(hypothesis), rc = CharNgrams(reference);
  for (int n = 0; n < kChrfCharOrder; ++n) AddMatchStats(hc[n], rc[n], &st[3 * n]);
  auto hw = WordNgrams(hypothesis), rw = WordNgrams(reference);
  for (int n = 0; n < kChrfWordOrder; ++n) AddMatchStats(hw[n], rw[n], &st[3 * (kChrfCharOrder + n)]);
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
  ChrfStats total{};
  long nulls = 0;
  for (const auto& item : items) {
    std::string ref = GoldString(item);
    ItemResult r;
    r.cleaned = extractor.Extract(FirstTurn(item, opts));
    auto st = ChrfSegmentStats(r.cleaned, ref);
    for (size_t k = 0; k < st.size(); ++k) total[k] += st[k];
    r.individual_scores = {{"normalized_chrf_score", ChrfFromStats(st)}};
    if (r.cleaned.empty()) ++nulls;
    out.items.push_back(std::move(r));
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

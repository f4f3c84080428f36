#include "metrics/rouge_l.h"

#include <algorithm>
#include <random>

#include <tbb/parallel_for.h>

#include "common/error.h"
#include "metrics/extract.h"
#include "metrics/qa_f1.h"
#include "metrics/rouge_tokenize.h"
#include "metrics/thai_segment.h"

namespace bhasa::metrics {

size_t LcsLength(std::span<const std::string> a, std::span<const std::string> b) {
  if (a.empty() || b.empty()) return 0;
  std::vector<size_t> prev(b.size() + 1, 0), cur(b.size() + 1, 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], cur[j - 1]);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

RougeScore ScoreLcs(std::span<const std::string> target, std::span<const std::string> prediction) {
  RougeScore s;
  if (target.empty() || prediction.empty()) return s;
  double lcs = static_cast<double>(LcsLength(target, prediction));
  s.precision = lcs / prediction.size();
  s.recall = lcs / target.size();
  s.fmeasure = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0.0;
  return s;
}

RougeScore BootstrapMedian(std::span<const RougeScore> rows, int n_samples, uint32_t seed) {
  RougeScore mid;
  const size_t n = rows.size();
  if (n == 0 || n_samples <= 0) return mid;
  std::mt19937 gen(seed);  // numpy's legacy seed(4156) is init_genrand(4156)
  // numpy's randint(0, n): masked draws from the one stream, rejecting those
  // above n - 1. A batch of resamples is drawn serially (the stream has one
  // order), then each resample is summed on its own, in its draw order, so the
  // means do not depend on how the sums are scheduled.
  const uint32_t rng = static_cast<uint32_t>(n - 1);
  uint32_t mask = rng;
  for (int s = 1; s < 32; s <<= 1) mask |= mask >> s;
  std::array<std::vector<double>, 3> means;
  for (auto& m : means) m.resize(n_samples);
  constexpr int kBatch = 64;
  std::vector<uint32_t> draws;
  for (int k0 = 0; k0 < n_samples; k0 += kBatch) {
    const int batch = std::min(kBatch, n_samples - k0);
    const size_t need = static_cast<size_t>(batch) * n;
    draws.resize(need);
    if (rng == 0) {
      std::fill(draws.begin(), draws.end(), 0);  // one row: numpy draws nothing
    } else {
      // Branch-free rejection: a rejected draw is overwritten by the next.
      for (size_t got = 0; got < need;) {
        const uint32_t v = static_cast<uint32_t>(gen()) & mask;
        draws[got] = v;
        got += v <= rng;
      }
    }
    tbb::parallel_for(0, batch, [&](int b) {
      double sp = 0, sr = 0, sf = 0;
      for (size_t i = 0; i < n; ++i) {
        const RougeScore& row = rows[draws[b * n + i]];
        sp += row.precision;
        sr += row.recall;
        sf += row.fmeasure;
      }
      means[0][k0 + b] = sp / n;
      means[1][k0 + b] = sr / n;
      means[2][k0 + b] = sf / n;
    });
  }
  // np.percentile(x, 50) (method "linear"): virtual index q*(N-1).
  double idx = 0.5 * (n_samples - 1);
  size_t lo = static_cast<size_t>(idx);
  double t = idx - lo;
  std::array<double, 3> out{};
  for (int c = 0; c < 3; ++c) {
    auto& v = means[c];
    std::sort(v.begin(), v.end());
    double a = v[lo], b = v[std::min(lo + 1, v.size() - 1)];
    double diff = b - a;
    out[c] = t >= 0.5 ? b - diff * (1 - t) : a + diff * t;  // numpy's _lerp
  }
  mid.precision = out[0];
  mid.recall = out[1];
  mid.fmeasure = out[2];
  return mid;
}

const ScorerInfo& RougeLScorer::info() const {
  static const ScorerInfo kInfo{"rouge_l", "normalized_rougel_f1", true,
                                "SEA-HELM summarization ROUGE-L (multilingual tokenization, bootstrap median)",
                                "response|responses, label|reference (string); --answer-tag, --lang, --thai-dict",
                                ScoreScale::kPoints};
  return kInfo;
}

ScoreResult RougeLScorer::Score(std::span<const ScoreItem> items, const ScoreOptions& opts) const {
  RestOfLineExtractor extractor(opts.answer_tag);
  std::shared_ptr<const ThaiSegmenter> thai;
  if (opts.lang == "th") thai = ThaiSegmenterFor(ThaiDictOption(opts));
  std::vector<std::string> refs;
  refs.reserve(items.size());
  for (const auto& item : items) {
    if (item.label.is_string())
      refs.push_back(item.label.get<std::string>());
    else if (item.label.is_array() && !item.label.empty() && item.label[0].is_string())
      refs.push_back(item.label[0].get<std::string>());
    else
      throw Error("item '" + item.id + "': field 'label' must be a reference string, got " +
                  std::string(item.label.type_name()));
  }
  ScoreResult out;
  out.items.resize(items.size());
  std::vector<RougeScore> rows(items.size());
  // Rows are independent until the bootstrap, which runs over them in order.
  tbb::parallel_for(size_t{0}, items.size(), [&](size_t i) {
    ItemResult& r = out.items[i];
    r.cleaned = extractor.Extract(FirstTurn(items[i], opts));
    const auto target = RougeTokenize(refs[i], opts.lang, thai.get());
    const auto pred = RougeTokenize(r.cleaned, opts.lang, thai.get());
    const RougeScore s = rows[i] = ScoreLcs(target, pred);
    r.individual_scores = {{"normalized_rougel_f1", 100.0 * s.fmeasure}};
    r.details = {{"rougel_precision", 100.0 * s.precision}, {"rougel_recall", 100.0 * s.recall}};
  });
  const long nulls = std::count_if(out.items.begin(), out.items.end(), [](const ItemResult& r) { return r.cleaned.empty(); });
  RougeScore mid = BootstrapMedian(rows);
  out.metrics = {{"rougel_precision", 100.0 * mid.precision},
                 {"rougel_recall", 100.0 * mid.recall},
                 {"rougel_f1", 100.0 * mid.fmeasure},
                 {"normalized_rougel_f1", 100.0 * NormalizeScore(mid.fmeasure, 0, 1)},
                 {"null_count", nulls}};
  return out;
}

namespace {
const RegisterScorer kRegister("rouge_l", [] { return std::make_unique<RougeLScorer>(); });
}  // namespace

}  // namespace bhasa::metrics

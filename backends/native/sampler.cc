#include "backends/native/sampler.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace bhasa::native {

Sampler::Sampler(const SamplerParams& params) : params_(params), rng_(params.seed) {}

int32_t Argmax(std::span<const float> logits) {
  if (logits.empty()) return -1;
  int32_t best = -1;
  float best_v = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    // Strict > keeps the lowest id on ties; NaN never wins.
    if (std::isnan(logits[i])) continue;
    if (best < 0 || logits[i] > best_v) {
      best = static_cast<int32_t>(i);
      best_v = logits[i];
    }
  }
  return best < 0 ? 0 : best;
}

// 53 random bits -> uniform in [0, 1).
double Sampler::Draw() { return static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0); }

int32_t Sampler::Sample(std::span<const float> logits) {
  if (logits.empty()) throw Error("sampler: empty logits");
  if (params_.temperature <= 0.0f) return Argmax(logits);

  // Candidates sorted by logit (descending, ties by id) so top-k and top-p
  // are prefix cuts and the result does not depend on sort stability.
  candidates_.clear();
  candidates_.reserve(logits.size());
  for (size_t i = 0; i < logits.size(); ++i)
    if (!std::isnan(logits[i])) candidates_.emplace_back(logits[i], static_cast<int32_t>(i));
  if (candidates_.empty()) return 0;
  auto by_logit = [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  size_t keep = candidates_.size();
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < keep) {
    keep = static_cast<size_t>(params_.top_k);
    std::partial_sort(candidates_.begin(), candidates_.begin() + keep, candidates_.end(), by_logit);
    candidates_.resize(keep);
  } else {
    std::sort(candidates_.begin(), candidates_.end(), by_logit);
  }

  // Softmax at temperature T, in double for a stable nucleus cut.
  const double inv_t = 1.0 / params_.temperature;
  const double max_l = candidates_[0].first;
  std::vector<double> probs(keep);
  double total = 0;
  for (size_t i = 0; i < keep; ++i) {
    probs[i] = std::exp((candidates_[i].first - max_l) * inv_t);
    total += probs[i];
  }
  if (params_.top_p < 1.0f) {
    double cum = 0;
    size_t n = 0;
    while (n < keep) {
      cum += probs[n] / total;
      ++n;
      if (cum >= params_.top_p) break;
    }
    keep = std::max<size_t>(n, 1);
    total = 0;
    for (size_t i = 0; i < keep; ++i) total += probs[i];
  }

  double target = Draw() * total, acc = 0;
  for (size_t i = 0; i < keep; ++i) {
    acc += probs[i];
    if (target < acc) return candidates_[i].second;
  }
  return candidates_[keep - 1].second;
}

size_t FindStop(std::string_view text, std::span<const std::string> stops, size_t from) {
  size_t best = std::string_view::npos;
  for (const auto& s : stops) {
    if (s.empty()) continue;
    const size_t start = from >= s.size() - 1 ? from - (s.size() - 1) : 0;
    const size_t pos = text.find(s, start);
    if (pos < best) best = pos;
  }
  return best;
}

}  // namespace bhasa::native

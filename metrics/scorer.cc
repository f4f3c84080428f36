#include "metrics/scorer.h"

#include <algorithm>

namespace bhasa::metrics {

Registry<ScorerFactory>& ScorerRegistry() {
  static Registry<ScorerFactory> r("metric");
  return r;
}

std::unique_ptr<Scorer> MakeScorer(const std::string& name) { return ScorerRegistry().Get(name)(); }

ScorerInfo GetScorerInfo(const std::string& name) { return MakeScorer(name)->info(); }

std::string_view CleanedText(const ScoreItem& item, const ItemResult& r) {
  if (!r.cleaned_is_response) return r.cleaned;
  return item.responses.empty() ? std::string_view() : std::string_view(item.responses[0]);
}

double PointsPerUnit(ScoreScale scale) { return scale == ScoreScale::kFraction ? 100.0 : 1.0; }

const char* ToString(ScoreScale scale) { return scale == ScoreScale::kFraction ? "0-1" : "0-100"; }

double NormalizeScore(double x, double lo, double hi) {
  if (lo == hi) return 0.0;
  return std::max((x - lo) / (hi - lo), 0.0);
}

}  // namespace bhasa::metrics

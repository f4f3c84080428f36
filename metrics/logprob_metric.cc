#include "metrics/logprob_metric.h"

#include <cmath>
#include <tuple>

#include "metrics/scorer.h"

namespace bhasa::metrics {
namespace {

double Mean(const std::vector<double>& v) {
  if (v.empty()) return 0.0;
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

// Mean and standard error √(s²/n) with the sample variance (n - 1); the
// error is 0 for fewer than 2 values.
std::pair<double, double> MeanAndError(const std::vector<double>& v) {
  const double mean = Mean(v);
  if (v.size() < 2) return {mean, 0.0};
  double squares = 0;
  for (double x : v) squares += (x - mean) * (x - mean);
  const double variance = squares / static_cast<double>(v.size() - 1);
  return {mean, std::sqrt(variance / static_cast<double>(v.size()))};
}

class LogprobScorer : public Scorer {
 public:
  const ScorerInfo& info() const override {
    static const ScorerInfo kInfo{"logprobs", "average_cumulative_probabilities", true,
                                  "mean probability (0-100) of the gold continuation after the answer tag "
                                  "(SEA-HELM LogProbMetric)",
                                  "cumulative_logprob (a number, or null for a skipped row)", ScoreScale::kPoints};
    return kInfo;
  }
  ScoreResult Score(std::span<const ScoreItem> items, const ScoreOptions&) const override {
    std::vector<std::optional<double>> values;
    for (const ScoreItem& item : items) values.push_back(item.failed ? std::nullopt : item.logprob);
    const LogprobMetrics m = ComputeLogprobMetrics(values);
    ScoreResult out;
    out.metrics = {{"null_count", m.null_count},
                   {"average_cumulative_logprobs", m.average_cumulative_logprobs},
                   {"clt_se_cumulative_logprobs", m.clt_se_cumulative_logprobs},
                   {"average_cumulative_probabilities", m.average_cumulative_probabilities},
                   {"clt_se_cumulative_probabilities", m.clt_se_cumulative_probabilities}};
    for (size_t i = 0; i < items.size(); ++i) {
      ItemResult r;
      r.individual_scores = {{"probabilities_accuracy", m.probabilities[i]}};
      r.details = {{"cumulative_logprob", values[i] ? nlohmann::json(*values[i]) : nlohmann::json()}};
      out.items.push_back(std::move(r));
    }
    return out;
  }
};

const RegisterScorer kLogprobs("logprobs", [] { return std::make_unique<LogprobScorer>(); });

}  // namespace

LogprobMetrics ComputeLogprobMetrics(const std::vector<std::optional<double>>& cumulative_logprobs) {
  LogprobMetrics m;
  std::vector<double> present;
  for (const auto& v : cumulative_logprobs) {
    if (v) present.push_back(*v);
    else ++m.null_count;
    m.probabilities.push_back(v ? 100.0 * std::exp(*v) : 0.0);
  }
  // SEA-HELM reports 0 ± 0 for the log-probabilities when fewer than 2 rows have one.
  if (present.size() >= 2)
    std::tie(m.average_cumulative_logprobs, m.clt_se_cumulative_logprobs) = MeanAndError(present);
  std::tie(m.average_cumulative_probabilities, m.clt_se_cumulative_probabilities) = MeanAndError(m.probabilities);
  return m;
}

}  // namespace bhasa::metrics

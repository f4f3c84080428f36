// LogProbMetric as SEA-HELM defines it (SPEC-ifeval-mtbench §C.6): per row the
// gold continuation's cumulative log-probability v_k (or none), turned into a
// probability p_k = 100·exp(v_k) (0 for a row without one); the task score is
// the mean of p_k over all rows.
#pragma once

#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

namespace bhasa::metrics {

struct LogprobMetrics {
  int null_count = 0;
  double average_cumulative_logprobs = 0;       // mean of the v_k present (0 when fewer than 2)
  double clt_se_cumulative_logprobs = 0;        // √(sample variance / n) of the same
  double average_cumulative_probabilities = 0;  // mean of p_k over all rows
  double clt_se_cumulative_probabilities = 0;
  std::vector<double> probabilities;            // p_k per row
};

LogprobMetrics ComputeLogprobMetrics(const std::vector<std::optional<double>>& cumulative_logprobs);

}  // namespace bhasa::metrics

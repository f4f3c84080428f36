// LogProbMetric (SEA-HELM's logprob_metric.py) on hand-computed values: nulls
// count as probability 0, the log-probability mean skips them and is 0 below
// two values, and the standard errors use the sample variance.
#include <cmath>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "metrics/logprob_metric.h"
#include "metrics/scorer.h"

namespace bhasa::metrics {
namespace {

TEST(LogprobMetric, HandComputedWithANullRow) {
  const LogprobMetrics m = ComputeLogprobMetrics({-0.5, std::nullopt, -2.0});
  EXPECT_EQ(m.null_count, 1);
  EXPECT_DOUBLE_EQ(m.average_cumulative_logprobs, -1.25);
  EXPECT_NEAR(m.clt_se_cumulative_logprobs, 0.75, 1e-12);  // √((2·0.75²)/1 / 2)
  ASSERT_EQ(m.probabilities.size(), 3u);
  EXPECT_NEAR(m.probabilities[0], 60.653065971263345, 1e-9);  // 100·e^-0.5
  EXPECT_EQ(m.probabilities[1], 0.0);
  EXPECT_NEAR(m.probabilities[2], 13.53352832366127, 1e-9);
  EXPECT_NEAR(m.average_cumulative_probabilities, 24.728864764974873, 1e-9);
  EXPECT_NEAR(m.clt_se_cumulative_probabilities, 18.38205892942227, 1e-9);
}

TEST(LogprobMetric, FewerThanTwoValuesGiveZeroLogprobMean) {
  const LogprobMetrics one = ComputeLogprobMetrics({std::log(0.25), std::nullopt});
  EXPECT_EQ(one.average_cumulative_logprobs, 0.0);
  EXPECT_EQ(one.clt_se_cumulative_logprobs, 0.0);
  EXPECT_NEAR(one.average_cumulative_probabilities, 12.5, 1e-12);  // (25 + 0) / 2
  const LogprobMetrics none = ComputeLogprobMetrics({});
  EXPECT_EQ(none.average_cumulative_probabilities, 0.0);
  EXPECT_EQ(none.null_count, 0);
}

TEST(LogprobMetric, RegisteredScorerReadsItemsAndTreatsFailuresAsNull) {
  auto scorer = MakeScorer("logprobs");
  EXPECT_EQ(scorer->info().main_metric, "average_cumulative_probabilities");
  std::vector<ScoreItem> items(3);
  items[0].logprob = std::log(0.5);
  items[1].logprob = std::log(0.1);
  items[1].failed = true;  // a failed row has no value whatever it holds
  items[2].logprob = 0.0;
  const ScoreResult r = scorer->Score(items, {});
  EXPECT_EQ(r.metrics["null_count"], 1);
  EXPECT_NEAR(r.metrics["average_cumulative_probabilities"].get<double>(), 50.0, 1e-9);  // (50 + 0 + 100) / 3
  EXPECT_NEAR(r.metrics["average_cumulative_logprobs"].get<double>(), std::log(0.5) / 2, 1e-12);
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_NEAR(r.items[0].individual_scores["probabilities_accuracy"].get<double>(), 50.0, 1e-9);
  EXPECT_EQ(r.items[1].individual_scores["probabilities_accuracy"], 0.0);
}

}  // namespace
}  // namespace bhasa::metrics

// ROUGE-L as SEA-HELM's SummarizationMetric computes it (SPEC 7.6): LCS
// precision/recall/F per item over RougeTokenize tokens, and a corpus score
// that is the median of a seeded bootstrap (quirk Q4). Registered as
// "rouge_l" (main metric normalized_rougel_f1).
#pragma once

#include <array>
#include <span>
#include <string>
#include <vector>

#include "metrics/rouge_tokenize.h"
#include "metrics/scorer.h"

namespace bhasa::metrics {

struct RougeScore {
  double precision = 0, recall = 0, fmeasure = 0;
};

// Length of the longest common subsequence (token equality).
size_t LcsLength(std::span<const std::string> a, std::span<const std::string> b);
// rouge_score._score_lcs(target, prediction): zeros when either side is empty.
RougeScore ScoreLcs(std::span<const std::string> target, std::span<const std::string> prediction);
RougeScore ScoreLcs(const RougeTokens& target, const RougeTokens& prediction);

// rouge_score BootstrapAggregator mid value: np.random.seed(4156), n_samples
// draws of np.random.choice(n, n) (legacy masked rejection on MT19937),
// sequential column means, then np.percentile(..., 50) with numpy's lerp.
// Zeros for no rows. Pure; thread-safe.
RougeScore BootstrapMedian(std::span<const RougeScore> rows, int n_samples = 1000, uint32_t seed = 4156);

// Options: lang ("th" uses ThaiSegmenterFor(options["thai_dict"]), "my" the
// Burmese splitter), answer_tag. Stateless; thread-safe.
class RougeLScorer : public Scorer {
 public:
  const ScorerInfo& info() const override;
  ScoreResult Score(std::span<const ScoreItem> items, const ScoreOptions& opts) const override;
};

}  // namespace bhasa::metrics

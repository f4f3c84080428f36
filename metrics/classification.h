// SEA-HELM's F1AccMetric (SPEC 7.2): label extraction with the tag+label
// regex, the null label, balanced accuracy normalized against 1/L, macro-F1
// over the union of classes, and null-weighted F1. Registered as
// "classification" (main metric normalized_accuracy).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "metrics/scorer.h"

namespace bhasa::metrics {

inline constexpr std::string_view kNullLabel = "null";

// F1AccMetric.normalize_answer: lower(), strip ASCII punctuation + " " + "\n"
// from both ends, collapse whitespace.
std::string NormalizeLabelAnswer(std::string_view s);

// The corpus metrics (all percentages except null_count) for gold labels
// `y_true` and mapped predictions `y_pred` (which may hold kNullLabel);
// `num_labels` is L, the size of the label map. Pure; throws on a size mismatch.
struct ClassificationMetrics {
  double accuracy = 0;             // 100 * balanced accuracy
  double macro_f1 = 0;             // over the union of true and predicted classes
  double null_weighted_f1 = 0;     // macro-F1 over true classes * (1 - nulls/N)
  double normalized_accuracy = 0;  // 100 * max((bal_acc - 1/L) / (1 - 1/L), 0)
  long null_count = 0;
};
ClassificationMetrics ComputeClassificationMetrics(const std::vector<std::string>& y_true,
                                                   const std::vector<std::string>& y_pred,
                                                   size_t num_labels);

// The scorer. Each item's label must be a string; the label set is taken
// from the items themselves (quirk Q11). Stateless; thread-safe.
class ClassificationScorer : public Scorer {
 public:
  const ScorerInfo& info() const override;
  ScoreResult Score(std::span<const ScoreItem> items, const ScoreOptions& opts) const override;
};

}  // namespace bhasa::metrics

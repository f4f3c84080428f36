// SEA-HELM's QuestionAnsweringMetric (SPEC 7.1): SQuAD-style token F1 and
// exact match with ASCII-punctuation normalization, max over gold answers,
// and Thai segmentation of the prediction and the first gold answer only.
// Registered as "qa" (main metric normalized_f1).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "metrics/scorer.h"

namespace bhasa::metrics {

// lower(); delete every string.punctuation character; collapse whitespace.
std::string NormalizeAnswer(std::string_view s);
// Token F1 (0..1) of normalize_answer(pred).split() vs normalize_answer(gold).split().
double TokenF1(std::string_view prediction, std::string_view gold);
bool ExactMatch(std::string_view prediction, std::string_view gold);

// Gold answers of an item: a list of strings, or one string wrapped in a list.
// Throws bhasa::Error naming the item for anything else.
std::vector<std::string> GoldAnswers(const ScoreItem& item);

// Options: lang ("th" segments with ThaiSegmenterFor(options["thai_dict"])),
// answer_tag. Stateless; thread-safe.
class QaScorer : public Scorer {
 public:
  const ScorerInfo& info() const override;
  ScoreResult Score(std::span<const ScoreItem> items, const ScoreOptions& opts) const override;
};

// options["thai_dict"] as a string, or "".
std::string ThaiDictOption(const ScoreOptions& opts);

}  // namespace bhasa::metrics

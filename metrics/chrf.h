// chrF++ exactly as sacrebleu 2.x CHRF(word_order=2): character n-grams 1..6
// over the text without whitespace, word n-grams 1..2 with sacrebleu's
// one-sided punctuation split, beta 2, averaged over "effective" orders.
// Registered as "chrf" and "translation" (main metric normalized_chrf_score).
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/scorer.h"

namespace bhasa::metrics {

inline constexpr int kChrfCharOrder = 6;
inline constexpr int kChrfWordOrder = 2;
inline constexpr double kChrfBeta = 2.0;

// Per-order [hyp_count, ref_count, matches] for the 6 char then 2 word orders.
// hyp_count is 0 for an order the reference has no n-gram of (as sacrebleu).
using ChrfStats = std::array<long long, 3 * (kChrfCharOrder + kChrfWordOrder)>;

// sacrebleu's CHRF._remove_punctuation (word tokens for the word n-grams).
std::vector<std::string> ChrfWordTokens(std::string_view s);
ChrfStats ChrfSegmentStats(std::string_view hypothesis, std::string_view reference);
// chrF (0..100) from (summed) stats; 0 when no order is effective.
double ChrfFromStats(const ChrfStats& stats);
double ChrfSentence(std::string_view hypothesis, std::string_view reference);
// Stats summed over the corpus, then one score. Sizes must match (throws).
double ChrfCorpus(std::span<const std::string> hypotheses, std::span<const std::string> references);

// Extraction with the tag+rest-of-line extractor; gold = the item's label
// (a string, or the first string of a list). Stateless; thread-safe.
class ChrfScorer : public Scorer {
 public:
  explicit ChrfScorer(std::string name = "chrf");
  const ScorerInfo& info() const override { return info_; }
  ScoreResult Score(std::span<const ScoreItem> items, const ScoreOptions& opts) const override;

 private:
  ScorerInfo info_;
};

}  // namespace bhasa::metrics

// Scorer: a named, stateless, pure function from responses + gold data to
// metrics. Unit-testable without any model; never depends on a backend.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/registry.h"

namespace bhasa::metrics {

// One dataset row with the model's answers.
struct ScoreItem {
  std::string id;
  std::vector<std::string> responses;  // one per turn; a failed generation is ""
  bool failed = false;                 // true when any turn failed (response is "")
  nlohmann::json label;                // gold: a string, or a list of strings (QA)
  nlohmann::json row;                  // the whole dataset row (prompts, metadata, kwargs, ...)
  // Log-likelihood tasks: the gold continuation's cumulative log-probability
  // (none when the row was skipped or failed).
  std::optional<double> logprob;
};

// Per-call settings. `options` carries scorer-specific extras, e.g.
// {"thai_dict": path, "langid_model": path, "unicode_normalization": "NFC"}.
struct ScoreOptions {
  std::string lang;
  std::string answer_tag;
  nlohmann::json options = nlohmann::json::object();
};

struct ItemResult {
  std::string cleaned;                 // SEA-HELM's cleaned_responses value
  // Set by scorers that score the response as it is (IFEval, MT-Bench):
  // `cleaned` stays empty rather than copy every answer. Read CleanedText.
  bool cleaned_is_response = false;
  nlohmann::json individual_scores;    // e.g. {"normalized_accuracy": 1}
  nlohmann::json details;              // optional, scorer-specific (shown in reports)
};

// SEA-HELM's cleaned_responses value of `r`, the result for `item`.
std::string_view CleanedText(const ScoreItem& item, const ItemResult& r);

struct ScoreResult {
  nlohmann::json metrics = nlohmann::json::object();  // e.g. {"accuracy": 66.7, ...}
  std::vector<ItemResult> items;                      // same order as the input
};

// The scale of a scorer's per-row `individual_scores`. Task metrics (the
// `metrics` map) are always points; per-row values are either fractions
// (accuracy 0/1, F1 0-1) or already points (chrF++, ROUGE-L). Readers of the
// inference files (the leaderboard export) convert with PointsPerUnit and
// never guess the scale from the values.
enum class ScoreScale { kFraction, kPoints };

// 100 for fractions, 1 for points.
double PointsPerUnit(ScoreScale scale);
// "0-1" or "0-100", as `bhasa list metrics` shows it.
const char* ToString(ScoreScale scale);

struct ScorerInfo {
  std::string name;
  std::string main_metric;      // the key of `metrics` that is the task score
  bool higher_is_better = true;
  std::string description;      // one line, for `bhasa list metrics`
  std::string input_fields;     // JSONL fields `bhasa metric` reads, for --help
  ScoreScale row_scale = ScoreScale::kFraction;  // of `individual_scores`
};

class Scorer {
 public:
  virtual ~Scorer() = default;
  virtual const ScorerInfo& info() const = 0;
  // Throws bhasa::Error when the inputs are unusable (e.g. a gold label of the
  // wrong type), naming the item id.
  virtual ScoreResult Score(std::span<const ScoreItem> items, const ScoreOptions& opts) const = 0;
};

using ScorerFactory = std::function<std::unique_ptr<Scorer>()>;
Registry<ScorerFactory>& ScorerRegistry();

struct RegisterScorer {
  RegisterScorer(const std::string& name, ScorerFactory f) { ScorerRegistry().Add(name, std::move(f)); }
};

std::unique_ptr<Scorer> MakeScorer(const std::string& name);
// The registered scorer's metadata (a copy). Error naming the scorer when unknown.
ScorerInfo GetScorerInfo(const std::string& name);

// SEA-HELM's normalize_score: max((x - lo) / (hi - lo), 0), and 0 when lo == hi.
double NormalizeScore(double x, double lo, double hi);

}  // namespace bhasa::metrics

// Scorer "mtbench": SEA-HELM pairwise MT-Bench against a stored baseline
// (spec B.6-B.8).
//
// ScoreItem layout (T = number of turns = row.prompts size, 2 in practice):
//   responses[0..T-1]   the model's answers per turn (not scored here)
//   responses[T + 2t]   judge output for turn t, baseline-before (A = baseline)
//   responses[T + 2t+1] judge output for turn t, baseline-after  (A = model)
// i.e. [r1, r2, j_t1_before, j_t1_after, j_t2_before, j_t2_after], the order
// BuildJudgeRequests returns. A missing or failed judge output ("" or absent)
// parses as ERROR and is counted in metrics.missing_judgements (upstream would
// crash and score the whole task 0). row.metadata.category gives the category.
// options: "ties_allowed" (default true), "judgement_labels" {a_wins,b_wins,tie}.
#include <exception>

#include <tbb/parallel_for.h>

#include "common/error.h"
#include "metrics/mtbench_verdict.h"
#include "metrics/mtbench_win_rate.h"
#include "metrics/scorer.h"

namespace bhasa::metrics {
namespace {

// One row's final verdicts (one per turn) and missing judge outputs.
struct RowOutcome {
  std::vector<TurnVerdict> finals;
  long long missing = 0;
};

RowOutcome ScoreRow(const ScoreItem& item, const JudgementLabels& labels, bool ties_allowed, ItemResult& r) {
  RowOutcome o;
  const nlohmann::json& row = item.row;
  if (!row.contains("metadata") || !row["metadata"].contains("category") || !row["metadata"]["category"].is_string())
    throw Error("item " + item.id + ": row.metadata.category must be a string");
  const std::string category = row["metadata"]["category"].get<std::string>();
  const size_t turns = row.contains("prompts") && row["prompts"].is_array() ? row["prompts"].size() : 2;
  nlohmann::json before = nlohmann::json::array(), after = nlohmann::json::array(),
                 final_list = nlohmann::json::array(), points = nlohmann::json::array();
  for (size_t t = 0; t < turns; ++t) {
    Verdict v[2];
    for (int k = 0; k < 2; ++k) {
      const size_t idx = turns + 2 * t + static_cast<size_t>(k);
      const bool have = idx < item.responses.size() && !item.responses[idx].empty();
      o.missing += !have;
      v[k] = have ? ParseJudgement(item.responses[idx], k == 0 ? Position::kBaselineBefore : Position::kBaselineAfter,
                                   labels)
                  : Verdict::kError;
    }
    const Verdict f = FinalJudgement(v[0], v[1], ties_allowed);
    before.push_back(ToString(v[0]));
    after.push_back(ToString(v[1]));
    final_list.push_back(ToString(f));
    points.push_back(VerdictPoints(f));
    o.finals.push_back({category, f});
  }
  r.cleaned_is_response = true;
  r.individual_scores = {{"weighted_win_rate", points}};
  r.details = {{"baseline-before", before}, {"baseline-after", after}, {"final_judgement", final_list},
               {"category", category}};
  return o;
}

class MtBenchScorer : public Scorer {
 public:
  const ScorerInfo& info() const override {
    static const ScorerInfo kInfo{
        "mtbench", "weighted_win_rate", true,
        "MT-Bench pairwise win rate vs the dataset baseline, position-swapped, category macro average (0-100)",
        "row.metadata.category, row.prompts; responses = [turn answers..., judge before/after per turn]",
        ScoreScale::kFraction};
    return kInfo;
  }

  ScoreResult Score(std::span<const ScoreItem> items, const ScoreOptions& opts) const override {
    JudgementLabels labels;
    bool ties_allowed = true;
    if (opts.options.contains("ties_allowed")) ties_allowed = opts.options["ties_allowed"].get<bool>();
    if (opts.options.contains("judgement_labels")) {
      const auto& l = opts.options["judgement_labels"];
      labels = {l.value("a_wins", labels.a_wins), l.value("b_wins", labels.b_wins), l.value("tie", labels.tie)};
    }
    ScoreResult out;
    out.items.resize(items.size());
    // Rows are judged in parallel; a bad row still fails with the error of
    // the first bad row, and the verdicts are gathered in row order.
    std::vector<RowOutcome> outcomes(items.size());
    std::vector<std::exception_ptr> errors(items.size());
    tbb::parallel_for(size_t{0}, items.size(), [&](size_t i) {
      try {
        outcomes[i] = ScoreRow(items[i], labels, ties_allowed, out.items[i]);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
    for (const auto& e : errors)
      if (e) std::rethrow_exception(e);
    std::vector<TurnVerdict> finals;
    long long missing = 0;
    for (const RowOutcome& o : outcomes) {
      finals.insert(finals.end(), o.finals.begin(), o.finals.end());
      missing += o.missing;
    }
    const WinRates wr = ComputeWinRates(finals);
    out.metrics = {{"weighted_win_rate", wr.weighted_win_rate},
                   {"win_rate", wr.win_rate},
                   {"categories", wr.categories},
                   {"verdict_counts", wr.counts},
                   {"missing_judgements", missing}};
    return out;
  }
};

const RegisterScorer kRegister("mtbench", [] { return std::make_unique<MtBenchScorer>(); });

}  // namespace
}  // namespace bhasa::metrics

// Scorer "ifeval_en": English IFEval (SEA-HELM `ifeval`, Google's IFEval),
// spec A.9: strict and loose modes, prompt and instruction level.
//
// Row schema read from ScoreItem.row:
//   metadata.instruction_id_list (SEA-HELM's mapping) or instruction_id_list (google/IFEval)
//   kwargs: a list of objects aligned with the ids; falsy values (null, 0, "", [], false) dropped
// The dataloader, not this scorer, applies SEA-HELM's key-1174 fix.
// ScoreItem.responses[0] is the answer. options.langid_model picks fastText for
// the language checks (else CLD2).
#include <algorithm>
#include <exception>
#include <optional>
#include <span>

#include <tbb/parallel_for.h>

#include "common/error.h"
#include "common/pystr.h"
#include "metrics/ifeval_loose.h"
#include "metrics/ifeval_registry.h"
#include "metrics/langid.h"
#include "metrics/scorer.h"

namespace bhasa::metrics {
namespace {

bool Truthy(const nlohmann::json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0.0;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  if (v.is_array()) {  // numpy arrays: kept when any(v)
    for (const auto& x : v) if (Truthy(x)) return true;
    return false;
  }
  return !v.empty();
}

// One row's instruction counts; the scorer sums them in row order.
struct RowCounts {
  size_t n = 0, n_strict = 0, n_loose = 0;
};

RowCounts ScoreRow(const ScoreItem& item, const LanguageDetector& detector, ItemResult& r) {
  const nlohmann::json& row = item.row;
  const nlohmann::json* ids = nullptr;
  if (row.contains("metadata") && row["metadata"].contains("instruction_id_list"))
    ids = &row["metadata"]["instruction_id_list"];
  else if (row.contains("instruction_id_list")) ids = &row["instruction_id_list"];
  if (!ids || !ids->is_array()) throw Error("item " + item.id + ": row has no instruction_id_list");
  static const nlohmann::json kNoKwargs = nlohmann::json::array();
  const nlohmann::json& kwargs_list = row.contains("kwargs") ? row["kwargs"] : kNoKwargs;
  const std::string_view response = item.responses.empty() ? std::string_view() : item.responses[0];
  // Every variant of valid UTF-8 is valid too (ranges at character
  // boundaries, ASCII '*'s removed): checked once, not per pattern and text.
  const bool valid_utf8 = py::IsValidUtf8(response);
  // The loose variants are built only once some instruction fails strictly.
  std::optional<IfevalLooseVariants> loose_variants;
  nlohmann::json strict_list = nlohmann::json::array(), loose_list = nlohmann::json::array();
  strict_list.get_ref<nlohmann::json::array_t&>().reserve(ids->size());
  loose_list.get_ref<nlohmann::json::array_t&>().reserve(ids->size());
  size_t n_strict = 0, n_loose = 0;
  for (size_t k = 0; k < ids->size(); ++k) {
    const std::string& id = (*ids)[k].get_ref<const std::string&>();
    static const nlohmann::json kEmpty = nlohmann::json::object();
    const nlohmann::json* given = kwargs_list.is_array() && k < kwargs_list.size() && kwargs_list[k].is_object()
                                      ? &kwargs_list[k] : &kEmpty;
    // Most kwargs have no falsy value to drop, and are used as they are.
    nlohmann::json truthy;
    if (!std::all_of(given->begin(), given->end(), Truthy)) {
      truthy = nlohmann::json::object();
      for (const auto& [key, v] : given->items())
        if (Truthy(v)) truthy[key] = v;
    }
    const nlohmann::json& kwargs = truthy.is_null() ? *given : truthy;
    // The spec and kwargs are checked once, at the first text that is not
    // blank (a blank text fails without running the checker).
    const IfevalCheckSpec* spec = nullptr;
    IfevalCheckMemo memo;
    auto follows = [&](std::string_view text) {
      if (py::IsBlank(text)) return false;
      try {
        if (!spec) spec = &CheckedIfevalSpec(IfevalFamily::kEnglish, id, kwargs);
        return RunCheckedIfevalCheck(*spec, id, IfevalCheckInput{text, "en", kwargs, &detector, item.id, valid_utf8, &memo});
      } catch (const Error& e) {
        throw Error("item " + item.id + ": " + e.what());
      }
    };
    const bool strict = follows(response);
    bool loose = strict;
    if (!loose && !loose_variants) loose_variants.emplace(response, valid_utf8);
    // A variant equal to the response or an earlier variant (one line, no
    // '*' to remove) has already failed: checks are pure functions of the text.
    const auto variants = loose ? std::span<const std::string_view>() : loose_variants->texts();
    for (size_t v = 0; !loose && v < variants.size(); ++v)
      if (variants[v] != response &&
          std::find(variants.begin(), variants.begin() + static_cast<std::ptrdiff_t>(v), variants[v]) ==
              variants.begin() + static_cast<std::ptrdiff_t>(v))
        loose = follows(variants[v]);
    strict_list.push_back(strict);
    loose_list.push_back(loose);
    n_strict += strict;
    n_loose += loose;
  }
  const size_t n = ids->size();
  r.cleaned_is_response = true;
  r.individual_scores = {{"prompt_level_strict_acc", n_strict == n ? 1 : 0}};
  r.details = nlohmann::json::object();  // the lists move in, not copied from an initializer list
  r.details["follow_instruction_list_strict"] = std::move(strict_list);
  r.details["follow_instruction_list_loose"] = std::move(loose_list);
  r.details["prompt_level_loose_acc"] = n_loose == n ? 1 : 0;
  return {n, n_strict, n_loose};
}

class EnglishIfevalScorer : public Scorer {
 public:
  const ScorerInfo& info() const override {
    static const ScorerInfo kInfo{
        "ifeval_en", "normalized_prompt_level_strict_acc", true,
        "English IFEval: prompt/instruction-level strict and loose accuracy (main 0-100)",
        "row.metadata.instruction_id_list (or row.instruction_id_list), row.kwargs; responses[0]",
        ScoreScale::kFraction};
    return kInfo;
  }

  ScoreResult Score(std::span<const ScoreItem> items, const ScoreOptions& opts) const override {
    auto detector = DetectorFromOptions(opts.options);
    ScoreResult out;
    out.items.resize(items.size());
    // Rows are checked in parallel; a bad row still fails with the error of
    // the first bad row, and the sums below run in row order.
    std::vector<RowCounts> counts(items.size());
    std::vector<std::exception_ptr> errors(items.size());
    tbb::parallel_for(size_t{0}, items.size(), [&](size_t i) {
      try {
        counts[i] = ScoreRow(items[i], *detector, out.items[i]);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
    for (const auto& e : errors)
      if (e) std::rethrow_exception(e);
    double prompt_strict = 0, prompt_loose = 0, inst_strict = 0, inst_loose = 0;
    long long pooled_strict = 0, pooled_loose = 0, pooled_total = 0;
    for (const auto& [n, n_strict, n_loose] : counts) {
      prompt_strict += n_strict == n;
      prompt_loose += n_loose == n;
      inst_strict += n ? static_cast<double>(n_strict) / n : 0.0;
      inst_loose += n ? static_cast<double>(n_loose) / n : 0.0;
      pooled_strict += static_cast<long long>(n_strict);
      pooled_loose += static_cast<long long>(n_loose);
      pooled_total += static_cast<long long>(n);
    }
    const double n = items.empty() ? 1.0 : static_cast<double>(items.size());
    out.metrics = {
        {"normalized_prompt_level_strict_acc", 100.0 * NormalizeScore(prompt_strict / n, 0.0, 1.0)},
        {"prompt_level_strict_acc", prompt_strict / n},
        {"prompt_level_loose_acc", prompt_loose / n},
        {"inst_level_strict_acc", inst_strict / n},
        {"inst_level_loose_acc", inst_loose / n},
        {"inst_level_strict_acc_pooled", pooled_total ? static_cast<double>(pooled_strict) / pooled_total : 0.0},
        {"inst_level_loose_acc_pooled", pooled_total ? static_cast<double>(pooled_loose) / pooled_total : 0.0},
        {"language_detector", detector->name()},
    };
    return out;
  }
};

const RegisterScorer kRegister("ifeval_en", [] { return std::make_unique<EnglishIfevalScorer>(); });

}  // namespace
}  // namespace bhasa::metrics

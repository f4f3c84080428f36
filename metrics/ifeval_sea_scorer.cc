// Scorer "ifeval": SEA-IFEval (SEA-HELM `if-eval`), spec A.2 and A.5.
//
// Row schema read from ScoreItem.row (SEA-HELM's HF rows):
//   metadata.subcategory  the instruction id, e.g. "keywords:frequency"
//   metadata.category     "language" selects kwargs.response_language as the gate target
//   kwargs                a list holding one object (or the object itself); null values ignored
// ScoreItem.responses[0] is the answer; a failed item scores with "" as upstream does.
// ScoreOptions.lang is the task language; options.langid_model picks fastText (else CLD2).
#include <exception>
#include <map>
#include <optional>
#include <string_view>

#include <tbb/parallel_for.h>

#include "common/error.h"
#include "metrics/ifeval_registry.h"
#include "metrics/langid.h"
#include "metrics/scorer.h"

namespace bhasa::metrics {
namespace {

nlohmann::json CleanKwargs(const nlohmann::json& raw, const std::string& item_id) {
  const nlohmann::json* obj = &raw;
  if (raw.is_array()) {
    if (raw.empty()) return nlohmann::json::object();
    obj = &raw[0];
  }
  if (obj->is_null()) return nlohmann::json::object();
  if (!obj->is_object()) throw Error("item " + item_id + ": kwargs must be an object or a list of one object");
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : obj->items())
    if (!v.is_null()) out[k] = v;
  return out;
}

std::string RowString(const nlohmann::json& row, const char* a, const char* b, const std::string& item_id) {
  if (!row.is_object() || !row.contains(a) || !row[a].is_object() || !row[a].contains(b) || !row[a][b].is_string())
    throw Error("item " + item_id + ": row." + a + "." + b + " must be a string");
  return row[a][b].get<std::string>();
}

bool SkipsNumberWords(const std::string& lang) {
  return lang == "th" || lang == "lo" || lang == "km" || lang == "my";
}

// The row's detector, remembering its last answer: a language:response_language
// row checks the same text (newlines as spaces) that the language gate reads.
class RowDetector : public LanguageDetector {
 public:
  explicit RowDetector(const LanguageDetector& inner) : inner_(inner) {}
  LangGuess Detect(std::string_view text) const override {
    if (!last_text_ || *last_text_ != text) {
      last_guess_ = inner_.Detect(text);
      last_text_ = std::string(text);
    }
    return last_guess_;
  }
  std::string name() const override { return inner_.name(); }

 private:
  const LanguageDetector& inner_;
  mutable std::optional<std::string> last_text_;
  mutable LangGuess last_guess_;
};

// One row's outcome; the scorer sums them in row order.
struct RowOutcome {
  std::string id;  // the instruction id
  bool evaluated = false, result = false, correct_language = false;
};

RowOutcome ScoreRow(const ScoreItem& item, const ScoreOptions& opts, const LanguageDetector& shared_detector,
                    ItemResult& r) {
  const RowDetector detector(shared_detector);
  RowOutcome o;
  const std::string_view response = item.responses.empty() ? std::string_view() : item.responses[0];
  r.cleaned_is_response = true;
  o.id = RowString(item.row, "metadata", "subcategory", item.id);
  if (SkipsNumberWords(opts.lang) && o.id.find("number_words") != std::string::npos) {
    r.individual_scores = {{"overall_lang_normalized_acc", nullptr}};
    r.details = {{"instruction_id", o.id}, {"skipped", true}};
    return o;
  }
  const nlohmann::json kwargs =
      CleanKwargs(item.row.is_object() && item.row.contains("kwargs") ? item.row["kwargs"] : nlohmann::json(), item.id);
  try {
    o.result = RunIfevalCheck(IfevalFamily::kSea, o.id, IfevalCheckInput{response, opts.lang, kwargs, &detector, item.id});
  } catch (const Error& e) {
    throw Error("item " + item.id + ": " + e.what());
  }
  // The language gate: the task language, or the requested one for language:* rows.
  std::string target = opts.lang;
  const auto& meta = item.row["metadata"];
  if (meta.contains("category") && meta["category"] == "language") target = KwString(kwargs, "response_language");
  std::string flat(response);
  for (char& c : flat) if (c == '\n') c = ' ';
  const std::string detected = detector.Detect(flat).lang;
  o.correct_language = (target == "id" || target == "ms") ? (detected == "id" || detected == "ms") : detected == target;
  o.evaluated = true;
  r.individual_scores = {{"overall_lang_normalized_acc", o.result && o.correct_language}};
  r.details = {{"instruction_id", o.id}, {"result", o.result}, {"correct_language", o.correct_language},
               {"detected_language", detected}};
  return o;
}

class SeaIfevalScorer : public Scorer {
 public:
  const ScorerInfo& info() const override {
    static const ScorerInfo kInfo{
        "ifeval", "overall_lang_normalized_acc", true,
        "SEA-IFEval: instruction following gated on the response language (0-100)",
        "row.metadata.subcategory, row.metadata.category, row.kwargs; responses[0]", ScoreScale::kFraction};
    return kInfo;
  }

  ScoreResult Score(std::span<const ScoreItem> items, const ScoreOptions& opts) const override {
    if (opts.lang.empty()) throw Error("ifeval: ScoreOptions.lang (the task language) is required");
    auto detector = DetectorFromOptions(opts.options);
    ScoreResult out;
    out.items.resize(items.size());
    // Rows are checked in parallel; a bad row still fails with the error of
    // the first bad row, and the sums below run in row order.
    std::vector<RowOutcome> outcomes(items.size());
    std::vector<std::exception_ptr> errors(items.size());
    tbb::parallel_for(size_t{0}, items.size(), [&](size_t i) {
      try {
        outcomes[i] = ScoreRow(items[i], opts, *detector, out.items[i]);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
    for (const auto& e : errors)
      if (e) std::rethrow_exception(e);
    long long pass = 0, fail = 0, lang_ok = 0, normalized = 0, evaluated = 0;
    std::map<std::string, std::pair<long long, long long>> per_id;  // id -> (pass, total)
    for (const RowOutcome& o : outcomes) {
      if (!o.evaluated) continue;
      ++evaluated;
      (o.result ? pass : fail)++;
      lang_ok += o.correct_language;
      normalized += o.result && o.correct_language;
      per_id[o.id].first += o.result;
      per_id[o.id].second += 1;
    }
    const long long count = pass + fail;
    nlohmann::json subcategories = nlohmann::json::object();
    for (const auto& [id, pt] : per_id) subcategories[id] = static_cast<double>(pt.first) / pt.second;
    out.metrics = {
        {"overall_lang_normalized_acc", count ? 100.0 * normalized / count : 0.0},
        {"overall_acc", count ? 100.0 * pass / count : 0.0},
        {"correct_language_rate", evaluated ? static_cast<double>(lang_ok) / evaluated : 0.0},
        {"overall_pass", pass},
        {"overall_fail", fail},
        {"overall_count", count},
        {"skipped", static_cast<long long>(items.size()) - evaluated},
        {"language_detector", detector->name()},
        {"subcategories", subcategories},
    };
    return out;
  }
};

const RegisterScorer kRegister("ifeval", [] { return std::make_unique<SeaIfevalScorer>(); });

}  // namespace
}  // namespace bhasa::metrics

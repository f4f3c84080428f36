#include "metrics/classification.h"

#include <map>
#include <set>

#include <tbb/parallel_for.h>

#include "common/error.h"
#include "common/pystr.h"
#include "metrics/extract.h"

namespace bhasa::metrics {

std::string NormalizeLabelAnswer(std::string_view s) {
  static const std::u32string kEdge = py::Decode(std::string(py::kAsciiPunctuation) + " \n");
  return py::CollapseWhitespace(py::StripChars(py::Lower(s), kEdge));
}

ClassificationMetrics ComputeClassificationMetrics(const std::vector<std::string>& y_true,
                                                   const std::vector<std::string>& y_pred,
                                                   size_t num_labels) {
  if (y_true.size() != y_pred.size())
    throw Error("classification metrics: " + std::to_string(y_true.size()) + " labels but " +
                std::to_string(y_pred.size()) + " predictions");
  ClassificationMetrics m;
  const size_t n = y_true.size();
  if (n == 0) return m;
  struct Counts { long tp = 0, fp = 0, fn = 0, support = 0; };
  std::map<std::string, Counts> classes;  // union of true and predicted classes
  for (size_t i = 0; i < n; ++i) {
    auto& t = classes[y_true[i]];
    auto& p = classes[y_pred[i]];
    ++t.support;
    if (y_true[i] == y_pred[i]) {
      ++t.tp;
    } else {
      ++t.fn;
      ++p.fp;
    }
    if (y_pred[i] == kNullLabel) ++m.null_count;
  }
  double recall_sum = 0, f1_all = 0, f1_true = 0;
  size_t n_true = 0;
  for (const auto& [name, c] : classes) {
    long denom = 2 * c.tp + c.fp + c.fn;
    double f1 = denom > 0 ? 2.0 * c.tp / denom : 0.0;  // sklearn's zero_division -> 0
    f1_all += f1;
    if (c.support > 0) {
      recall_sum += static_cast<double>(c.tp) / c.support;
      f1_true += f1;
      ++n_true;
    }
  }
  double bal_acc = recall_sum / n_true;
  m.accuracy = 100.0 * bal_acc;
  m.macro_f1 = 100.0 * f1_all / classes.size();
  m.null_weighted_f1 = 100.0 * (f1_true / n_true) * (1.0 - static_cast<double>(m.null_count) / n);
  double chance = num_labels > 0 ? 1.0 / num_labels : 1.0;
  m.normalized_accuracy = 100.0 * NormalizeScore(bal_acc, chance, 1.0);
  return m;
}

const ScorerInfo& ClassificationScorer::info() const {
  static const ScorerInfo kInfo{
      "classification", "normalized_accuracy", true,
      "SEA-HELM F1AccMetric: tag+label extraction, balanced accuracy normalized against 1/L",
      "response|responses, label (string); --answer-tag", ScoreScale::kFraction};
  return kInfo;
}

ScoreResult ClassificationScorer::Score(std::span<const ScoreItem> items, const ScoreOptions& opts) const {
  std::vector<std::string> y_true;
  y_true.reserve(items.size());
  for (const auto& it : items) {
    if (!it.label.is_string())
      throw Error("item '" + it.id + "': field 'label' must be a string for classification, got " +
                  std::string(it.label.type_name()));
    y_true.push_back(it.label.get<std::string>());
  }
  // label_map = {l.lower(): l}; a std::map keeps one fixed alternation order.
  std::map<std::string, std::string> label_map;
  for (const auto& l : std::set<std::string>(y_true.begin(), y_true.end())) label_map[py::Lower(l)] = l;
  std::vector<std::string> labels;
  for (const auto& [k, v] : label_map) labels.push_back(v);

  ScoreResult out;
  std::vector<std::string> y_pred;
  if (!labels.empty()) {
    LabelExtractor extractor(opts.answer_tag, labels);
    out.items.resize(items.size());
    y_pred.resize(items.size());
    // Rows are independent; the metrics below read them in order.
    tbb::parallel_for(size_t{0}, items.size(), [&](size_t i) {
      ItemResult& r = out.items[i];
      std::string extracted = extractor.Extract(FirstTurn(items[i], opts));
      auto hit = label_map.find(NormalizeLabelAnswer(extracted));
      std::string pred = hit == label_map.end() ? std::string(kNullLabel) : hit->second;
      // SEA-HELM's cleaned_responses holds the mapped label (or "null") for classification.
      r.cleaned = pred;
      r.individual_scores = {{"normalized_accuracy", pred == y_true[i] ? 1 : 0}};
      r.details = {{"extracted", std::move(extracted)}, {"prediction", pred}};
      y_pred[i] = std::move(pred);
    });
  }
  auto m = ComputeClassificationMetrics(y_true, y_pred, label_map.size());
  out.metrics = {{"accuracy", m.accuracy},
                 {"macro_f1", m.macro_f1},
                 {"null_weighted_f1", m.null_weighted_f1},
                 {"normalized_accuracy", m.normalized_accuracy},
                 {"null_count", m.null_count}};
  return out;
}

namespace {
const RegisterScorer kRegister("classification", [] { return std::make_unique<ClassificationScorer>(); });
}  // namespace

}  // namespace bhasa::metrics

// F1AccMetric parity (SPEC 7.2).
#include "metrics/classification.h"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

namespace bhasa::metrics {
namespace {

ScoreItem Item(const std::string& id, const std::string& response, const std::string& label) {
  ScoreItem it;
  it.id = id;
  it.responses = {response};
  it.label = label;
  return it;
}

TEST(ClassificationMetrics, HandComputedWithNull) {
  // Positif: support 2, tp 1; Negatif: support 1, tp 0, fp 1; Netral: 1/1; null: fp 1.
  // recall = (1/2 + 0 + 1)/3 = 0.5; normalized = (0.5 - 1/3)/(2/3) = 0.25.
  // F1: Positif 2/3, Negatif 0, Netral 1, null 0 -> macro over 4 classes = 5/12.
  // null_weighted = (5/3)/3 * (1 - 1/4) = 5/12.
  auto m = ComputeClassificationMetrics({"Positif", "Negatif", "Netral", "Positif"},
                                        {"Positif", "null", "Netral", "Negatif"}, 3);
  EXPECT_DOUBLE_EQ(m.accuracy, 50.0);
  EXPECT_NEAR(m.normalized_accuracy, 25.0, 1e-12);
  EXPECT_NEAR(m.macro_f1, 100.0 * 5 / 12, 1e-12);
  EXPECT_NEAR(m.null_weighted_f1, 100.0 * 5 / 12, 1e-12);
  EXPECT_EQ(m.null_count, 1);
}

TEST(ClassificationMetrics, NullClassLowersMacroF1Only) {
  // A, A, B, B -> A, null, B, B. F1(A) = 2/(2+0+1) = 2/3, F1(B) = 1, F1(null) = 0.
  auto m = ComputeClassificationMetrics({"A", "A", "B", "B"}, {"A", "null", "B", "B"}, 2);
  EXPECT_DOUBLE_EQ(m.accuracy, 75.0);
  EXPECT_NEAR(m.normalized_accuracy, 50.0, 1e-12);
  EXPECT_NEAR(m.macro_f1, 100.0 * (2.0 / 3 + 1.0) / 3, 1e-12);
  EXPECT_NEAR(m.null_weighted_f1, 100.0 * (2.0 / 3 + 1.0) / 2 * 0.75, 1e-12);
}

TEST(ClassificationMetrics, AllWrongClipsToZero) {
  auto m = ComputeClassificationMetrics({"A", "B", "C"}, {"B", "C", "A"}, 3);
  EXPECT_EQ(m.accuracy, 0.0);
  EXPECT_EQ(m.normalized_accuracy, 0.0);
  EXPECT_EQ(m.macro_f1, 0.0);
  auto all_null = ComputeClassificationMetrics({"A", "B"}, {"null", "null"}, 2);
  EXPECT_EQ(all_null.null_count, 2);
  EXPECT_EQ(all_null.null_weighted_f1, 0.0);
}

TEST(ClassificationMetrics, PerfectIsHundredAndSizeMismatchThrows) {
  auto m = ComputeClassificationMetrics({"A", "B"}, {"A", "B"}, 2);
  EXPECT_DOUBLE_EQ(m.normalized_accuracy, 100.0);
  EXPECT_DOUBLE_EQ(m.macro_f1, 100.0);
  EXPECT_THROW(ComputeClassificationMetrics({"A"}, {}, 1), Error);
}

TEST(ClassificationScorer, EndToEndTableAndPerRowScores) {
  std::vector<ScoreItem> items = {
      Item("1", "**Jawaban:** negatif", "Negatif"), Item("2", "Jawaban: `Positif`", "Positif"),
      Item("3", "Sentimennya positif. Jawaban: Netral", "Netral"), Item("4", "Netral.", "Positif")};
  ScoreOptions opts;
  opts.answer_tag = "Jawaban:";
  auto r = MakeScorer("classification")->Score(items, opts);
  ASSERT_EQ(r.items.size(), 4u);
  EXPECT_EQ(r.items[0].individual_scores["normalized_accuracy"], 1);
  EXPECT_EQ(r.items[1].individual_scores["normalized_accuracy"], 0);
  EXPECT_EQ(r.items[1].details["prediction"], "null");
  EXPECT_EQ(r.items[1].cleaned, "null");  // cleaned_responses holds the mapped label
  EXPECT_EQ(r.items[2].cleaned, "Netral");
  EXPECT_EQ(r.items[3].details["prediction"], "Netral");
  // recall: Negatif 1, Positif 0/2, Netral 1 -> 2/3; normalized (2/3-1/3)/(2/3) = 50.
  EXPECT_NEAR(r.metrics["accuracy"].get<double>(), 200.0 / 3, 1e-9);
  EXPECT_NEAR(r.metrics["normalized_accuracy"].get<double>(), 50.0, 1e-9);
  EXPECT_EQ(r.metrics["null_count"], 1);
}

TEST(ClassificationScorer, QuirkQ11LabelCountFromEvaluatedRows) {
  // Only two of the three labels appear, so L = 2 and chance is 1/2.
  std::vector<ScoreItem> items = {Item("1", "Jawaban: Positif", "Positif"), Item("2", "Jawaban: Positif", "Negatif")};
  ScoreOptions opts;
  opts.answer_tag = "Jawaban:";
  auto r = MakeScorer("classification")->Score(items, opts);
  EXPECT_NEAR(r.metrics["accuracy"].get<double>(), 50.0, 1e-12);
  EXPECT_NEAR(r.metrics["normalized_accuracy"].get<double>(), 0.0, 1e-12);
}

TEST(ClassificationScorer, FailedGenerationIsNullAndBadLabelThrows) {
  ScoreItem failed = Item("f", "", "A");
  failed.failed = true;
  std::vector<ScoreItem> items = {failed, Item("ok", "Jawaban: B", "B")};
  ScoreOptions opts;
  opts.answer_tag = "Jawaban:";
  auto r = MakeScorer("classification")->Score(items, opts);
  EXPECT_EQ(r.metrics["null_count"], 1);
  items[0].label = nlohmann::json::array({"A"});
  try {
    MakeScorer("classification")->Score(items, opts);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("item 'f'"), std::string::npos) << e.what();
  }
}

TEST(ClassificationScorer, PermutationInvariant) {
  std::vector<ScoreItem> items;
  const char* labels[] = {"A", "B", "C"};
  std::mt19937 gen(7);
  for (int i = 0; i < 60; ++i)
    items.push_back(Item(std::to_string(i), std::string("Jawaban: ") + labels[gen() % 3], labels[gen() % 3]));
  ScoreOptions opts;
  opts.answer_tag = "Jawaban:";
  auto scorer = MakeScorer("classification");
  auto a = scorer->Score(items, opts).metrics;
  std::shuffle(items.begin(), items.end(), gen);
  auto b = scorer->Score(items, opts).metrics;
  for (const char* k : {"accuracy", "macro_f1", "null_weighted_f1", "normalized_accuracy"})
    EXPECT_NEAR(a[k].get<double>(), b[k].get<double>(), 1e-9) << k;
}

TEST(NormalizeLabelAnswer, StripsAsciiPunctuationAtEndsOnly) {
  EXPECT_EQ(NormalizeLabelAnswer("  **Tiêu   Cực.** "), "tiêu cực");
  EXPECT_EQ(NormalizeLabelAnswer("a.b"), "a.b");
  EXPECT_EQ(NormalizeLabelAnswer("«A»"), "«a»");  // Unicode quotes survive
}

}  // namespace
}  // namespace bhasa::metrics

// The "ifeval" scorer (SEA-IFEval): language gate, skipped rows, aggregation.
#include <gtest/gtest.h>

#include "common/error.h"
#include "metrics/scorer.h"

namespace bhasa::metrics {
namespace {

const char* kIndonesian = "Saya sangat senang bisa belajar bahasa Indonesia bersama teman-teman di sekolah setiap hari.";
const char* kEnglish = "The quick brown fox jumps over the lazy dog while the children watch from the window.";
const char* kThai = "ฉันมีความสุขมากที่ได้เรียนภาษาไทยกับเพื่อนๆ ที่โรงเรียนทุกวัน";

ScoreItem Row(const std::string& id, const std::string& subcategory, nlohmann::json kwargs, const std::string& response) {
  ScoreItem it;
  it.id = id;
  it.responses = {response};
  const std::string category = subcategory.substr(0, subcategory.find(':'));
  if (kwargs.is_null()) kwargs = nlohmann::json::object();
  // HF rows carry every kwarg key, null where it does not apply.
  kwargs["num_words"] = kwargs.value("num_words", nlohmann::json());
  it.row = {{"id", id},
            {"metadata", {{"language", "id"}, {"category", category}, {"subcategory", subcategory}}},
            {"kwargs", nlohmann::json::array({kwargs})}};
  return it;
}

TEST(IfevalScorer, LanguageGateAndAggregation) {
  std::vector<ScoreItem> items = {
      Row("2", "startend:first_word", {{"first_word", "saya"}}, kIndonesian),   // pass, right language
      Row("3", "startend:first_word", {{"first_word", "the"}}, kEnglish),       // pass, wrong language
      Row("4", "startend:first_word", {{"first_word", "kami"}}, kIndonesian),   // fail
      Row("5", "language:response_language", {{"response_language", "en"}}, kEnglish),  // gate target = en
  };
  auto r = MakeScorer("ifeval")->Score(items, ScoreOptions{"id", "", nlohmann::json::object()});
  // results: T, T, F, T -> overall_acc 75; gated: T, F, F, T -> 50
  EXPECT_DOUBLE_EQ(r.metrics["overall_acc"].get<double>(), 75.0);
  EXPECT_DOUBLE_EQ(r.metrics["overall_lang_normalized_acc"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(r.metrics["correct_language_rate"].get<double>(), 0.75);
  EXPECT_EQ(r.metrics["overall_count"].get<long long>(), 4);
  EXPECT_DOUBLE_EQ(r.metrics["subcategories"]["startend:first_word"].get<double>(), 2.0 / 3);
  EXPECT_EQ(r.items[1].individual_scores["overall_lang_normalized_acc"], false);
  EXPECT_EQ(r.items[1].details["detected_language"], "en");
  EXPECT_EQ(r.items[3].individual_scores["overall_lang_normalized_acc"], true);
}

TEST(IfevalScorer, ThaiSkipsNumberWords) {
  std::vector<ScoreItem> items = {
      Row("1", "length_constraints:number_words", {{"relation", "at least"}, {"num_words", 1}}, kThai),
      Row("2", "detectable_format:constrained_response", {}, std::string("คำตอบของฉันคือใช่ ") + kThai),
  };
  auto r = MakeScorer("ifeval")->Score(items, ScoreOptions{"th", "", nlohmann::json::object()});
  EXPECT_TRUE(r.items[0].individual_scores["overall_lang_normalized_acc"].is_null());
  EXPECT_EQ(r.metrics["overall_count"].get<long long>(), 1);
  EXPECT_EQ(r.metrics["skipped"].get<long long>(), 1);
  EXPECT_DOUBLE_EQ(r.metrics["overall_lang_normalized_acc"].get<double>(), 100.0);
}

TEST(IfevalScorer, MalayTaskAcceptsIndonesianText) {
  std::vector<ScoreItem> items = {Row("1", "startend:first_word", {{"first_word", "saya"}}, kIndonesian)};
  auto r = MakeScorer("ifeval")->Score(items, ScoreOptions{"ms", "", nlohmann::json::object()});
  EXPECT_DOUBLE_EQ(r.metrics["overall_lang_normalized_acc"].get<double>(), 100.0);
}

TEST(IfevalScorer, BadRowsNameTheItem) {
  std::vector<ScoreItem> items = {Row("77", "startend:first_word", {{"first_word", "x"}, {"keywords", {"y"}}}, "x")};
  try {
    MakeScorer("ifeval")->Score(items, ScoreOptions{"id", "", nlohmann::json::object()});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("item 77"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("keywords"), std::string::npos);
  }
  EXPECT_THROW(MakeScorer("ifeval")->Score(items, ScoreOptions{}), Error);  // no language
}

}  // namespace
}  // namespace bhasa::metrics

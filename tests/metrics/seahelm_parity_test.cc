// Scorer parity against values SEA-HELM's own metric classes computed
// (tests/parity/seahelm_scores.jsonl, written by gen_seahelm_fixtures.py with
// SEA-HELM 6844e6c, sacrebleu 2.6.0, PyThaiNLP 5.2.0 and OpenNMT Tokenizer):
// per-row cleaned responses and scores, and the aggregate metrics.
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "metrics/ifeval_registry.h"
#include "metrics/scorer.h"
#include "tests/test_support.h"

namespace bhasa::metrics {
namespace {

using nlohmann::json;

std::vector<json> Cases(const std::string& scorer) {
  const std::string path = testing::SourceDir() + "/tests/parity/seahelm_scores.jsonl";
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::vector<json> out;
  for (std::string line; std::getline(in, line);) {
    json c = json::parse(line);
    if (c["scorer"] == scorer) out.push_back(std::move(c));
  }
  return out;
}

// SEA-HELM's values are double results of the same arithmetic; the bootstrap
// and sacrebleu sum in their own orders, so allow a few ulps of 100.
constexpr double kTol = 1e-9;

void ExpectCaseMatches(const json& c, const std::string& thai_dict) {
  SCOPED_TRACE(c["scorer"].get<std::string>() + " " + c["lang"].get<std::string>() + " (" +
               std::to_string(c["rows"].size()) + " rows)");
  std::vector<ScoreItem> items;
  for (const auto& r : c["rows"]) {
    ScoreItem it;
    it.id = std::to_string(items.size());
    it.responses = {r["response"].get<std::string>()};
    it.failed = it.responses[0].empty();
    it.label = r["label"];
    items.push_back(std::move(it));
  }
  ScoreOptions opts;
  opts.lang = c["lang"];
  opts.answer_tag = c["answer_tag"];
  if (!thai_dict.empty()) opts.options["thai_dict"] = thai_dict;
  const ScoreResult got = MakeScorer(c["scorer"])->Score(items, opts);
  ASSERT_EQ(got.items.size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const json& want = c["rows"][i];
    SCOPED_TRACE("row " + std::to_string(i) + ": " + want["response"].get<std::string>());
    EXPECT_EQ(CleanedText(items[i], got.items[i]), want["cleaned"].get<std::string>());
    for (const auto& [key, value] : want["scores"].items()) {
      ASSERT_TRUE(got.items[i].individual_scores.contains(key)) << key;
      EXPECT_NEAR(got.items[i].individual_scores[key].get<double>(), value.get<double>(), kTol) << key;
    }
  }
  for (const auto& [key, value] : c["metrics"].items()) {
    ASSERT_TRUE(got.metrics.contains(key)) << key;
    EXPECT_NEAR(got.metrics[key].get<double>(), value.get<double>(), kTol) << key;
  }
}

// Every case of `scorer` except Thai, which needs PyThaiNLP's word list.
void RunNonThai(const std::string& scorer) {
  const auto cases = Cases(scorer);
  ASSERT_FALSE(cases.empty()) << scorer;
  for (const auto& c : cases)
    if (c["lang"] != "th") ExpectCaseMatches(c, "");
}

void RunThai(const std::string& scorer) {
  const std::string dict = testing::SharedDir() + "/thai-dict/words_th.txt";
  int n = 0;
  for (const auto& c : Cases(scorer))
    if (c["lang"] == "th") ExpectCaseMatches(c, dict), ++n;
  EXPECT_GT(n, 0) << scorer;
}

TEST(SeahelmParity, QuestionAnswering) { RunNonThai("qa"); }
TEST(SeahelmParity, RougeL) { RunNonThai("rouge_l"); }
TEST(SeahelmParity, ChrfPlusPlus) { RunNonThai("chrf"); }
TEST(SeahelmParity, Classification) { RunNonThai("classification"); }

// tests/parity/seahelm_ifeval_keywords.jsonl: SEA-HELM's own keyword checkers
// (gen_seahelm_ifeval.py) on case-folding edge cases in five languages.
TEST(SeahelmParity, IfevalKeywordChecks) {
  const std::string path = testing::SourceDir() + "/tests/parity/seahelm_ifeval_keywords.jsonl";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  int n = 0;
  for (std::string line; std::getline(in, line); ++n) {
    const json c = json::parse(line);
    const std::string id = c["id"], lang = c["lang"], response = c["response"];
    const bool got = RunIfevalCheck(IfevalFamily::kSea, id, IfevalCheckInput{response, lang, c["kwargs"], nullptr, "t"});
    EXPECT_EQ(got, c["followed"].get<bool>()) << id << " " << lang << " " << c["kwargs"].dump() << " on " << response;
  }
  EXPECT_GT(n, 3000);
}

TEST(SeahelmParity, ThaiWithPyThaiNlpWordList) {
  BHASA_REQUIRE_SHARED("thai-dict/words_th.txt");
  RunThai("qa");
  RunThai("rouge_l");
  RunThai("chrf");
}

}  // namespace
}  // namespace bhasa::metrics

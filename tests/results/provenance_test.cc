#include "results/provenance.h"

#include <gtest/gtest.h>

#include "common/fs.h"
#include "tests/results/run_fixture.h"
#include "tests/test_support.h"

namespace bhasa::results {
namespace {

using testing::FixtureTask;
using testing::WriteRun;

// A run whose results.json meta carries `provenance` (data, decoding, run.limit).
RunInput RunWith(const std::string& out, int n, const nlohmann::json& provenance) {
  std::string root = WriteRun(out, "m", n, {FixtureTask{"sentiment", "id", "nlu", "", "accuracy", 80, {}, {}}});
  auto doc = nlohmann::json::parse(ReadFile(root + "/results.json"));
  doc["meta"].update(provenance, true);
  WriteFileAtomic(root + "/results.json", doc.dump(2));
  return LoadRun(root);
}

nlohmann::json Provenance(const std::string& sha, int limit, double temperature) {
  return {{"data",
           {{"dir", "/data"},
            {"bundled_samples", false},
            {"files",
             {{{"path", "sentiment/id/test.jsonl"}, {"sha256", sha}, {"rows", 10}},
              {{"path", "sentiment/th/test.jsonl"}, {"sha256", "ffff"}, {"rows", 10}}}}}},
          {"run", {{"limit", limit}}},
          {"decoding", {{"sentiment", {{"id", {{"max_tokens", 32}, {"seed", 1}, {"temperature", temperature}}}}}}}};
}

bool Has(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& l : lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

TEST(Provenance, SameDataAndSettingsGiveNoWarning) {
  auto out = bhasa::testing::TempDir("prov-same");
  auto a = RunWith(out, 0, Provenance("aaaa", 0, 0.0));
  auto b = RunWith(out, 1, Provenance("aaaa", 0, 0.0));
  b.doc["meta"]["decoding"]["sentiment"]["id"]["seed"] = 2;  // runs use their own seeds
  EXPECT_TRUE(ProvenanceWarnings({&a, &b}).empty());
}

TEST(Provenance, DataLimitAndDecodingDifferencesAreNamed) {
  auto out = bhasa::testing::TempDir("prov-diff");
  auto a = RunWith(out, 0, Provenance("aaaa", 0, 0.0));
  auto b = RunWith(out, 1, Provenance("bbbb", 5, 0.7));
  auto w = ProvenanceWarnings({&a, &b});
  ASSERT_EQ(w.size(), 3u);
  EXPECT_TRUE(Has(w, "different data: sentiment/id/test.jsonl has sha256 aaaa… in " + a.path + " but bbbb… in " + b.path));
  EXPECT_TRUE(Has(w, "--limit: 0 in " + a.path + ", 5 in " + b.path));
  EXPECT_TRUE(Has(w, "decoding settings for sentiment (id)"));
  EXPECT_TRUE(Has(w, "\"temperature\":0.7"));
}

TEST(Provenance, AbsentProvenanceAndBundledSamplesWarn) {
  auto out = bhasa::testing::TempDir("prov-absent");
  auto old = RunWith(out, 0, nlohmann::json::object());
  auto samples = RunWith(out, 1, Provenance("aaaa", 0, 0.0));
  samples.doc["meta"]["data"]["bundled_samples"] = true;
  auto w = ProvenanceWarnings({&old, &samples});
  EXPECT_TRUE(Has(w, old.path + ": no provenance recorded")) << w.size();
  EXPECT_TRUE(Has(w, samples.path + ": scored on the bundled sample data"));
}

}  // namespace
}  // namespace bhasa::results

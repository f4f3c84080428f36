#include "results/report.h"

#include <cstdlib>
#include <map>
#include <regex>

#include <gtest/gtest.h>

#include "common/fs.h"
#include "results/results_doc.h"
#include "tests/results/run_fixture.h"
#include "tests/test_support.h"

namespace bhasa::results {
namespace {

using testing::FixtureTask;
using testing::WriteRun;

std::string MakeFixture(const std::string& out) {
  FixtureTask s{"sentiment", "id", "nlu", "", "accuracy", 61.25, {1, 0, 1, 0}, {"pos", "neg", "pos", "neg"},
                {"pos", "null", "pos", ""}};
  FixtureTask ex{"translation-en-xx", "id", "nlg", "translations", "chrf", 41.5, {40, 43}, {"a", "b"}, {}};
  FixtureTask xe{"translation-xx-en", "id", "nlg", "translations", "chrf", 55.125, {50, 60}, {"c", "d"}, {}};
  FixtureTask q{"qa", "th", "nlu", "", "f1", 33.3333333333, {0.5, 0.25}, {"x", "</script><script>alert(1)</script>"}, {}};
  return WriteRun(out, "tiny-model", 0, {s, ex, xe, q});
}

TEST(Report, SelfContainedWithDrillDownCounts) {
  auto out = bhasa::testing::TempDir("report");
  auto root = MakeFixture(out);
  std::string html = MakeReportHtml(GroupByModel({LoadRun(root)}));
  // No external resources: no links, scripts or images fetched from anywhere.
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  // Two extraction failures ("null" and "") in sentiment, none in qa.
  EXPECT_NE(html.find("data-task=\"id/nlu/sentiment\" data-rows=\"4\" data-failed=\"0\" data-extraction-failures=\"2\""),
            std::string::npos);
  EXPECT_NE(html.find("data-task=\"th/nlu/qa\" data-rows=\"2\" data-failed=\"0\" data-extraction-failures=\"0\""),
            std::string::npos);
  EXPECT_NE(html.find("no answer extracted"), std::string::npos);
  // Prompts are escaped, and a label cannot close the data script early.
  EXPECT_NE(html.find("Question 1 &lt;b&gt;?&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<script>alert(1)"), std::string::npos);
  EXPECT_TRUE(IsExtractionFailure(" null "));
  EXPECT_TRUE(IsExtractionFailure(nlohmann::json::array({""})));
  EXPECT_FALSE(IsExtractionFailure("pos"));
  // The page says which estimator its numbers are (the export uses another).
  EXPECT_NE(html.find(std::string("Estimator: ") + kReportEstimator), std::string::npos);
  EXPECT_NE(html.find("bootstrap of the per-row scores"), std::string::npos);
}

TEST(Report, ShowsEachModelsProvenance) {
  auto out = bhasa::testing::TempDir("report-provenance");
  auto root = MakeFixture(out);
  std::string html = MakeReportHtml(GroupByModel({LoadRun(root)}));
  EXPECT_NE(html.find("no provenance recorded"), std::string::npos);  // the fixture has none

  auto doc = nlohmann::json::parse(ReadFile(root + "/results.json"));
  doc["meta"]["data"] = {{"dir", "/data/seahelm"},
                         {"bundled_samples", true},
                         {"files", {{{"path", "a.jsonl"}, {"sha256", "ab"}, {"rows", 7}},
                                    {{"path", "b.jsonl"}, {"sha256", "cd"}, {"rows", 5}}}}};
  doc["meta"]["decoding"] = {{"sentiment", {{"id", {{"max_tokens", 32}, {"temperature", 0}}}}}};
  WriteFileAtomic(root + "/results.json", doc.dump());
  html = MakeReportHtml(GroupByModel({LoadRun(root)}));
  EXPECT_EQ(html.find("no provenance recorded"), std::string::npos);
  EXPECT_NE(html.find("<td data-key=\"data\">/data/seahelm (2 files, 12 rows; the bundled samples, not the benchmark "
                      "sets)</td>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("&quot;temperature&quot;:0"), std::string::npos);
  EXPECT_NE(html.find("<td data-key=\"bhasa_version\">"), std::string::npos);
}

TEST(Report, ScoresAverageRunsWithStderr) {
  auto out = bhasa::testing::TempDir("report-runs");
  FixtureTask a{"nli", "vi", "nlr", "", "accuracy", 70, {}, {}, {}};
  auto r0 = WriteRun(out, "m", 0, {a});
  a.score = 80;
  auto r1 = WriteRun(out, "m", 1, {a});
  auto models = GroupByModel({LoadRun(r0), LoadRun(r1)});
  auto s = ReportScores(models[0]);
  EXPECT_DOUBLE_EQ(s["task:vi/nlr/nli"]["mean"].get<double>(), 75);
  EXPECT_DOUBLE_EQ(s["task:vi/nlr/nli"]["stderr"].get<double>(), 5);
  EXPECT_EQ(s["total"]["n"], 2);
}

// Renders the report in headless Chromium and reads the numbers the page's
// JavaScript drew back out of the DOM.
TEST(Report, RenderedNumbersEqualResultsJsonInChromium) {
  std::string chromium;
  for (const char* c : {"chromium", "chromium-browser", "google-chrome"}) {
    if (bhasa::testing::RunCommand(std::string("command -v ") + c + " >/dev/null") == 0) {
      chromium = c;
      break;
    }
  }
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (apt-get install -y chromium); skipping the browser check";
  auto out = bhasa::testing::TempDir("report-chromium");
  auto root = MakeFixture(out);
  std::string report = out + "/report.html";
  WriteFileAtomic(report, MakeReportHtml(GroupByModel({LoadRun(root)})));
  std::string profile = bhasa::testing::TempDir("chromium-profile");
  std::string dom;
  int rc = bhasa::testing::RunCommand(
      "timeout 90 " + chromium +
          " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
          " --disable-component-update --disable-sync --disable-dev-shm-usage --user-data-dir=" + profile +
          " --dump-dom file://" + report + " 2>/dev/null",
      &dom);
  ASSERT_EQ(rc, 0) << dom.substr(0, 2000);
  ASSERT_NE(dom.find("data-rendered=\"yes\""), std::string::npos) << "the report's script did not finish";

  std::map<std::string, double> rendered;
  std::regex cell("<td class=\"score\" data-model=\"tiny-model\" data-key=\"([^\"]+)\" data-value=\"([^\"]+)\"");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), cell); it != std::sregex_iterator(); ++it)
    rendered[(*it)[1].str()] = std::strtod((*it)[2].str().c_str(), nullptr);
  std::regex bar("<rect[^>]*data-key=\"(lang:[^\"]+|comp:[^\"]+)\" data-value=\"([^\"]+)\"");
  std::map<std::string, double> bars;
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), bar); it != std::sregex_iterator(); ++it)
    bars[(*it)[1].str()] = std::strtod((*it)[2].str().c_str(), nullptr);

  auto doc = LoadResultsDoc(root);
  size_t checked = 0;
  for (const ScoreEntry& e : FlattenResults(doc)) {
    std::string key = e.level == "task"         ? "task:" + e.lang + "/" + e.competency + "/" + e.name
                      : e.level == "group"      ? "group:" + e.lang + "/" + e.competency + "/" + e.name
                      : e.level == "competency" ? "comp:" + e.lang + "/" + e.competency
                      : e.level == "language"   ? "lang:" + e.lang
                                                : "total";
    ASSERT_TRUE(rendered.count(key)) << "not rendered: " << key;
    EXPECT_EQ(rendered[key], e.value) << key;
    if (e.level == "language" || e.level == "competency") {
      ASSERT_TRUE(bars.count(key)) << "no bar for " << key;
      EXPECT_EQ(bars[key], e.value) << key;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 11u);  // 4 tasks, 1 group, 3 competencies, 2 languages, the total
  // The visible text agrees with the attribute (two decimals).
  EXPECT_NE(dom.find(">61.25<"), std::string::npos);
  EXPECT_NE(dom.find(">48.31<"), std::string::npos);  // translations group: mean(41.5, 55.125)
}

}  // namespace
}  // namespace bhasa::results

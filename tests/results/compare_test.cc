#include "results/compare.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fs.h"
#include "tests/results/run_fixture.h"
#include "tests/test_support.h"

namespace bhasa::results {
namespace {

using testing::FixtureTask;
using testing::WriteRun;

// Run with sentiment (id, nlu) and qa (id, nlu) scores.
std::string MakeRun(const std::string& out, const std::string& model, int n, double sentiment, double qa, int version = 1) {
  FixtureTask s{"sentiment", "id", "nlu", "", "accuracy", sentiment, {}, {}};
  FixtureTask q{"qa", "id", "nlu", "", "f1", qa, {}, {}};
  s.version = version;
  return WriteRun(out, model, n, {s, q});
}

const CompareRow* Find(const CompareResult& r, const std::string& level, const std::string& name = "") {
  for (const auto& row : r.rows)
    if (row.level == level && row.name == name) return &row;
  return nullptr;
}

TEST(Compare, DeltasAtEveryLevelAndMaxDrop) {
  auto out = bhasa::testing::TempDir("compare");
  auto base = LoadRun(MakeRun(out + "/b", "m", 0, 80, 60));
  auto cur = LoadRun(MakeRun(out + "/c", "m", 0, 74, 62));
  CompareOptions opts;
  auto r = CompareRuns({base}, {cur}, opts);
  ASSERT_NE(Find(r, "task", "sentiment"), nullptr);
  EXPECT_DOUBLE_EQ(Find(r, "task", "sentiment")->delta, -6);
  EXPECT_DOUBLE_EQ(Find(r, "task", "qa")->delta, 2);
  EXPECT_DOUBLE_EQ(Find(r, "competency")->delta, -2);  // mean(74,62) - mean(80,60)
  EXPECT_DOUBLE_EQ(Find(r, "language")->delta, -2);
  EXPECT_DOUBLE_EQ(Find(r, "total")->delta, -2);
  EXPECT_FALSE(r.regression());  // no thresholds: report only

  opts.thresholds.max_drop = 5;
  r = CompareRuns({base}, {cur}, opts);
  EXPECT_TRUE(r.regression());
  EXPECT_EQ(Find(r, "task", "sentiment")->status, RowStatus::kRegression);
  EXPECT_EQ(Find(r, "competency")->status, RowStatus::kOk);
  std::string table = FormatCompareTable(r);
  EXPECT_NE(table.find("REGRESSION (limit 5.00)"), std::string::npos) << table;
  EXPECT_NE(table.find("-6.00"), std::string::npos);

  std::string junit = CompareJUnit(r);
  EXPECT_NE(junit.find("<testcase classname=\"id.nlu\" name=\"sentiment\">"), std::string::npos) << junit;
  EXPECT_NE(junit.find("failures=\"1\""), std::string::npos);
  EXPECT_NE(junit.find("80.00 -&gt; 74.00"), std::string::npos) << junit;
  std::string gh = CompareGithub(r);
  EXPECT_NE(gh.find("::error title=bhasa regression%3A sentiment (id%2C nlu)::sentiment (id, nlu): 80.00 -> 74.00"),
            std::string::npos)
      << gh;
}

TEST(Compare, ThresholdFilePerTaskAndLanguage) {
  auto out = bhasa::testing::TempDir("compare-thr");
  auto base = LoadRun(MakeRun(out + "/b", "m", 0, 80, 60));
  auto cur = LoadRun(MakeRun(out + "/c", "m", 0, 74, 50));
  std::string file = out + "/thr.yaml";
  WriteFileAtomic(file, "max_drop: 20\ntasks:\n  sentiment: 7\n  qa: {id: 9.5}\nlanguages: {id: 1}\n");
  CompareOptions opts;
  opts.thresholds = LoadThresholds(file);
  auto r = CompareRuns({base}, {cur}, opts);
  EXPECT_EQ(Find(r, "task", "sentiment")->status, RowStatus::kOk);          // drop 6 <= 7
  EXPECT_EQ(Find(r, "task", "qa")->status, RowStatus::kRegression);         // drop 10 > 9.5
  EXPECT_EQ(Find(r, "language")->status, RowStatus::kRegression);           // drop 8 > 1
  EXPECT_EQ(Find(r, "competency")->status, RowStatus::kOk);                 // drop 8 <= 20

  WriteFileAtomic(file, "max_drop: 2\nbogus: 1\n");
  try {
    LoadThresholds(file);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(file + ":2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bogus"), std::string::npos);
  }
  WriteFileAtomic(file, "tasks:\n  qa: lots\n");
  EXPECT_THROW(LoadThresholds(file), Error);
  WriteFileAtomic(file, "max_drop: [1\n");
  EXPECT_THROW(LoadThresholds(file), Error);
  EXPECT_THROW(LoadThresholds(out + "/absent.yaml"), Error);
}

TEST(Compare, SigmaNeedsSeveralRunsAndFiltersNoise) {
  auto out = bhasa::testing::TempDir("compare-sigma");
  std::vector<RunInput> base = {LoadRun(MakeRun(out + "/b", "m", 0, 80, 60)), LoadRun(MakeRun(out + "/b", "m", 1, 70, 60))};
  std::vector<RunInput> cur = {LoadRun(MakeRun(out + "/c", "m", 0, 72, 60)), LoadRun(MakeRun(out + "/c", "m", 1, 68, 60))};
  CompareOptions opts;
  opts.thresholds.max_drop = 1;
  opts.sigma = 2;
  auto r = CompareRuns(base, cur, opts);
  const CompareRow* s = Find(r, "task", "sentiment");
  // baseline 75 ± 5 (sd 7.07/√2), current 70 ± 2: drop 5 < 2 × sqrt(25 + 4) = 10.77.
  EXPECT_DOUBLE_EQ(s->baseline, 75);
  EXPECT_DOUBLE_EQ(s->baseline_se, 5);
  EXPECT_DOUBLE_EQ(s->current_se, 2);
  EXPECT_EQ(s->status, RowStatus::kWithinNoise);
  EXPECT_FALSE(r.regression());
  EXPECT_NE(CompareGithub(r).find("::warning title=bhasa drop within noise"), std::string::npos);
  opts.sigma = 0.4;  // 5 > 0.4 × 5.39
  EXPECT_TRUE(CompareRuns(base, cur, opts).regression());

  opts.sigma = 2;
  try {
    CompareRuns({base[0]}, {cur[0]}, opts);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--sigma"), std::string::npos);
  }
}

TEST(Compare, RefusesMismatchedInputs) {
  auto out = bhasa::testing::TempDir("compare-bad");
  auto base = LoadRun(MakeRun(out + "/b", "m", 0, 80, 60, 1));
  auto cur = LoadRun(MakeRun(out + "/c", "m", 0, 80, 60, 2));
  try {
    CompareRuns({base}, {cur}, {});
    FAIL();
  } catch (const Error& e) {
    std::string w = e.what();
    EXPECT_NE(w.find("'sentiment' across versions"), std::string::npos) << w;
    EXPECT_NE(w.find(out + "/c/m/run_0"), std::string::npos) << w;
  }
  auto other = LoadRun(MakeRun(out + "/o", "other", 1, 80, 60));
  EXPECT_THROW(CompareRuns({base, other}, {base}, {}), Error);
  EXPECT_THROW(CompareRuns({}, {base}, {}), Error);

  WriteFileAtomic(out + "/broken.json", "{\"schema_version\": 1, \"meta\": {}");
  try {
    LoadRun(out + "/broken.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(out + "/broken.json"), std::string::npos) << e.what();
  }
  WriteFileAtomic(out + "/v9.json", "{\"schema_version\": 9, \"meta\": {}, \"tasks\": {}, \"results\": {}}");
  EXPECT_THROW(LoadRun(out + "/v9.json"), Error);
}

TEST(Compare, TasksOnOneSideAreReportedNotFailed) {
  auto out = bhasa::testing::TempDir("compare-missing");
  FixtureTask s{"sentiment", "id", "nlu", "", "accuracy", 80, {}, {}};
  FixtureTask n{"nli", "vi", "nlr", "", "accuracy", 50, {}, {}};
  auto base = LoadRun(WriteRun(out + "/b", "m", 0, {s, n}));
  auto cur = LoadRun(WriteRun(out + "/c", "m", 0, {s}));
  CompareOptions opts;
  opts.thresholds.max_drop = 0;
  auto r = CompareRuns({base}, {cur}, opts);
  EXPECT_EQ(Find(r, "task", "nli")->status, RowStatus::kOnlyBaseline);
  EXPECT_NE(CompareJUnit(r).find("<skipped message=\"missing in current\"/>"), std::string::npos);
  // The total moved from mean(80, 50) to 80: up, not a regression.
  EXPECT_FALSE(r.regression());
}

}  // namespace
}  // namespace bhasa::results

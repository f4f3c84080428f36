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
  // No thresholds given: the default limit of 2 points applies to every row.
  EXPECT_TRUE(r.regression());
  EXPECT_EQ(Find(r, "task", "sentiment")->threshold, kDefaultMaxDrop);
  EXPECT_EQ(Find(r, "task", "sentiment")->status, RowStatus::kRegression);
  EXPECT_EQ(Find(r, "competency")->status, RowStatus::kOk);  // exactly 2: not beyond the limit

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

TEST(Compare, DefaultGateFailsALargeDrop) {
  auto out = bhasa::testing::TempDir("compare-default");
  auto base = LoadRun(MakeRun(out + "/b", "m", 0, 80, 60));
  auto cur = LoadRun(MakeRun(out + "/c", "m", 0, 27, 60));
  auto r = CompareRuns({base}, {cur}, CompareOptions{});
  EXPECT_TRUE(r.gate_failed());
  EXPECT_EQ(r.regressions(), 4);  // sentiment, competency, language, total
  std::string table = FormatCompareTable(r);
  EXPECT_NE(table.find("REGRESSION (limit 2.00)"), std::string::npos) << table;
  EXPECT_NE(table.find(": FAIL"), std::string::npos) << table;
  // An explicit limit replaces the default.
  CompareOptions loose;
  loose.thresholds.max_drop = 60;
  EXPECT_FALSE(CompareRuns({base}, {cur}, loose).gate_failed());
}

TEST(Compare, MissingRowsFailUnlessAllowedAndTotalsUseTheCommonRows) {
  auto out = bhasa::testing::TempDir("compare-missing");
  FixtureTask s{"sentiment", "id", "nlu", "", "accuracy", 80, {}, {}};
  FixtureTask q{"qa", "id", "nlu", "", "f1", 40, {}, {}};
  FixtureTask n{"nli", "vi", "nlr", "", "accuracy", 50, {}, {}};
  auto base = LoadRun(WriteRun(out + "/b", "m", 0, {s, q, n}));
  s.score = 70;  // a real drop, hidden by the partial run's averages before
  auto cur = LoadRun(WriteRun(out + "/c", "m", 0, {s}));
  CompareOptions opts;
  opts.thresholds.max_drop = 5;
  auto r = CompareRuns({base}, {cur}, opts);
  EXPECT_EQ(Find(r, "task", "nli")->status, RowStatus::kOnlyBaseline);
  EXPECT_EQ(Find(r, "task", "qa")->status, RowStatus::kOnlyBaseline);
  EXPECT_EQ(r.missing(), 2);
  EXPECT_TRUE(r.gate_failed());
  EXPECT_TRUE(r.rollups_recomputed);
  EXPECT_EQ(r.n_common_tasks, 1);
  // Recorded totals would read mean(80, 40) = 60 → 70 (a gain) and
  // mean(60, 50) = 55 → 70; over the common row both are 80 → 70.
  const CompareRow* comp = Find(r, "competency");
  ASSERT_NE(comp, nullptr);
  EXPECT_DOUBLE_EQ(comp->baseline, 80);
  EXPECT_DOUBLE_EQ(comp->delta, -10);
  EXPECT_TRUE(comp->recomputed);
  EXPECT_EQ(comp->status, RowStatus::kRegression);
  EXPECT_DOUBLE_EQ(Find(r, "total")->baseline, 80);
  EXPECT_EQ(Find(r, "total")->status, RowStatus::kRegression);
  std::string table = FormatCompareTable(r);
  EXPECT_NE(table.find("MISSING in current"), std::string::npos) << table;
  EXPECT_NE(table.find("recomputed over the 1 task rows both sides have"), std::string::npos) << table;
  EXPECT_NE(CompareJUnit(r).find("type=\"missing\""), std::string::npos);
  EXPECT_NE(CompareGithub(r).find("::error title=bhasa missing result%3A nli"), std::string::npos) << CompareGithub(r);

  // --allow-missing: the missing rows are reported, only the real drop fails.
  opts.allow_missing = true;
  r = CompareRuns({base}, {cur}, opts);
  EXPECT_EQ(r.missing(), 2);
  EXPECT_TRUE(r.gate_failed());
  EXPECT_NE(CompareJUnit(r).find("<skipped message=\"missing in current\"/>"), std::string::npos);
  auto same = LoadRun(WriteRun(out + "/same", "m", 0, {FixtureTask{"sentiment", "id", "nlu", "", "accuracy", 80, {}, {}}}));
  EXPECT_FALSE(CompareRuns({base}, {same}, opts).gate_failed());
  opts.allow_missing = false;
  EXPECT_TRUE(CompareRuns({base}, {same}, opts).gate_failed());
}

TEST(Compare, GroupsOverTheCommonMembersOnly) {
  auto out = bhasa::testing::TempDir("compare-groups");
  FixtureTask ex{"translation-en-xx", "id", "nlg", "translation", "chrf", 60, {}, {}};
  FixtureTask xe{"translation-xx-en", "id", "nlg", "translation", "chrf", 20, {}, {}};
  auto base = LoadRun(WriteRun(out + "/b", "m", 0, {ex, xe}));
  auto cur = LoadRun(WriteRun(out + "/c", "m", 0, {ex}));
  CompareOptions opts;
  opts.allow_missing = true;
  auto r = CompareRuns({base}, {cur}, opts);
  const CompareRow* g = Find(r, "group", "translation");
  ASSERT_NE(g, nullptr);
  EXPECT_DOUBLE_EQ(g->baseline, 60);  // the recorded group is mean(60, 20) = 40
  EXPECT_DOUBLE_EQ(g->current, 60);
  EXPECT_FALSE(r.gate_failed());
  // Identical task sets: the recorded roll-ups are used as they are.
  r = CompareRuns({base}, {base}, opts);
  EXPECT_FALSE(r.rollups_recomputed);
  EXPECT_DOUBLE_EQ(Find(r, "group", "translation")->baseline, 40);
  EXPECT_FALSE(Find(r, "group", "translation")->recomputed);
}

TEST(Compare, JsonAndMarkdownFormats) {
  auto out = bhasa::testing::TempDir("compare-formats");
  FixtureTask s{"sentiment", "id", "nlu", "", "accuracy", 80, {}, {}};
  FixtureTask n{"nli", "vi", "nlr", "", "accuracy", 50, {}, {}};
  auto base = LoadRun(WriteRun(out + "/b", "m", 0, {s, n}));
  s.score = 74;
  auto cur = LoadRun(WriteRun(out + "/c", "m", 0, {s}));
  auto r = CompareRuns({base}, {cur}, CompareOptions{});
  auto j = CompareJson(r);
  EXPECT_EQ(j["schema"], "bhasa-compare");
  EXPECT_EQ(j["passed"], false);
  EXPECT_EQ(j["regressions"], r.regressions());
  EXPECT_EQ(j["missing"], 1);
  EXPECT_EQ(j["rollups_recomputed"], true);
  bool saw_missing = false, saw_drop = false;
  for (const auto& row : j["rows"]) {
    if (row["name"] == "nli") {
      saw_missing = true;
      EXPECT_EQ(row["status"], "missing");
      EXPECT_TRUE(row["current"].is_null());
      EXPECT_TRUE(row["delta"].is_null());
    }
    if (row["name"] == "sentiment") {
      saw_drop = true;
      EXPECT_EQ(row["status"], "regression");
      EXPECT_DOUBLE_EQ(row["delta"].get<double>(), -6);
      EXPECT_DOUBLE_EQ(row["threshold"].get<double>(), kDefaultMaxDrop);
    }
  }
  EXPECT_TRUE(saw_missing && saw_drop) << j.dump(2);
  std::string md = CompareMarkdown(r);
  EXPECT_EQ(md.rfind("**bhasa compare: FAIL**", 0), 0u) << md;
  EXPECT_NE(md.find("| level | lang | competency | name | baseline | current | delta | stderr | status |"),
            std::string::npos);
  EXPECT_NE(md.find("| task | id | nlu | sentiment | 80.00 | 74.00 | -6.00 | - | REGRESSION (limit 2.00) |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| task | vi | nlr | nli | 50.00 | - | - | - | MISSING in current |"), std::string::npos) << md;
}

}  // namespace
}  // namespace bhasa::results

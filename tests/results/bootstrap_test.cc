#include "results/bootstrap.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "results/leaderboard.h"
#include "results/pcg64.h"
#include "results/py_stats.h"
#include "tests/results/run_fixture.h"
#include "tests/test_support.h"

namespace bhasa::results {
namespace {

using testing::FixtureTask;
using testing::WriteRun;

TaskRuns Make(std::string task, std::string lang, std::string comp, std::vector<std::vector<double>> scores,
              std::vector<nlohmann::json> labels = {}, std::string group = "") {
  TaskRuns t;
  t.task = task;
  t.lang = lang;
  t.competency = comp;
  t.group = group;
  t.scores = std::move(scores);
  t.labels = std::move(labels);
  return t;
}

// A task whose scorer declares per-row scores in points (chrF++, ROUGE-L).
TaskRuns Points(TaskRuns t) {
  t.row_scale = metrics::ScoreScale::kPoints;
  return t;
}

TEST(IsMultiChoice, RepeatingScalarLabelsOnly) {
  EXPECT_TRUE(IsMultiChoice({"a", "b", "a"}));
  EXPECT_FALSE(IsMultiChoice({"a", "b", "c"}));                            // unique references
  EXPECT_FALSE(IsMultiChoice({nlohmann::json::array({"x"}), nlohmann::json::array({"x"})}));  // unhashable
  EXPECT_FALSE(IsMultiChoice({}));
}

TEST(BootstrapScores, SingleRunGivesTheRunScoreWithZeroStderr) {
  // Multi-choice: labels a,a,b,b; correct 1,0,1,1 → balanced accuracy (0.5+1)/2 = 0.75,
  // normalized against 1/2: (0.75-0.5)/0.5 = 0.5 → 50 points.
  auto mc = Make("sentiment", "id", "nlu", {{1, 0, 1, 1}}, {"a", "a", "b", "b"});
  // QA-like: list labels, fractions → mean ×100 = 50.
  auto qa = Make("qa", "id", "nlu", {{1, 0.5, 0}}, {nlohmann::json::array({"x"}), nlohmann::json::array({"y"}),
                                                     nlohmann::json::array({"z"})});
  // Points-scale rows are not scaled: mean(80, 60) = 70.
  auto sum = Points(Make("abssum", "id", "nlg", {{80, 60}}, {"r1", "r2"}));
  auto s = BootstrapScores({mc, qa, sum});
  EXPECT_EQ(s["id"]["nlu"]["tasks"]["sentiment"]["mean"].get<double>(), 50.0);
  EXPECT_EQ(s["id"]["nlu"]["tasks"]["sentiment"]["stderr"].get<double>(), 0.0);
  EXPECT_EQ(s["id"]["nlu"]["tasks"]["sentiment"]["mean_list"].size(), 30u);
  EXPECT_EQ(s["id"]["nlu"]["tasks"]["qa"]["mean"].get<double>(), 50.0);
  EXPECT_EQ(s["id"]["nlg"]["tasks"]["abssum"]["mean"].get<double>(), 70.0);
  EXPECT_EQ(s["id"]["nlu"]["mean"].get<double>(), 50.0);
  EXPECT_EQ(s["id"]["mean"].get<double>(), 60.0);  // mean(nlu 50, nlg 70)
  EXPECT_EQ(s["mean"].get<double>(), 60.0);
  EXPECT_EQ(s["sea_mean"].get<double>(), 60.0);
}

TEST(BootstrapScores, TheScorerDeclaresTheScaleNeverTheValues) {
  // A weak model's chrF++ rows are points that happen to be <= 1: they stay
  // points (the notebook would read them as fractions and show 40).
  auto weak = Points(Make("translation-en-xx", "id", "nlg", {{0.5, 0.3}}, {"a", "b"}));
  auto frac = Make("qa", "id", "nlu", {{0.5, 0.3}}, {nlohmann::json::array({"x"}), nlohmann::json::array({"y"})});
  auto s = BootstrapScores({weak, frac});
  EXPECT_DOUBLE_EQ(s["id"]["nlg"]["tasks"]["translation-en-xx"]["mean"].get<double>(), 0.4);
  EXPECT_DOUBLE_EQ(s["id"]["nlu"]["tasks"]["qa"]["mean"].get<double>(), 40.0);
  // Repeating labels make a multi-choice task only for 0/1 fraction rows.
  auto repeated = Points(Make("translation-xx-en", "id", "nlg", {{1, 0, 1}}, {"same", "same", "other"}));
  EXPECT_NEAR(BootstrapScores({repeated})["mean"].get<double>(), 2.0 / 3, 1e-12);
}

TEST(Leaderboard, ScaleComesFromTheScorerNamedInResultsJson) {
  auto out = bhasa::testing::TempDir("leaderboard-scale");
  FixtureTask mt{"translation-en-xx", "id", "nlg", "", "chrf", 0.42, {0.5, 0.34}, {"r1", "r2"}};
  mt.scorer = "translation";
  FixtureTask qa{"qa", "id", "nlu", "", "f1", 42, {0.5, 0.34}, {"r1", "r2"}};
  qa.scorer = "qa";
  WriteRun(out, "m", 0, {mt, qa});
  auto lb = MakeLeaderboard(GroupByModel({LoadRun(out + "/m/run_0")}), {});
  const auto& id = lb["models"]["m"]["languages"]["id"]["competencies"];
  EXPECT_DOUBLE_EQ(id["nlg"]["tasks"]["translation-en-xx"]["mean"].get<double>(), 0.42);
  EXPECT_DOUBLE_EQ(id["nlu"]["tasks"]["qa"]["mean"].get<double>(), 42.0);

  // An unknown or missing scorer stops the export, naming the file and field.
  mt.scorer = "no-such-scorer";
  WriteRun(out, "u", 0, {mt});
  try {
    MakeLeaderboard(GroupByModel({LoadRun(out + "/u/run_0")}), {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tasks.translation-en-xx.scorer"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no-such-scorer"), std::string::npos) << e.what();
  }
}

TEST(BootstrapScores, ResamplesRunsPerQuestionWithTheSeaHelmGenerator) {
  // Two runs of 5 questions; statistic = mean of the picked scores (percent).
  std::vector<std::vector<double>> runs = {{10, 20, 30, 40, 50}, {60, 70, 80, 90, 100}};
  auto a = Points(Make("t1", "th", "nlr", runs, {"u1", "u2", "u3", "u4", "u5"}));
  auto b = Points(Make("t2", "th", "nlr", {{3, 3, 3}, {5, 5, 5}}, {"v1", "v2", "v3"}));
  auto s = BootstrapScores({a, b});
  // Independent restatement: one default_rng(94370244), task t1 draws 30×5
  // indices, then t2 draws 30×3 from where t1 stopped.
  NumpyGenerator g(kSeaHelmBootstrapSeed);
  auto idx1 = g.Integers(0, 2, 150);
  auto idx2 = g.Integers(0, 2, 90);
  std::vector<double> want1, want2;
  for (int bi = 0; bi < 30; ++bi) {
    double sum = 0;
    for (int q = 0; q < 5; ++q) sum += runs[idx1[bi * 5 + q]][q];
    want1.push_back(sum / 5);
    double s2 = 0;
    for (int q = 0; q < 3; ++q) s2 += idx2[bi * 3 + q] == 0 ? 3 : 5;
    want2.push_back(s2 / 3);
  }
  for (int bi = 0; bi < 30; ++bi) {
    EXPECT_EQ(s["th"]["nlr"]["tasks"]["t1"]["mean_list"][bi].get<double>(), want1[bi]) << bi;
    EXPECT_EQ(s["th"]["nlr"]["tasks"]["t2"]["mean_list"][bi].get<double>(), want2[bi]) << bi;
  }
  EXPECT_EQ(s["th"]["nlr"]["tasks"]["t1"]["mean"].get<double>(), PyMean(want1));
  EXPECT_EQ(s["th"]["nlr"]["tasks"]["t1"]["stderr"].get<double>(), PyStderr(want1));
  EXPECT_GT(s["th"]["nlr"]["tasks"]["t1"]["stderr"].get<double>(), 0.0);
  // Competency = element-wise mean of the two task lists.
  for (int bi = 0; bi < 30; ++bi)
    EXPECT_EQ(s["th"]["nlr"]["mean_list"][bi].get<double>(), (want1[bi] + want2[bi]) / 2);
}

TEST(BootstrapScores, GroupsReplaceTheirMembersAndSeaSkipsEnglish) {
  auto ex = Points(Make("translation-en-xx", "vi", "nlg", {{40, 60}}, {"a", "b"}, "translations"));
  auto xe = Points(Make("translation-xx-en", "vi", "nlg", {{80, 80}}, {"c", "d"}, "translations"));
  auto sum = Points(Make("abssum", "vi", "nlg", {{20, 20}}, {"e", "f"}));
  auto en = Points(Make("abssum", "en", "nlg", {{90, 90}}, {"g", "h"}));
  auto s = BootstrapScores({ex, xe, sum, en});
  const auto& nlg = s["vi"]["nlg"];
  EXPECT_TRUE(nlg["tasks"]["translation-en-xx"]["ignore"].get<bool>());
  EXPECT_EQ(nlg["tasks"]["translation-en-xx"]["remarks"].get<std::string>(),
            "Using scores for aggregation group TRANSLATIONS instead of individual task scores.");
  EXPECT_EQ(nlg["aggregation_groups"]["translations"]["mean"].get<double>(), 65.0);  // mean(50, 80)
  EXPECT_EQ(nlg["mean"].get<double>(), 42.5);                                         // mean(abssum 20, group 65)
  EXPECT_EQ(s["mean"].get<double>(), (90 + 42.5) / 2);
  EXPECT_EQ(s["sea_mean"].get<double>(), 42.5);  // en is not a SEA language
  BootstrapOptions only_en;
  only_en.sea_languages = {"en"};
  EXPECT_EQ(BootstrapScores({ex, xe, sum, en}, only_en)["sea_mean"].get<double>(), 90.0);
}

TEST(BootstrapScores, IncompleteEmptyAndBelowChanceTasks) {
  auto partial = Make("nli", "ta", "nlr", {{1, 1}, {}}, {"e", "e"});
  auto missing = Make("causal", "ta", "nlr", {{}, {}});
  // Below chance: every answer wrong → balanced accuracy 0 → max(-1, 0) → int 0.
  auto wrong = Make("toxicity", "ta", "safety", {{0, 0, 0, 0}}, {"a", "a", "b", "b"});
  auto s = BootstrapScores({partial, missing, wrong});
  EXPECT_TRUE(s["ta"]["nlr"]["tasks"]["nli"]["is_incomplete"].get<bool>());
  EXPECT_TRUE(s["is_incomplete"].get<bool>());
  EXPECT_TRUE(s["ta"]["nlr"]["tasks"]["causal"]["mean"].is_number_integer());
  EXPECT_EQ(s["ta"]["nlr"]["tasks"]["causal"]["mean_list"][0], 0);
  EXPECT_TRUE(s["ta"]["safety"]["tasks"]["toxicity"]["mean_list"][0].is_number_integer());
  std::string yaml = ScoresYaml(s);
  EXPECT_NE(yaml.find("      toxicity:\n        mean: 0\n        stderr: 0.0\n        mean_list:\n        - 0\n"),
            std::string::npos)
      << yaml;
}

TEST(BootstrapScores, RejectsRunsWithDifferentRowCounts) {
  auto t = Make("qa", "id", "nlu", {{1, 0}, {1, 0, 1}});
  try {
    BootstrapScores({t});
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'qa' (id)"), std::string::npos) << e.what();
  }
}

TEST(PyYamlFloat, MatchesPythonRepr) {
  // repr() values checked with Python 3.11.
  EXPECT_EQ(PyYamlFloat(50.0), "50.0");
  EXPECT_EQ(PyYamlFloat(1e-05), "1.0e-05");
  EXPECT_EQ(PyYamlFloat(1.5e-07), "1.5e-07");
  EXPECT_EQ(PyYamlFloat(0.1), "0.1");
  EXPECT_EQ(PyYamlFloat(0.0001), "0.0001");
  EXPECT_EQ(PyYamlFloat(1e16), "1.0e+16");
  EXPECT_EQ(PyYamlFloat(1234567890123456.0), "1234567890123456.0");
  EXPECT_EQ(PyYamlFloat(12345678901234567.0), "1.2345678901234568e+16");
  EXPECT_EQ(PyYamlFloat(-2.5), "-2.5");
  EXPECT_EQ(PyYamlFloat(73.33333333333333), "73.33333333333333");
  EXPECT_EQ(PyYamlFloat(0.0), "0.0");
}

TEST(Leaderboard, ExportsModelsFromRunDirectories) {
  auto out = bhasa::testing::TempDir("leaderboard");
  for (int run = 0; run < 2; ++run) {
    FixtureTask a{"sentiment", "id", "nlu", "", "accuracy", 50, {1, 0, 1, 1}, {"pos", "pos", "neg", "neg"}};
    if (run == 1) a.row_scores = {1, 1, 1, 1};
    FixtureTask b{"qa", "th", "nlu", "", "f1", 40, {0.5, 0.25}, {nlohmann::json::array({"x"}), nlohmann::json::array({"y"})}};
    WriteRun(out, "m1", run, {a, b});
  }
  FixtureTask c{"sentiment", "id", "nlu", "", "accuracy", 100, {1, 1}, {"pos", "neg"}};
  WriteRun(out, "m2", 0, {c});
  std::vector<RunInput> runs = {LoadRun(out + "/m1/run_1"), LoadRun(out + "/m1/run_0"), LoadRun(out + "/m2/run_0")};
  auto models = GroupByModel(runs);
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].runs[0].run_number, 0);
  auto lb = MakeLeaderboard(models, {});
  const auto& m1 = lb["models"]["m1"];
  EXPECT_EQ(m1["n_runs"], 2);
  EXPECT_EQ(m1["languages"]["th"]["competencies"]["nlu"]["tasks"]["qa"]["mean"].get<double>(), 37.5);
  EXPECT_EQ(m1["languages"]["th"]["competencies"]["nlu"]["tasks"]["qa"]["stderr"].get<double>(), 0.0);
  double id_mean = m1["languages"]["id"]["mean"].get<double>();
  EXPECT_GE(id_mean, 50.0);  // every resample mixes run 0 (50) and run 1 (100)
  EXPECT_LE(id_mean, 100.0);
  EXPECT_GT(m1["languages"]["id"]["stderr"].get<double>(), 0.0);
  EXPECT_EQ(m1["sea"]["mean"].get<double>(), (id_mean + 37.5) / 2);
  EXPECT_EQ(lb["models"]["m2"]["sea"]["mean"].get<double>(), 100.0);
  EXPECT_EQ(m1["languages"]["id"]["competencies"]["nlu"]["tasks"]["sentiment"]["version"], 1);
  // Each run carries what it evaluated and how.
  EXPECT_EQ(m1["runs"][1]["provenance"]["run"]["run_number"], 1);
  EXPECT_EQ(m1["runs"][1]["provenance"]["model"]["name"], "m1");
  EXPECT_TRUE(m1["runs"][1]["provenance"].contains("bhasa_version"));

  // Duplicate run numbers and bare results.json inputs are refused by name.
  EXPECT_THROW(GroupByModel({LoadRun(out + "/m1/run_0"), LoadRun(out + "/m1/run_0")}), Error);
  try {
    MakeLeaderboard(GroupByModel({LoadRun(out + "/m2/run_0/results.json")}), {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("m2/run_0/results.json"), std::string::npos) << e.what();
  }
}

TEST(Leaderboard, CsvHasOneRowPerNumberOfTheJson) {
  auto out = bhasa::testing::TempDir("leaderboard-csv");
  FixtureTask ex{"translation-en-xx", "id", "nlg", "translations", "chrf", 41.5, {40, 43}, {"a", "b"}};
  ex.scorer = "translation";
  FixtureTask xe{"translation-xx-en", "id", "nlg", "translations", "chrf", 55, {50, 60}, {"c", "d"}};
  xe.scorer = "translation";
  FixtureTask en{"qa", "en", "nlu", "", "f1", 50, {0.5, 0.5}, {nlohmann::json::array({"x"}), nlohmann::json::array({"y"})}};
  en.scorer = "qa";
  WriteRun(out, "my,model", 0, {ex, xe, en});
  auto lb = MakeLeaderboard(GroupByModel({LoadRun(out + "/my,model/run_0")}), {});
  EXPECT_EQ(lb["estimator"], kLeaderboardEstimator);
  std::string csv = LeaderboardCsv(lb);
  std::vector<std::string> lines;
  for (size_t at = 0, nl; (nl = csv.find('\n', at)) != std::string::npos; at = nl + 1) lines.push_back(csv.substr(at, nl - at));
  ASSERT_EQ(lines.size(), 11u) << csv;  // header, overall, sea, 2×(language, competency), group, 2 tasks, qa
  EXPECT_EQ(lines[0], "model,level,lang,competency,name,mean,stderr,n_runs,incomplete,estimator");
  const std::string estimator = kLeaderboardEstimator;
  EXPECT_EQ(lines[1], "\"my,model\",overall,,,," + lb["models"]["my,model"]["overall"]["mean"].dump() + ",0.0,1,false," +
                          estimator);
  EXPECT_NE(csv.find("\"my,model\",group,id,nlg,translations,48.25,0.0,1,false,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\"my,model\",task,id,nlg,translation-en-xx,41.5,0.0,1,false,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\"my,model\",task,en,nlu,qa,50.0,0.0,1,false,"), std::string::npos) << csv;
}

TEST(Leaderboard, MismatchedTaskVersionsAndMalformedRowsNameTheFile) {
  auto out = bhasa::testing::TempDir("leaderboard-bad");
  FixtureTask a{"sentiment", "id", "nlu", "", "accuracy", 50, {1, 0}, {"p", "n"}};
  WriteRun(out, "m", 0, {a});
  a.version = 2;
  WriteRun(out, "m", 1, {a});
  try {
    MakeLeaderboard(GroupByModel({LoadRun(out + "/m/run_0"), LoadRun(out + "/m/run_1")}), {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("version"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("run_1"), std::string::npos) << e.what();
  }
  RunDir dir = RunDir::Open(out + "/m/run_0");
  std::string path = dir.InferencePath("id", "sentiment", "sentiment");
  WriteFileAtomic(path, "{\"individual_scores\": {\"a\": 1}}\n{not json\n");
  try {
    MakeLeaderboard(GroupByModel({LoadRun(out + "/m/run_0")}), {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":2"), std::string::npos) << e.what();
  }
  WriteFileAtomic(out + "/m/run_0/results.json", "{\"schema_version\": 1");
  EXPECT_THROW(LoadRun(out + "/m/run_0"), Error);
  EXPECT_THROW(LoadRun(out + "/nothing-here"), Error);
}

}  // namespace
}  // namespace bhasa::results

#include "results/aggregate.h"

#include <gtest/gtest.h>

namespace bhasa::results {
namespace {

TaskScore Score(std::string task, std::string lang, std::string comp, double s, std::string group = "", int n = 10) {
  TaskScore t;
  t.task = task;
  t.lang = lang;
  t.competency = comp;
  t.score = s;
  t.group = group;
  t.metric = "m";
  t.metrics = {{"m", s}};
  t.n_rows = n;
  return t;
}

// SPEC 10's example for id: NLG = mean(translations, abssum), translations =
// mean(en-xx, xx-en); NLR = mean(causal, nli); language = mean of competencies.
TEST(AggregateRun, GroupsCompetenciesLanguagesAndTotal) {
  std::vector<TaskScore> s = {
      Score("translation-en-xx", "id", "nlg", 80, "translations"),
      Score("translation-xx-en", "id", "nlg", 60, "translations"),
      Score("abssum", "id", "nlg", 30),
      Score("causal", "id", "nlr", 50),
      Score("nli", "id", "nlr", 70),
      Score("sentiment", "vi", "nlu", 40),
  };
  auto r = AggregateRun(s);
  EXPECT_DOUBLE_EQ(r["id"]["nlg"]["translations"].get<double>(), 70);
  EXPECT_DOUBLE_EQ(r["id"]["nlg"]["total"].get<double>(), 50);  // mean(70, 30)
  EXPECT_DOUBLE_EQ(r["id"]["nlr"]["total"].get<double>(), 60);
  EXPECT_DOUBLE_EQ(r["id"]["total"].get<double>(), 55);
  EXPECT_DOUBLE_EQ(r["vi"]["total"].get<double>(), 40);
  EXPECT_DOUBLE_EQ(r["total"].get<double>(), 47.5);
  EXPECT_EQ(r["id"]["nlr"]["causal"]["m"], 50);
}

TEST(AggregateRun, MicroAverageWeightsByRows) {
  auto a = Score("a", "id", "nlg", 100, "g", 30);
  auto b = Score("b", "id", "nlg", 0, "g", 10);
  a.aggregation_type = b.aggregation_type = "micro-average";
  auto r = AggregateRun({a, b});
  EXPECT_DOUBLE_EQ(r["id"]["nlg"]["g"].get<double>(), 75);
}

TEST(AggregateRun, EmptyRunHasZeroTotal) { EXPECT_DOUBLE_EQ(AggregateRun({})["total"].get<double>(), 0); }

}  // namespace
}  // namespace bhasa::results

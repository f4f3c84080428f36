// MT-Bench: verdict parsing, position-swap consolidation, win-rate arithmetic
// by hand, judge prompt building (with SEA-HELM's config when present).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/error.h"
#include "metrics/mtbench_judge_prompt.h"
#include "metrics/mtbench_verdict.h"
#include "metrics/mtbench_win_rate.h"
#include "metrics/scorer.h"

namespace bhasa::metrics {
namespace {

constexpr auto kBefore = Position::kBaselineBefore;
constexpr auto kAfter = Position::kBaselineAfter;

TEST(MtBenchVerdict, Parse) {
  EXPECT_EQ(ParseJudgement("explanation... [[A]]", kAfter), Verdict::kWin);
  EXPECT_EQ(ParseJudgement("explanation... [[A]]", kBefore), Verdict::kLose);
  EXPECT_EQ(ParseJudgement("[[B]]", kAfter), Verdict::kLose);
  EXPECT_EQ(ParseJudgement("[[B]]", kBefore), Verdict::kWin);
  EXPECT_EQ(ParseJudgement("[[C]]", kBefore), Verdict::kTie);
  EXPECT_EQ(ParseJudgement("[[A]] then again [[A]]", kAfter), Verdict::kWin);       // repeats are fine
  EXPECT_EQ(ParseJudgement("not [[B]] but [[A]]", kAfter), Verdict::kError);        // conflicting labels
  EXPECT_EQ(ParseJudgement("A is better", kAfter), Verdict::kError);                 // no label
  EXPECT_EQ(ParseJudgement("", kAfter), Verdict::kError);
  EXPECT_EQ(ParseJudgement("[A]] [[a]]", kAfter), Verdict::kError);                 // exact, case-sensitive
  EXPECT_EQ(ParseJudgement("Verdict: \"[[C]]\"", kAfter), Verdict::kTie);
}

TEST(MtBenchVerdict, FinalJudgementTable) {
  const Verdict W = Verdict::kWin, L = Verdict::kLose, T = Verdict::kTie, E = Verdict::kError;
  const Verdict table[4][4] = {{W, T, T, T}, {T, L, T, T}, {T, T, T, T}, {T, T, T, E}};
  const Verdict order[4] = {W, L, T, E};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) EXPECT_EQ(FinalJudgement(order[i], order[j]), table[i][j]) << i << "," << j;
  EXPECT_EQ(FinalJudgement(W, L, false), E);
  EXPECT_EQ(FinalJudgement(W, W, false), W);
  EXPECT_EQ(VerdictPoints(W), 1.0);
  EXPECT_EQ(VerdictPoints(T), 0.5);
  EXPECT_EQ(VerdictPoints(L), 0.0);
  EXPECT_EQ(VerdictPoints(E), 0.0);
}

TEST(MtBenchWinRate, HandComputed) {
  // writing: W, T, L, E -> (1 + 0.5) / 4 = 0.375; math: W, W -> 1.0
  // overall: (1 + 0.5 + 1 + 1) / 6 = 0.58333; weighted = 100 * (0.375 + 1) / 2 = 68.75
  const auto r = ComputeWinRates({{"writing", Verdict::kWin}, {"writing", Verdict::kTie}, {"writing", Verdict::kLose},
                                  {"writing", Verdict::kError}, {"math", Verdict::kWin}, {"math", Verdict::kWin}});
  EXPECT_DOUBLE_EQ(r.categories.at("writing"), 0.375);
  EXPECT_DOUBLE_EQ(r.categories.at("math"), 1.0);
  EXPECT_DOUBLE_EQ(r.win_rate, 3.5 / 6);
  EXPECT_DOUBLE_EQ(r.weighted_win_rate, 68.75);
  EXPECT_EQ(r.counts.at("error"), 1);
  EXPECT_DOUBLE_EQ(ComputeWinRates({}).weighted_win_rate, 0.0);
}

TEST(MtBenchScorer, ResponsesLayout) {
  ScoreItem a;
  a.id = "81";
  a.row = {{"metadata", {{"category", "writing"}}}, {"prompts", {{{"text", "q1"}}, {{"text", "q2"}}}}};
  // turn 1: before=[[B]] (model wins), after=[[A]] (model wins) -> WIN
  // turn 2: before=[[A]] (model loses), after=[[A]] (model wins) -> TIE
  a.responses = {"r1", "r2", "... [[B]]", "... [[A]]", "[[A]]", "[[A]]"};
  ScoreItem b;
  b.id = "111";
  b.row = {{"metadata", {{"category", "math"}}}, {"prompts", {{{"text", "q1"}}, {{"text", "q2"}}}}};
  // turn 1: both LOSE -> LOSE; turn 2: judge missing -> ERROR/ERROR -> ERROR
  b.responses = {"r1", "r2", "[[A]]", "[[B]]"};
  std::vector<ScoreItem> items = {a, b};
  auto r = MakeScorer("mtbench")->Score(items, ScoreOptions{});
  EXPECT_EQ(r.items[0].individual_scores["weighted_win_rate"], nlohmann::json({1.0, 0.5}));
  EXPECT_EQ(r.items[1].details["final_judgement"], nlohmann::json({"lose", "error"}));
  // writing 0.75, math 0 -> 37.5; overall 1.5 / 4
  EXPECT_DOUBLE_EQ(r.metrics["weighted_win_rate"].get<double>(), 37.5);
  EXPECT_DOUBLE_EQ(r.metrics["win_rate"].get<double>(), 0.375);
  EXPECT_EQ(r.metrics["missing_judgements"].get<long long>(), 2);
}

MtBenchJudgeConfig TinyConfig() {
  nlohmann::json j = {
      {"without-reference",
       {{{"system_prompt", "Judge. \"{A_wins}\" / \"{B_wins}\" / \"{Tie}\"."},
         {"prompt_template", "Q: {question_1}\nA: {answer_a_1}\nB: {answer_b_1}"}},
        {{"system_prompt", "Turn two {A_wins}"},
         {"prompt_template", "{question_1}|{answer_a_1}|{question_2}|{answer_a_2}||{answer_b_1}|{answer_b_2}"}}}},
      {"with-reference",
       {{{"system_prompt", "Ref {Tie}"}, {"prompt_template", "{question_1}|R:{ref_answer_1}|{answer_a_1}|{answer_b_1}"}},
        {{"system_prompt", "Ref2"},
         {"prompt_template", "{ref_answer_1}|{ref_answer_2}|{answer_a_1}|{answer_a_2}|{answer_b_2}"}}}}};
  return MtBenchJudgeConfig::FromJson(j);
}

TEST(MtBenchJudgePrompt, BothOrdersAndTurns) {
  nlohmann::json row = {{"question_id", 81},
                        {"prompts", {{{"text", " Q1 "}}, {{"text", "Q2"}}}},
                        {"metadata", {{"category", "writing"}}},
                        {"baselines", {{"gpt-4.1-2025-04-14", {"B1", "B2"}}}},
                        {"references", nullptr}};
  auto conv = ConversationFromRow(row, {std::string("M1"), std::nullopt}, "gpt-4.1-2025-04-14");
  auto reqs = BuildJudgeRequests(conv, TinyConfig());
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[0].custom_id, "81_turn1_baseline-before");
  EXPECT_EQ(reqs[1].custom_id, "81_turn1_baseline-after");
  EXPECT_EQ(reqs[3].custom_id, "81_turn2_baseline-after");
  EXPECT_EQ(reqs[0].messages[0].role, "system");
  EXPECT_EQ(reqs[0].messages[0].content, "Judge. \"[[A]]\" / \"[[B]]\" / \"[[C]]\".");
  EXPECT_EQ(reqs[0].messages[1].content, "Q:  Q1 \nA: B1\nB: M1");  // baseline first, question unstripped
  EXPECT_EQ(reqs[1].messages[1].content, "Q:  Q1 \nA: M1\nB: B1");
  EXPECT_EQ(reqs[3].messages[1].content, " Q1 |M1|Q2|None||B1|B2");  // a missing answer prints None
}

TEST(MtBenchJudgePrompt, ReferenceCategoriesAndErrors) {
  nlohmann::json row = {{"question_id", "111"},
                        {"prompts", {{{"text", "Q1"}}, {{"text", "Q2"}}}},
                        {"metadata", {{"category", "math"}}},
                        {"baselines", {{"base", {"B1", "B2"}}}},
                        {"references", {"R1", ""}}};
  auto reqs = BuildJudgeRequests(ConversationFromRow(row, {std::string("M1"), std::string("M2")}, "base"), TinyConfig());
  EXPECT_EQ(reqs[0].messages[1].content, "Q1|R:R1|B1|M1");
  EXPECT_EQ(reqs[2].messages[1].content, "R1||B1|B2|M2");  // turn 2 baseline-before: A = baseline
  row["metadata"]["category"] = "Math";  // exact match only: no reference prompt
  reqs = BuildJudgeRequests(ConversationFromRow(row, {std::string("M1"), std::string("M2")}, "base"), TinyConfig());
  EXPECT_EQ(reqs[0].messages[1].content, "Q: Q1\nA: B1\nB: M1");
  row["question_id"] = "1_2";
  EXPECT_THROW(BuildJudgeRequests(ConversationFromRow(row, {std::string("M1")}, "base"), TinyConfig()), Error);
  EXPECT_THROW(ConversationFromRow(row, {}, "other-model"), Error);
}

}  // namespace
}  // namespace bhasa::metrics

#include "metrics/mtbench_criteria.h"

namespace bhasa::metrics {
namespace {

TEST(MtBenchCriteria, ParseLastClassification) {
  const std::map<std::string, double> k = {{"CLASS_UNMET", 0}, {"CLASS_MAJORLY_MET", 0.75}, {"CLASS_EXACTLY_MET", 1}};
  EXPECT_DOUBLE_EQ(ParseCriteriaScore("<classification>CLASS_UNMET</classification> then "
                                      "<classification> CLASS_MAJORLY_MET\n</classification>", k), 0.75);
  EXPECT_DOUBLE_EQ(ParseCriteriaScore("<classification>CLASS_BOGUS</classification>", k), 0.0);
  EXPECT_DOUBLE_EQ(ParseCriteriaScore("no tags", k), 0.0);
}

TEST(MtBenchCriteria, RequestsAndScores) {
  nlohmann::json judge = {{"classifications", {{"CLASS_UNMET", 0}, {"CLASS_MODERATELY_MET", 0.5}, {"CLASS_EXACTLY_MET", 1.0}}},
                          {"judge_prompts", {{"system_prompt", "SYS"},
                                             {"criteria_prompt", {{"turn_1", "T1 {transcript} | {response} | {keyPointText}"},
                                                                  {"turn_2", "T2 {transcript} | {response} | {keyPointText}"}}}}}};
  const auto cfg = CriteriaJudgeConfig::FromJson(judge);
  nlohmann::json row = {{"id", "q7"},
                        {"prompts", {{{"text", "P1"}}, {{"text", "P2"}}}},
                        {"criteria", {{{"turn", 0}, {"criterion", "mentions {text}"}}, {{"turn", 1}, {"criterion", "C2"}},
                                      {{"turn", 1}, {"criterion", "C3"}}}},
                        {"metadata", {{"category", "writing"}}}};
  auto reqs = BuildCriteriaRequests(row, {std::string("R1"), std::string("R2")}, cfg);
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].custom_id, "q7_turn0_criteria0");
  EXPECT_EQ(reqs[0].messages[1].content, "T1 [User]\nP1 | R1 | mentions P1");
  EXPECT_EQ(reqs[1].messages[1].content, "T2 [User]\nP1\n\n[Assistant (fixed)]\nR1\n\n[User]\nP2 | R2 | C2");
  EXPECT_EQ(BuildCriteriaRequests(row, {std::nullopt, std::string("R2")}, cfg).size(), 1u);  // turn-1 criteria skipped

  ScoreItem it;
  it.id = "q7";
  it.row = row;
  it.responses = {"R1", "R2", "<classification>CLASS_EXACTLY_MET</classification>",
                  "<classification>CLASS_MODERATELY_MET</classification>", "garbage"};
  auto r = MakeScorer("mtbench_judge")->Score(std::span(&it, 1), ScoreOptions{});
  // turn0 = 1.0, turn1 = (0.5 + 0) / 2 = 0.25 -> question 0.625 -> 62.5
  EXPECT_DOUBLE_EQ(r.metrics["average_criteria_score"].get<double>(), 62.5);
  EXPECT_DOUBLE_EQ(r.metrics["categories"]["writing"].get<double>(), 0.625);
}

}  // namespace
}  // namespace bhasa::metrics

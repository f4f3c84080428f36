#include "harness/plan.h"

#include <fstream>

#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

// A catalog written in the test, so the plan logic is checked independently of the shipped tasks.
tasks::TaskCatalog MakeCatalog() {
  auto dir = testing::TempDir("plan");
  std::ofstream(dir + "/a.yaml") << R"(
alpha:
  family: sentiment
  scorer: classification
  metric: normalized_accuracy
  competency: nlu
  languages: {id: {max_tokens: 8}, vi: {max_tokens: 8}}
tr-en-xx:
  family: translation
  scorer: translation
  metric: normalized_chrf_score
  competency: nlg
  aggregation_group: translations
  languages: {id: {}, th: {}}
tr-xx-en:
  family: translation
  scorer: translation
  metric: normalized_chrf_score
  competency: nlg
  aggregation_group: translations
  languages: {id: {}, th: {}}
chat:
  family: mtbench
  competency: multi-turn
  languages: {id: {}}
)";
  std::ofstream(dir + "/suites.yaml") << "demo:\n  id: [alpha, translations, missing-task]\n  th: [translations]\n";
  std::ofstream(dir + "/constants.yaml") << "base_models_skip_tasks: [chat]\n";
  return tasks::LoadCatalog(dir);
}

TEST(Plan, TasksAndGroupsExpandOverTheirLanguages) {
  auto cat = MakeCatalog();
  auto plan = ResolvePlan(cat, {{"alpha", "translations"}, {}, "", false});
  std::set<std::pair<std::string, std::string>> got;
  for (const auto& p : plan) got.insert({p.task, p.lang});
  std::set<std::pair<std::string, std::string>> want = {{"alpha", "id"},    {"alpha", "vi"},    {"tr-en-xx", "id"},
                                                        {"tr-en-xx", "th"}, {"tr-xx-en", "id"}, {"tr-xx-en", "th"}};
  EXPECT_EQ(got, want);
}

TEST(Plan, LanguagesFilterAndBaseModelsSkip) {
  auto cat = MakeCatalog();
  auto plan = ResolvePlan(cat, {{}, {"id"}, "", true});
  for (const auto& p : plan) {
    EXPECT_EQ(p.lang, "id");
    EXPECT_NE(p.task, "chat");
  }
  EXPECT_EQ(plan.size(), 3u);
}

TEST(Plan, SuitesSkipTasksTheCatalogLacks) {
  auto cat = MakeCatalog();
  auto plan = ResolvePlan(cat, {{}, {}, "demo", false});
  EXPECT_EQ(plan.size(), 5u);  // alpha/id + 2 translations × (id, th)
}

TEST(Plan, UnknownNamesListTheValidOnes) {
  auto cat = MakeCatalog();
  try {
    ResolvePlan(cat, {{"nope"}, {}, "", false});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("valid: alpha, chat, tr-en-xx, tr-xx-en, translations"), std::string::npos)
        << e.what();
  }
  try {
    ResolvePlan(cat, {{}, {"xx"}, "", false});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown language 'xx' (valid: id, th, vi)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ResolvePlan(cat, {{}, {}, "nosuite", false}), Error);
}

// Log-likelihood tasks (use_logprobs) stay out of "all", as SEA-HELM keeps
// them in their own suite, and run when named.
TEST(Plan, LogprobTasksRunWhenNamedButNotInAll) {
  auto dir = testing::TempDir("plan-logprobs");
  std::ofstream(dir + "/a.yaml") << R"(
alpha:
  family: sentiment
  scorer: classification
  metric: normalized_accuracy
  competency: nlu
  languages: {id: {max_tokens: 8}}
alpha-logprobs:
  family: sentiment
  scorer: logprobs
  metric: average_cumulative_probabilities
  use_logprobs: true
  max_n_runs: 1
  competency: nlu
  languages: {id: {max_tokens: 8}}
)";
  auto cat = tasks::LoadCatalog(dir);
  auto names = [](const std::vector<PlannedTask>& plan) {
    std::set<std::string> out;
    for (const auto& p : plan) out.insert(p.task);
    return out;
  };
  EXPECT_EQ(names(ResolvePlan(cat, {{}, {}, "", false})), std::set<std::string>{"alpha"});
  EXPECT_EQ(names(ResolvePlan(cat, {{"all"}, {}, "", false})), std::set<std::string>{"alpha"});
  EXPECT_EQ(names(ResolvePlan(cat, {{"alpha-logprobs"}, {}, "", false})), std::set<std::string>{"alpha-logprobs"});
}

}  // namespace
}  // namespace bhasa

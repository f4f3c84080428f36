// The task catalog: our tasks/*.yaml, SEA-HELM's seahelm_tasks loaded
// unchanged (interpolation, task sets, constants), the ${a.b} resolver, and a
// new language added by configuration only.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/fs.h"
#include "metrics/scorer.h"
#include "tasks/task.h"
#include "tasks/task_config.h"
#include "tests/test_support.h"

namespace bhasa::tasks {
namespace {

namespace fs = std::filesystem;
using testing::SharedDir;
using testing::SourceDir;
using testing::TempDir;

TEST(Catalog, OurTasksCoverEveryFamilyWithAPluginAndAScorer) {
  auto cat = LoadCatalog(SourceDir() + "/tasks");
  struct Want { const char* task; const char* family; const char* scorer; const char* metric; const char* competency; std::vector<std::string> langs; };
  const std::vector<Want> want = {
      {"sentiment", "sentiment", "classification", "normalized_accuracy", "nlu", {"id", "ta", "th", "vi"}},
      {"qa", "qa", "qa", "normalized_f1", "nlu", {"id", "ta", "th", "vi"}},
      {"toxicity", "toxicity", "classification", "normalized_accuracy", "safety", {"id", "th", "vi"}},
      {"translation-en-xx", "translation", "translation", "normalized_chrf_score", "nlg", {"id", "ta", "th", "vi"}},
      {"translation-xx-en", "translation", "translation", "normalized_chrf_score", "nlg", {"id", "ta", "th", "vi"}},
      {"abssum", "summarization", "rouge_l", "normalized_rougel_f1", "nlg", {"id", "ta", "th", "vi"}},
      {"causal", "causal", "classification", "normalized_accuracy", "nlr", {"id", "ta", "th", "vi"}},
      {"nli", "nli", "classification", "normalized_accuracy", "nlr", {"id", "ta", "th", "vi"}},
      {"if-eval", "ifeval", "ifeval", "overall_lang_normalized_acc", "instruction-following", {"en", "id", "ta", "th", "vi"}},
      {"ifeval", "ifeval_en", "ifeval_en", "normalized_prompt_level_strict_acc", "english_instruction_following", {"en"}},
      {"mt-bench", "mtbench", "mtbench", "weighted_win_rate", "multi-turn", {"en", "id", "ta", "th", "vi"}},
      {"sentiment-logprobs", "sentiment", "logprobs", "average_cumulative_probabilities", "nlu", {"id", "ta", "th", "vi"}},
      {"toxicity-logprobs", "toxicity", "logprobs", "average_cumulative_probabilities", "safety", {"id", "th", "vi"}},
      {"causal-logprobs", "causal", "logprobs", "average_cumulative_probabilities", "nlr", {"id", "ta", "th", "vi"}},
      {"nli-logprobs", "nli", "logprobs", "average_cumulative_probabilities", "nlr", {"id", "ta", "th", "vi"}},
  };
  EXPECT_EQ(cat.tasks.size(), want.size());
  for (const auto& w : want) {
    SCOPED_TRACE(w.task);
    const auto& t = cat.Get(w.task);
    EXPECT_EQ(t.family, w.family);
    EXPECT_EQ(t.scorer, w.scorer);
    EXPECT_EQ(t.metric, w.metric);
    EXPECT_EQ(t.competency, w.competency);
    EXPECT_EQ(t.version, "1");
    std::vector<std::string> langs;
    for (const auto& [l, v] : t.languages) langs.push_back(l);
    EXPECT_EQ(langs, w.langs);
    EXPECT_TRUE(TaskFamilyRegistry().Has(t.family));
    EXPECT_TRUE(metrics::ScorerRegistry().Has(t.scorer));
  }
  EXPECT_EQ(cat.GroupMembers("translations"), (std::vector<std::string>{"translation-en-xx", "translation-xx-en"}));
  ASSERT_TRUE(cat.suites.count("seahelm"));
  EXPECT_EQ(cat.suites["seahelm"]["ta"].size(), 9u);  // no toxicity in Tamil
  EXPECT_EQ(cat.constants["base_models_skip_tasks"].size(), 3u);
}

TEST(Catalog, ClassificationLabelsMatchSeaHelmAnswerTables) {
  // SPEC 7.2: scoring builds its regex from these labels, so they must be SEA-HELM's.
  auto cat = LoadCatalog(SourceDir() + "/tasks");
  auto labels = [&](const char* task, const char* lang) {
    return cat.Get(task).languages.at(lang).raw["labels"].get<std::vector<std::string>>();
  };
  EXPECT_EQ(labels("toxicity", "id"), (std::vector<std::string>{"Bersih", "Kasar", "Benci"}));
  EXPECT_EQ(labels("toxicity", "vi"), (std::vector<std::string>{"Sạch", "Công kích", "Thù ghét"}));
  EXPECT_EQ(labels("toxicity", "th"), (std::vector<std::string>{"Y", "N"}));
  EXPECT_EQ(labels("causal", "ta"), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(labels("nli", "vi"), (std::vector<std::string>{"A", "B", "C"}));
  const std::map<std::string, std::string> tags = {{"id", "Jawaban:"}, {"vi", "Câu trả lời:"}, {"th", "คำตอบ:"}, {"ta", "பதில்:"}};
  for (const char* t : {"qa", "causal", "nli", "sentiment"})
    for (const auto& [lang, tag] : tags) EXPECT_EQ(cat.Get(t).languages.at(lang).prompt.answer_tag, tag) << t;
  EXPECT_EQ(cat.Get("translation-en-xx").languages.at("ta").prompt.answer_tag, "மொழிபெயர்ப்பு:");
  EXPECT_EQ(cat.Get("abssum").languages.at("vi").prompt.answer_tag, "Bản tóm tắt:");
}

TEST(Interpolation, ResolvesAbsolutePathsWithTypesAndInsideStrings) {
  auto root = nlohmann::json::parse(R"({
    "causal": {"languages": {"id": {"max_tokens": 128}}, "metadata": {"version": 1.1}},
    "causal-logprobs": {"languages": "${causal.languages}", "note": "v${causal.metadata.version}/${causal.languages.id.max_tokens}"},
    "a": {"b": "${causal-logprobs.languages.id}"}
  })");
  ResolveInterpolations(root);
  EXPECT_EQ(root["causal-logprobs"]["languages"]["id"]["max_tokens"], 128);  // a whole node, typed
  EXPECT_EQ(root["causal-logprobs"]["note"], "v1.1/128");
  EXPECT_EQ(root["a"]["b"]["max_tokens"], 128);  // through another interpolation
}

TEST(Interpolation, UnknownPathsAndCyclesAreErrorsNamingThePath) {
  auto unknown = nlohmann::json::parse(R"({"x": {"y": "${nope.z}"}})");
  try {
    ResolveInterpolations(unknown);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("${nope.z}: no such key"), std::string::npos) << e.what();
  }
  auto cycle = nlohmann::json::parse(R"({"a": "${b}", "b": "${a}"})");
  try {
    ResolveInterpolations(cycle);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cycle"), std::string::npos) << e.what();
  }
}

TEST(SeaHelmCatalog, LoadsEveryConfigUnchangedWithInterpolationSuitesAndConstants) {
  BHASA_REQUIRE_SHARED("seahelm/seahelm_tasks");
  auto cat = LoadCatalog(SharedDir() + "/seahelm/seahelm_tasks");
  for (const char* t : {"sentiment", "qa", "toxicity", "translation-en-xx", "translation-xx-en", "abssum", "causal",
                        "nli", "if-eval", "ifeval", "mt-bench", "belebele-qa-mc", "causal-logprobs"})
    EXPECT_TRUE(cat.tasks.count(t)) << t;
  // ${causal.languages} resolved to a concrete copy.
  EXPECT_EQ(cat.Get("causal-logprobs").languages.size(), cat.Get("causal").languages.size());
  EXPECT_EQ(cat.Get("causal-logprobs").languages.at("th").prompt.answer_tag, "คำตอบ:");
  EXPECT_EQ(cat.Get("causal-logprobs").version, cat.Get("causal").version);
  // Families and scorers inferred from the metric classes.
  EXPECT_EQ(cat.Get("sentiment").family, "sentiment");
  EXPECT_EQ(cat.Get("sentiment").scorer, "classification");
  EXPECT_EQ(cat.Get("qa").scorer, "qa");
  EXPECT_EQ(cat.Get("abssum").scorer, "rouge_l");
  EXPECT_EQ(cat.Get("if-eval").scorer, "ifeval");
  EXPECT_EQ(cat.Get("ifeval").family, "ifeval_en");
  EXPECT_EQ(cat.Get("ifeval").scorer, "ifeval_en");
  EXPECT_EQ(cat.Get("mt-bench").family, "mtbench");
  // Log-likelihood tasks keep their rows' family and are scored by LogProbMetric.
  for (const char* t : {"causal-logprobs", "sentiment-logprobs", "nli-logprobs", "toxicity-logprobs"}) {
    EXPECT_TRUE(cat.Get(t).use_logprobs) << t;
    EXPECT_EQ(cat.Get(t).scorer, "logprobs") << t;
    EXPECT_EQ(cat.Get(t).max_n_runs, 1) << t;
  }
  EXPECT_EQ(cat.Get("causal-logprobs").family, "causal");
  EXPECT_EQ(cat.Get("belebele-qa-mc-logprobs").family, "multiple_choice");
  EXPECT_FALSE(cat.Get("causal").use_logprobs);
  EXPECT_EQ(cat.Get("mt-bench").fewshot_base, 5);  // `base:` with no value → the default, not a crash
  // MetricX is replaced by chrF++, and the substitution is recorded.
  EXPECT_EQ(cat.Get("translation-en-xx").scorer, "translation");
  EXPECT_EQ(cat.Get("translation-en-xx").metric, "normalized_chrf_score");
  EXPECT_EQ(cat.Get("translation-en-xx").metric_substituted_from, "normalized_metricx_wmt24_scores");
  EXPECT_EQ(cat.Get("translation-xx-en").aggregation_group, "translations");
  EXPECT_EQ(cat.Get("toxicity").version, "1.2");
  // Task sets and constants.
  ASSERT_TRUE(cat.suites.count("seahelm"));
  EXPECT_EQ(cat.suites["seahelm"]["id"].front(), "sentiment");
  std::vector<std::string> skip = cat.constants["base_models_skip_tasks"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(skip.begin(), skip.end(), "if-eval"), skip.end());
  EXPECT_EQ(cat.Get("qa").languages.at("vi").max_tokens, 256);
}

// A language added by configuration alone: a Malay block in a copy of the
// tasks dir plus Malay rows; the task builds, prompts and scores.
TEST(NewLanguage, AMalayBlockInATempTasksDirRunsWithoutCodeChanges) {
  auto dir = TempDir("ms");
  fs::create_directories(dir + "/tasks");
  fs::create_directories(dir + "/data/causal/ms");
  std::ofstream(dir + "/tasks/causal.yaml") << R"(causal:
  metadata:
    version: 1
  family: causal
  scorer: classification
  metric: normalized_accuracy
  competency: nlr
  fewshot_num_examples: {instruct: 0, base: 5}
  languages:
    ms:
      max_tokens: 128
      labels: [A, B]
      prompt_template:
        preamble: |-
          Jawab dalam format ini sahaja:
          "{answer_tag} ANSWER"
        task_template: |-
          Pilihan manakah yang lebih mungkin menjadi {question_translated}?
          ```
          {premise}
          ```
          A: {choice1}
          B: {choice2}
        answer_template: "{answer_tag} {label}"
        answer_tag: "Jawapan:"
)";
  std::ofstream rows(dir + "/data/causal/ms/test.jsonl");
  rows << R"({"id": "m1", "label": "A", "prompts": [{"premise": "Lantai basah.", "choice1": "Air tumpah.", "choice2": "Lampu padam.", "question_translated": "sebab"}]})" << "\n"
       << R"({"id": "m2", "label": "B", "prompts": [{"premise": "Dia lapar.", "choice1": "Dia tidur.", "choice2": "Dia makan nasi.", "question_translated": "akibat"}]})" << "\n";
  rows.close();
  auto cat = LoadCatalog(dir + "/tasks");
  TaskContext ctx;
  ctx.data_dir = dir + "/data";
  auto task = MakeTask(cat.Get("causal"), "ms", ctx);
  auto reqs = task->Requests(0, {});
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].messages[0].content,
            "Jawab dalam format ini sahaja:\n\"Jawapan: ANSWER\"\n\nPilihan manakah yang lebih mungkin menjadi sebab?\n"
            "```\nLantai basah.\n```\nA: Air tumpah.\nB: Lampu padam.");
  ResponseMap done;
  for (const auto& r : reqs) {
    done[r.id].request_id = r.id;
    done[r.id].text = "Jawapan: A";
  }
  auto out = task->Score(done);
  // Recalls: A 1/1, B 0/1 → balanced accuracy 0.5 → normalized against 1/2 = 0.
  EXPECT_DOUBLE_EQ(out.metrics["accuracy"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(out.metrics["normalized_accuracy"].get<double>(), 0.0);
  EXPECT_EQ(out.rows.size(), 2u);
}

}  // namespace
}  // namespace bhasa::tasks

// End-to-end: `bhasa run --backend replay` over the bundled sentiment samples,
// checked against hand-computed metrics; kill-and-resume; `bhasa score`; bad input.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/jsonl.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

namespace fs = std::filesystem;
using testing::BhasaBinary;
using testing::RunCommand;
using testing::SourceDir;

const std::map<std::string, std::string> kTags = {
    {"id", "Jawaban:"}, {"vi", "Câu trả lời:"}, {"th", "คำตอบ:"}, {"ta", "பதில்:"}};

// Answers every sample row correctly, except in Indonesian: row 6 (Positif) is
// answered Negatif and row 7 (Negatif) gets an answer outside the label set.
std::string WriteAnswers(const std::string& dir) {
  std::string path = dir + "/answers.jsonl";
  std::ofstream out(path);
  for (const auto& [lang, tag] : kTags) {
    auto rows = ReadJsonlAll(SourceDir() + "/data/samples/sentiment/" + lang + "/test.jsonl");
    for (size_t i = 0; i < rows.size(); ++i) {
      std::string id = rows[i]["id"], label = rows[i]["label"];
      std::string text = "**" + tag + "** " + label;
      if (lang == "id" && i == 6) text = tag + " Negatif";
      if (lang == "id" && i == 7) text = "Saya tidak yakin.";
      out << nlohmann::json({{"id", "sentiment/" + lang + "/" + id + "/t1"}, {"response", text}}).dump() << "\n";
    }
  }
  return path;
}

std::string RunCmd(const std::string& out, const std::string& answers, const std::string& extra = "") {
  return BhasaBinary() + " run --backend replay --replay " + answers + " --tasks sentiment --output " + out +
         " --model-name demo " + extra;
}

nlohmann::json LoadResults(const std::string& out) {
  return nlohmann::json::parse(ReadFile(out + "/demo/run_0/results.json"));
}

TEST(RunReplay, SentimentMetricsMatchHandComputedValues) {
  auto dir = testing::TempDir("e2e");
  auto answers = WriteAnswers(dir);
  std::string log;
  ASSERT_EQ(RunCommand(RunCmd(dir + "/runs", answers), &log), 0) << log;
  auto doc = LoadResults(dir + "/runs");
  const auto& id = doc["results"]["id"]["nlu"]["sentiment"];
  // y_true P N Ne P N Ne P N Ne P; y_pred P N Ne P N Ne N null Ne P.
  // recalls 3/4, 2/3, 1 → balanced accuracy 0.805556; normalized (x − 1/3)/(2/3).
  EXPECT_NEAR(id["accuracy"].get<double>(), 80.5556, 1e-3);
  EXPECT_NEAR(id["normalized_accuracy"].get<double>(), 70.8333, 1e-3);
  // F1: P 6/7, N 4/6, Ne 1, null 0 → macro over 4 classes; null-weighted over 3 × 0.9.
  EXPECT_NEAR(id["macro_f1"].get<double>(), 63.0952, 1e-3);
  EXPECT_NEAR(id["null_weighted_f1"].get<double>(), 75.7143, 1e-3);
  EXPECT_EQ(id["null_count"].get<int>(), 1);
  for (const char* lang : {"vi", "th", "ta"})
    EXPECT_NEAR(doc["results"][lang]["nlu"]["sentiment"]["normalized_accuracy"].get<double>(), 100, 1e-9) << lang;
  EXPECT_NEAR(doc["results"]["total"].get<double>(), (70.833333 + 300) / 4, 1e-3);
  EXPECT_EQ(doc["schema_version"], 1);
  EXPECT_EQ(doc["tasks"]["sentiment"]["version"], "1");

  // SEA-HELM's per-row inference file (SPEC 9).
  auto rows = ReadJsonlAll(dir + "/runs/demo/run_0/inferences/id/sentiment/demo_sentiment_id.jsonl");
  ASSERT_EQ(rows.size(), 10u);
  EXPECT_EQ(rows[7]["cleaned_responses"], "null");
  EXPECT_EQ(rows[6]["individual_scores"]["normalized_accuracy"], 0);
  EXPECT_EQ(rows[0]["individual_scores"]["normalized_accuracy"], 1);
  EXPECT_EQ(rows[0]["conversations"][0]["role"], "user");
  EXPECT_EQ(rows[0]["responses"].size(), 1u);
}

TEST(RunReplay, KilledRunResumesWithoutReaskingAndEndsWithTheSameResults) {
  auto dir = testing::TempDir("e2e-kill");
  auto answers = WriteAnswers(dir);
  std::string log;
  ASSERT_EQ(RunCommand(RunCmd(dir + "/clean", answers), &log), 0) << log;
  auto clean = LoadResults(dir + "/clean");

  // 40 requests at 40 ms each: killed as soon as the journal holds an answer
  // (polled, so a slow or loaded machine still kills it part way through).
  std::string journal = dir + "/runs/demo/run_0/responses.jsonl";
  std::string killed = "(BHASA_REPLAY_DELAY_MS=40 " + RunCmd(dir + "/runs", answers) +
                       " >/dev/null 2>&1 & pid=$!; for i in $(seq 600); do [ -s " + journal +
                       " ] && break; sleep 0.05; done; kill -9 $pid; wait $pid; true)";
  RunCommand(killed);
  ASSERT_TRUE(fs::exists(journal));
  size_t saved = ReadJsonlAll(journal).size();
  ASSERT_GT(saved, 0u);
  ASSERT_LT(saved, 40u) << "the run finished before it was killed";
  EXPECT_FALSE(fs::exists(dir + "/runs/demo/run_0/results.json"));

  ASSERT_EQ(RunCommand(RunCmd(dir + "/runs", answers), &log), 0) << log;
  EXPECT_NE(log.find("requests: " + std::to_string(saved) + " from the journal, " + std::to_string(40 - saved) +
                     " asked"),
            std::string::npos)
      << log;
  std::multiset<std::string> ids;
  ReadJsonl(journal, [&](nlohmann::json& j, long) { ids.insert(j["request_id"].get<std::string>()); });
  EXPECT_EQ(ids.size(), 40u);
  for (const auto& id : ids) EXPECT_EQ(ids.count(id), 1u) << id << " was asked twice";
  EXPECT_EQ(LoadResults(dir + "/runs")["results"], clean["results"]);
}

TEST(RunReplay, ScoreRescoresWithoutInference) {
  auto dir = testing::TempDir("e2e-score");
  auto answers = WriteAnswers(dir);
  std::string log;
  ASSERT_EQ(RunCommand(RunCmd(dir + "/runs", answers), &log), 0) << log;
  auto before = LoadResults(dir + "/runs");
  fs::remove(dir + "/runs/demo/run_0/results.json");
  fs::remove(answers);  // no backend needed
  ASSERT_EQ(RunCommand(BhasaBinary() + " score " + dir + "/runs/demo/run_0", &log), 0) << log;
  EXPECT_EQ(LoadResults(dir + "/runs")["results"], before["results"]);
}

TEST(RunReplay, MissingAnswersAreFailedRecordsAndExitCodeFour) {
  auto dir = testing::TempDir("e2e-missing");
  std::ofstream(dir + "/answers.jsonl") << R"({"id": "sentiment/id/id-s00/t1", "response": "Jawaban: Positif"})" << "\n";
  std::string log;
  EXPECT_EQ(RunCommand(RunCmd(dir + "/runs", dir + "/answers.jsonl", "--languages id"), &log), 4) << log;
  auto rows = ReadJsonlAll(dir + "/runs/demo/run_0/inferences/id/sentiment/demo_sentiment_id.jsonl");
  EXPECT_EQ(rows[0]["status"], "ok");
  EXPECT_EQ(rows[1]["status"], "failed");
  EXPECT_EQ(LoadResults(dir + "/runs")["results"]["id"]["nlu"]["sentiment"]["failed_count"], 9);
}

TEST(RunReplay, BadInputGivesClearErrors) {
  auto dir = testing::TempDir("e2e-bad");
  std::string log;
  std::ofstream(dir + "/a.jsonl") << "{\"id\": \"x\", \"response\": \"y\"}\n";
  EXPECT_EQ(RunCommand(BhasaBinary() + " run --replay " + dir + "/a.jsonl --tasks nosuch --output " + dir, &log), 2);
  EXPECT_NE(log.find("unknown task 'nosuch' (valid:"), std::string::npos) << log;
  EXPECT_NE(log.find("sentiment"), std::string::npos) << log;

  EXPECT_EQ(RunCommand(RunCmd(dir, dir + "/a.jsonl", "--languages xx"), &log), 2);
  EXPECT_NE(log.find("unknown language 'xx' (valid:"), std::string::npos) << log;

  EXPECT_EQ(RunCommand(RunCmd(dir, dir + "/nope.jsonl"), &log), 2);
  EXPECT_NE(log.find("nope.jsonl: no such file"), std::string::npos) << log;

  std::ofstream(dir + "/bad.jsonl") << "{\"id\": \"x\", \"response\": \"y\"}\n{oops\n";
  EXPECT_EQ(RunCommand(RunCmd(dir, dir + "/bad.jsonl"), &log), 2);
  EXPECT_NE(log.find("bad.jsonl:2: malformed JSON"), std::string::npos) << log;

  // A data dir whose rows lack a column: the error names file, line and column.
  fs::create_directories(dir + "/data/sentiment/id");
  std::ofstream(dir + "/data/sentiment/id/test.jsonl") << R"({"id": "1", "label": "Positif", "prompts": [{"txt": "a"}]})"
                                                       << "\n";
  EXPECT_EQ(RunCommand(RunCmd(dir, dir + "/a.jsonl", "--languages id --data-dir " + dir + "/data"), &log), 2);
  EXPECT_NE(log.find("test.jsonl:1: row '1': missing column 'prompts[0].text'"), std::string::npos) << log;

  std::ofstream(dir + "/data/sentiment/id/test.jsonl") << R"({"id": "1", "label": "Bagus", "prompts": [{"text": "a"}]})"
                                                       << "\n";
  EXPECT_EQ(RunCommand(RunCmd(dir, dir + "/a.jsonl", "--languages id --data-dir " + dir + "/data"), &log), 2);
  EXPECT_NE(log.find("gold label 'Bagus'"), std::string::npos) << log;
  EXPECT_NE(log.find("Positif, Negatif, Netral"), std::string::npos) << log;
}

TEST(Cli, VersionHelpAndExitCodes) {
  std::string log;
  EXPECT_EQ(RunCommand(BhasaBinary() + " --version", &log), 0);
  EXPECT_NE(log.find("bhasa "), std::string::npos);
  EXPECT_EQ(RunCommand(BhasaBinary() + " run --help", &log), 0);
  EXPECT_NE(log.find("--model-kind"), std::string::npos);
  EXPECT_EQ(RunCommand(BhasaBinary() + " nosuch", &log), 2);
  EXPECT_EQ(RunCommand(BhasaBinary() + " tasks", &log), 0);
  EXPECT_NE(log.find("sentiment"), std::string::npos);
}

}  // namespace
}  // namespace bhasa

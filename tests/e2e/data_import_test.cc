// `bhasa data check` and `bhasa data import` on a Hugging Face hub cache
// holding SEA-HELM-shaped parquet (written by arrow-rs), and on a broken one.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/fs.h"
#include "common/jsonl.h"
#include "tests/tasks/parquet_fixture.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

namespace fs = std::filesystem;
using testing::BhasaBinary;
using testing::RunCommand;
using testing::TempDir;

TEST(DataImport, HubCacheParquetToJsonlLayout) {
  BHASA_REQUIRE_PARQUET_FIXTURES(fixtures);
  const std::string hub = TempDir("import-hub"), out = TempDir("import-out");
  fs::copy(fixtures + "/hub", hub, fs::copy_options::recursive);
  std::string log;
  ASSERT_EQ(RunCommand(BhasaBinary() + " data check --data-dir " + hub + " --tasks sentiment --languages id,th", &log), 0)
      << log;
  EXPECT_NE(log.find("90 row(s) checked: 0 problem(s)"), std::string::npos) << log;
  ASSERT_EQ(RunCommand(BhasaBinary() + " data import " + hub + " --tasks sentiment --out " + out, &log), 0) << log;
  EXPECT_NE(log.find("sentiment/th: 45 test rows, 5 examples from hub cache aisingapore/NLU-Sentiment-Analysis"),
            std::string::npos) << log;
  EXPECT_NE(log.find("sentiment/vi: no data"), std::string::npos) << log;
  const auto rows = ReadJsonlAll(out + "/sentiment/id/test.jsonl");
  ASSERT_EQ(rows.size(), 45u);
  EXPECT_EQ(rows[0], nlohmann::json::parse(R"({"id":"id-0","label":"Positif","metadata":{"language":"id"},
      "prompts":[{"text":"Kalimat nomor 0: layanan ini buruk sekali."}]})"));
  EXPECT_EQ(ReadJsonlAll(out + "/sentiment/th/examples.jsonl").size(), 5u);
  // The imported layout checks clean too.
  ASSERT_EQ(RunCommand(BhasaBinary() + " data check --data-dir " + out + " --tasks sentiment --languages id,th", &log), 0)
      << log;
}

// `bhasa run` evaluates the hub cache's parquet rows: all 45 Indonesian rows
// at the revision pinned, scored from replayed answers (every one correct).
TEST(DataImport, RunReadsTheHubCacheAtARevision) {
  BHASA_REQUIRE_PARQUET_FIXTURES(fixtures);
  const std::string hub = TempDir("run-hub"), dir = TempDir("run-out");
  fs::copy(fixtures + "/hub", hub, fs::copy_options::recursive);
  // refs/main points elsewhere; --data-revision selects the fixture's snapshot.
  const fs::path base = fs::path(hub) / "datasets--aisingapore--NLU-Sentiment-Analysis";
  std::ofstream(base / "refs/main") << "ffffffffffffffffffffffffffffffffffffffff";
  std::ofstream answers(dir + "/answers.jsonl");
  const char* labels[] = {"Positif", "Negatif", "Netral"};
  for (int i = 0; i < 45; ++i)
    answers << nlohmann::json({{"id", "sentiment/id/id-" + std::to_string(i) + "/t1"},
                               {"response", std::string("Jawaban: ") + labels[i % 3]}}).dump() << "\n";
  answers.close();
  const std::string cmd = BhasaBinary() + " run --backend replay --replay " + dir + "/answers.jsonl --tasks sentiment" +
                          " --languages id --model-name demo --output " + dir + "/runs --data-dir " + hub;
  std::string log;
  EXPECT_NE(RunCommand(cmd, &log), 0) << "refs/main names a missing snapshot: " << log;
  EXPECT_NE(log.find("refs/main: names snapshot ffff"), std::string::npos) << log;
  ASSERT_EQ(RunCommand(cmd + " --data-revision 0123456789abcdef0123456789abcdef01234567", &log), 0) << log;
  const auto doc = nlohmann::json::parse(ReadFile(dir + "/runs/demo/run_0/results.json"));
  EXPECT_NEAR(doc["results"]["id"]["nlu"]["sentiment"]["normalized_accuracy"].get<double>(), 100, 1e-9) << doc.dump();
  EXPECT_EQ(ReadJsonlAll(dir + "/runs/demo/run_0/inferences/id/sentiment/demo_sentiment_id.jsonl").size(), 45u);
}

TEST(DataImport, SeaHelmConfigsFindTheirFilepathInTheHubCache) {
  BHASA_REQUIRE_SHARED("seahelm/seahelm_tasks");
  BHASA_REQUIRE_PARQUET_FIXTURES(fixtures);
  std::string log;
  ASSERT_EQ(RunCommand(BhasaBinary() + " data check --tasks-dir " + testing::SharedDir() +
                           "/seahelm/seahelm_tasks --data-dir " + fixtures + "/hub --tasks sentiment --languages id,th",
                       &log), 0) << log;
  EXPECT_NE(log.find("90 row(s) checked: 0 problem(s)"), std::string::npos) << log;
}

TEST(DataImport, BrokenParquetIsOneProblemNamingTheFile) {
  BHASA_REQUIRE_PARQUET_FIXTURES(fixtures);
  const std::string hub = TempDir("broken-hub");
  fs::copy(fixtures + "/hub", hub, fs::copy_options::recursive);
  fs::path shard;
  for (const auto& e : fs::recursive_directory_iterator(hub))
    if (e.path().filename() == "eval-00001-of-00002.parquet" && e.path().parent_path().filename() == "id") shard = e.path();
  ASSERT_FALSE(shard.empty());
  fs::resize_file(shard, fs::file_size(shard) - 100);  // cut into the footer
  std::string log;
  EXPECT_EQ(RunCommand(BhasaBinary() + " data check --data-dir " + hub + " --tasks sentiment --languages id", &log), 2)
      << log;
  EXPECT_NE(log.find(shard.string() + ": bad magic at the end"), std::string::npos) << log;
  EXPECT_EQ(RunCommand(BhasaBinary() + " data import " + hub + " --tasks sentiment --languages id --out " +
                       TempDir("broken-out"), &log), 2) << log;
  EXPECT_NE(log.find(shard.string()), std::string::npos) << log;
}

}  // namespace
}  // namespace bhasa

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

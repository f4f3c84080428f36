// End-to-end: `bhasa run` with the native backend on a tiny random model and
// the bundled samples; the provenance recorded in results.json; resume.
#include <filesystem>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/sha256.h"
#include "tests/e2e/tiny_model.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

namespace fs = std::filesystem;
using testing::BhasaBinary;
using testing::RunCommand;
using testing::TinyModel;

TEST(RunNative, RecordsProvenanceAndResumes) {
  const auto out = testing::TempDir("run-native");
  const std::string cmd = "BHASA_PROGRESS=lines " + BhasaBinary() + " run --model " + TinyModel() +
                          " --tasks sentiment,causal --languages id --limit 2 --threads 1 --output " + out;
  std::string log;
  ASSERT_EQ(RunCommand(cmd, &log), 0) << log;

  // The folder is named after the model file without its extension.
  const std::string run_dir = out + "/tiny-Q8_0/run_0";
  ASSERT_TRUE(fs::exists(run_dir + "/results.json")) << log;
  EXPECT_FALSE(fs::exists(out + "/tiny-Q8_0.gguf"));

  // Progress lines (stderr is not a terminal here), the sample-data warning, the summary.
  EXPECT_NE(log.find("bhasa: model round 1: 0/4 (0%), 0.0/s, ETA --, 0 failed"), std::string::npos) << log;
  EXPECT_NE(log.find("bhasa: model round 1: 4/4 (100%)"), std::string::npos) << log;
  EXPECT_NE(log.find("warning: evaluating on the bundled sample data"), std::string::npos) << log;
  EXPECT_TRUE(std::regex_search(log, std::regex("lang +competency +task +score +failed +null\n"))) << log;
  EXPECT_TRUE(std::regex_search(log, std::regex("id +nlu +sentiment +[0-9.]+ +0 +[0-9]+\n"))) << log;
  EXPECT_TRUE(std::regex_search(log, std::regex("elapsed: [0-9]+\\.[0-9] s\n"))) << log;
  EXPECT_NE(log.find("model: " + TinyModel() + " (native backend: sha256 " + Sha256File(TinyModel()).substr(0, 16) +
                     ", q8_0, "),
            std::string::npos)
      << log;
  EXPECT_TRUE(std::regex_search(log, std::regex("data: .*/data/samples \\(2 files, the bundled samples\\)\n"))) << log;
  EXPECT_TRUE(std::regex_search(log, std::regex("tokens: [0-9]+ prompt, [0-9]+ generated \\([0-9.]+ generated/s\\)\n")))
      << log;

  const auto doc = nlohmann::json::parse(ReadFile(run_dir + "/results.json"));
  const auto& meta = doc["meta"];
  EXPECT_EQ(meta["bhasa_version"], doc["bhasa_version"]);
  EXPECT_EQ(meta["backend"]["backend"], "native");
  EXPECT_EQ(meta["backend"]["sha256"], Sha256File(TinyModel()));
  EXPECT_EQ(meta["backend"]["quantization"], "q8_0");
  EXPECT_FALSE(meta["backend"]["chat_template"].get<std::string>().empty());
  EXPECT_EQ(meta["run"]["limit"], 2);
  EXPECT_EQ(meta["run"]["seed"], 1234);

  const auto& data = meta["data"];
  EXPECT_EQ(data["bundled_samples"], true);
  ASSERT_EQ(data["files"].size(), 2u) << data.dump(2);
  EXPECT_EQ(data["files"][0]["path"], "causal/id/test.jsonl");
  EXPECT_EQ(data["files"][1]["path"], "sentiment/id/test.jsonl");
  const std::string sentiment = data["dir"].get<std::string>() + "/sentiment/id/test.jsonl";
  EXPECT_EQ(data["files"][1]["sha256"], Sha256File(sentiment));
  EXPECT_EQ(data["files"][1]["rows"], 10);

  for (const char* task : {"sentiment", "causal"}) {
    const auto& d = meta["decoding"][task]["id"];
    EXPECT_EQ(d["seed"], 1234) << task;
    EXPECT_GT(d["max_tokens"].get<int>(), 0) << task;
  }
  const auto& timing = meta["timing"];
  EXPECT_TRUE(std::regex_match(timing["started_at"].get<std::string>(),
                               std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")));
  EXPECT_GE(timing["finished_at"].get<std::string>(), timing["started_at"].get<std::string>());
  EXPECT_GT(timing["elapsed_seconds"].get<double>(), 0);
  const auto& tokens = meta["tokens"];
  EXPECT_GT(tokens["prompt"].get<long long>(), 4 * 50);
  EXPECT_GT(tokens["generated"].get<long long>(), 0);
  EXPECT_GT(tokens["generated_per_second"].get<double>(), 0);
  const auto first = doc["results"];

  // The model hash is cached in the run directory for the next resume.
  const auto cache = nlohmann::json::parse(ReadFile(run_dir + "/file_hashes.json"));
  EXPECT_EQ(cache["files"][fs::absolute(TinyModel()).lexically_normal().string()]["sha256"], Sha256File(TinyModel()));

  // Resumed: nothing asked again, same scores, tokens counted over this invocation only.
  ASSERT_EQ(RunCommand(cmd, &log), 0) << log;
  EXPECT_NE(log.find("requests: 4 from the journal, 0 asked, 0 failed"), std::string::npos) << log;
  const auto again = nlohmann::json::parse(ReadFile(run_dir + "/results.json"));
  EXPECT_EQ(again["results"], first);
  EXPECT_EQ(again["meta"]["tokens"]["generated"], 0);
  EXPECT_EQ(again["meta"]["backend"]["sha256"], meta["backend"]["sha256"]);
  EXPECT_EQ(again["meta"]["decoding"], meta["decoding"]);

  // Re-scoring keeps the recorded backend, model hash included.
  ASSERT_EQ(RunCommand(BhasaBinary() + " score " + run_dir, &log), 0) << log;
  const auto rescored = nlohmann::json::parse(ReadFile(run_dir + "/results.json"));
  EXPECT_EQ(rescored["results"], first);
  EXPECT_EQ(rescored["meta"]["backend"]["sha256"], Sha256File(TinyModel()));
  EXPECT_EQ(rescored["meta"]["backend"]["rescored"], true);
  EXPECT_EQ(rescored["meta"]["data"], meta["data"]);
}

TEST(RunNative, OwnDataDirIsNotTheSamples) {
  const auto dir = testing::TempDir("run-native-data");
  fs::create_directories(dir + "/data/sentiment/id");
  fs::copy_file(testing::SourceDir() + "/data/samples/sentiment/id/test.jsonl", dir + "/data/sentiment/id/test.jsonl");
  std::string log;
  ASSERT_EQ(RunCommand(BhasaBinary() + " run --model " + TinyModel() + " --model-name tiny --tasks sentiment --languages id" +
                           " --limit 1 --threads 1 --data-dir " + dir + "/data --output " + dir + "/runs",
                       &log),
            0)
      << log;
  EXPECT_EQ(log.find("bundled sample data"), std::string::npos) << log;
  const auto doc = nlohmann::json::parse(ReadFile(dir + "/runs/tiny/run_0/results.json"));
  EXPECT_EQ(doc["meta"]["data"]["bundled_samples"], false);
  EXPECT_EQ(doc["meta"]["data"]["files"][0]["rows"], 10);  // the file's rows, not --limit's
}

}  // namespace
}  // namespace bhasa

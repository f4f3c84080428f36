// Provenance: the file hash cache, model digests (GGUF and safetensors
// directories), data file hashes and row counts, the bundled-samples check.
#include "harness/provenance.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/sha256.h"
#include "harness/home.h"
#include "tasks/task.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

namespace fs = std::filesystem;

void Write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

TEST(FileHashCache, RemembersHashesAcrossInstancesUntilTheFileChanges) {
  const auto dir = testing::TempDir("hashes");
  const std::string file = dir + "/model.gguf", cache = dir + "/run/file_hashes.json";
  Write(file, "weights v1");
  fs::create_directories(dir + "/run");
  {
    FileHashCache c(cache);
    EXPECT_EQ(c.Sha256(file), Sha256Hex("weights v1"));
    EXPECT_EQ(c.computed(), 1);
    c.Save();
  }
  ASSERT_TRUE(fs::exists(cache));
  {
    FileHashCache c(cache);  // a resumed run: same size and mtime, nothing rehashed
    EXPECT_EQ(c.Sha256(file), Sha256Hex("weights v1"));
    EXPECT_EQ(c.computed(), 0);
  }
  Write(file, "weights v22");  // a different size: rehashed
  FileHashCache c(cache);
  EXPECT_EQ(c.Sha256(file), Sha256Hex("weights v22"));
  EXPECT_EQ(c.computed(), 1);
}

TEST(FileHashCache, IgnoresAMalformedCacheFile) {
  const auto dir = testing::TempDir("hashes");
  Write(dir + "/f", "x");
  Write(dir + "/cache.json", "{not json");
  FileHashCache c(dir + "/cache.json");
  EXPECT_EQ(c.Sha256(dir + "/f"), Sha256Hex("x"));
}

TEST(FileHashCache, AnEntryOfWrongTypesIsAMiss) {
  const auto dir = testing::TempDir("hashes");
  Write(dir + "/f", "x");
  const std::string key = fs::absolute(dir + "/f").lexically_normal().string();
  Write(dir + "/cache.json", nlohmann::json{{"files", {{key, {{"size", "1"}, {"mtime_ns", "0"}, {"sha256", 5}}}}}}.dump());
  FileHashCache c(dir + "/cache.json");
  EXPECT_EQ(c.Sha256(dir + "/f"), Sha256Hex("x"));
  EXPECT_EQ(c.computed(), 1);
}

TEST(FileHashCache, NamesAMissingFile) {
  FileHashCache c("");
  try {
    c.Sha256("/nonexistent/model.gguf");
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.gguf"), std::string::npos) << e.what();
  }
}

TEST(ModelDigest, SafetensorsDirectoryHashesIndexAndShardsInNameOrder) {
  const auto dir = testing::TempDir("st");
  Write(dir + "/model-00002-of-00002.safetensors", "shard two");
  Write(dir + "/model-00001-of-00002.safetensors", "shard one");
  Write(dir + "/model.safetensors.index.json", "{}");
  Write(dir + "/config.json", "{\"ignored\": true}");
  FileHashCache c("");
  const auto d = ModelDigest(dir, c);
  const std::string manifest = Sha256Hex("shard one") + "  model-00001-of-00002.safetensors\n" +
                               Sha256Hex("shard two") + "  model-00002-of-00002.safetensors\n" + Sha256Hex("{}") +
                               "  model.safetensors.index.json\n";
  EXPECT_EQ(d["sha256"], Sha256Hex(manifest));
  ASSERT_EQ(d["files"].size(), 3u);
  EXPECT_EQ(d["files"][0]["path"], "model-00001-of-00002.safetensors");
  EXPECT_EQ(ModelDigest(dir + "/config.json", c)["sha256"], Sha256Hex("{\"ignored\": true}"));
}

TEST(DataProvenance, SortedRelativePathsWithHashesAndRowCounts) {
  const auto dir = testing::TempDir("data");
  Write(dir + "/sentiment/id/test.jsonl", "{\"id\": 1}\n{\"id\": 2}\n\n{\"id\": 3}\n");
  Write(dir + "/causal/id/test.jsonl", "{\"id\": 1}\n");
  FileHashCache c("");
  const auto d = DataProvenance(dir, {dir + "/sentiment/id/test.jsonl", dir + "/causal/id/test.jsonl"}, c);
  EXPECT_EQ(d["dir"], dir);
  EXPECT_EQ(d["bundled_samples"], false);
  ASSERT_EQ(d["files"].size(), 2u);
  EXPECT_EQ(d["files"][0]["path"], "causal/id/test.jsonl");
  EXPECT_EQ(d["files"][0]["rows"], 1);
  EXPECT_EQ(d["files"][1]["path"], "sentiment/id/test.jsonl");
  EXPECT_EQ(d["files"][1]["rows"], 3);  // the blank line is not a row
  EXPECT_EQ(d["files"][1]["sha256"], Sha256Hex("{\"id\": 1}\n{\"id\": 2}\n\n{\"id\": 3}\n"));
}

TEST(DataProvenance, RecognizesTheBundledSamples) {
  EXPECT_TRUE(IsBundledSamples(DefaultDataDir()));
  EXPECT_TRUE(IsBundledSamples(DefaultDataDir() + "/"));
  EXPECT_FALSE(IsBundledSamples(testing::TempDir("data")));
}

TEST(DataFilesRead, ALogprobTaskWithoutRowsOfItsOwnReadsItsFamilyTasks) {
  const auto cat = tasks::LoadCatalog(testing::SourceDir() + "/tasks");
  const std::string samples = testing::SourceDir() + "/data/samples";
  tasks::TaskContext ctx;
  ctx.data_dir = samples;
  auto task = tasks::MakeTask(cat.Get("sentiment-logprobs"), "id", ctx);
  EXPECT_EQ(DataFilesRead({task.get()}, samples, false), std::vector<std::string>{samples + "/sentiment/id/test.jsonl"});
  // Rows of its own come first.
  const auto dir = testing::TempDir("own-rows");
  Write(dir + "/sentiment-logprobs/id/test.jsonl", "{\"id\": 1}\n");
  EXPECT_EQ(DataFilesRead({task.get()}, dir, false), std::vector<std::string>{dir + "/sentiment-logprobs/id/test.jsonl"});
}

TEST(AddProvenance, AMissingFileIsRecordedNotThrown) {
  const auto dir = testing::TempDir("prov");
  nlohmann::json meta = {{"backend", {{"backend", "native"}, {"model_file", dir + "/gone.gguf"}}}};
  PipelineStats stats;
  stats.generated_tokens = 10;
  stats.backend_seconds = 2;
  stats.decoding["sentiment"]["id"] = {{"max_tokens", 32}, {"seed", 1234}};
  FileHashCache c(dir + "/file_hashes.json");
  AddProvenance(meta, dir, {dir + "/sentiment/id/test.jsonl"}, stats, RunClock{}, c);
  EXPECT_FALSE(meta["backend"].contains("sha256"));
  EXPECT_NE(meta["backend"]["sha256_error"].get<std::string>().find("gone.gguf"), std::string::npos);
  EXPECT_NE(meta["data"]["error"].get<std::string>().find("test.jsonl"), std::string::npos);
  EXPECT_EQ(meta["decoding"], stats.decoding);
  EXPECT_EQ(meta["tokens"]["generated_per_second"], 5.0);
  EXPECT_EQ(meta["bhasa_version"], BHASA_VERSION);
}

TEST(IsoUtc, FormatsSecondsInUtc) {
  EXPECT_EQ(IsoUtc(std::chrono::system_clock::from_time_t(0)), "1970-01-01T00:00:00Z");
}

}  // namespace
}  // namespace bhasa

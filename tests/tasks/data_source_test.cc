// Finding a task's rows offline: our JSONL layout first, then SEA-HELM's
// `filepath` as a local path, a dataset folder, or a Hugging Face hub cache
// snapshot (refs/main, --data-revision, refs/convert/parquet), with the
// parquet fixtures that arrow-rs wrote in the hub cache layout.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fs.h"
#include "tasks/csv_reader.h"
#include "tasks/data_files.h"
#include "tasks/data_source.h"
#include "tasks/dataset.h"
#include "tasks/task.h"
#include "tasks/task_config.h"
#include "tests/tasks/parquet_fixture.h"

namespace bhasa::tasks {
namespace {

namespace fs = std::filesystem;
using testing::SourceDir;
using testing::TempDir;

constexpr const char* kRepo = "aisingapore/NLU-Sentiment-Analysis";
constexpr const char* kCacheFolder = "datasets--aisingapore--NLU-Sentiment-Analysis";
constexpr const char* kRevision = "0123456789abcdef0123456789abcdef01234567";

// Our sentiment task as SEA-HELM's config names its data.
TaskConfig SentimentWithFilepath() {
  static const TaskCatalog cat = LoadCatalog(SourceDir() + "/tasks");
  TaskConfig c = cat.Get("sentiment");
  for (auto& [lang, lc] : c.languages) lc.filepath = lc.example_filepath = kRepo;
  return c;
}

// A private copy of the fixture hub cache (tests modify it).
std::string CopyHub(const std::string& fixtures, const std::string& tag) {
  const std::string dir = TempDir(tag);
  fs::copy(fixtures + "/hub", dir, fs::copy_options::recursive);
  return dir;
}

void Write(const fs::path& p, const std::string& body) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << body;
}

TEST(DataSource, HubCacheSnapshotFromRefsMain) {
  BHASA_REQUIRE_PARQUET_FIXTURES(fixtures);
  const std::string hub = CopyHub(fixtures, "hub-main");
  const DataOptions opts{hub, ""};
  auto test = LocateSplit(SentimentWithFilepath(), "id", Split::kTest, opts, nullptr);
  ASSERT_TRUE(test);
  ASSERT_EQ(test->files.size(), 2u);  // both shards, in order
  EXPECT_NE(test->files[0].find(std::string(kRevision) + "/id/eval-00000-of-00002.parquet"), std::string::npos);
  const auto rows = LoadRows(*test, SchemaFor(SentimentWithFilepath(), "id"));
  ASSERT_EQ(rows.size(), 45u);
  EXPECT_EQ(rows[44]["id"], "id-44");
  EXPECT_EQ(rows[1]["label"], "Negatif");
  EXPECT_EQ(rows[1]["metadata"]["language"], "id");
  EXPECT_EQ(rows[1]["prompts"][0]["text"], "Kalimat nomor 1: layanan ini bagus sekali.");
  auto ex = LocateSplit(SentimentWithFilepath(), "th", Split::kExamples, opts, nullptr);
  ASSERT_TRUE(ex);
  EXPECT_EQ(LoadRows(*ex, SchemaFor(SentimentWithFilepath(), "th")).size(), 5u);
  std::vector<DataProblem> problems;
  EXPECT_EQ(CheckTaskData(SentimentWithFilepath(), "th", opts, problems), 45u);
  EXPECT_TRUE(problems.empty()) << problems[0].Format();
}

// A run's task, from our YAML (whose `filepath` names SEA-HELM's dataset),
// on the hub cache: test rows and five-shot examples come from the parquet.
TEST(DataSource, TasksLoadFromTheHubCache) {
  BHASA_REQUIRE_PARQUET_FIXTURES(fixtures);
  const TaskCatalog cat = LoadCatalog(SourceDir() + "/tasks");
  TaskContext ctx;
  ctx.data_dir = CopyHub(fixtures, "hub-task");
  ctx.kind = ModelKind::kBase;
  auto task = MakeTask(cat.Get("sentiment"), "th", ctx);
  const auto requests = task->Requests(0, {});
  ASSERT_EQ(requests.size(), 45u);
  EXPECT_EQ(requests[0].id, "sentiment/th/th-0/t1");
  std::string text = requests[0].prompt.value_or("");
  for (const auto& m : requests[0].messages) text += m.content;
  EXPECT_NE(text.find("Kalimat nomor 4:"), std::string::npos) << text;  // the fifth shot
}

TEST(DataSource, RevisionsRefsAndTheParquetConversion) {
  BHASA_REQUIRE_PARQUET_FIXTURES(fixtures);
  const std::string hub = CopyHub(fixtures, "hub-rev");
  const fs::path base = fs::path(hub) / kCacheFolder;
  const fs::path old_snap = base / "snapshots" / kRevision;
  // A second snapshot with only the first shard; refs/main moves to it.
  const std::string newer = "1111111111111111111111111111111111111111";
  fs::create_directories(base / "snapshots" / newer / "id");
  fs::copy(old_snap / "id/eval-00000-of-00002.parquet", base / "snapshots" / newer / "id/eval-00000-of-00001.parquet");
  Write(base / "refs/main", newer);
  auto main = LocateSplit(SentimentWithFilepath(), "id", Split::kTest, {hub, ""}, nullptr);
  ASSERT_TRUE(main);
  EXPECT_EQ(main->files.size(), 1u);
  auto pinned = LocateSplit(SentimentWithFilepath(), "id", Split::kTest, {hub, kRevision}, nullptr);
  ASSERT_TRUE(pinned);
  EXPECT_EQ(pinned->files.size(), 2u);
  // A ref name works as a revision too; an unknown revision finds nothing.
  Write(base / "refs/v1", kRevision);
  EXPECT_EQ(LocateSplit(SentimentWithFilepath(), "id", Split::kTest, {hub, "v1"}, nullptr)->files.size(), 2u);
  std::vector<std::string> tried;
  EXPECT_FALSE(LocateSplit(SentimentWithFilepath(), "id", Split::kTest, {hub, "nope"}, &tried));
  EXPECT_NE(tried.back().find("at revision nope"), std::string::npos) << tried.back();
  // The hub's refs/convert/parquet branch: <config>/<split>/NNNN.parquet.
  const std::string conv = "2222222222222222222222222222222222222222";
  fs::create_directories(base / "snapshots" / conv / "th/eval");
  fs::copy(old_snap / "th/eval-00001-of-00002.parquet", base / "snapshots" / conv / "th/eval/0000.parquet");
  Write(base / "refs/refs/convert/parquet", conv);
  fs::remove_all(old_snap / "th");
  auto converted = LocateSplit(SentimentWithFilepath(), "th", Split::kTest, {hub, ""}, nullptr);
  ASSERT_TRUE(converted);
  EXPECT_NE(converted->files[0].find(conv + "/th/eval/0000.parquet"), std::string::npos);
}

TEST(DataSource, EnvironmentHubCachesAndLocalDownloads) {
  BHASA_REQUIRE_PARQUET_FIXTURES(fixtures);
  const std::string hub = CopyHub(fixtures, "hub-env");
  const std::string empty = TempDir("data-empty");
  ::setenv("HF_HUB_CACHE", hub.c_str(), 1);
  auto found = LocateSplit(SentimentWithFilepath(), "id", Split::kTest, {empty, ""}, nullptr);
  ::unsetenv("HF_HUB_CACHE");
  ASSERT_TRUE(found);
  EXPECT_NE(found->origin.find("hub cache"), std::string::npos);
  // HF_HOME/hub.
  const std::string home = TempDir("hf-home");
  fs::rename(hub, home + "/hub");
  ::setenv("HF_HOME", home.c_str(), 1);
  EXPECT_TRUE(LocateSplit(SentimentWithFilepath(), "id", Split::kTest, {empty, ""}, nullptr));
  ::unsetenv("HF_HOME");
  // `huggingface-cli download --local-dir DIR/aisingapore/NLU-Sentiment-Analysis`, data/ layout.
  const fs::path local = fs::path(empty) / kRepo / "data/id";
  fs::create_directories(local);
  fs::copy(fs::path(home) / "hub" / kCacheFolder / "snapshots" / kRevision / "id/eval-00001-of-00002.parquet",
           local / "eval-00000-of-00001.parquet");
  auto downloaded = LocateSplit(SentimentWithFilepath(), "id", Split::kTest, {empty, ""}, nullptr);
  ASSERT_TRUE(downloaded);
  EXPECT_EQ(LoadRows(*downloaded, SchemaFor(SentimentWithFilepath(), "id")).size(), 15u);
  // Our JSONL layout wins over everything.
  Write(fs::path(empty) / "sentiment/id/test.jsonl",
        R"({"id": "j1", "label": "Positif", "prompts": [{"text": "x"}]})" "\n");
  auto ours = LocateSplit(SentimentWithFilepath(), "id", Split::kTest, {empty, ""}, nullptr);
  ASSERT_TRUE(ours);
  EXPECT_EQ(ours->files, std::vector<std::string>{empty + "/sentiment/id/test.jsonl"});
}

// The dataset card's `configs:` names the files, whatever their layout.
TEST(DataSource, DatasetCardConfigsNameTheFiles) {
  BHASA_REQUIRE_PARQUET_FIXTURES(fixtures);
  const std::string dir = TempDir("card");
  const fs::path repo = fs::path(dir) / kRepo;
  const fs::path snap = fs::path(fixtures) / "hub" / kCacheFolder / "snapshots" / kRevision;
  fs::create_directories(repo / "parquet/indonesian");
  fs::copy(snap / "id/eval-00001-of-00002.parquet", repo / "parquet/indonesian/test_part2.parquet");
  fs::copy(snap / "id/eval-00000-of-00002.parquet", repo / "parquet/indonesian/test_part1.parquet");
  fs::copy(snap / "id/examples-00000-of-00001.parquet", repo / "parquet/indonesian/shots.parquet");
  Write(repo / "README.md", "---\nlicense: cc-by-sa-4.0\nconfigs:\n- config_name: th\n  data_files: th/*.parquet\n"
                            "- config_name: id\n  data_files:\n  - split: eval\n    path: parquet/indonesian/test_*\n"
                            "  - split: examples\n    path: [parquet/indonesian/shots.parquet]\n---\n# Card\n");
  auto test = LocateSplit(SentimentWithFilepath(), "id", Split::kTest, {dir, ""}, nullptr);
  ASSERT_TRUE(test);
  ASSERT_EQ(test->files.size(), 2u);
  EXPECT_NE(test->files[0].find("test_part1"), std::string::npos);
  EXPECT_EQ(LoadRows(*test, SchemaFor(SentimentWithFilepath(), "id")).size(), 45u);
  auto ex = LocateSplit(SentimentWithFilepath(), "id", Split::kExamples, {dir, ""}, nullptr);
  ASSERT_TRUE(ex);
  EXPECT_EQ(ex->files.size(), 1u);
  // A config the card maps only to `train` has no eval split.
  EXPECT_FALSE(LocateSplit(SentimentWithFilepath(), "th", Split::kTest, {dir, ""}, nullptr));
}

TEST(DataSource, MissingDataListsEveryPlaceLookedAt) {
  const std::string empty = TempDir("data-none");
  ::setenv("HF_HUB_CACHE", empty.c_str(), 1);
  std::string msg;
  try {
    LoadTaskSplit(SentimentWithFilepath(), "id", Split::kTest, {empty, ""}, SchemaFor(SentimentWithFilepath(), "id"));
  } catch (const Error& e) {
    msg = e.what();
  }
  ::unsetenv("HF_HUB_CACHE");
  EXPECT_NE(msg.find(empty + "/sentiment/id/test.jsonl"), std::string::npos) << msg;
  EXPECT_NE(msg.find(std::string(kRepo) + " in the hub caches"), std::string::npos) << msg;
}

TEST(DataSource, SeaHelmConfigNamesAndLocalFilepaths) {
  EXPECT_EQ(HubConfigName("sentiment", "th"), "th");
  EXPECT_EQ(HubConfigName("translation-en-xx", "vi"), "en_to_vi");
  EXPECT_EQ(HubConfigName("translation-xx-en", "ta"), "ta_to_en");
  EXPECT_EQ(HubConfigName("translation-xx-id", "jv"), "jv_to_id");
  // SEA-HELM's local JSONL filepath (qa-mc), relative to the data dir.
  const std::string dir = TempDir("local-filepath");
  Write(fs::path(dir) / "seahelm_tasks/x/data/id.jsonl", R"({"id": "a", "label": "Positif", "prompts": [{"text": "t"}]})" "\n");
  TaskConfig c = SentimentWithFilepath();
  c.languages.at("id").filepath = "seahelm_tasks/x/data/id.jsonl";
  auto found = LocateSplit(c, "id", Split::kTest, {dir, ""}, nullptr);
  ASSERT_TRUE(found);
  EXPECT_EQ(LoadRows(*found, SchemaFor(c, "id")).size(), 1u);
}

// SEA-HELM loads google/IFEval with load_dataset(filepath, split="train"): a
// repo without configs whose one data file names no split, rows in Google's
// own shape, mapped as SEA-HELM's dataloader maps them.
TEST(DataSource, GoogleIfevalTrainSplitFromTheHubCache) {
  const std::string cache = TempDir("hub-ifeval");
  const fs::path base = fs::path(cache) / "datasets--google--IFEval";
  const std::string rev = "966cd89545d6b6acfd7638bc708b98261ca58e84";
  Write(base / "refs/main", rev);
  Write(base / "snapshots" / rev / "README.md", "---\nlicense: apache-2.0\npretty_name: IFEval\n---\n# IFEval\n");
  Write(base / "snapshots" / rev / "ifeval_input_data.jsonl",
        R"({"key": 1000, "prompt": "Write a haiku.", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{"num_words": null}]})" "\n"
        R"({"key": 1174, "prompt": "Use the letter l.", "instruction_id_list": ["keywords:letter_frequency"], "kwargs": [{"letter": "l", "let_frequency": 6, "let_relation": "less than"}]})" "\n");
  const TaskCatalog cat = LoadCatalog(SourceDir() + "/tasks");
  const TaskConfig config = cat.Get("ifeval");
  auto found = LocateSplit(config, "en", Split::kTest, {cache, ""}, nullptr);
  ASSERT_TRUE(found);
  ASSERT_EQ(found->files.size(), 1u);
  EXPECT_NE(found->files[0].find("ifeval_input_data.jsonl"), std::string::npos);
  EXPECT_NE(found->origin.find("split train"), std::string::npos) << found->origin;
  const auto rows = LoadRows(*found, SchemaFor(config, "en"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["id"], 1000);
  EXPECT_EQ(rows[0]["prompts"], nlohmann::json::parse(R"([{"text": "Write a haiku."}])"));
  EXPECT_EQ(rows[0]["metadata"],
            nlohmann::json::parse(R"({"language": "en", "instruction_id_list": ["punctuation:no_comma"]})"));
  EXPECT_EQ(rows[0]["kwargs"], nlohmann::json::parse(R"([{"num_words": null}])"));
  EXPECT_FALSE(rows[0].contains("key"));
  EXPECT_FALSE(rows[0].contains("prompt"));

  // A data file that names a split is not train: nothing is found.
  fs::rename(base / "snapshots" / rev / "ifeval_input_data.jsonl", base / "snapshots" / rev / "test.jsonl");
  ::setenv("HF_HUB_CACHE", cache.c_str(), 1);
  EXPECT_FALSE(LocateSplit(config, "en", Split::kTest, {TempDir("hub-ifeval-none"), ""}, nullptr));
  ::unsetenv("HF_HUB_CACHE");
}

TEST(DataFiles, CsvTypesQuotesAndErrors) {
  const auto rows = ParseCsv("id,n,x,text\n1,2,0.5,\"a, \"\"quoted\"\"\nline\"\n2,,1,plain\n", "t.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["id"], 1);
  EXPECT_EQ(rows[0]["x"], 0.5);
  EXPECT_EQ(rows[1]["x"], 1.0);  // the column holds a float, so 1 is 1.0
  EXPECT_TRUE(rows[1]["n"].is_null());
  EXPECT_EQ(rows[0]["text"], "a, \"quoted\"\nline");
  auto error_of = [](const std::string& text) {
    try {
      ParseCsv(text, "t.csv");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error_of("a,b\n1,2\n3,4,5\n"), "t.csv:3: 3 cells, the header has 2 columns");
  EXPECT_EQ(error_of("a,a\n"), "t.csv:1: duplicate column 'a' in the header");
  EXPECT_EQ(error_of("a\n\"open\n"), "t.csv:2: unterminated quoted field");
}

TEST(DataFiles, JsonArrayAndJsonLinesUnderAJsonName) {
  const std::string dir = TempDir("json-files");
  Write(fs::path(dir) / "a.json", R"([{"id": "1", "v": [1, 2]}, {"id": "2", "v": null}])");
  Write(fs::path(dir) / "b.json", "{\"id\": \"1\"}\n{\"id\": \"2\"}\n");
  Write(fs::path(dir) / "c.json", R"([{"id": "1"}, 3])");
  std::vector<nlohmann::json> rows;
  ReadDataFile(dir + "/a.json", [&](nlohmann::json& r, long) { rows.push_back(r); });
  ReadDataFile(dir + "/b.json", [&](nlohmann::json& r, long) { rows.push_back(r); });
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0]["v"], nlohmann::json::parse("[1,2]"));
  try {
    ReadDataFile(dir + "/c.json", [](nlohmann::json&, long) {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), dir + "/c.json:2: row is not an object but number");
  }
}

}  // namespace
}  // namespace bhasa::tasks

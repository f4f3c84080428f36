// results.json files with values of the wrong type, read by `export`,
// `compare` and `report`: exit 0 or 2 (an input error naming the file),
// never 3 (an internal error).
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/jsonl.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

using nlohmann::json;
using testing::BhasaBinary;
using testing::RunCommand;

// A finished run of the sentiment samples, answered by replay.
std::string ReplayRun(const std::string& dir) {
  std::string answers;
  for (const char* lang : {"id", "vi"})
    for (const json& row : ReadJsonlAll(testing::SourceDir() + "/data/samples/sentiment/" + lang + "/test.jsonl"))
      answers += json{{"id", "sentiment/" + std::string(lang) + "/" + row["id"].get<std::string>() + "/t1"},
                      {"response", "Jawaban: " + row["label"].get<std::string>()}}
                     .dump() +
                 "\n";
  WriteFileAtomic(dir + "/answers.jsonl", answers);
  std::string log;
  EXPECT_EQ(RunCommand(BhasaBinary() + " run --backend replay --replay " + dir + "/answers.jsonl --output " + dir +
                           "/runs --model-name m --tasks sentiment --languages id,vi",
                       &log),
            0)
      << log;
  return dir + "/runs/m/run_0";
}

void Pointers(const json& j, const json::json_pointer& at, std::vector<json::json_pointer>* out) {
  out->push_back(at);
  if (j.is_object())
    for (const auto& [k, v] : j.items()) Pointers(v, at / k, out);
  if (j.is_array())
    for (size_t i = 0; i < j.size(); ++i) Pointers(j[i], at / i, out);
}

std::vector<std::string> ReaderCommands(const std::string& run, const std::string& base, const std::string& dir) {
  return {"export " + run, "compare --allow-missing " + base + " " + run, "report " + run + " -o " + dir + "/r.html"};
}

TEST(HostileResults, WrongTypedTaskFieldIsAnInputErrorNamingFileAndField) {
  const std::string dir = testing::TempDir("results-wrong-type");
  const std::string base = ReplayRun(dir);
  std::filesystem::copy(base, dir + "/bad", std::filesystem::copy_options::recursive);
  json doc = json::parse(ReadFile(dir + "/bad/results.json"));
  const std::string task = doc["tasks"].begin().key();
  doc["tasks"][task]["aggregation_group"] = 7;
  WriteFileAtomic(dir + "/bad/results.json", doc.dump());
  for (const std::string& cmd : ReaderCommands(dir + "/bad", base, dir)) {
    std::string out;
    EXPECT_EQ(RunCommand(BhasaBinary() + " " + cmd, &out), 2) << cmd << "\n" << out;
    EXPECT_NE(out.find(dir + "/bad/results.json"), std::string::npos) << cmd << "\n" << out;
    EXPECT_NE(out.find("'tasks." + task + ".aggregation_group'"), std::string::npos) << cmd << "\n" << out;
  }
}

// config.json of a run directory: `score` reads its options, `export` and
// `compare` its plan.
TEST(HostileResults, WrongTypedRunConfigIsAnInputErrorNamingFileAndField) {
  const std::string dir = testing::TempDir("config-wrong-type");
  const std::string run = ReplayRun(dir);
  const json valid = json::parse(ReadFile(run + "/config.json"));
  for (const char* field : {"limit", "tasks", "strip_think", "temperature"}) {
    json config = valid;
    config["options"][field] = std::string(field) == "tasks" ? json::array({"sentiment", 3}) : json("5");
    WriteFileAtomic(run + "/config.json", config.dump());
    std::string out;
    EXPECT_EQ(RunCommand(BhasaBinary() + " score " + run, &out), 2) << field << "\n" << out;
    EXPECT_NE(out.find(run + "/config.json: options: field '" + field + "'"), std::string::npos) << out;
  }
  json config = valid;
  config["plan"][0]["task"] = 12;
  WriteFileAtomic(run + "/config.json", config.dump());
  for (const std::string& cmd : {"export " + run, "compare " + run + " " + run}) {
    std::string out;
    EXPECT_EQ(RunCommand(BhasaBinary() + " " + cmd, &out), 0) << cmd << "\n" << out;
  }
}

// `score` carries the recorded backend description over from results.json.
TEST(HostileResults, ScoreSurvivesAWrongTypedRecordedBackend) {
  const std::string dir = testing::TempDir("score-backend");
  const std::string run = ReplayRun(dir);
  const json valid = json::parse(ReadFile(run + "/results.json"));
  for (const json& backend : {json{{"backend", 5}, {"model_file", "m.gguf"}},
                              json{{"backend", "native"}, {"model_file", 7}},
                              json{{"backend", "openai"}, {"url_hosts", {1, "h"}}}}) {
    json doc = valid;
    doc["meta"]["backend"] = backend;
    WriteFileAtomic(run + "/results.json", doc.dump());
    std::string out;
    EXPECT_EQ(RunCommand(BhasaBinary() + " score " + run, &out), 0) << backend << "\n" << out;
  }
}

// 50 copies of the run, each with one value of results.json replaced by a
// value of another type; the same seed gives the same 50.
TEST(HostileResults, MutatedValuesEndInExitZeroOrTwo) {
  const std::string dir = testing::TempDir("results-mutated");
  const std::string base = ReplayRun(dir);
  const json valid = json::parse(ReadFile(base + "/results.json"));
  std::vector<json::json_pointer> at;
  Pointers(valid, json::json_pointer(), &at);
  static const json kReplacements[] = {7, -1, 2.5, "x", true, nullptr, json::array({1}), json::object({{"a", 1}})};
  std::mt19937 rng(18);
  const std::string run = dir + "/mutated";
  std::filesystem::copy(base, run, std::filesystem::copy_options::recursive);
  for (int i = 0; i < 50; ++i) {
    json doc = valid;
    const json::json_pointer where = at[rng() % at.size()];
    json& target = doc[where];
    json replacement;
    do replacement = kReplacements[rng() % std::size(kReplacements)];
    while (replacement.type() == target.type());
    target = replacement;
    WriteFileAtomic(run + "/results.json", doc.dump());
    for (const std::string& cmd : ReaderCommands(run, base, dir)) {
      std::string out;
      const int rc = RunCommand(BhasaBinary() + " " + cmd, &out);
      ASSERT_TRUE(rc == 0 || rc == 1 || rc == 2) << "mutation " << i << " at " << where << " to " << replacement << ", " << cmd << ": exit " << rc << "\n" << out;
    }
  }
}

}  // namespace
}  // namespace bhasa

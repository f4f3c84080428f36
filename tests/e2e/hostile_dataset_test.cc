// Dataset rows with values of the wrong type, read by `bhasa run`: exit 0,
// 2 (an input error naming the file) or 4 (rows that could not be asked),
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

void Pointers(const json& j, const json::json_pointer& at, std::vector<json::json_pointer>* out) {
  out->push_back(at);
  if (j.is_object())
    for (const auto& [k, v] : j.items()) Pointers(v, at / k, out);
  if (j.is_array())
    for (size_t i = 0; i < j.size(); ++i) Pointers(j[i], at / i, out);
}

// 60 data directories (sentiment and qa, Indonesian), each with one value of
// one row of test.jsonl or examples.jsonl replaced by a value of another type.
TEST(HostileDataset, MutatedRowValuesNeverEndInAnInternalError) {
  const std::string dir = testing::TempDir("dataset-mutated");
  const std::string samples = testing::SourceDir() + "/data/samples";
  static const json kReplacements[] = {7, 2.5, "x", true, nullptr, json::array({1}), json::object({{"a", 1}})};
  const char* tasks[] = {"sentiment", "qa"};
  std::mt19937 rng(18);
  std::string answers;
  for (const char* task : tasks)
    for (const json& row : ReadJsonlAll(samples + "/" + task + "/id/test.jsonl"))
      answers += json{{"id", std::string(task) + "/id/" + row["id"].get<std::string>() + "/t1"}, {"response", "x"}}
                     .dump() +
                 "\n";
  WriteFileAtomic(dir + "/answers.jsonl", answers);
  int input_errors = 0;
  for (int i = 0; i < 60; ++i) {
    const std::string task = tasks[i % 2];
    const std::string file = i % 3 == 0 ? "examples.jsonl" : "test.jsonl";
    const std::string data = dir + "/data" + std::to_string(i);
    std::filesystem::create_directories(data + "/" + task + "/id");
    for (const char* f : {"test.jsonl", "examples.jsonl"})
      std::filesystem::copy_file(samples + "/" + task + "/id/" + f, data + "/" + task + "/id/" + f);
    std::vector<json> rows = ReadJsonlAll(data + "/" + task + "/id/" + file);
    json& row = rows[rng() % rows.size()];
    std::vector<json::json_pointer> at;
    Pointers(row, json::json_pointer(), &at);
    const json::json_pointer where = at[1 + rng() % (at.size() - 1)];  // not the row itself
    json replacement;
    do replacement = kReplacements[rng() % std::size(kReplacements)];
    while (replacement.type() == row[where].type());
    row[where] = replacement;
    std::string body;
    for (const json& r : rows) body += r.dump() + "\n";
    WriteFileAtomic(data + "/" + task + "/id/" + file, body);
    std::string out;
    const int rc = RunCommand(BhasaBinary() + " run --backend replay --replay " + dir + "/answers.jsonl --output " +
                                  dir + "/runs" + std::to_string(i) + " --model-name m --data-dir " + data +
                                  " --tasks " + task + " --languages id",
                              &out);
    ASSERT_TRUE(rc == 0 || rc == 2 || rc == 4)
        << "mutation " << i << ": " << file << " " << where << " to " << replacement << ": exit " << rc << "\n" << out;
    input_errors += rc == 2;
  }
  EXPECT_GT(input_errors, 10) << "the mutations do not reach the row checks";
}

}  // namespace
}  // namespace bhasa

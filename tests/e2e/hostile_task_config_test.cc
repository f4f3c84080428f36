// Task YAML fields of the wrong type are input errors naming the file and
// the field (exit 2), never internal errors.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "common/fs.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

using testing::BhasaBinary;
using testing::RunCommand;

TEST(HostileTaskConfig, WrongTypedMtBenchFieldNamesFileAndField) {
  const struct {
    std::string from, to, field;
  } cases[] = {
      {"ties_allowed: true", "ties_allowed: \"yes\"", "'ties_allowed'"},
      {"baseline_model: gpt-4.1-2025-04-14", "baseline_model: [a, b]", "'baseline_model'"},
      {"\"Tie\": \"[[C]]\"", "\"Tie\": 3", "'Tie'"},
      {"    - reasoning", "    - {a: 1}", "'categories_with_reference'"},
      {"max_tokens: 2048", "max_tokens: lots", "'max_tokens'"},
  };
  for (const auto& c : cases) {
    const std::string dir = testing::TempDir("task-config");
    for (const auto& e : std::filesystem::directory_iterator(testing::SourceDir() + "/tasks"))
      if (e.path().extension() == ".yaml") std::filesystem::copy_file(e.path(), dir + "/" + e.path().filename().string());
    std::string yaml = ReadFile(dir + "/mtbench.yaml");
    ASSERT_NE(yaml.find(c.from), std::string::npos) << c.from;
    yaml.replace(yaml.find(c.from), c.from.size(), c.to);
    WriteFileAtomic(dir + "/mtbench.yaml", yaml);
    WriteFileAtomic(dir + "/answers.jsonl", "");
    std::string out;
    EXPECT_EQ(RunCommand(BhasaBinary() + " run --backend replay --replay " + dir + "/answers.jsonl --tasks mt-bench " +
                             "--languages id --tasks-dir " + dir + " --output " + dir + "/runs",
                         &out),
              2)
        << c.to << "\n" << out;
    EXPECT_NE(out.find(dir + "/mtbench.yaml: task 'mt-bench'"), std::string::npos) << out;
    EXPECT_NE(out.find("field " + c.field), std::string::npos) << out;
  }
}

TEST(HostileTaskConfig, WrongTypedTaskFieldNamesFileAndField) {
  for (const std::string field : {"competency", "scorer", "metric", "family"}) {
    const std::string dir = testing::TempDir("task-config");
    for (const auto& e : std::filesystem::directory_iterator(testing::SourceDir() + "/tasks"))
      if (e.path().extension() == ".yaml") std::filesystem::copy_file(e.path(), dir + "/" + e.path().filename().string());
    std::string yaml = ReadFile(dir + "/sentiment.yaml");
    const std::string at = "\n  " + field + ": ";
    ASSERT_NE(yaml.find(at), std::string::npos) << field;
    const size_t value = yaml.find(at) + at.size();
    yaml.replace(value, yaml.find('\n', value) - value, "[a, b]");
    WriteFileAtomic(dir + "/sentiment.yaml", yaml);
    WriteFileAtomic(dir + "/answers.jsonl", "");
    std::string out;
    EXPECT_EQ(RunCommand(BhasaBinary() + " run --backend replay --replay " + dir + "/answers.jsonl --tasks sentiment " +
                             "--languages id --tasks-dir " + dir + " --output " + dir + "/runs",
                         &out),
              2)
        << field << "\n" << out;
    EXPECT_NE(out.find(dir + "/sentiment.yaml: task 'sentiment': field '" + field + "' must be a string"),
              std::string::npos)
        << out;
  }
}

}  // namespace
}  // namespace bhasa

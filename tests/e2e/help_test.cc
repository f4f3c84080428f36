// Help texts agree with behaviour: aligned columns, each default stated once,
// one spelling of --strip-think, and `run --help` naming every run option.
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

using testing::BhasaBinary;
using testing::RunCommand;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string Help(const std::string& command) {
  std::string out;
  EXPECT_EQ(RunCommand(BhasaBinary() + " " + command + " --help", &out), 0) << command << "\n" << out;
  return out;
}

// The commands listed by `bhasa --help` ("model info" included).
std::vector<std::string> Commands() {
  std::vector<std::string> names;
  bool in_list = false;
  for (const auto& l : Lines(Help(""))) {
    if (l == "commands:") in_list = true;
    else if (l.empty()) in_list = false;
    else if (in_list) names.push_back(l.substr(2, l.find("  ", 2) - 2));
  }
  return names;
}

// Where each cell of a line starts (cells are separated by two or more spaces).
std::vector<size_t> CellStarts(const std::string& line) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < line.size(); ++i)
    if (line[i] != ' ' && (i == 0 || (i >= 2 && line[i - 1] == ' ' && line[i - 2] == ' '))) starts.push_back(i);
  return starts;
}

TEST(Help, CommandSummariesAreAligned) {
  std::string out;
  ASSERT_EQ(RunCommand(BhasaBinary() + " --help", &out), 0);
  size_t column = 0;
  int rows = 0;
  bool in_list = false;
  for (const auto& l : Lines(out)) {
    if (l == "commands:") { in_list = true; continue; }
    if (l.empty()) in_list = false;
    if (!in_list) continue;
    const auto starts = CellStarts(l);
    ASSERT_EQ(starts.size(), 2u) << l;
    if (column == 0) column = starts[1];
    EXPECT_EQ(starts[1], column) << l;
    ++rows;
  }
  EXPECT_GT(rows, 10);
  EXPECT_NE(out.find("model create-random"), std::string::npos);
}

TEST(Help, TasksTableIsAligned) {
  std::string out;
  ASSERT_EQ(RunCommand(BhasaBinary() + " tasks", &out), 0) << out;
  const auto lines = Lines(out);
  ASSERT_GT(lines.size(), 5u);
  const auto header = CellStarts(lines[0]);
  ASSERT_EQ(header.size(), 6u) << lines[0];
  for (size_t i = 1; i < lines.size(); ++i) {
    auto starts = CellStarts(lines[i]);
    starts.resize(std::min<size_t>(starts.size(), 6));  // "(not implemented)" follows the languages
    EXPECT_EQ(starts, header) << lines[i];
  }
}

TEST(Help, EveryDefaultIsStatedOnce) {
  const auto commands = Commands();
  ASSERT_GT(commands.size(), 10u);
  for (const auto& c : commands)
    for (const auto& l : Lines(Help(c)))
      EXPECT_FALSE(l.find("[default:") != std::string::npos && l.find("(default") != std::string::npos)
          << "bhasa " << c << ": " << l;
}

TEST(Help, StripThinkHasOneSpelling) {
  for (const char* c : {"run", "score", "metric"}) EXPECT_NE(Help(c).find("--strip-think "), std::string::npos) << c;
  for (const auto& c : Commands()) EXPECT_EQ(Help(c).find("--strip-thinking"), std::string::npos) << c;
  std::string out;
  EXPECT_EQ(RunCommand(BhasaBinary() + " metric --strip-thinking", &out), 2) << out;
}

// Every option recorded in a run's config.json is a flag of `bhasa run`.
TEST(Help, RunHelpNamesEveryRunOption) {
  const auto dir = testing::TempDir("help");
  std::string log;
  ASSERT_EQ(RunCommand(BhasaBinary() + " run --backend replay --replay /dev/null --tasks sentiment --languages id" +
                           " --limit 1 --output " + dir,
                       &log),
            4)
      << log;
  const auto config = nlohmann::json::parse(ReadFile(dir + "/replay/run_0/config.json"));
  const std::string help = Help("run");
  for (const auto& [key, value] : config["options"].items()) {
    std::string flag = "--" + std::regex_replace(key, std::regex("_"), "-") + " ";
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace bhasa

// Two processes writing one run directory: the second `bhasa run` (or
// `score`) is refused while the first holds the directory's lock.
#include <string>

#include <gtest/gtest.h>

#include "common/fs.h"
#include "common/jsonl.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

using testing::BhasaBinary;
using testing::RunCommand;

TEST(RunLockCli, ConcurrentRunIntoTheSameDirectoryIsRefused) {
  const std::string dir = testing::TempDir("run-lock-cli");
  std::string answers;
  for (const auto& row : ReadJsonlAll(testing::SourceDir() + "/data/samples/sentiment/id/test.jsonl"))
    answers += nlohmann::json{{"id", "sentiment/id/" + row["id"].get<std::string>() + "/t1"},
                              {"response", "Jawaban: " + row["label"].get<std::string>()}}
                   .dump() +
               "\n";
  WriteFileAtomic(dir + "/answers.jsonl", answers);
  const std::string run = BhasaBinary() + " run --backend replay --replay " + dir + "/answers.jsonl --output " + dir +
                          "/runs --model-name m --tasks sentiment --languages id";
  std::string log;
  ASSERT_EQ(RunCommand(run, &log), 0) << log;
  const std::string root = dir + "/runs/m/run_0";
  const std::string journal_before = ReadFile(root + "/responses.jsonl");

  // flock(1) holds the directory's lock while the second run starts.
  for (const std::string& second : {run, BhasaBinary() + " score " + root}) {
    const int rc = RunCommand("flock -n " + root + "/run.lock -c '" + second + "'", &log);
    EXPECT_EQ(rc, 3) << second << "\n" << log;
    EXPECT_NE(log.find(root + ": another bhasa process is writing this run directory"), std::string::npos) << log;
  }
  EXPECT_EQ(ReadFile(root + "/responses.jsonl"), journal_before);  // nothing interleaved
  EXPECT_EQ(RunCommand(BhasaBinary() + " score " + root, &log), 0) << log;  // free again afterwards
}

}  // namespace
}  // namespace bhasa

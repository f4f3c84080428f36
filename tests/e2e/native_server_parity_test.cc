// The same GGUF evaluated by the built-in engine and through `bhasa serve`
// with the openai backend gives the same answers: the decoding settings
// travel explicitly, and a base model's prompt is rendered by the same
// SEA-HELM base template on both paths.
#include <chrono>
#include <map>
#include <regex>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/jsonl.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

using testing::BhasaBinary;
using testing::RunCommand;

// Row id → the response text of a run's sentiment/id inference file.
std::map<std::string, std::string> Responses(const std::string& run_dir) {
  std::map<std::string, std::string> out;
  for (const auto& row : ReadJsonlAll(run_dir + "/inferences/id/sentiment/tiny_sentiment_id.jsonl"))
    out[row["id"].get<std::string>()] = row["responses"][0].get<std::string>();
  return out;
}

TEST(NativeServerParity, BaseModelAnswersAreIdentical) {
  const std::string dir = testing::TempDir("parity");
  const std::string model = dir + "/m.gguf";
  std::string log;
  ASSERT_EQ(RunCommand(BhasaBinary() + " model create-random --out " + model + " --type Q8_0 --n-embd 64 " +
                           "--n-layer 2 --n-ctx 4096 --seed 5",
                       &log),
            0)
      << log;
  const std::string common = " --model-kind base --tasks sentiment --languages id --limit 3 --model-name tiny"
                             " --temperature 0.8 --top-k 20 --top-p 0.9 --seed 11 --output ";
  ASSERT_EQ(RunCommand(BhasaBinary() + " run --backend native --model " + model + common + dir + "/native", &log), 0)
      << log;

  // Bounded by `timeout` even if the test fails early; stopped by its pid.
  const std::string serve_log = dir + "/serve.log", pid_file = dir + "/serve.pid";
  RunCommand("(timeout 120 " + BhasaBinary() + " serve --model " + model + " --port 0 --model-name tiny > " +
             serve_log + " 2>&1 & echo $! > " + pid_file + ")");
  int port = 0;
  for (int i = 0; i < 100 && port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::smatch m;
    const std::string text = FileExists(serve_log) ? ReadFile(serve_log) : "";
    if (std::regex_search(text, m, std::regex("127\\.0\\.0\\.1:([0-9]+)"))) port = std::stoi(m[1]);
  }
  ASSERT_NE(port, 0) << "bhasa serve did not start: " << (FileExists(serve_log) ? ReadFile(serve_log) : "");
  const int rc = RunCommand(BhasaBinary() + " run --backend openai --url http://127.0.0.1:" + std::to_string(port) +
                                " --model tiny" + common + dir + "/server",
                            &log);
  RunCommand("kill " + ReadFile(pid_file));
  ASSERT_EQ(rc, 0) << log;

  const auto native = Responses(dir + "/native/tiny/run_0");
  ASSERT_EQ(native.size(), 3u);
  EXPECT_EQ(Responses(dir + "/server/tiny/run_0"), native);
}

}  // namespace
}  // namespace bhasa

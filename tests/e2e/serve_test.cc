// `bhasa run --backend openai` against a `bhasa serve` started on a free loopback port.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
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

TEST(Serve, RunThroughTheOpenAiBackendAgainstBhasaServe) {
  auto dir = testing::TempDir("serve");
  std::string log;
  ASSERT_EQ(RunCommand(BhasaBinary() + " model create-random --out " + dir + "/m.gguf --type Q8_0 --n-embd 64 " +
                           "--n-layer 2 --n-ctx 4096 --seed 3",
                       &log),
            0)
      << log;
  // Bounded: the server is killed by `timeout` even if the test fails early.
  std::string serve_log = dir + "/serve.log";
  RunCommand("(timeout 120 " + BhasaBinary() + " serve --model " + dir + "/m.gguf --port 0 --model-name tiny > " +
             serve_log + " 2>&1 &)");
  int port = 0;
  for (int i = 0; i < 100 && port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::smatch m;
    std::string text = FileExists(serve_log) ? ReadFile(serve_log) : "";
    if (std::regex_search(text, m, std::regex("127\\.0\\.0\\.1:([0-9]+)"))) port = std::stoi(m[1]);
  }
  ASSERT_NE(port, 0) << "bhasa serve did not start: " << (FileExists(serve_log) ? ReadFile(serve_log) : "");
  std::string url = "http://127.0.0.1:" + std::to_string(port);

  int rc = RunCommand(BhasaBinary() + " run --backend openai --url " + url + " --model tiny --tasks sentiment " +
                          "--languages id,th --limit 4 --concurrency 4 --output " + dir + "/runs",
                      &log);
  RunCommand("pkill -f 'serve --model " + dir + "/m.gguf'");
  ASSERT_EQ(rc, 0) << log;
  auto doc = nlohmann::json::parse(ReadFile(dir + "/runs/tiny/run_0/results.json"));
  EXPECT_TRUE(doc["results"]["id"]["nlu"]["sentiment"].contains("normalized_accuracy"));
  EXPECT_EQ(doc["meta"]["backend"]["backend"], "openai");
  int ok = 0;
  ReadJsonl(dir + "/runs/tiny/run_0/responses.jsonl", [&](nlohmann::json& j, long) {
    EXPECT_EQ(j["response"]["status"], "ok") << j.dump();
    EXPECT_GT(j["response"]["completion_tokens"].get<int>(), 0);
    EXPECT_GT(j["response"]["prompt_tokens"].get<int>(), 0);
    ++ok;
  });
  EXPECT_EQ(ok, 8);
}

}  // namespace
}  // namespace bhasa

// `bhasa serve` as the official OpenAI JavaScript SDK uses it: openai_sdk/check.cjs
// (chat, completions, streaming with include_usage, models, errors) against a
// server on a free loopback port. The SDK is installed from npm into
// <build>/openai_sdk; the test skips when node/npm are missing or offline.
#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "common/fs.h"
#include "tests/e2e/tiny_model.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

using testing::BhasaBinary;
using testing::RunCommand;

// node_modules of the pinned SDK, or "" with *why saying what is missing.
std::string OpenAiSdk(std::string* why) {
  const std::string out = std::filesystem::path(BhasaBinary()).parent_path().string() + "/openai_sdk";
  std::string log;
  const int rc = RunCommand("bash " + testing::SourceDir() + "/tests/e2e/openai_sdk/setup.sh " + out, &log);
  if (rc == 0) return out + "/node_modules";
  *why = rc == 3 ? "node/npm not found: the OpenAI SDK test needs them"
         : rc == 4 ? "npm could not install the OpenAI SDK (offline?):\n" + log
                   : "OpenAI SDK setup failed:\n" + log;
  return "";
}

TEST(ServeOpenAiSdk, ChatCompletionsStreamingModelsAndErrors) {
  std::string why;
  const std::string node_modules = OpenAiSdk(&why);
  if (node_modules.empty()) GTEST_SKIP() << why;

  const std::string dir = testing::TempDir("serve-sdk");
  const std::string serve_log = dir + "/serve.log", pid_file = dir + "/serve.pid";
  // Bounded: `timeout` ends the server even if this test stops early.
  RunCommand("(timeout 120 " + BhasaBinary() + " serve --model " + testing::TinyModel() +
             " --port 0 --model-name tiny > " + serve_log + " 2>&1 & echo $! > " + pid_file + ")");
  int port = 0;
  for (int i = 0; i < 100 && port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::smatch m;
    const std::string text = FileExists(serve_log) ? ReadFile(serve_log) : "";
    if (std::regex_search(text, m, std::regex("127\\.0\\.0\\.1:([0-9]+)"))) port = std::stoi(m[1]);
  }
  ASSERT_NE(port, 0) << "bhasa serve did not start: " << (FileExists(serve_log) ? ReadFile(serve_log) : "");

  std::string log;
  const int rc = RunCommand("NODE_PATH=" + node_modules + " node " + testing::SourceDir() +
                                "/tests/e2e/openai_sdk/check.cjs http://127.0.0.1:" + std::to_string(port) + "/v1 tiny",
                            &log);
  RunCommand("kill $(cat " + pid_file + ")");  // timeout passes the signal on to the server
  EXPECT_EQ(rc, 0) << log << "\nserver log:\n" << ReadFile(serve_log);
  EXPECT_NE(log.find("openai-sdk: all checks passed"), std::string::npos) << log;
}

}  // namespace
}  // namespace bhasa

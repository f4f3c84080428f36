// `bhasa serve` on each architecture's fixture (../shared/fixtures/{llama31,
// qwen2,gemma2}-tiny, F32): greedy completions over HTTP equal `bhasa
// generate` and llama.cpp's greedy reference, token for token; sent again
// all at once (decoded together, with every prompt already in the server's
// prefix cache) they come back the same.
#include <chrono>
#include <fstream>
#include <regex>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/http_client.h"
#include "common/fs.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

using testing::BhasaBinary;
using testing::RunCommand;

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

class ServeArchTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ServeArchTest, GreedyCompletionsEqualGenerateAndReference) {
  const std::string set = GetParam();
  const std::string model_rel = "fixtures/" + set + "/models/" + set + "-F32.gguf";
  const std::string ref_rel = "fixtures/" + set + "/reference/" + set + "-F32.json";
  BHASA_REQUIRE_SHARED(model_rel);
  BHASA_REQUIRE_SHARED(ref_rel);
  const std::string model = testing::SharedDir() + "/" + model_rel;
  nlohmann::json ref;
  std::ifstream(testing::SharedDir() + "/" + ref_rel) >> ref;

  const auto dir = testing::TempDir("serve-" + set);
  const std::string serve_log = dir + "/serve.log";
  // Bounded by `timeout`, and stopped through its pid when done.
  RunCommand("(timeout 120 " + BhasaBinary() + " serve --model " + model + " --port 0 --model-name " + set +
             " --threads 2 > " + serve_log + " 2>&1 & echo $! > " + dir + "/pid)");
  int port = 0;
  for (int i = 0; i < 100 && port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::smatch m;
    std::string text = FileExists(serve_log) ? ReadFile(serve_log) : "";
    if (std::regex_search(text, m, std::regex("127\\.0\\.0\\.1:([0-9]+)"))) port = std::stoi(m[1]);
  }
  ASSERT_NE(port, 0) << "bhasa serve did not start: " << (FileExists(serve_log) ? ReadFile(serve_log) : "");

  backends::HttpClient http({});
  auto request = [&](const std::string& text) {
    backends::HttpRequest req;
    req.url = backends::Url::Parse("http://127.0.0.1:" + std::to_string(port));
    req.target = "/v1/completions";
    req.headers = {{"Content-Type", "application/json"}};
    req.body = nlohmann::json{{"model", set}, {"prompt", text}, {"max_tokens", 24}, {"temperature", 0}}.dump();
    return req;
  };
  std::vector<std::pair<std::string, std::string>> answered;  // prompt, text
  int compared = 0;
  for (const auto& c : ref["cases"]) {
    const std::string id = c["id"].get<std::string>(), text = c["text"].get<std::string>();
    if (id == "en-1tok") continue;
    SCOPED_TRACE(id);
    std::string out;
    ASSERT_EQ(RunCommand(BhasaBinary() + " generate " + model + " --text " + Quote(text) +
                             " --greedy --max-tokens 24 --threads 2 --json",
                         &out),
              0)
        << out;
    const auto gen = nlohmann::json::parse(out.substr(out.find('{')));
    const auto tokens = gen["tokens"].get<std::vector<int32_t>>();
    const auto greedy = c["greedy"].get<std::vector<int32_t>>();
    ASSERT_LE(tokens.size(), greedy.size());
    EXPECT_EQ(tokens, std::vector<int32_t>(greedy.begin(), greedy.begin() + tokens.size()));

    const auto resp = http.SendSync(request(text));
    ASSERT_EQ(resp.status, 200) << resp.error_message << resp.body;
    const auto body = nlohmann::json::parse(resp.body);
    EXPECT_EQ(body["choices"][0]["text"], gen["text"]);
    EXPECT_EQ(body["usage"]["completion_tokens"].get<size_t>(), tokens.size());
    answered.emplace_back(text, gen["text"].get<std::string>());
    ++compared;
  }

  std::vector<backends::HttpResponse> again(answered.size());
  std::vector<std::thread> clients;
  for (size_t i = 0; i < answered.size(); ++i)
    clients.emplace_back([&, i] { again[i] = http.SendSync(request(answered[i].first)); });
  for (auto& t : clients) t.join();
  for (size_t i = 0; i < answered.size(); ++i) {
    SCOPED_TRACE("concurrent, prompt " + std::to_string(i));
    ASSERT_EQ(again[i].status, 200) << again[i].error_message << again[i].body;
    const auto body = nlohmann::json::parse(again[i].body);
    EXPECT_EQ(body["choices"][0]["text"], answered[i].second);
  }
  RunCommand("kill $(cat " + dir + "/pid)");
  EXPECT_GE(compared, 7);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ServeArchTest, ::testing::Values("llama31-tiny", "qwen2-tiny", "gemma2-tiny"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& ch : s)
                             if (ch == '-') ch = '_';
                           return s;
                         });

}  // namespace
}  // namespace bhasa

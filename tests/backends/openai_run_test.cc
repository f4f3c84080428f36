// `bhasa run --backend openai` end to end against loopback servers: the
// decoding settings every request carries, a base model through a server
// that behaves like llama.cpp's (completions only, stop strings stripped,
// include_stop_str_in_output ignored), and an unreachable URL.
#include <chrono>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/exit_codes.h"
#include "common/fs.h"
#include "common/jsonl.h"
#include "tests/backends/fault_server.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

using nlohmann::json;
using testing::BhasaBinary;
using testing::EchoReply;
using testing::FaultServer;
using testing::Reply;
using testing::RunCommand;
using testing::SeenRequest;
using testing::StatusReply;

std::string RunLine(const std::string& url, const std::string& out, const std::string& extra) {
  return BhasaBinary() + " run --backend openai --url " + url + " --model sea-lion --tasks sentiment --languages id" +
         " --data-dir " + testing::SourceDir() + "/data/samples --output " + out + " " + extra + " 2>&1";
}

std::vector<json> CompletionBodies(const FaultServer& server, const std::string& target) {
  std::vector<json> out;
  for (const SeenRequest& r : server.seen())
    if (r.target == target) out.push_back(json::parse(r.body));
  return out;
}

// A stand-in for llama.cpp's server with a base model that always writes
// "Jawaban: Positif" and then rambles on: it serves /v1/completions only,
// cuts the text before the first stop string and drops that string, says
// nothing of which stop matched, and ignores include_stop_str_in_output.
Reply LlamaServerLike(const SeenRequest& r, int) {
  if (r.method == "GET" && r.target == "/v1/models")
    return StatusReply(200, R"({"data":[{"id":"base.gguf","owned_by":"llamacpp","meta":{"n_ctx":4096}}]})");
  if (r.target != "/v1/completions") return StatusReply(404, R"({"error":{"message":"not served here"}})");
  const json in = json::parse(r.body);
  const std::string prompt = in.at("prompt");
  std::string text = prompt.ends_with("Jawaban:") ? " Positif\n\nTeks: lagi" : "Jawaban: Positif\n\nTeks: lagi";
  std::string finish = "length";
  size_t cut = std::string::npos;
  for (const std::string& stop : in.value("stop", std::vector<std::string>{}))
    cut = std::min(cut, text.find(stop));
  if (cut != std::string::npos) {
    text.resize(cut);
    finish = "stop";
  }
  json choice = {{"index", 0}, {"text", text}, {"finish_reason", finish}, {"logprobs", nullptr}};
  return StatusReply(200, json({{"object", "text_completion"},
                                {"choices", json::array({choice})},
                                {"usage", {{"prompt_tokens", 100}, {"completion_tokens", 3}}}})
                              .dump());
}

TEST(OpenAiRun, EveryRequestCarriesTheResolvedDecodingSettings) {
  FaultServer server([](const SeenRequest& r, int) {
    if (r.method == "GET") return StatusReply(200, R"({"data":[{"id":"sea-lion","max_model_len":4096}]})");
    return EchoReply(r);
  });
  const std::string dir = testing::TempDir("openai-run");
  std::string log;
  ASSERT_EQ(RunCommand(RunLine(server.url(), dir + "/a", "--limit 2"), &log), 0) << log;
  std::vector<json> bodies = CompletionBodies(server, "/v1/chat/completions");
  ASSERT_EQ(bodies.size(), 2u);
  for (const json& b : bodies) {  // greedy, explicitly, and SEA-HELM's seed and max_tokens
    EXPECT_EQ(b["temperature"], 0.0);
    EXPECT_EQ(b["top_p"], 1.0);
    EXPECT_FALSE(b.contains("top_k"));  // greedy with no cut
    EXPECT_EQ(b["seed"], 1234);
    EXPECT_EQ(b["max_tokens"], 32);
  }
  const json results = json::parse(ReadFile(dir + "/a/sea-lion/run_0/results.json"));
  EXPECT_EQ(results["meta"]["backend"]["max_context"], 4096);  // from GET /v1/models

  FaultServer second([](const SeenRequest& r, int) {
    if (r.method == "GET") return StatusReply(404, "{}");
    return EchoReply(r);
  });
  ASSERT_EQ(RunCommand(RunLine(second.url(), dir + "/b",
                           "--limit 1 --temperature 0.7 --top-k 5 "
                           "--gen-kwargs temperature=0.1,top_p=0.9,max_tokens=64,seed=7"),
                       &log),
            0)
      << log;
  bodies = CompletionBodies(second, "/v1/chat/completions");
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(bodies[0]["temperature"], 0.7);  // the flag beats gen-kwargs
  EXPECT_EQ(bodies[0]["top_p"], 0.9);
  EXPECT_EQ(bodies[0]["top_k"], 5);
  EXPECT_EQ(bodies[0]["max_tokens"], 64);
  EXPECT_EQ(bodies[0]["seed"], 7);
  const json options = json::parse(ReadFile(dir + "/b/sea-lion/run_0/config.json"))["options"];
  EXPECT_EQ(options["temperature"], 0.7);
  EXPECT_EQ(options["top_p"], 0.9);
  EXPECT_EQ(options["top_k"], 5);
  EXPECT_EQ(options["max_tokens"], 64);
  EXPECT_EQ(options["seed"], 7);
}

TEST(OpenAiRun, UnknownGenKwargsKeyIsAUsageError) {
  std::string log;
  const std::string line = RunLine("http://127.0.0.1:9", testing::TempDir("openai-run"), "--gen-kwargs temprature=0");
  EXPECT_EQ(RunCommand(line, &log), kExitUsage) << log;
  EXPECT_NE(log.find("unknown key 'temprature'"), std::string::npos) << log;
}

TEST(OpenAiRun, BaseModelThroughALlamaServerLikeServer) {
  FaultServer server(LlamaServerLike);
  const std::string dir = testing::TempDir("openai-base");
  std::string log;
  ASSERT_EQ(RunCommand(RunLine(server.url(), dir, "--model-kind base --limit 3"), &log), 0) << log;

  std::vector<json> bodies = CompletionBodies(server, "/v1/completions");
  ASSERT_EQ(bodies.size(), 6u);  // phase 1 and phase 2 of three rows
  int phase2 = 0;
  for (const json& b : bodies) {
    EXPECT_FALSE(b.contains("include_stop_str_in_output")) << b;
    EXPECT_FALSE(b.contains("messages")) << b;
    const std::string prompt = b["prompt"];
    if (prompt.ends_with("Jawaban:")) {
      ++phase2;  // continues phase 1's text, whose stop string the client put back
      EXPECT_EQ(b["stop"], json({"\n\n"}));
      EXPECT_EQ(b["max_tokens"], 32 - 3);
    } else {
      EXPECT_TRUE(prompt.ends_with("```\n\n")) << prompt;  // SEA-HELM's base template: a blank line to answer after
      EXPECT_EQ(b["stop"], json({"Jawaban:"}));
    }
  }
  EXPECT_EQ(phase2, 3);

  const auto rows = ReadJsonlAll(dir + "/sea-lion/run_0/inferences/id/sentiment/sea-lion_sentiment_id.jsonl");
  ASSERT_EQ(rows.size(), 3u);
  for (const json& row : rows) EXPECT_EQ(row["responses"][0], "Jawaban: Positif") << row.dump();
}

TEST(OpenAiRun, UnreachableUrlStopsAtOnceWithExit3) {
  int port = 0;
  {
    FaultServer gone(LlamaServerLike);
    port = gone.port();
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  const std::string dir = testing::TempDir("openai-closed");
  std::string log;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(RunCommand(RunLine(url, dir, ""), &log), kExitRuntime) << log;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
  EXPECT_NE(log.find("cannot reach " + url + "/v1/models"), std::string::npos) << log;
  EXPECT_FALSE(std::filesystem::exists(dir + "/sea-lion")) << "no run directory for a run that cannot start";
}

}  // namespace
}  // namespace bhasa

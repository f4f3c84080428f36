// `bhasa serve` over the built-in engine (llama-tiny fixture): log-probabilities
// in every shape, streamed and not, several choices with `n`, and prompt
// arrays on /v1/completions.
#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "backends/openai_server.h"
#include "tests/test_support.h"

namespace bhasa::backends {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;

// The built-in engine behind the server: the fields reach it and come back
// in each shape, streamed and not.
// Chat log-probabilities of the same tokens, values equal to 1e-5.
void ExpectSameLogprobs(const json& got, const json& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i]["token"], want[i]["token"]) << i;
    EXPECT_NEAR(got[i]["logprob"].get<double>(), want[i]["logprob"].get<double>(), 1e-5) << i;
    ASSERT_EQ(got[i]["top_logprobs"].size(), want[i]["top_logprobs"].size());
    for (size_t k = 0; k < got[i]["top_logprobs"].size(); ++k)
      EXPECT_NEAR(got[i]["top_logprobs"][k]["logprob"].get<double>(), want[i]["top_logprobs"][k]["logprob"].get<double>(),
                  1e-5);
  }
}

class ServeNative : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string rel = "fixtures/llama-tiny/models/llama-tiny-F32.gguf";
    BHASA_REQUIRE_SHARED(rel);
    BackendOptions o;
    o.model = testing::SharedDir() + "/" + rel;
    o.values = {{"threads", "2"}, {"ctx", "512"}};
    backend_ = MakeBackend("native", o);
    ServerOptions so;
    so.port = 0;
    so.model_name = "tiny";
    server_ = std::make_unique<OpenAiServer>(*backend_, so);
    serving_ = std::thread([&] { server_->Run(); });
  }
  void TearDown() override {
    if (!server_) return;
    server_->Stop();
    serving_.join();
  }
  // Status and body; a streamed body is returned as its raw text in "raw".
  std::pair<int, json> Post(const std::string& target, const json& body) {
    asio::ip::tcp::socket sock(io_);
    sock.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server_->port())});
    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.body() = body.dump();
    req.prepare_payload();
    http::write(sock, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(sock, buf, res);
    const int status = static_cast<int>(res.result_int());
    if (body.value("stream", false)) return {status, {{"raw", res.body()}}};
    return {status, json::parse(res.body())};
  }
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<OpenAiServer> server_;
  std::thread serving_;
  asio::io_context io_;
};

TEST_F(ServeNative, ChatLogprobsStreamedAndNot) {
  const json body = {{"messages", {{{"role", "user"}, {"content", "Halo apa kabar"}}}},
                     {"max_tokens", 6}, {"logprobs", true}, {"top_logprobs", 3}};
  auto [status, reply] = Post("/v1/chat/completions", body);
  ASSERT_EQ(status, 200) << reply.dump();
  const json& content = reply["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(content.size(), reply["usage"]["completion_tokens"].get<size_t>());
  std::string bytes;
  for (const auto& e : content) {
    ASSERT_EQ(e["top_logprobs"].size(), 3u);
    EXPECT_EQ(e["top_logprobs"][0]["token"], e["token"]);  // greedy picks the most likely
    EXPECT_DOUBLE_EQ(e["top_logprobs"][0]["logprob"].get<double>(), e["logprob"].get<double>());
    EXPECT_LE(e["logprob"].get<double>(), 0.0);
    EXPECT_GE(e["top_logprobs"][0]["logprob"].get<double>(), e["top_logprobs"][2]["logprob"].get<double>());
  }

  json streamed = body;
  streamed["stream"] = true;
  auto [s2, raw] = Post("/v1/chat/completions", streamed);
  ASSERT_EQ(s2, 200);
  json seen;
  const std::string text = raw["raw"];
  for (size_t at = 0; (at = text.find("data: {", at)) != std::string::npos; ++at) {
    const json chunk = json::parse(text.substr(at + 6, text.find("\n\n", at) - at - 6));
    if (!chunk["choices"].empty() && !chunk["choices"][0]["logprobs"].is_null()) seen = chunk["choices"][0];
  }
  // The second request continues from the first one's cached prompt: the
  // same tokens, log-probabilities equal to float rounding.
  ExpectSameLogprobs(seen["logprobs"]["content"], content);
  EXPECT_EQ(seen["delta"]["content"], reply["choices"][0]["message"]["content"]);
}

TEST_F(ServeNative, EchoAndPromptLogprobsAgree) {
  auto [status, echo] = Post("/v1/completions", {{"prompt", "Halo apa kabar"}, {"max_tokens", 3}, {"logprobs", 2},
                                                 {"echo", true}, {"prompt_logprobs", 1}});
  ASSERT_EQ(status, 200) << echo.dump();
  const json& choice = echo["choices"][0];
  const json& lp = choice["logprobs"];
  const size_t n_prompt = echo["usage"]["prompt_tokens"], n_gen = echo["usage"]["completion_tokens"];
  ASSERT_EQ(lp["tokens"].size(), n_prompt + n_gen);
  EXPECT_TRUE(lp["token_logprobs"][0].is_null());
  EXPECT_TRUE(lp["top_logprobs"][0].is_null());
  EXPECT_EQ(choice["text"].get<std::string>().rfind("Halo apa kabar", 0), 0u);
  const json& vllm = choice["prompt_logprobs"];
  ASSERT_EQ(vllm.size(), n_prompt);
  EXPECT_TRUE(vllm[0].is_null());
  for (size_t i = 1; i < n_prompt; ++i) {
    const double want = lp["token_logprobs"][i];
    EXPECT_LE(lp["top_logprobs"][i].size(), 2u);
    EXPECT_LE(vllm[i].size(), 2u);  // the token, and one alternative unless it is the best itself
    bool found = false;
    for (const auto& [id, v] : vllm[i].items())
      if (v["decoded_token"] == lp["tokens"][i] && std::abs(v["logprob"].get<double>() - want) < 1e-6) found = true;
    EXPECT_TRUE(found) << i << " " << vllm[i].dump();
  }
  // The offsets walk the echoed text.
  const std::string text = choice["text"];
  EXPECT_EQ(lp["text_offset"][1], 0);
  EXPECT_EQ(lp["text_offset"][n_prompt].get<size_t>(), std::string("Halo apa kabar").size());

  auto [s2, bad] = Post("/v1/completions", {{"prompt", "Halo"}, {"logprobs", 30}});
  EXPECT_EQ(s2, 400);
  EXPECT_EQ(bad["error"]["param"], "logprobs");
}


TEST_F(ServeNative, SeveralChoicesFromOnePromptShareItAndGreedyOnesAreIdentical) {
  // A prompt of more than 16 tokens: the engine evaluates it once for all choices.
  const std::string prompt = "Selamat pagi, apa kabar hari ini? Semoga semuanya baik-baik saja.";
  auto [status, greedy] = Post("/v1/completions", {{"prompt", prompt}, {"max_tokens", 5}, {"n", 3}, {"logprobs", 1}});
  ASSERT_EQ(status, 200) << greedy.dump();
  ASSERT_EQ(greedy["choices"].size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(greedy["choices"][i]["index"], i);
    EXPECT_EQ(greedy["choices"][i]["text"], greedy["choices"][0]["text"]);  // greedy: identical, as vLLM's
    const json& lp = greedy["choices"][i]["logprobs"];
    EXPECT_EQ(lp["tokens"], greedy["choices"][0]["logprobs"]["tokens"]);
    for (size_t t = 0; t < lp["token_logprobs"].size(); ++t)
      EXPECT_NEAR(lp["token_logprobs"][t].get<double>(), greedy["choices"][0]["logprobs"]["token_logprobs"][t].get<double>(), 1e-5);
  }
  auto [s1, one] = Post("/v1/completions", {{"prompt", prompt}, {"max_tokens", 5}});
  ASSERT_EQ(s1, 200);
  EXPECT_EQ(greedy["choices"][0]["text"], one["choices"][0]["text"]);
  EXPECT_EQ(greedy["usage"]["prompt_tokens"], one["usage"]["prompt_tokens"]);  // one prompt, counted once
  EXPECT_EQ(greedy["usage"]["completion_tokens"].get<int>(), 3 * one["usage"]["completion_tokens"].get<int>());

  // Sampled: each choice has its own seed, so they are not all the same.
  auto [s2, sampled] = Post("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", prompt}}}},
                                                      {"max_tokens", 8}, {"n", 4}, {"temperature", 1.5}, {"seed", 7}});
  ASSERT_EQ(s2, 200) << sampled.dump();
  ASSERT_EQ(sampled["choices"].size(), 4u);
  std::set<std::string> texts;
  for (const auto& c : sampled["choices"]) texts.insert(c["message"]["content"].get<std::string>());
  EXPECT_GT(texts.size(), 1u);

  auto [s3, streamed] = Post("/v1/completions", {{"prompt", prompt}, {"n", 2}, {"stream", true}});
  EXPECT_EQ(s3, 400);
}

TEST_F(ServeNative, PromptArraysGiveOneChoicePerPromptInOrder) {
  const std::vector<std::string> prompts = {"Halo", "Apa kabar", "Selamat malam semuanya"};
  auto [status, reply] = Post("/v1/completions", {{"prompt", prompts}, {"max_tokens", 4}});
  ASSERT_EQ(status, 200) << reply.dump();
  ASSERT_EQ(reply["choices"].size(), 3u);
  int prompt_tokens = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto [s, alone] = Post("/v1/completions", {{"prompt", prompts[i]}, {"max_tokens", 4}});
    ASSERT_EQ(s, 200);
    EXPECT_EQ(reply["choices"][i]["index"], i);
    EXPECT_EQ(reply["choices"][i]["text"], alone["choices"][0]["text"]) << i;
    prompt_tokens += alone["usage"]["prompt_tokens"].get<int>();
  }
  EXPECT_EQ(reply["usage"]["prompt_tokens"], prompt_tokens);

  auto [s2, both] = Post("/v1/completions", {{"prompt", {"Halo", "Apa kabar"}}, {"max_tokens", 2}, {"n", 2}});
  ASSERT_EQ(s2, 200);
  ASSERT_EQ(both["choices"].size(), 4u);  // prompt-major: Halo, Halo, Apa kabar, Apa kabar
  EXPECT_EQ(both["choices"][1]["text"], both["choices"][0]["text"]);
  EXPECT_EQ(both["choices"][3]["text"], both["choices"][2]["text"]);
  // Greedy: two tokens begin what four tokens of the same prompt say.
  EXPECT_EQ(reply["choices"][0]["text"].get<std::string>().rfind(both["choices"][0]["text"].get<std::string>(), 0), 0u);
  EXPECT_EQ(reply["choices"][1]["text"].get<std::string>().rfind(both["choices"][2]["text"].get<std::string>(), 0), 0u);

  for (const json& bad : {json::array(), json::array({1, 2, 3}), json::array({"a", 5})}) {
    auto [s, err] = Post("/v1/completions", {{"prompt", bad}, {"max_tokens", 2}});
    EXPECT_EQ(s, 400) << bad.dump();
    EXPECT_EQ(err["error"]["param"], "prompt") << bad.dump();
  }
}

// As OpenAI and vLLM: an explicit max_tokens that cannot fit beside the prompt
// is refused before any work, not cut short by the context (512 here).
TEST_F(ServeNative, PromptPlusMaxTokensBeyondTheContextIs400) {
  const std::string prompt = "Halo apa kabar";
  auto [s1, one] = Post("/v1/completions", {{"prompt", prompt}, {"max_tokens", 1}});
  ASSERT_EQ(s1, 200) << one.dump();
  const int n_prompt = one["usage"]["prompt_tokens"].get<int>();
  ASSERT_GT(n_prompt, 0);
  auto [s2, err] = Post("/v1/completions", {{"prompt", prompt}, {"max_tokens", 512 - n_prompt + 1}});
  EXPECT_EQ(s2, 400) << err.dump();
  EXPECT_EQ(err["error"]["code"], "context_length_exceeded") << err.dump();
  EXPECT_NE(err["error"]["message"].get<std::string>().find("plus max_tokens"), std::string::npos) << err.dump();
  auto [s3, chat_err] = Post("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", prompt}}}},
                                                      {"max_completion_tokens", 511}});
  EXPECT_EQ(s3, 400) << chat_err.dump();
  EXPECT_EQ(chat_err["error"]["param"], "messages") << chat_err.dump();
}

}  // namespace
}  // namespace bhasa::backends

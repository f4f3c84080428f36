#include "backends/openai_backend.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "tests/backends/fault_server.h"

namespace bhasa::backends {
namespace {

using bhasa::testing::EchoReply;
using bhasa::testing::FaultServer;
using bhasa::testing::Reply;
using bhasa::testing::SeenRequest;
using bhasa::testing::StatusReply;
using Clock = std::chrono::steady_clock;

// Options that keep every test within seconds: short backoff and timeouts.
BackendOptions Options(const std::string& url, std::map<std::string, std::string> extra = {}) {
  BackendOptions o;
  o.model = "test-model";
  o.values = {{"url", url},       {"retry_base_delay", "0.01"}, {"retry_max_delay", "0.05"},
              {"timeout", "5"},   {"connect_timeout", "2"},     {"api_key_env", "BHASA_TEST_NO_SUCH_KEY"}};
  for (auto& [k, v] : extra) o.values[k] = v;
  return o;
}

std::vector<Request> ChatRequests(int n) {
  std::vector<Request> out(n);
  for (int i = 0; i < n; ++i) {
    out[i].id = "t/" + std::to_string(i);
    out[i].messages = {{"user", "q" + std::to_string(i)}};
  }
  return out;
}

// Runs Generate and checks the callback contract: once per request, never
// concurrently. Returns the responses by request id.
std::map<std::string, Response> GenerateAll(Backend& backend, const std::vector<Request>& requests) {
  std::map<std::string, Response> out;
  std::atomic<int> inside{0};
  backend.Generate(requests, [&](Response r) {
    EXPECT_EQ(inside.fetch_add(1), 0) << "on_response called concurrently";
    EXPECT_TRUE(out.emplace(r.request_id, r).second) << "twice for " << r.request_id;
    inside.fetch_sub(1);
  });
  EXPECT_EQ(out.size(), requests.size());
  return out;
}

double SecondsSince(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

TEST(OpenAiBackendTest, RegisteredAndConfigured) {
  auto b = MakeBackend("openai", Options("http://127.0.0.1:1, http://127.0.0.1:2/v1/"));
  EXPECT_EQ(b->name(), "openai");
  nlohmann::json d = b->Describe();
  EXPECT_EQ(d["backend"], "openai");
  EXPECT_EQ(d["model"], "test-model");
  EXPECT_EQ(d["urls"], nlohmann::json({"http://127.0.0.1:1/v1", "http://127.0.0.1:2/v1"}));
  EXPECT_EQ(d["concurrency"], 16);
  EXPECT_EQ(d["max_retries"], 5);
}

TEST(OpenAiBackendTest, BadOptionsAreNamed) {
  auto expect_error = [](BackendOptions o, const std::string& needle) {
    try {
      MakeBackend("openai", o);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error(Options(""), "needs a url");
  expect_error(Options("localhost:8000"), "bad URL");
  expect_error(Options("http://h", {{"concurrency", "0"}}), "concurrency");
  expect_error(Options("http://h", {{"timeout", "soon"}}), "timeout");
  expect_error(Options("http://h", {{"max_retries", "-1"}}), "max_retries");
  expect_error(Options("http://h", {{"tls_verify", "maybe"}}), "tls_verify");
}

TEST(OpenAiBackendTest, ChatAndCompletionEcho) {
  FaultServer server([](const SeenRequest& r, int) { return EchoReply(r); });
  auto backend = MakeBackend("openai", Options(server.url()));
  std::vector<Request> requests = ChatRequests(2);
  requests[1].prompt = "raw prompt";
  requests[1].params.logprobs = 2;
  auto out = GenerateAll(*backend, requests);
  EXPECT_EQ(out["t/0"].status, ResponseStatus::kOk);
  EXPECT_EQ(out["t/0"].text, "echo: q0");
  EXPECT_EQ(out["t/0"].finish_reason, "stop");
  EXPECT_EQ(out["t/0"].prompt_tokens, 2);
  EXPECT_EQ(out["t/0"].completion_tokens, 3);
  EXPECT_GT(out["t/0"].seconds, 0);
  EXPECT_EQ(out["t/1"].text, "echo: raw prompt");
  std::map<std::string, nlohmann::json> bodies;
  for (const SeenRequest& s : server.seen()) bodies[s.target] = nlohmann::json::parse(s.body);
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies["/v1/chat/completions"]["model"], "test-model");
  EXPECT_EQ(bodies["/v1/chat/completions"]["messages"][0]["content"], "q0");
  EXPECT_EQ(bodies["/v1/completions"]["prompt"], "raw prompt");
  EXPECT_EQ(bodies["/v1/completions"]["logprobs"], 2);
}

TEST(OpenAiBackendTest, RetriesServerErrorsThenSucceeds) {
  std::atomic<int> failures_left{2};
  FaultServer server([&](const SeenRequest& r, int) {
    if (failures_left.fetch_sub(1) > 0) return StatusReply(500, R"({"error":{"message":"overloaded"}})");
    return EchoReply(r);
  });
  auto backend = MakeBackend("openai", Options(server.url()));
  auto out = GenerateAll(*backend, ChatRequests(1));
  EXPECT_EQ(out["t/0"].status, ResponseStatus::kOk) << out["t/0"].error;
  EXPECT_EQ(out["t/0"].text, "echo: q0");
  EXPECT_EQ(server.requests(), 3);
}

TEST(OpenAiBackendTest, HonoursRetryAfterOn429) {
  std::atomic<int> calls{0};
  FaultServer server([&](const SeenRequest& r, int) {
    if (calls.fetch_add(1) == 0) {
      Reply reply = StatusReply(429, R"({"error":{"message":"rate limited"}})");
      reply.headers = {{"Retry-After", "1"}};
      return reply;
    }
    return EchoReply(r);
  });
  auto backend = MakeBackend("openai", Options(server.url()));
  const auto t0 = Clock::now();
  auto out = GenerateAll(*backend, ChatRequests(1));
  EXPECT_EQ(out["t/0"].status, ResponseStatus::kOk) << out["t/0"].error;
  EXPECT_GE(SecondsSince(t0), 0.95);  // the backoff alone would be ~0.01 s
  EXPECT_EQ(server.requests(), 2);
}

TEST(OpenAiBackendTest, ExhaustedRetriesBecomeAFailedRecord) {
  FaultServer server([](const SeenRequest&, int) { return StatusReply(503, R"({"error":{"message":"no capacity"}})"); });
  auto backend = MakeBackend("openai", Options(server.url(), {{"max_retries", "3"}}));
  auto out = GenerateAll(*backend, ChatRequests(1));
  const Response& r = out["t/0"];
  EXPECT_EQ(r.status, ResponseStatus::kFailed);
  EXPECT_EQ(r.finish_reason, "error");
  EXPECT_EQ(r.text, "");
  EXPECT_NE(r.error.find("request t/0"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find(server.url() + "/v1/chat/completions"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("after 4 attempts"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("HTTP 503: no capacity"), std::string::npos) << r.error;
  EXPECT_EQ(server.requests(), 4);
}

TEST(OpenAiBackendTest, ClientErrorsAreNotRetried) {
  FaultServer server([](const SeenRequest&, int) { return StatusReply(400, R"({"error":{"message":"bad max_tokens"}})"); });
  auto backend = MakeBackend("openai", Options(server.url()));
  auto out = GenerateAll(*backend, ChatRequests(1));
  EXPECT_EQ(out["t/0"].status, ResponseStatus::kFailed);
  EXPECT_NE(out["t/0"].error.find("after 1 attempt: HTTP 400: bad max_tokens"), std::string::npos) << out["t/0"].error;
  EXPECT_EQ(server.requests(), 1);
}

TEST(OpenAiBackendTest, TimeoutIsRetriedThenFails) {
  FaultServer server([](const SeenRequest& r, int) {
    Reply reply = EchoReply(r);
    reply.delay_s = 3;
    return reply;
  });
  auto backend = MakeBackend("openai", Options(server.url(), {{"timeout", "0.2"}, {"max_retries", "1"}}));
  const auto t0 = Clock::now();
  auto out = GenerateAll(*backend, ChatRequests(1));
  EXPECT_LT(SecondsSince(t0), 2.0);
  EXPECT_EQ(out["t/0"].status, ResponseStatus::kFailed);
  EXPECT_NE(out["t/0"].error.find("after 2 attempts: timeout"), std::string::npos) << out["t/0"].error;
  EXPECT_EQ(server.requests(), 2);
}

TEST(OpenAiBackendTest, GarbledRepliesFailWithoutRetry) {
  struct Case {
    Reply::Fault fault;
    std::string body;
    const char* expect;
    int attempts;
  };
  const Case cases[] = {
      {Reply::Fault::kNone, "{not json", "invalid JSON", 1},
      {Reply::Fault::kNone, R"({"id":"x","choices":[]})", "no choices[0]", 1},
      {Reply::Fault::kNone, R"({"choices":[{"finish_reason":"stop"}]})", "no choices[0].message", 1},
      // A body cut off by a broken connection is a transport failure: retried.
      {Reply::Fault::kTruncate, R"({"choices":[{"message":{"content":"long answer"}}]})", "truncated", 3},
      {Reply::Fault::kReset, "", "after 3 attempts: io:", 3},
  };
  for (const Case& c : cases) {
    FaultServer server([&](const SeenRequest&, int) {
      Reply reply = StatusReply(200, c.body);
      reply.fault = c.fault;
      return reply;
    });
    auto backend = MakeBackend("openai", Options(server.url(), {{"max_retries", "2"}}));
    auto out = GenerateAll(*backend, ChatRequests(1));
    const Response& r = out["t/0"];
    EXPECT_EQ(r.status, ResponseStatus::kFailed) << c.body;
    EXPECT_NE(r.error.find(c.expect), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("request t/0"), std::string::npos) << r.error;
    EXPECT_EQ(server.requests(), c.attempts) << r.error;
  }
}

TEST(OpenAiBackendTest, UnreachableServerNamesTheUrl) {
  int port;
  {
    FaultServer closed([](const SeenRequest& r, int) { return EchoReply(r); });
    port = closed.port();
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  auto backend = MakeBackend("openai", Options(url, {{"max_retries", "1"}}));
  auto out = GenerateAll(*backend, ChatRequests(1));
  EXPECT_EQ(out["t/0"].status, ResponseStatus::kFailed);
  EXPECT_NE(out["t/0"].error.find(url + "/v1/chat/completions"), std::string::npos) << out["t/0"].error;
  EXPECT_NE(out["t/0"].error.find("connect"), std::string::npos) << out["t/0"].error;
}

TEST(OpenAiBackendTest, RequestWithoutContentFailsAlone) {
  FaultServer server([](const SeenRequest& r, int) { return EchoReply(r); });
  auto backend = MakeBackend("openai", Options(server.url()));
  std::vector<Request> requests = ChatRequests(3);
  requests[1].messages.clear();
  auto out = GenerateAll(*backend, requests);
  EXPECT_EQ(out["t/0"].status, ResponseStatus::kOk);
  EXPECT_EQ(out["t/1"].status, ResponseStatus::kFailed);
  EXPECT_NE(out["t/1"].error.find("t/1"), std::string::npos);
  EXPECT_EQ(out["t/2"].status, ResponseStatus::kOk);
  EXPECT_EQ(server.requests(), 2);
}

TEST(OpenAiBackendTest, RoundRobinOverUrls) {
  FaultServer a([](const SeenRequest& r, int) { return EchoReply(r); });
  FaultServer b([](const SeenRequest& r, int) { return EchoReply(r); });
  auto backend = MakeBackend("openai", Options(a.url() + "," + b.url(), {{"concurrency", "1"}}));
  auto out = GenerateAll(*backend, ChatRequests(10));
  for (auto& [id, r] : out) EXPECT_EQ(r.status, ResponseStatus::kOk) << r.error;
  EXPECT_EQ(a.requests(), 5);
  EXPECT_EQ(b.requests(), 5);
}

TEST(OpenAiBackendTest, RoundRobinRetriesOnTheOtherUrl) {
  FaultServer down([](const SeenRequest&, int) { return StatusReply(502, "bad gateway"); });
  FaultServer up([](const SeenRequest& r, int) { return EchoReply(r); });
  auto backend = MakeBackend("openai", Options(down.url() + "," + up.url(), {{"concurrency", "1"}}));
  auto out = GenerateAll(*backend, ChatRequests(6));
  for (auto& [id, r] : out) EXPECT_EQ(r.status, ResponseStatus::kOk) << r.error;
  EXPECT_EQ(up.requests(), 6);
}

TEST(OpenAiBackendTest, ConcurrencyLimitIsRespected) {
  FaultServer server([](const SeenRequest& r, int) {
    Reply reply = EchoReply(r);
    reply.delay_s = 0.03;
    return reply;
  });
  auto backend = MakeBackend("openai", Options(server.url(), {{"concurrency", "4"}}));
  auto out = GenerateAll(*backend, ChatRequests(40));
  for (auto& [id, r] : out) EXPECT_EQ(r.status, ResponseStatus::kOk) << r.error;
  EXPECT_EQ(server.requests(), 40);
  EXPECT_LE(server.max_in_flight(), 4);
  EXPECT_GE(server.max_in_flight(), 3);  // and the limit is actually used
  EXPECT_LE(server.connections(), 4);
}

TEST(OpenAiBackendTest, ApiKeyOnlyInAuthorizationHeader) {
  const std::string key = "sk-test-5e3c7a91f0d2";
  ASSERT_EQ(setenv("BHASA_TEST_API_KEY", key.c_str(), 1), 0);
  // The server quotes the key back in its error, as some real servers do.
  std::atomic<int> calls{0};
  FaultServer server([&](const SeenRequest& r, int) {
    if (calls.fetch_add(1) == 0) return EchoReply(r);
    return StatusReply(401, R"({"error":{"message":"Incorrect API key provided: )" + key + R"("}})");
  });
  auto backend = MakeBackend("openai", Options(server.url(), {{"api_key_env", "BHASA_TEST_API_KEY"}, {"concurrency", "1"}}));
  unsetenv("BHASA_TEST_API_KEY");  // read once, at construction
  auto out = GenerateAll(*backend, ChatRequests(2));
  EXPECT_EQ(out["t/0"].status, ResponseStatus::kOk);
  EXPECT_EQ(out["t/1"].status, ResponseStatus::kFailed);
  EXPECT_EQ(out["t/1"].error.find(key), std::string::npos) << out["t/1"].error;
  EXPECT_NE(out["t/1"].error.find("Incorrect API key provided: ***"), std::string::npos) << out["t/1"].error;
  for (const auto& [id, r] : out) EXPECT_EQ(nlohmann::json(r).dump().find(key), std::string::npos);
  EXPECT_EQ(backend->Describe().dump().find(key), std::string::npos);
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  for (const SeenRequest& s : seen) {
    int authorization = 0;
    EXPECT_EQ(s.body.find(key), std::string::npos);
    EXPECT_EQ(s.target.find(key), std::string::npos);
    for (const auto& [name, value] : s.headers) {
      if (name == "Authorization") {
        ++authorization;
        EXPECT_EQ(value, "Bearer " + key);
      } else {
        EXPECT_EQ(value.find(key), std::string::npos) << name;
      }
    }
    EXPECT_EQ(authorization, 1);
  }
}

TEST(OpenAiBackendTest, NoKeyNoAuthorizationHeader) {
  FaultServer server([](const SeenRequest& r, int) { return EchoReply(r); });
  auto backend = MakeBackend("openai", Options(server.url()));
  GenerateAll(*backend, ChatRequests(1));
  const auto seen = server.seen();  // a copy: a range-for over a temporary's member dangles
  for (const auto& [name, value] : seen.at(0).headers) EXPECT_NE(name, "Authorization");
}

TEST(OpenAiBackendTest, ContinueFinalMessageExtraBody) {
  FaultServer server([](const SeenRequest& r, int) { return EchoReply(r); });
  auto backend = MakeBackend("openai", Options(server.url()));
  std::vector<Request> requests = ChatRequests(1);
  requests[0].messages.push_back({"assistant", "Jawaban: "});
  requests[0].continue_final_message = true;
  requests[0].params.stop = {"\n\n"};
  requests[0].params.seed = 42008474;
  GenerateAll(*backend, requests);
  nlohmann::json body = nlohmann::json::parse(server.seen().at(0).body);
  EXPECT_EQ(body["continue_final_message"], true);
  EXPECT_EQ(body["add_generation_prompt"], false);
  EXPECT_EQ(body["stop"], nlohmann::json({"\n\n"}));
  EXPECT_EQ(body["seed"], 42008474);
  EXPECT_EQ(body["messages"].back()["role"], "assistant");
}

TEST(OpenAiBackendTest, ReasoningFieldBecomesResponseReasoning) {
  FaultServer server([](const SeenRequest&, int) {
    return StatusReply(200, R"({"choices":[{"message":{"content":"B","reasoning_content":"hmm"},"finish_reason":"stop"}]})");
  });
  auto backend = MakeBackend("openai", Options(server.url()));
  auto out = GenerateAll(*backend, ChatRequests(1));
  EXPECT_EQ(out["t/0"].text, "B");
  EXPECT_EQ(out["t/0"].reasoning, "hmm");
}

}  // namespace
}  // namespace bhasa::backends

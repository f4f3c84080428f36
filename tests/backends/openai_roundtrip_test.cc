// The openai backend against the project's own OpenAiServer: every Request
// field the backend sends must arrive intact as a Request on the other side,
// and every Response field must come back.
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "backends/http_client.h"
#include "backends/openai_backend.h"
#include "backends/openai_server.h"

namespace bhasa::backends {
namespace {

// Records what it is asked; answers with a fixed text, reasoning and counts.
class RecordingBackend : public Backend {
 public:
  std::string name() const override { return "recording"; }
  BackendCapabilities capabilities() const override {
    BackendCapabilities c;
    c.max_context = 2048;
    return c;
  }
  void Generate(std::span<const Request> requests, const OnResponse& on_response) override {
    for (const Request& r : requests) {
      {
        std::lock_guard lock(mu_);
        seen_.push_back(r);
      }
      Response out;
      out.request_id = r.id;
      out.text = "jawaban untuk " + (r.prompt ? *r.prompt : r.messages.back().content);
      out.finish_reason = finish;
      out.prompt_tokens = 11;
      out.completion_tokens = 7;
      on_response(std::move(out));
    }
  }
  std::string finish = "length";  // what every answer reports

  std::vector<Request> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::vector<Request> seen_;
};

TEST(OpenAiRoundTripTest, FieldsSurviveTheWire) {
  RecordingBackend engine;
  ServerOptions so;
  so.port = 0;
  OpenAiServer server(engine, so);
  const int port = server.port();
  std::thread serving([&] { server.Run(); });

  BackendOptions o;
  o.model = "bhasa";
  o.values = {{"url", "http://127.0.0.1:" + std::to_string(port)}, {"max_retries", "0"}};
  auto client = MakeBackend("openai", o);

  std::vector<Request> requests(2);
  requests[0].id = "chat";
  requests[0].messages = {{"system", "Jawab singkat."}, {"user", "Ibu kota?"}, {"assistant", "Jawaban:"}};
  requests[0].continue_final_message = true;
  requests[0].params.max_tokens = 77;
  requests[0].params.seed = 39305000;
  requests[0].params.temperature = 0.0;
  requests[0].params.top_p = 0.5;
  requests[0].params.top_k = 50;
  requests[0].params.stop = {"\n\n", "###"};
  requests[0].params.include_stop_str_in_output = true;
  requests[1].id = "raw";
  requests[1].prompt = "Terjemahkan: good morning";
  requests[1].params.max_tokens = 5;

  std::map<std::string, Response> out;
  client->Generate(requests, [&](Response r) { out[r.request_id] = r; });
  server.Stop();
  serving.join();

  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out["chat"].status, ResponseStatus::kOk) << out["chat"].error;
  EXPECT_EQ(out["chat"].text, "jawaban untuk Jawaban:");
  EXPECT_EQ(out["chat"].finish_reason, "length");
  EXPECT_EQ(out["chat"].prompt_tokens, 11);
  EXPECT_EQ(out["chat"].completion_tokens, 7);
  EXPECT_EQ(out["raw"].status, ResponseStatus::kOk) << out["raw"].error;
  EXPECT_EQ(out["raw"].text, "jawaban untuk Terjemahkan: good morning");

  std::vector<Request> seen = engine.seen();
  ASSERT_EQ(seen.size(), 2u);
  const Request& chat = seen[0].prompt ? seen[1] : seen[0];
  const Request& raw = seen[0].prompt ? seen[0] : seen[1];
  ASSERT_EQ(chat.messages.size(), 3u);
  EXPECT_EQ(chat.messages[0].role, "system");
  EXPECT_EQ(chat.messages[2].content, "Jawaban:");
  EXPECT_TRUE(chat.continue_final_message);
  EXPECT_EQ(chat.params.max_tokens, 77);
  EXPECT_EQ(chat.params.seed, 39305000u);
  EXPECT_EQ(chat.params.temperature, 0.0);
  EXPECT_EQ(chat.params.top_p, 0.5);
  EXPECT_EQ(chat.params.top_k, 50);
  EXPECT_EQ(chat.params.stop, (std::vector<std::string>{"\n\n", "###"}));
  EXPECT_FALSE(chat.params.include_stop_str_in_output);  // a vLLM-only field: kept on the client
  EXPECT_EQ(raw.prompt, "Terjemahkan: good morning");
  EXPECT_EQ(raw.params.max_tokens, 5);
  EXPECT_EQ(raw.params.temperature, 0.0);  // unset travels as greedy, never as the server's default
  EXPECT_EQ(raw.params.top_p, 1.0);
  EXPECT_FALSE(raw.params.top_k);
}

// A base model's phase 1 asks to keep the answer tag: the server strips a
// stop string, and the client puts it back only when a stop string, not the
// end-of-sequence token, ended the text.
TEST(OpenAiRoundTripTest, StopStringComesBackButEndOfSequenceAddsNothing) {
  RecordingBackend engine;
  ServerOptions so;
  so.port = 0;
  OpenAiServer server(engine, so);
  std::thread serving([&] { server.Run(); });
  BackendOptions o;
  o.model = "bhasa";
  o.values = {{"url", "http://127.0.0.1:" + std::to_string(server.port())}, {"max_retries", "0"},
              {"chat_template", "base"}};
  auto client = MakeBackend("openai", o);
  EXPECT_EQ(client->capabilities().max_context, 2048);  // /v1/models' max_model_len

  Request r;
  r.id = "p1";
  r.messages = {{"user", "Teks: bagus"}};
  r.params.stop = {"Jawaban:"};
  r.params.include_stop_str_in_output = true;
  std::map<std::string, std::string> text;
  for (const char* finish : {"stop", "eos"}) {
    engine.finish = finish;
    client->Generate(std::span(&r, 1), [&](Response resp) {
      EXPECT_EQ(resp.status, ResponseStatus::kOk) << resp.error;
      text[finish] = resp.text;
    });
  }
  server.Stop();
  serving.join();
  EXPECT_EQ(text["stop"], "jawaban untuk Teks: bagus\n\nJawaban:");
  EXPECT_EQ(text["eos"], "jawaban untuk Teks: bagus\n\n");
}

// Stop() must end Run() at once, even with an idle keep-alive client still
// connected, and the server must stay queryable afterwards.
TEST(OpenAiRoundTripTest, StopEndsRunWithAnIdleConnectionOpen) {
  RecordingBackend engine;
  ServerOptions so;
  so.port = 0;
  auto server = std::make_unique<OpenAiServer>(engine, so);
  const int port = server->port();
  std::thread serving([&] { server->Run(); });

  boost::asio::io_context io;
  boost::asio::ip::tcp::socket idle(io);
  idle.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the server accept it

  server->Stop();
  serving.join();
  EXPECT_EQ(server->port(), port);
  server.reset();  // must not wait for the idle client to hang up

  // The server shut the idle connection: a read sees end of stream.
  char byte;
  boost::system::error_code ec;
  idle.read_some(boost::asio::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec) << "connection still open after Stop()";
}

// Holds every Generate call until Release(), so that requests pile up in the
// server while earlier ones are still unanswered.
class GatedBackend : public Backend {
 public:
  std::string name() const override { return "gated"; }
  BackendCapabilities capabilities() const override { return {}; }
  void Generate(std::span<const Request> requests, const OnResponse& on_response) override {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return open_; });
    }
    for (const Request& r : requests) {
      Response out;
      out.request_id = r.id;
      out.text = "ok";
      on_response(std::move(out));
    }
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(OpenAiRoundTripTest, ConcurrentRequestsGetDistinctResponseIds) {
  GatedBackend engine;
  ServerOptions so;
  so.port = 0;
  OpenAiServer server(engine, so);
  std::thread serving([&] { server.Run(); });

  constexpr int kRequests = 6;
  HttpClient client(HttpClient::Options{});
  std::mutex mu;
  std::condition_variable cv;
  std::vector<HttpResponse> replies;
  for (int i = 0; i < kRequests; ++i) {
    HttpRequest r;
    r.url = Url::Parse("http://127.0.0.1:" + std::to_string(server.port()));
    r.target = i % 2 ? "/v1/chat/completions" : "/v1/completions";
    r.headers = {{"Content-Type", "application/json"}};
    r.body = i % 2 ? R"({"messages":[{"role":"user","content":"hai"}],"max_tokens":2})"
                   : R"({"prompt":"hai","max_tokens":2})";
    client.Send(std::move(r), [&](HttpResponse resp) {
      std::lock_guard lock(mu);
      replies.push_back(std::move(resp));
      cv.notify_all();
    });
  }
  // Every request is parsed and numbered while the first is still held.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  engine.Release();
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return replies.size() == kRequests; }));
  }
  server.Stop();
  serving.join();

  std::set<std::string> numbers;
  for (const HttpResponse& r : replies) {
    ASSERT_EQ(r.status, 200) << r.error_message << r.body;
    std::string id = nlohmann::json::parse(r.body).at("id").get<std::string>();
    numbers.insert(id.substr(id.find('-') + 1));  // chatcmpl-N / cmpl-N share one counter
  }
  EXPECT_EQ(numbers.size(), static_cast<size_t>(kRequests));
}

// Fields of the wrong type in a client's request: 400 naming the field, and
// the server goes on answering.
TEST(OpenAiRoundTripTest, WrongTypedRequestFieldsAreRejectedNamingTheField) {
  RecordingBackend engine;
  ServerOptions so;
  so.port = 0;
  OpenAiServer server(engine, so);
  std::thread serving([&] { server.Run(); });
  HttpClient client(HttpClient::Options{});
  auto post = [&](const std::string& target, const std::string& body) {
    HttpRequest req;
    req.url = Url::Parse("http://127.0.0.1:" + std::to_string(server.port()));
    req.target = target;
    req.headers = {{"Content-Type", "application/json"}};
    req.body = body;
    return client.SendSync(req);
  };
  const std::string chat = "/v1/chat/completions", completion = "/v1/completions";
  const struct {
    std::string target, body, field;
  } cases[] = {
      {chat, R"({"messages":[{"role":"user","content":5}]})", "content"},
      {chat, R"({"messages":[{"role":"user","content":[{"type":3,"text":"x"}]}]})", "type"},
      {chat, R"({"messages":[{"role":"user","content":[{"type":"text","text":[]}]}]})", "text"},
      {chat, R"({"messages":[{"role":"user","content":"x"}],"continue_final_message":"yes"})", "continue_final_message"},
      {completion, R"({"prompt":"x","max_tokens":"8"})", "max_tokens"},
      {completion, R"({"prompt":"x","max_tokens":1e30})", "max_tokens"},
      {completion, R"({"prompt":"x","top_k":2.5})", "top_k"},
      {completion, R"({"prompt":"x","temperature":"hot"})", "temperature"},
      {completion, R"({"prompt":"x","seed":-1})", "seed"},
      {completion, R"({"prompt":"x","stop":["a",1]})", "stop"},
      {completion, R"({"prompt":"x","include_stop_str_in_output":1})", "include_stop_str_in_output"},
  };
  for (const auto& c : cases) {
    HttpResponse r = post(c.target, c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    EXPECT_NE(r.body.find("'" + c.field + "'"), std::string::npos) << c.body << " -> " << r.body;
  }
  EXPECT_EQ(post(completion, R"({"prompt":"x","max_tokens":4,"stop":["a"]})").status, 200);
  server.Stop();
  serving.join();
}

}  // namespace
}  // namespace bhasa::backends

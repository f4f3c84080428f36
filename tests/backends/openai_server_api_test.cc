// OpenAiServer as OpenAI's clients see it: streamed replies (server-sent
// events, sent while the backend is still generating), errors in OpenAI's
// shape with the right status and param, and /v1/models/{id}.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/openai_server.h"

namespace bhasa::backends {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;

// Streams "Halo", then waits until the test lets it go on, then " dunia":
// a server that held text back until the end would never let the test see "Halo".
class SteppingBackend : public Backend {
 public:
  std::string name() const override { return "stepping"; }
  BackendCapabilities capabilities() const override {
    BackendCapabilities c;
    c.max_context = 2048;
    return c;
  }
  void Generate(std::span<const Request> requests, const OnResponse& on_response) override {
    GenerateStreaming(requests, [](const std::string&, std::string_view) {}, on_response);
  }
  void GenerateStreaming(std::span<const Request> requests, const OnText& on_text,
                         const OnResponse& on_response) override {
    for (const Request& r : requests) {
      on_text(r.id, "Halo");
      {
        std::unique_lock lock(mu);
        released_in_time = cv.wait_for(lock, std::chrono::seconds(20), [&] { return released; });
      }
      Response out;
      out.request_id = r.id;
      if (r.prompt == "fail") {  // breaks down half-way
        out.status = ResponseStatus::kFailed;
        out.error = "engine broke";
        on_response(std::move(out));
        continue;
      }
      on_text(r.id, " dunia");
      out.text = "Halo dunia";
      out.finish_reason = "eos";
      out.prompt_tokens = 3;
      out.completion_tokens = 2;
      on_response(std::move(out));
    }
  }
  void Release() {
    std::lock_guard lock(mu);
    released = true;
    cv.notify_all();
  }
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  bool released_in_time = false;
};

class ServerApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions so;
    so.port = 0;
    so.model_name = "tiny";
    server_ = std::make_unique<OpenAiServer>(backend_, so);
    serving_ = std::thread([&] { server_->Run(); });
  }
  void TearDown() override {
    backend_.Release();
    server_->Stop();
    serving_.join();
  }

  // Connects and sends one HTTP/1.1 request.
  asio::ip::tcp::socket Send(http::verb method, const std::string& target, const std::string& body = "") {
    asio::ip::tcp::socket sock(io_);
    sock.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server_->port())});
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(sock, req);
    return sock;
  }

  // A whole non-streamed reply: status and parsed JSON body.
  std::pair<int, json> Call(http::verb method, const std::string& target, const std::string& body = "") {
    auto sock = Send(method, target, body);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(sock, buf, res);
    return {res.result_int(), json::parse(res.body())};
  }

  // Reads a streamed reply until its body contains `needle`; returns the body so far.
  static std::string ReadUntil(asio::ip::tcp::socket& sock, beast::flat_buffer& buf,
                               http::response_parser<http::string_body>& parser, const std::string& needle) {
    beast::error_code ec;
    while (parser.get().body().find(needle) == std::string::npos && !parser.is_done()) {
      http::read_some(sock, buf, parser, ec);
      if (ec) break;
    }
    return parser.get().body();
  }

  // The JSON payloads of "data: ..." events, up to and not including [DONE].
  static std::vector<json> Events(const std::string& body, bool* done) {
    std::vector<json> out;
    *done = false;
    size_t at = 0;
    while ((at = body.find("data: ", at)) != std::string::npos) {
      const size_t end = body.find("\n\n", at);
      const std::string data = body.substr(at + 6, end - at - 6);
      at = end;
      if (data == "[DONE]") {
        *done = true;
        break;
      }
      out.push_back(json::parse(data));
    }
    return out;
  }

  SteppingBackend backend_;
  std::unique_ptr<OpenAiServer> server_;
  std::thread serving_;
  asio::io_context io_;
};

TEST_F(ServerApiTest, ChatStreamSendsTextAsGeneratedThenUsage) {
  auto sock = Send(http::verb::post, "/v1/chat/completions",
                   R"({"model":"tiny","messages":[{"role":"user","content":"Hai"}],"stream":true,)"
                   R"("stream_options":{"include_usage":true},"some_future_field":{"x":1}})");
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  ReadUntil(sock, buf, parser, R"("content":"Halo")");
  EXPECT_EQ(parser.get().result_int(), 200);
  EXPECT_EQ(parser.get()[http::field::content_type], "text/event-stream");
  EXPECT_EQ(parser.get().body().find("dunia"), std::string::npos);
  backend_.Release();  // only now does the backend generate the rest
  const std::string body = ReadUntil(sock, buf, parser, "data: [DONE]");
  EXPECT_TRUE(backend_.released_in_time) << "the first piece never reached the client while generating";

  bool done = false;
  const auto events = Events(body, &done);
  EXPECT_TRUE(done);
  ASSERT_EQ(events.size(), 5u) << body;  // role, "Halo", " dunia", finish, usage
  std::string text;
  for (const auto& e : events) {
    EXPECT_EQ(e["object"], "chat.completion.chunk");
    EXPECT_EQ(e["id"], events[0]["id"]);
    EXPECT_EQ(e["model"], "tiny");
    EXPECT_TRUE(e.contains("usage"));
  }
  EXPECT_EQ(events[0]["choices"][0]["delta"]["role"], "assistant");
  for (size_t i = 1; i < 3; ++i) text += events[i]["choices"][0]["delta"]["content"].get<std::string>();
  EXPECT_EQ(text, "Halo dunia");
  EXPECT_TRUE(events[1]["choices"][0]["finish_reason"].is_null());
  EXPECT_EQ(events[3]["choices"][0]["finish_reason"], "stop");  // EOS is OpenAI's "stop"
  EXPECT_TRUE(events[3]["choices"][0]["delta"].empty());
  EXPECT_TRUE(events[3]["usage"].is_null());
  EXPECT_TRUE(events[4]["choices"].empty());
  EXPECT_EQ(events[4]["usage"], json({{"prompt_tokens", 3}, {"completion_tokens", 2}, {"total_tokens", 5}}));
}

TEST_F(ServerApiTest, CompletionStreamWithoutUsage) {
  backend_.Release();
  auto sock = Send(http::verb::post, "/v1/completions", R"({"prompt":"Hai","stream":true,"max_tokens":4})");
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  bool done = false;
  const auto events = Events(ReadUntil(sock, buf, parser, "data: [DONE]"), &done);
  EXPECT_TRUE(done);
  // "Halo" and " dunia" (one chunk when both were waiting to be written), then the finish.
  ASSERT_GE(events.size(), 2u);
  std::string text;
  for (const auto& e : events) {
    EXPECT_EQ(e["object"], "text_completion");
    EXPECT_FALSE(e.contains("usage"));
    text += e["choices"][0]["text"].get<std::string>();
  }
  EXPECT_EQ(text, "Halo dunia");
  EXPECT_EQ(events.back()["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(events.back()["choices"][0]["text"], "");
}

TEST_F(ServerApiTest, Http10StreamEndsWithTheConnection) {
  backend_.Release();
  asio::ip::tcp::socket sock(io_);
  sock.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server_->port())});
  const std::string body = R"({"prompt":"Hai","stream":true})";
  asio::write(sock, asio::buffer("POST /v1/completions HTTP/1.0\r\nContent-Length: " + std::to_string(body.size()) +
                                 "\r\n\r\n" + body));
  std::string reply;
  beast::error_code ec;
  asio::read(sock, asio::dynamic_buffer(reply), ec);  // until the server closes
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_EQ(reply.find("Transfer-Encoding"), std::string::npos) << "no chunked encoding in HTTP/1.0";
  bool done = false;
  const auto events = Events(reply.substr(reply.find("\r\n\r\n")), &done);
  EXPECT_TRUE(done);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.back()["choices"][0]["finish_reason"], "stop");
}

TEST_F(ServerApiTest, FailureAfterTheStreamBeganIsAnErrorEvent) {
  backend_.Release();
  auto sock = Send(http::verb::post, "/v1/completions", R"({"prompt":"fail","stream":true})");
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  bool done = false;
  const auto events = Events(ReadUntil(sock, buf, parser, "data: [DONE]"), &done);
  EXPECT_TRUE(done);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["choices"][0]["text"], "Halo");
  EXPECT_EQ(events[1]["error"]["message"], "engine broke");
  EXPECT_EQ(events[1]["error"]["type"], "server_error");
}

TEST_F(ServerApiTest, OutOfRangeValuesAre400NamingTheParam) {
  backend_.Release();
  const std::string chat = R"({"messages":[{"role":"user","content":"Hai"}],)";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"("temperature":-0.5})", "temperature"},
      {R"("top_p":0})", "top_p"},
      {R"("top_p":1.5})", "top_p"},
      {R"("max_tokens":0})", "max_tokens"},
      {R"("max_tokens":4097})", "max_tokens"},  // beyond the context of 2048
      {R"("max_completion_tokens":-3})", "max_completion_tokens"},
      {R"("n":0})", "n"},
      {R"("n":129})", "n"},
      {R"("top_k":-2})", "top_k"},
      {R"("temperature":"hot"})", "temperature"},
      {R"("stream":"yes"})", "stream"},
      {R"("stream_options":{"include_usage":true}})", "stream_options"},  // without stream: true
  };
  for (const auto& [tail, param] : cases) {
    auto [status, body] = Call(http::verb::post, "/v1/chat/completions", chat + tail);
    EXPECT_EQ(status, 400) << tail;
    EXPECT_EQ(body["error"]["param"], param) << tail;
    EXPECT_EQ(body["error"]["type"], "invalid_request_error") << tail;
    EXPECT_TRUE(body["error"]["code"].is_string()) << tail;
    EXPECT_TRUE(body["error"]["message"].is_string()) << tail;
  }
  auto [status, body] = Call(http::verb::post, "/v1/completions", R"({"max_tokens":3})");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["error"]["param"], "prompt");
  EXPECT_EQ(body["error"]["code"], "missing_required_parameter");
  std::tie(status, body) = Call(http::verb::post, "/v1/completions", R"({"prompt":[1,2]})");
  EXPECT_EQ(status, 400);  // token-id prompts are not read
  EXPECT_EQ(body["error"]["param"], "prompt");
  EXPECT_EQ(body["error"]["code"], "invalid_type");
  std::tie(status, body) = Call(http::verb::post, "/v1/chat/completions", R"({"model":"tiny"})");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["error"]["param"], "messages");
  EXPECT_EQ(body["error"]["code"], "missing_required_parameter");
  std::tie(status, body) = Call(http::verb::post, "/v1/completions", "{not json");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["error"]["code"], "invalid_json");
  // A known field of a wrong type that is not a sampling value: still a 400, never a crash.
  std::tie(status, body) = Call(http::verb::post, "/v1/chat/completions", chat + R"("continue_final_message":"yes"})");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["error"]["code"], "invalid_type");
  // Null is the same as absent.
  std::tie(status, body) =
      Call(http::verb::post, "/v1/chat/completions", chat + R"("stream":null,"stream_options":null,"temperature":null})");
  EXPECT_EQ(status, 200) << body.dump();
  std::tie(status, body) =
      Call(http::verb::post, "/v1/chat/completions", chat + R"("stream":false,"stream_options":null})");
  EXPECT_EQ(status, 200) << body.dump();
  // In range, with fields this server does not know: answered.
  std::tie(status, body) = Call(http::verb::post, "/v1/chat/completions",
                                chat + R"("temperature":0,"top_p":1,"n":1,"max_tokens":2048,"user":"u","frequency_penalty":0})");
  EXPECT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["choices"][0]["message"]["content"], "Halo dunia");
}

TEST_F(ServerApiTest, ModelsListAndRetrieve) {
  auto [status, list] = Call(http::verb::get, "/v1/models");
  EXPECT_EQ(status, 200);
  ASSERT_EQ(list["data"].size(), 1u);
  const json model = list["data"][0];
  EXPECT_EQ(model["id"], "tiny");
  EXPECT_EQ(model["object"], "model");
  EXPECT_EQ(model["owned_by"], "bhasa");
  EXPECT_GT(model["created"].get<int64_t>(), 1600000000);
  auto [one_status, one] = Call(http::verb::get, "/v1/models/tiny");
  EXPECT_EQ(one_status, 200);
  EXPECT_EQ(one, model);
  auto [missing_status, missing] = Call(http::verb::get, "/v1/models/gpt-4o");
  EXPECT_EQ(missing_status, 404);
  EXPECT_EQ(missing["error"]["code"], "model_not_found");
  EXPECT_EQ(missing["error"]["type"], "invalid_request_error");
  auto [route_status, route] = Call(http::verb::post, "/v1/embeddings", "{}");
  EXPECT_EQ(route_status, 404);
  EXPECT_EQ(route["error"]["code"], "unknown_url");
  auto [method_status, method] = Call(http::verb::get, "/v1/completions");
  EXPECT_EQ(method_status, 405);
  EXPECT_TRUE(method["error"]["code"].is_string());
}

}  // namespace
}  // namespace bhasa::backends

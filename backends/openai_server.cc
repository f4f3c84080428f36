#include "backends/openai_server.h"

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <limits>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include "common/error.h"
#include "common/json_field.h"
#include "common/jsonl.h"

namespace bhasa::backends {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct HttpReply {
  int status = 200;
  nlohmann::json body;
};

HttpReply ErrorReply(int status, const std::string& message, const char* type = "invalid_request_error") {
  return {status, {{"error", {{"message", message}, {"type", type}, {"code", status}}}}};
}

// OpenAI request JSON → Request; throws Error with the reason on bad input,
// a value of the wrong type included.
Request ParseRequest(const nlohmann::json& j, bool chat, uint64_t serial) {
  if (!j.is_object()) throw Error("request body must be a JSON object");
  const std::string where = "request body";
  Request r;
  r.id = "serve-" + std::to_string(serial);
  if (chat) {
    if (!j.contains("messages") || !j["messages"].is_array() || j["messages"].empty())
      throw Error("'messages' must be a non-empty array");
    for (const auto& m : j["messages"]) {
      if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
        throw Error("each message needs a string 'role'");
      std::string content;
      const nlohmann::json* c = FindField(m, "content");
      if (c && c->is_array()) {  // [{"type":"text","text":...}]
        for (const auto& part : *c)
          if (FieldOr(part, "type", "", where) == "text") content += FieldOr(part, "text", "", where);
      } else if (c) {
        content = FieldAs<std::string>(*c, "content", where);
      }
      r.messages.push_back({m["role"].get<std::string>(), content});
    }
    r.continue_final_message = FieldOr(j, "continue_final_message", false, where);
  } else {
    if (!j.contains("prompt") || !j["prompt"].is_string()) throw Error("'prompt' must be a string");
    r.prompt = j["prompt"].get<std::string>();
  }
  auto count = [&](const char* k, int64_t fallback) {
    const int64_t v = FieldOr<int64_t>(j, k, fallback, where);
    if (v < 0 || v > std::numeric_limits<int>::max())
      throw Error(where + ": field '" + k + "' must be between 0 and " + std::to_string(std::numeric_limits<int>::max()));
    return static_cast<int>(v);
  };
  r.params.max_tokens = count("max_tokens", count("max_completion_tokens", r.params.max_tokens));
  if (const nlohmann::json* t = FindField(j, "temperature")) r.params.temperature = FieldAs<double>(*t, "temperature", where);
  if (const nlohmann::json* p = FindField(j, "top_p")) r.params.top_p = FieldAs<double>(*p, "top_p", where);
  if (const int top_k = count("top_k", 0); top_k > 0) r.params.top_k = top_k;
  if (const nlohmann::json* seed = FindField(j, "seed")) {
    if (!seed->is_number_unsigned()) throw Error(where + ": field 'seed' must be a non-negative integer");
    r.params.seed = seed->get<uint64_t>();
  }
  if (const nlohmann::json* stop = FindField(j, "stop")) {
    if (stop->is_array())
      for (const auto& s : *stop) r.params.stop.push_back(FieldAs<std::string>(s, "stop", where));
    else
      r.params.stop = {FieldAs<std::string>(*stop, "stop", where)};
  }
  r.params.include_stop_str_in_output = FieldOr(j, "include_stop_str_in_output", false, where);
  return r;
}

}  // namespace

struct OpenAiServer::Impl {
  struct Pending {
    Request request;
    std::promise<Response> done;
  };

  Impl(Backend& b, ServerOptions o) : backend(b), options(std::move(o)), acceptor(io) {
    beast::error_code ec;
    tcp::endpoint ep(asio::ip::make_address(options.host, ec), static_cast<unsigned short>(options.port));
    if (ec) throw Error("serve: bad host '" + options.host + "': " + ec.message());
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw Error("serve: cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " + ec.message());
    bound_port = acceptor.local_endpoint().port();
    worker = std::thread([this] { BatchLoop(); });
  }

  ~Impl() {
    Stop();
    {
      // Sessions hold `this`: wait until every one has seen its socket shut.
      std::unique_lock lock(sessions_mu);
      sessions_cv.wait(lock, [&] { return sessions.empty(); });
    }
    {
      std::lock_guard lock(mu);
      stopping = true;
    }
    cv.notify_all();
    if (worker.joinable()) worker.join();
    beast::error_code ec;
    acceptor.close(ec);
  }

  // Wakes a blocked accept() and every session's blocked read: on Linux only
  // shutdown(2) interrupts them, closing the descriptor does not.
  void Stop() {
    bool expected = false;
    if (!stopped.compare_exchange_strong(expected, true)) return;
    ::shutdown(acceptor.native_handle(), SHUT_RDWR);
    std::lock_guard lock(sessions_mu);
    for (int fd : sessions) ::shutdown(fd, SHUT_RDWR);
  }

  // Collects what has queued up and answers it with one Generate call.
  void BatchLoop() {
    for (;;) {
      std::vector<std::unique_ptr<Pending>> batch;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (stopping && queue.empty()) return;
        lock.unlock();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));  // let concurrent requests join
        lock.lock();
        while (!queue.empty() && static_cast<int>(batch.size()) < options.max_batch) {
          batch.push_back(std::move(queue.front()));
          queue.pop_front();
        }
      }
      std::vector<Request> reqs;
      for (const auto& p : batch) reqs.push_back(p->request);
      std::vector<bool> answered(batch.size(), false);
      try {
        backend.Generate(reqs, [&](Response r) {
          for (size_t i = 0; i < batch.size(); ++i)
            if (!answered[i] && batch[i]->request.id == r.request_id) {
              answered[i] = true;
              batch[i]->done.set_value(std::move(r));
              return;
            }
        });
      } catch (const std::exception& e) {
        for (size_t i = 0; i < batch.size(); ++i)
          if (!answered[i]) {
            Response r;
            r.request_id = batch[i]->request.id;
            r.status = ResponseStatus::kFailed;
            r.error = e.what();
            answered[i] = true;
            batch[i]->done.set_value(std::move(r));
          }
      }
      for (size_t i = 0; i < batch.size(); ++i)
        if (!answered[i]) {
          Response r;
          r.request_id = batch[i]->request.id;
          r.status = ResponseStatus::kFailed;
          r.error = "backend returned no response";
          batch[i]->done.set_value(std::move(r));
        }
    }
  }

  Response Submit(Request r) {
    auto p = std::make_unique<Pending>();
    p->request = std::move(r);
    auto fut = p->done.get_future();
    {
      std::lock_guard lock(mu);
      queue.push_back(std::move(p));
    }
    cv.notify_one();
    return fut.get();
  }

  HttpReply Completion(const std::string& body, bool chat) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded()) return ErrorReply(400, "request body is not valid JSON");
    Request req;
    // This request's own number: other connections advance `serial` meanwhile.
    const uint64_t own_serial = ++serial;
    try {
      req = ParseRequest(j, chat, own_serial);
    } catch (const Error& e) {
      return ErrorReply(400, e.what());
    }
    Response r = Submit(std::move(req));
    if (r.status != ResponseStatus::kOk)
      return ErrorReply(r.error.find("does not fit") != std::string::npos ? 400 : 500, r.error,
                        r.error.find("does not fit") != std::string::npos ? "invalid_request_error" : "server_error");
    nlohmann::json choice = {{"index", 0}, {"finish_reason", r.finish_reason == "eos" ? "stop" : r.finish_reason}};
    // vLLM's convention: a null stop_reason says no stop string ended the text.
    if (r.finish_reason == "eos") choice["stop_reason"] = nullptr;
    if (chat) choice["message"] = {{"role", "assistant"}, {"content", r.text}};
    else choice["text"] = r.text;
    using namespace std::chrono;
    return {200,
            {{"id", std::string(chat ? "chatcmpl-" : "cmpl-") + std::to_string(own_serial)},
             {"object", chat ? "chat.completion" : "text_completion"},
             {"created", duration_cast<seconds>(system_clock::now().time_since_epoch()).count()},
             {"model", j.value("model", options.model_name)},
             {"choices", {choice}},
             {"usage",
              {{"prompt_tokens", r.prompt_tokens},
               {"completion_tokens", r.completion_tokens},
               {"total_tokens", r.prompt_tokens + r.completion_tokens}}}}};
  }

  HttpReply Route(const http::request<http::string_body>& req) {
    std::string target(req.target());
    if (auto q = target.find('?'); q != std::string::npos) target.resize(q);
    if (target == "/health") return {200, {{"status", "ok"}}};
    if (target == "/v1/models" && req.method() == http::verb::get) {
      nlohmann::json model = {{"id", options.model_name}, {"object", "model"}, {"owned_by", "bhasa"}};
      if (const int n_ctx = backend.capabilities().max_context; n_ctx > 0) model["max_model_len"] = n_ctx;  // as vLLM
      return {200, {{"object", "list"}, {"data", {model}}}};
    }
    bool chat = target == "/v1/chat/completions", completion = target == "/v1/completions";
    if (!chat && !completion) return ErrorReply(404, "no route for " + target);
    if (req.method() != http::verb::post) return ErrorReply(405, target + " takes POST");
    return Completion(req.body(), chat);
  }

  void Session(tcp::socket& sock) {
    beast::flat_buffer buf;
    beast::error_code ec;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options.max_body_bytes);
      http::read(sock, buf, parser, ec);
      if (ec) break;
      const auto& req = parser.get();
      HttpReply reply = Route(req);
      http::response<http::string_body> res{static_cast<http::status>(reply.status), req.version()};
      res.set(http::field::content_type, "application/json");
      res.set(http::field::server, "bhasa/" BHASA_VERSION);
      res.body() = DumpJson(reply.body);
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(sock, res, ec);
      if (ec || !req.keep_alive()) break;
    }
    sock.shutdown(tcp::socket::shutdown_send, ec);
  }

  void Run() {
    while (!stopped) {
      beast::error_code ec;
      tcp::socket sock(io);
      acceptor.accept(sock, ec);
      if (ec) {
        if (stopped) break;
        continue;
      }
      {
        std::lock_guard lock(sessions_mu);
        if (stopped) break;
        sessions.insert(sock.native_handle());
      }
      std::thread([this, s = std::move(sock)]() mutable {
        const int fd = s.native_handle();
        Session(s);
        std::lock_guard lock(sessions_mu);
        sessions.erase(fd);
        sessions_cv.notify_all();
      }).detach();
    }
  }

  Backend& backend;
  ServerOptions options;
  asio::io_context io;
  tcp::acceptor acceptor;
  int bound_port = 0;
  std::atomic<bool> stopped{false};
  std::mutex sessions_mu;  // guards sessions
  std::condition_variable sessions_cv;
  std::set<int> sessions;  // descriptors of open connections
  std::atomic<uint64_t> serial{0};
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::unique_ptr<Pending>> queue;
  bool stopping = false;
  std::thread worker;
};

OpenAiServer::OpenAiServer(Backend& backend, ServerOptions options)
    : impl_(std::make_unique<Impl>(backend, std::move(options))) {}
OpenAiServer::~OpenAiServer() = default;
int OpenAiServer::port() const { return impl_->bound_port; }
void OpenAiServer::Run() { impl_->Run(); }
void OpenAiServer::Stop() { impl_->Stop(); }

}  // namespace bhasa::backends

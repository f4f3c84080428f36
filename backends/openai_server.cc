#include "backends/openai_server.h"

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include "backends/openai_server_wire.h"
#include "common/error.h"
#include "common/json_field.h"
#include "common/jsonl.h"

namespace bhasa::backends {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// One request on its way through the batch loop. Streamed text and the
// final response are handed over under `mu` to the connection's thread.
struct Pending {
  Request request;
  bool stream = false;
  std::mutex mu;
  std::condition_variable cv;
  std::string text;                 // streamed text not yet written (stream only)
  std::optional<Response> response;
};

struct HttpReply {
  HttpReply(int s, nlohmann::json b) : status(s), body(std::move(b)) {}
  HttpReply(std::shared_ptr<Pending> p, StreamHeader h) : stream(std::move(p)), header(std::move(h)) {}
  int status = 200;
  nlohmann::json body;
  std::shared_ptr<Pending> stream;  // set: answered as server-sent events instead of `body`
  StreamHeader header;
};

HttpReply ErrorReply(const ApiError& e) { return {e.status(), e.Body()}; }

// A failed Response as an API error: a prompt too long for the context is the client's fault.
ApiError ResponseError(const Response& r, bool chat) {
  if (r.error.find("does not fit") != std::string::npos)
    return ApiError(400, r.error, chat ? "messages" : "prompt", "context_length_exceeded");
  return ApiError(500, r.error, "", "internal_error", "server_error");
}

// OpenAI's finish reasons: an end-of-sequence token is a "stop".
std::string FinishReason(const Response& r) { return r.finish_reason == "eos" ? "stop" : r.finish_reason; }

int64_t UnixSeconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

// OpenAI request JSON → Request; throws ApiError (or Error, for a value of the
// wrong type) with the reason on bad input.
Request ParseRequest(const nlohmann::json& j, bool chat, uint64_t serial) {
  if (!j.is_object()) throw ApiError(400, "request body must be a JSON object", "", "invalid_type");
  const std::string where = "request body";
  Request r;
  r.id = "serve-" + std::to_string(serial);
  if (chat) {
    if (!j.contains("messages") || !j["messages"].is_array() || j["messages"].empty())
      throw ApiError(400, "'messages' must be a non-empty array", "messages", "missing_required_parameter");
    for (const auto& m : j["messages"]) {
      if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
        throw ApiError(400, "each message needs a string 'role'", "messages", "invalid_type");
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
    if (!j.contains("prompt")) throw ApiError(400, "'prompt' is required", "prompt", "missing_required_parameter");
    if (!j["prompt"].is_string()) throw ApiError(400, "'prompt' must be a string", "prompt", "invalid_type");
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
  Impl(Backend& b, ServerOptions o) : backend(b), options(std::move(o)), acceptor(io), started(UnixSeconds()) {
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
      std::vector<std::shared_ptr<Pending>> batch;
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
      auto find = [&](const std::string& id) -> Pending* {
        for (const auto& p : batch)
          if (p->request.id == id) return p.get();
        return nullptr;
      };
      auto on_text = [&](const std::string& id, std::string_view text) {
        Pending* p = find(id);
        if (!p || !p->stream) return;
        std::lock_guard lock(p->mu);
        p->text += text;
        p->cv.notify_one();
      };
      auto answer = [](Pending& p, Response r) {
        std::lock_guard lock(p.mu);
        if (p.response) return;
        p.response = std::move(r);
        p.cv.notify_one();
      };
      auto fail = [&](const std::string& error) {
        for (const auto& p : batch) {
          Response r;
          r.request_id = p->request.id;
          r.status = ResponseStatus::kFailed;
          r.error = error;
          answer(*p, std::move(r));  // ignored where an answer came already
        }
      };
      try {
        backend.GenerateStreaming(reqs, on_text, [&](Response r) {
          if (Pending* p = find(r.request_id)) answer(*p, std::move(r));
        });
      } catch (const std::exception& e) {
        fail(e.what());
      }
      fail("backend returned no response");
    }
  }

  void Submit(std::shared_ptr<Pending> p) {
    {
      std::lock_guard lock(mu);
      queue.push_back(std::move(p));
    }
    cv.notify_one();
  }

  int MaxContext() {
    std::call_once(max_context_once, [&] { max_context = backend.capabilities().max_context; });
    return max_context;
  }

  HttpReply Completion(const std::string& body, bool chat) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded()) return ErrorReply(ApiError(400, "request body is not valid JSON", "", "invalid_json"));
    // This request's own number: other connections advance `serial` meanwhile.
    const uint64_t own_serial = ++serial;
    auto p = std::make_shared<Pending>();
    StreamHeader header{chat, std::string(chat ? "chatcmpl-" : "cmpl-") + std::to_string(own_serial), UnixSeconds(),
                        options.model_name};
    try {
      if (j.is_object()) CheckSamplingFields(j, MaxContext());
      p->request = ParseRequest(j, chat, own_serial);
      // Types were checked above; null is the same as absent.
      auto flag = [](const nlohmann::json& o, const char* key) { return o.value(key, nlohmann::json(false)) == true; };
      if (auto m = j.find("model"); m != j.end() && m->is_string()) header.model = m->get<std::string>();
      if (auto o = j.find("stream_options"); o != j.end() && o->is_object())
        header.include_usage = flag(*o, "include_usage");
      p->stream = flag(j, "stream");
    } catch (const ApiError& e) {
      return ErrorReply(e);
    } catch (const Error& e) {  // a field of the wrong type, named in the message
      return ErrorReply(ApiError(400, e.what(), "", "invalid_type"));
    } catch (const nlohmann::json::exception& e) {
      return ErrorReply(ApiError(400, std::string("a field has the wrong type: ") + e.what(), "", "invalid_type"));
    }
    Submit(p);
    if (p->stream) return {std::move(p), header};

    std::unique_lock lock(p->mu);
    p->cv.wait(lock, [&] { return p->response.has_value(); });
    const Response& r = *p->response;
    if (r.status != ResponseStatus::kOk) return ErrorReply(ResponseError(r, chat));
    nlohmann::json choice = {{"index", 0}, {"finish_reason", FinishReason(r)}};
    // vLLM's convention: a null stop_reason says no stop string ended the text.
    if (r.finish_reason == "eos") choice["stop_reason"] = nullptr;
    if (chat) choice["message"] = {{"role", "assistant"}, {"content", r.text}};
    else choice["text"] = r.text;
    return {200,
            {{"id", header.id},
             {"object", chat ? "chat.completion" : "text_completion"},
             {"created", header.created},
             {"model", header.model},
             {"choices", {choice}},
             {"usage",
              {{"prompt_tokens", r.prompt_tokens},
               {"completion_tokens", r.completion_tokens},
               {"total_tokens", r.prompt_tokens + r.completion_tokens}}}}};
  }

  nlohmann::json ModelCard() {
    nlohmann::json model = {{"id", options.model_name}, {"object", "model"}, {"created", started}, {"owned_by", "bhasa"}};
    if (const int n_ctx = MaxContext(); n_ctx > 0) model["max_model_len"] = n_ctx;  // as vLLM
    return model;
  }

  HttpReply Route(const http::request<http::string_body>& req) {
    std::string target(req.target());
    if (auto q = target.find('?'); q != std::string::npos) target.resize(q);
    if (target == "/health") return {200, {{"status", "ok"}}};
    const std::string method(req.method_string());
    constexpr std::string_view kModels = "/v1/models";
    if (target == kModels || target.starts_with(std::string(kModels) + "/")) {
      if (req.method() != http::verb::get)
        return ErrorReply(ApiError(405, target + " takes GET", "", "method_not_allowed"));
      if (target == kModels) return {200, {{"object", "list"}, {"data", {ModelCard()}}}};
      const std::string id = target.substr(kModels.size() + 1);
      if (id != options.model_name)
        return ErrorReply(ApiError(404, "The model '" + id + "' does not exist", "model", "model_not_found"));
      return {200, ModelCard()};
    }
    bool chat = target == "/v1/chat/completions", completion = target == "/v1/completions";
    if (!chat && !completion)
      return ErrorReply(ApiError(404, "Invalid URL (" + method + " " + target + ")", "", "unknown_url"));
    if (req.method() != http::verb::post)
      return ErrorReply(ApiError(405, target + " takes POST", "", "method_not_allowed"));
    return Completion(req.body(), chat);
  }

  // Writes a streamed reply as server-sent events, each chunk as it arrives,
  // in HTTP/1.1 chunked encoding (HTTP/1.0: the closed connection ends it).
  // Returns false when the connection is no longer usable.
  bool WriteStream(tcp::socket& sock, const http::request<http::string_body>& req, Pending& p,
                   const StreamHeader& h) {
    beast::error_code ec;
    const bool chunked = req.version() >= 11;
    http::response<http::empty_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/event-stream");
    res.set(http::field::cache_control, "no-cache");
    res.set(http::field::server, "bhasa/" BHASA_VERSION);
    res.keep_alive(chunked && req.keep_alive());
    res.chunked(chunked);
    http::response_serializer<http::empty_body> sr{res};
    http::write_header(sock, sr, ec);
    auto send = [&](std::string_view event) {
      if (ec) return;
      if (chunked) asio::write(sock, http::make_chunk(asio::buffer(event.data(), event.size())), ec);
      else asio::write(sock, asio::buffer(event.data(), event.size()), ec);
    };
    if (h.chat) send(SseEvent(RoleChunk(h)));
    for (;;) {
      std::string text;
      std::unique_lock lock(p.mu);
      p.cv.wait(lock, [&] { return !p.text.empty() || p.response.has_value(); });
      text.swap(p.text);
      const bool finished = p.response.has_value();
      lock.unlock();
      if (!text.empty()) send(SseEvent(TextChunk(h, text)));
      if (finished) break;
    }
    const Response& r = *p.response;  // set once, never changed after
    if (r.status != ResponseStatus::kOk) {
      send(SseEvent(ResponseError(r, h.chat).Body()));
    } else {
      send(SseEvent(FinishChunk(h, FinishReason(r))));
      if (h.include_usage) send(SseEvent(UsageChunk(h, r.prompt_tokens, r.completion_tokens)));
    }
    send(kSseDone);
    if (chunked && !ec) asio::write(sock, http::make_chunk_last(), ec);
    return !ec && res.keep_alive();
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
      if (reply.stream) {
        if (!WriteStream(sock, req, *reply.stream, reply.header)) break;
        continue;
      }
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
      std::thread([this, s = std::make_unique<tcp::socket>(std::move(sock))]() mutable {
        const int fd = s->native_handle();
        Session(*s);
        // The socket deregisters from `io` as it goes: before ~Impl may run.
        s.reset();
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
  std::deque<std::shared_ptr<Pending>> queue;
  std::once_flag max_context_once;
  int max_context = 0;
  int64_t started;  // the models' `created`
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

#include "backends/openai_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include "backends/access_log.h"
#include "backends/openai_server_choices.h"
#include "backends/openai_server_logprobs.h"
#include "backends/openai_server_wire.h"
#include "backends/serve_auth.h"
#include "backends/serve_connections.h"
#include "backends/serve_metrics.h"
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
  LogprobFields logprobs;
  std::mutex mu;
  std::condition_variable cv;
  std::string text;                 // streamed text not yet written (stream only)
  std::optional<Response> response;
  // Set when the client hung up; the backend sees it through Request::cancelled.
  std::shared_ptr<std::atomic<bool>> cancelled = std::make_shared<std::atomic<bool>>(false);
};

struct HttpReply {
  HttpReply(int s, nlohmann::json b) : status(s), body(std::move(b)) {}
  HttpReply(std::shared_ptr<Pending> p, StreamHeader h) : stream(std::move(p)), header(std::move(h)) {}
  int status = 200;
  nlohmann::json body;
  std::shared_ptr<Pending> stream;  // set: answered as server-sent events instead of `body`
  StreamHeader header;
  std::vector<std::pair<http::field, std::string>> headers;  // added to the response
  std::optional<std::string> text;  // set: sent as text/plain instead of `body`
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

// The connection whose request this thread is answering (-1: none): the
// waits for the engine watch it, so that a client that hangs up stops its generation.
thread_local int tls_client_fd = -1;

// True when the peer closed its side or the connection broke.
bool ClientHungUp(int fd) {
  if (fd < 0) return false;
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

// Waits on p.cv until `ready`; cancels p meanwhile if this thread's client hangs up.
template <typename Ready>
void AwaitEngine(Pending& p, std::unique_lock<std::mutex>& lock, Ready ready) {
  while (!p.cv.wait_for(lock, std::chrono::milliseconds(50), ready))
    if (ClientHungUp(tls_client_fd)) p.cancelled->store(true);
}

ConnectionTable::Clock::time_point After(double seconds) {
  return ConnectionTable::Clock::now() +
         std::chrono::duration_cast<ConnectionTable::Clock::duration>(std::chrono::duration<double>(seconds));
}

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
  // An explicit max_tokens must fit beside the prompt (400 otherwise, as OpenAI); without one the
  // answer may run to the end of the context.
  r.refuse_beyond_context = FindField(j, "max_tokens") || FindField(j, "max_completion_tokens");
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
    connections.WaitEmpty();  // sessions hold `this`: wait until every one has seen its socket shut
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
    connections.Close();
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
          auto next = std::move(queue.front());
          queue.pop_front();
          if (next->cancelled->load()) Abandon(*next);
          else batch.push_back(std::move(next));
        }
        metrics.QueueDepth(static_cast<int64_t>(queue.size()));
      }
      if (batch.empty()) continue;
      metrics.Running(static_cast<int64_t>(batch.size()));
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
      auto answer = [&](Pending& p, Response r) {
        std::lock_guard lock(p.mu);
        if (p.response) return;
        metrics.Tokens(r.prompt_tokens, r.completion_tokens);
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
      metrics.Running(-static_cast<int64_t>(batch.size()));
    }
  }

  // Answers a request whose client left before the engine began it.
  static void Abandon(Pending& p) {
    Response r;
    r.request_id = p.request.id;
    r.finish_reason = "abort";
    std::lock_guard lock(p.mu);
    p.response = std::move(r);
    p.cv.notify_one();
  }

  // Queues p for the engine; false when max_queue requests already wait.
  bool Submit(std::shared_ptr<Pending> p) {
    p->request.cancelled = p->cancelled;
    {
      std::lock_guard lock(mu);
      if (queue.size() >= options.max_queue) return false;
      queue.push_back(std::move(p));
      metrics.QueueDepth(static_cast<int64_t>(queue.size()));
    }
    cv.notify_one();
    return true;
  }

  HttpReply QueueFull() {
    HttpReply reply = ErrorReply(ApiError(429,
                                          "the server is busy: " + std::to_string(options.max_queue) +
                                              " requests are already waiting; retry later",
                                          "", "rate_limit_exceeded", "requests"));
    reply.headers.emplace_back(http::field::retry_after, "1");
    return reply;
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
    std::vector<Request> choices;  // several with n > 1 or a prompt array
    int n = 1;
    try {
      if (j.is_object()) CheckSamplingFields(j, MaxContext());
      p->request = ParseRequest(chat ? j : FirstPromptBody(j), chat, own_serial);
      // Types were checked above; null is the same as absent.
      auto flag = [](const nlohmann::json& o, const char* key) { return o.value(key, nlohmann::json(false)) == true; };
      if (auto m = j.find("model"); m != j.end() && m->is_string()) header.model = m->get<std::string>();
      if (auto o = j.find("stream_options"); o != j.end() && o->is_object())
        header.include_usage = flag(*o, "include_usage");
      p->stream = flag(j, "stream");
      p->logprobs = ReadLogprobFields(j, chat, p->stream, &p->request);
      if (auto it = j.find("n"); it != j.end() && it->is_number_integer()) n = it->get<int>();
      choices = ChoiceRequests(p->request, chat ? std::vector<std::string>{""} : PromptList(j), n);
      if (choices.size() > 1 && p->stream)
        throw ApiError(400, "several choices (n > 1 or a prompt array) cannot be streamed", "stream");
    } catch (const ApiError& e) {
      return ErrorReply(e);
    } catch (const Error& e) {  // a field of the wrong type, named in the message
      return ErrorReply(ApiError(400, e.what(), "", "invalid_type"));
    } catch (const nlohmann::json::exception& e) {
      return ErrorReply(ApiError(400, std::string("a field has the wrong type: ") + e.what(), "", "invalid_type"));
    }
    if (choices.size() > 1) return SeveralChoices(choices, p->logprobs, header, n);
    if (!Submit(p)) return QueueFull();
    if (p->stream) return {std::move(p), header};
    return Reply(*p, header);
  }

  // Submitted together, so the backend decodes them as one batch.
  HttpReply SeveralChoices(const std::vector<Request>& requests, const LogprobFields& logprobs,
                           const StreamHeader& header, int n) {
    std::vector<std::shared_ptr<Pending>> pending;
    for (const Request& r : requests) {
      pending.push_back(std::make_shared<Pending>());
      pending.back()->request = r;
      pending.back()->logprobs = logprobs;
      if (!Submit(pending.back())) {
        // The queue is full: the ones already queued are dropped unanswered.
        for (const auto& q : pending) q->cancelled->store(true);
        return QueueFull();
      }
    }
    std::vector<nlohmann::json> replies;
    std::optional<HttpReply> failed;
    for (const auto& p : pending) {
      HttpReply one = Reply(*p, header);  // waits for every one, even after a failure
      if (one.status == 200) replies.push_back(std::move(one.body));
      else if (!failed) failed = std::move(one);
    }
    if (failed) return std::move(*failed);
    return {200, MergeReplies(replies, n)};
  }

  // Waits for a non-streamed request's answer and shapes the reply.
  HttpReply Reply(Pending& p, const StreamHeader& header) {
    const bool chat = header.chat;
    std::unique_lock lock(p.mu);
    AwaitEngine(p, lock, [&] { return p.response.has_value(); });
    const Response& r = *p.response;
    if (r.status != ResponseStatus::kOk) return ErrorReply(ResponseError(r, chat));
    nlohmann::json choice = {{"index", 0}, {"finish_reason", FinishReason(r)}};
    // vLLM's convention: a null stop_reason says no stop string ended the text.
    if (r.finish_reason == "eos") choice["stop_reason"] = nullptr;
    if (chat) choice["message"] = {{"role", "assistant"}, {"content", r.text}};
    else choice["text"] = r.text;
    nlohmann::json reply = {{"id", header.id},
                            {"object", chat ? "chat.completion" : "text_completion"},
                            {"created", header.created},
                            {"model", header.model},
                            {"choices", {choice}},
                            {"usage",
                             {{"prompt_tokens", r.prompt_tokens},
                              {"completion_tokens", r.completion_tokens},
                              {"total_tokens", r.prompt_tokens + r.completion_tokens}}}};
    AddLogprobs(reply, p.logprobs, r, p.request.prompt.value_or(""));
    return {200, std::move(reply)};
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
      connections.Busy(sock.native_handle(), After(options.read_timeout_s));
      if (chunked) asio::write(sock, http::make_chunk(asio::buffer(event.data(), event.size())), ec);
      else asio::write(sock, asio::buffer(event.data(), event.size()), ec);
      connections.Busy(sock.native_handle(), ConnectionTable::kNever);
      if (ec) p.cancelled->store(true);  // nobody reads the rest
    };
    if (h.chat) send(SseEvent(RoleChunk(h)));
    for (;;) {
      std::string text;
      std::unique_lock lock(p.mu);
      AwaitEngine(p, lock, [&] { return !p.text.empty() || p.response.has_value(); });
      text.swap(p.text);
      const bool finished = p.response.has_value();
      lock.unlock();
      if (!text.empty() && !p.logprobs.WholeTextInOneChunk()) send(SseEvent(TextChunk(h, text)));
      if (finished) break;
    }
    const Response& r = *p.response;  // set once, never changed after
    if (r.status != ResponseStatus::kOk) {
      send(SseEvent(ResponseError(r, h.chat).Body()));
    } else {
      if (p.logprobs.WholeTextInOneChunk())
        send(SseEvent(LogprobTextChunk(h, p.logprobs, r, p.request.prompt.value_or(""))));
      send(SseEvent(FinishChunk(h, FinishReason(r))));
      if (h.include_usage) send(SseEvent(UsageChunk(h, r.prompt_tokens, r.completion_tokens)));
    }
    send(kSseDone);
    if (chunked && !ec) asio::write(sock, http::make_chunk_last(), ec);
    return !ec && res.keep_alive();
  }

  // The key check, /metrics, then the API routes.
  HttpReply Dispatch(const http::request<http::string_body>& req, const std::string& path) {
    if (!options.api_key.empty() && NeedsKey(path) &&
        !BearerMatches(std::string(req[http::field::authorization]), options.api_key)) {
      HttpReply reply = ErrorReply(ApiError(401,
                                            "Incorrect API key provided: send the server's key as "
                                            "'Authorization: Bearer KEY'",
                                            "", "invalid_api_key"));
      reply.headers.emplace_back(http::field::www_authenticate, "Bearer");
      return reply;
    }
    if (path == "/metrics") {
      if (req.method() != http::verb::get)
        return ErrorReply(ApiError(405, "/metrics takes GET", "", "method_not_allowed"));
      HttpReply reply(200, nullptr);
      reply.text = metrics.Render();
      return reply;
    }
    return Route(req);
  }

  // A request the parser refused, as the reply it gets (none when the client
  // left or timed out: then there is nobody to tell).
  std::optional<ApiError> ReadRefusal(const beast::error_code& ec) const {
    if (ec == http::error::body_limit)
      return ApiError(413, "request body larger than " + std::to_string(options.max_body_bytes) + " bytes", "",
                      "request_too_large");
    if (ec == http::error::header_limit)
      return ApiError(431, "request head larger than " + std::to_string(options.max_header_bytes) + " bytes", "",
                      "request_header_fields_too_large");
    if (std::string_view(ec.category().name()) == "beast.http" &&
        ec != http::error::end_of_stream && ec != http::error::partial_message)
      return ApiError(400, "malformed HTTP request: " + ec.message(), "", "invalid_request");
    return std::nullopt;
  }

  // Writes a whole reply (any status); false when the connection is unusable.
  bool WriteReply(tcp::socket& sock, unsigned version, bool keep_alive, const HttpReply& reply) {
    http::response<http::string_body> res{static_cast<http::status>(reply.status), version};
    res.set(http::field::content_type, reply.text ? "text/plain; version=0.0.4; charset=utf-8" : "application/json");
    res.set(http::field::server, "bhasa/" BHASA_VERSION);
    for (const auto& [field, value] : reply.headers) res.set(field, value);
    res.body() = reply.text ? *reply.text : DumpJson(reply.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    beast::error_code ec;
    connections.Busy(sock.native_handle(), After(options.read_timeout_s));
    http::write(sock, res, ec);
    connections.Busy(sock.native_handle(), ConnectionTable::kNever);
    return !ec;
  }

  // After refusing a request mid-body: stop sending, then read (and drop)
  // what the client still sends for a moment, so that closing does not reset
  // the connection before the client has read the refusal.
  static void LingeringClose(tcp::socket& sock) {
    beast::error_code ec;
    sock.shutdown(tcp::socket::shutdown_send, ec);
    char sink[16384];
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (!ec && std::chrono::steady_clock::now() < until) {
      pollfd p{sock.native_handle(), POLLIN, 100};
      if (::poll(&p, 1, 100) <= 0) continue;
      sock.read_some(asio::buffer(sink), ec);
    }
  }

  void Log(const AccessRecord& rec, const std::string& path, std::chrono::steady_clock::time_point begun) {
    AccessRecord r = rec;
    r.path = path;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begun).count();
    metrics.Request(RouteLabel(path), r.status, r.seconds);
    access_log.Write(r);
  }

  void Session(tcp::socket& sock) {
    const int fd = sock.native_handle();
    tls_client_fd = fd;
    AccessRecord rec;
    beast::error_code ec;
    if (const auto peer = sock.remote_endpoint(ec); !ec)
      rec.client = peer.address().to_string() + ":" + std::to_string(peer.port());
    beast::flat_buffer buf;
    for (;;) {
      if (buf.size() == 0) {  // nothing pipelined: wait for the next request
        connections.Idle(fd, After(options.idle_timeout_s));
        sock.wait(tcp::socket::wait_read, ec);
        if (ec) break;
      }
      connections.Busy(fd, After(options.read_timeout_s));
      const auto begun = std::chrono::steady_clock::now();
      rec.time = std::chrono::system_clock::now();
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(std::min<size_t>(options.max_header_bytes, UINT32_MAX)));
      parser.body_limit(options.max_body_bytes);
      http::read(sock, buf, parser, ec);
      connections.Busy(fd, ConnectionTable::kNever);
      if (ec) {
        if (auto refusal = ReadRefusal(ec)) {
          const auto& head = parser.get();
          rec.method = parser.is_header_done() ? std::string(head.method_string()) : "-";
          rec.status = refusal->status();
          rec.prompt_tokens = rec.completion_tokens = 0;
          WriteReply(sock, 11, false, ErrorReply(*refusal));
          Log(rec, parser.is_header_done() ? PathOf(head.target()) : "-", begun);
          LingeringClose(sock);
        }
        break;
      }
      const auto& req = parser.get();
      const std::string path = PathOf(req.target());
      rec.method = std::string(req.method_string());
      HttpReply reply = Dispatch(req, path);
      rec.status = reply.status;
      bool usable;
      if (reply.stream) {
        usable = WriteStream(sock, req, *reply.stream, reply.header);
        const Response& r = *reply.stream->response;
        rec.prompt_tokens = r.prompt_tokens;
        rec.completion_tokens = r.completion_tokens;
      } else {
        usable = WriteReply(sock, req.version(), req.keep_alive(), reply) && req.keep_alive();
        const nlohmann::json* usage = reply.body.is_object() ? FindField(reply.body, "usage") : nullptr;
        rec.prompt_tokens = usage ? usage->value("prompt_tokens", 0) : 0;
        rec.completion_tokens = usage ? usage->value("completion_tokens", 0) : 0;
      }
      Log(rec, path, begun);
      if (!usable) break;
    }
    sock.shutdown(tcp::socket::shutdown_send, ec);
    tls_client_fd = -1;
  }

  // The target without its query string (which the log must not repeat).
  static std::string PathOf(beast::string_view target) {
    std::string path(target);
    if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
    return path;
  }

  // Every slot is busy: say so and close, without reading the request.
  static void Refuse(tcp::socket& sock) {
    beast::error_code ec;
    sock.non_blocking(true, ec);  // the accept loop must never wait on a client
    const std::string body = DumpJson(
        ApiError(503, "the server has too many open connections; retry later", "", "server_busy", "server_error")
            .Body());
    const std::string head = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
                             "Connection: close\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n";
    asio::write(sock, std::array{asio::buffer(head), asio::buffer(body)}, ec);
    sock.shutdown(tcp::socket::shutdown_both, ec);
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
      const int fd = sock.native_handle();
      if (!connections.Admit(fd)) {
        if (stopped) break;
        Refuse(sock);
        continue;
      }
      try {
        std::thread([this, s = std::optional<tcp::socket>(std::move(sock)), fd]() mutable {
          Session(*s);
          // The socket object goes before Remove (once no connection is left
          // the destructor may destroy the io_context it uses), its descriptor
          // after: closed earlier, its number could be reused by a connection
          // accepted meanwhile, whose table entry Remove would then drop.
          beast::error_code ec;
          const int owned = s->release(ec);
          s.reset();
          connections.Remove(fd);
          if (!ec) ::close(owned);
        }).detach();
      } catch (const std::system_error&) {  // out of threads: as good as no free slot
        connections.Remove(fd);
      }
    }
  }

  Backend& backend;
  ServerOptions options;
  asio::io_context io;
  tcp::acceptor acceptor;
  int bound_port = 0;
  std::atomic<bool> stopped{false};
  ServeMetrics metrics;
  ConnectionTable connections{options.max_connections, metrics};
  AccessLog access_log{options.access_log};
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
size_t OpenAiServer::open_connections() const { return impl_->connections.open(); }
void OpenAiServer::Run() { impl_->Run(); }
void OpenAiServer::Stop() { impl_->Stop(); }

}  // namespace bhasa::backends

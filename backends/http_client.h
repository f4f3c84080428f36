// HttpClient: an asynchronous HTTP/1.1 client with a keep-alive connection
// pool per origin, for the OpenAI-compatible backend.
//
// One IO thread runs every connection. http:// and https:// (OpenSSL, peer
// and host name verified by default) are supported. Boost.Beast stays inside
// http_client.cc so that only one translation unit pays its compile cost.
//
// Thread-safety: Send() may be called from any thread. Callbacks run on the
// IO thread, one at a time, and must not block.
// Failure: transport problems never throw; they come back as an HttpResponse
// whose `error` says what went wrong (connect, timeout, reset, truncation...).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bhasa::backends {

// A parsed absolute http(s) URL. Query strings and fragments are not used by
// any caller and are rejected.
struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without IPv6 brackets
  std::string port;    // "80" / "443" when the URL names none
  std::string path;    // "" or a path starting with "/", no trailing "/"

  // Throws bhasa::Error naming the text on anything that is not http(s)://host[:port][/path].
  static Url Parse(std::string_view text);
  // "scheme://host:port": connections are pooled per origin.
  std::string Origin() const;
  // The URL as text, with `suffix` appended to the path.
  std::string ToString(std::string_view suffix = "") const;
};

// What can go wrong below the HTTP status line.
enum class HttpError {
  kNone,
  kConnect,    // name resolution or TCP connect failed (refused, unreachable, connect timeout)
  kTls,        // TLS handshake or certificate verification failed
  kTimeout,    // the request did not complete within the request timeout
  kIo,         // the connection broke (reset, closed) before a response arrived
  kTruncated,  // the connection closed in the middle of the response
  kProtocol,   // the bytes received are not a valid HTTP response, or too large
};
const char* ToString(HttpError e);

struct HttpRequest {
  std::string method = "POST";
  Url url;             // scheme, host, port and path prefix
  std::string target;  // appended to url.path, e.g. "/v1/chat/completions"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  HttpError error = HttpError::kNone;
  std::string error_message;  // set when error != kNone; never contains header values
  int status = 0;             // HTTP status; 0 when error != kNone
  std::string body;
  std::string retry_after;    // the Retry-After header, "" when absent
  bool reused_connection = false;
};

class HttpClient {
 public:
  struct Options {
    double connect_timeout_s = 30;
    double request_timeout_s = 600;   // write request + read whole response, per attempt
    size_t max_idle_per_origin = 256; // idle keep-alive connections kept per origin
    size_t max_body_bytes = size_t{256} << 20;
    bool verify_tls = true;
    std::string ca_file;              // extra PEM trust anchors ("" = system store only)
  };
  using Callback = std::function<void(HttpResponse)>;

  // Starts the IO thread. Throws bhasa::Error if the TLS context cannot be
  // set up (e.g. an unreadable ca_file).
  explicit HttpClient(Options options);
  // Stops the IO thread. Callbacks of requests still in flight are dropped
  // without being called, so owners must outlive their callbacks' captures
  // or capture shared state.
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` and calls `done` exactly once with the outcome (unless
  // the client is destroyed first). A request that fails on a reused
  // keep-alive connection before any response byte arrives is resent once on
  // a fresh connection (the server may have closed the idle connection).
  void Send(HttpRequest request, Callback done);
  // Blocking convenience wrapper around Send(); must not be called from a callback.
  HttpResponse SendSync(HttpRequest request);

  // Connections opened so far (for tests and benchmarks of the pool).
  size_t connections_opened() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bhasa::backends

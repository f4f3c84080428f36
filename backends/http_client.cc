#include "backends/http_client.h"

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <atomic>
#include <charconv>
#include <chrono>
#include <future>
#include <map>
#include <optional>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "common/error.h"

namespace bhasa::backends {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// ---------------------------------------------------------------------------
// Url

namespace {

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool ValidPort(std::string_view p) {
  if (p.empty() || p.size() > 5) return false;
  int v = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  return ec == std::errc() && ptr == p.data() + p.size() && v >= 1 && v <= 65535;
}

}  // namespace

Url Url::Parse(std::string_view text) {
  auto fail = [&](const std::string& why) {
    return Error("bad URL '" + std::string(text) + "': " + why);
  };
  const size_t sep = text.find("://");
  if (sep == std::string_view::npos) throw fail("expected http://host[:port][/path]");
  Url url;
  url.scheme = AsciiLower(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https") throw fail("scheme must be http or https");
  std::string_view rest = text.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) throw fail("query strings and fragments are not supported");
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  // Credentials in URLs end up in logs; keys travel through api_key_env instead.
  if (authority.find('@') != std::string_view::npos) throw fail("user:password@ is not supported (use api_key_env)");
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) throw fail("unclosed '[' in IPv6 host");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw fail("unexpected text after ']'");
      port = after.substr(1);
      if (!ValidPort(port)) throw fail("bad port");
    }
  } else {
    const size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (!ValidPort(port)) throw fail("bad port");
    }
  }
  if (url.host.empty()) throw fail("missing host");
  url.port = port.empty() ? (url.scheme == "https" ? "443" : "80") : std::string(port);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  url.path = std::string(path);
  return url;
}

std::string Url::Origin() const {
  const bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + port;
}

std::string Url::ToString(std::string_view suffix) const { return Origin() + path + std::string(suffix); }

const char* ToString(HttpError e) {
  switch (e) {
    case HttpError::kNone: return "none";
    case HttpError::kConnect: return "connect";
    case HttpError::kTls: return "tls";
    case HttpError::kTimeout: return "timeout";
    case HttpError::kIo: return "io";
    case HttpError::kTruncated: return "truncated";
    case HttpError::kProtocol: return "protocol";
  }
  return "io";
}

// ---------------------------------------------------------------------------
// HttpClient

namespace {

struct Connection {
  std::unique_ptr<beast::tcp_stream> tcp;                     // http://
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;  // https://
  beast::flat_buffer buffer;

  beast::tcp_stream& Lowest() { return tls ? beast::get_lowest_layer(*tls) : *tcp; }
};

std::chrono::steady_clock::duration Seconds(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

std::string FormatSeconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

// True for errors from Beast's HTTP parser (as opposed to socket errors).
bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() == beast::error_code(http::error::bad_target).category();
}

template <class Stream>
asio::awaitable<void> WriteThenRead(Stream& stream, beast::flat_buffer& buffer,
                                    http::request<http::string_body>& request,
                                    http::response_parser<http::string_body>& parser,
                                    beast::error_code& ec, bool& write_failed) {
  co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    write_failed = true;
    co_return;
  }
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace

struct HttpClient::Impl {
  explicit Impl(Options o) : options(std::move(o)) {
    beast::error_code ec;
    tls_ctx.set_default_verify_paths(ec);  // a missing system store is not fatal for http://
    if (!options.ca_file.empty()) {
      tls_ctx.load_verify_file(options.ca_file, ec);
      if (ec) throw Error("cannot load CA file '" + options.ca_file + "': " + ec.message());
    }
    tls_ctx.set_verify_mode(options.verify_tls ? ssl::verify_peer : ssl::verify_none);
    thread = std::thread([this] { io.run(); });
  }

  ~Impl() {
    work.reset();
    io.stop();
    if (thread.joinable()) thread.join();
    idle.clear();
  }

  std::unique_ptr<Connection> TakeIdle(const std::string& origin) {
    auto it = idle.find(origin);
    if (it == idle.end() || it->second.empty()) return nullptr;
    auto conn = std::move(it->second.back());
    it->second.pop_back();
    return conn;
  }

  void PutIdle(const std::string& origin, std::unique_ptr<Connection> conn) {
    auto& list = idle[origin];
    if (list.size() < options.max_idle_per_origin) list.push_back(std::move(conn));
  }

  asio::awaitable<std::unique_ptr<Connection>> Connect(const Url& url, HttpResponse& out) {
    beast::error_code ec;
    tcp::resolver resolver(io);
    auto endpoints = co_await resolver.async_resolve(url.host, url.port, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      out.error = HttpError::kConnect;
      out.error_message = "cannot resolve " + url.host + ": " + ec.message();
      co_return nullptr;
    }
    auto conn = std::make_unique<Connection>();
    if (url.scheme == "https") {
      conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io, tls_ctx);
      // SNI, so that virtual hosts present the right certificate.
      if (!SSL_set_tlsext_host_name(conn->tls->native_handle(), url.host.c_str())) {
        out.error = HttpError::kTls;
        out.error_message = "cannot set TLS server name for " + url.host;
        co_return nullptr;
      }
      if (options.verify_tls) conn->tls->set_verify_callback(ssl::host_name_verification(url.host));
    } else {
      conn->tcp = std::make_unique<beast::tcp_stream>(io);
    }
    beast::tcp_stream& lowest = conn->Lowest();
    lowest.expires_after(Seconds(options.connect_timeout_s));
    co_await lowest.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      out.error = HttpError::kConnect;
      out.error_message = ec == beast::error::timeout
                              ? "connect timed out after " + FormatSeconds(options.connect_timeout_s) + " s"
                              : "connect failed: " + ec.message();
      co_return nullptr;
    }
    lowest.socket().set_option(tcp::no_delay(true), ec);
    if (conn->tls) {
      lowest.expires_after(Seconds(options.connect_timeout_s));
      co_await conn->tls->async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        out.error = HttpError::kTls;
        out.error_message = "TLS handshake failed: " + ec.message();
        co_return nullptr;
      }
    }
    opened.fetch_add(1, std::memory_order_relaxed);
    co_return conn;
  }

  // One request/response on `conn`. Sets *got_bytes when any response byte
  // arrived and *keep_alive when the connection may be reused.
  asio::awaitable<void> Exchange(Connection& conn, const HttpRequest& req, HttpResponse& out,
                                 bool* got_bytes, bool* keep_alive) {
    http::request<http::string_body> hreq;
    hreq.method_string(req.method);
    hreq.target(req.url.path + req.target);
    hreq.version(11);
    const bool default_port = req.url.port == (req.url.scheme == "https" ? "443" : "80");
    const bool v6 = req.url.host.find(':') != std::string::npos;
    const std::string host = v6 ? "[" + req.url.host + "]" : req.url.host;
    hreq.set(http::field::host, default_port ? host : host + ":" + req.url.port);
    hreq.set(http::field::user_agent, "bhasa/" BHASA_VERSION);
    for (const auto& [name, value] : req.headers) hreq.set(name, value);
    hreq.body() = req.body;
    hreq.keep_alive(true);
    hreq.prepare_payload();

    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_body_bytes);
    parser.header_limit(64 * 1024);
    beast::error_code ec;
    bool write_failed = false;
    conn.Lowest().expires_after(Seconds(options.request_timeout_s));
    if (conn.tls) co_await WriteThenRead(*conn.tls, conn.buffer, hreq, parser, ec, write_failed);
    else co_await WriteThenRead(*conn.tcp, conn.buffer, hreq, parser, ec, write_failed);
    *got_bytes = parser.got_some();
    if (ec) {
      if (ec == beast::error::timeout) {
        out.error = HttpError::kTimeout;
        out.error_message = "no complete response within " + FormatSeconds(options.request_timeout_s) + " s";
      } else if (write_failed) {
        out.error = HttpError::kIo;
        out.error_message = "sending the request failed: " + ec.message();
      } else if (ec == http::error::body_limit) {
        out.error = HttpError::kProtocol;
        out.error_message = "response body exceeds " + std::to_string(options.max_body_bytes) + " bytes";
      } else if (ec == http::error::end_of_stream) {
        out.error = HttpError::kIo;
        out.error_message = "connection closed before a response arrived";
      } else if (ec == http::error::partial_message || (parser.got_some() && !IsHttpParseError(ec))) {
        out.error = HttpError::kTruncated;
        std::string what = "response truncated: connection ended mid-message";
        if (parser.is_header_done()) {
          what += " after " + std::to_string(parser.get().body().size()) + " body bytes";
          if (auto n = parser.content_length()) what += " of " + std::to_string(*n + parser.get().body().size());
        }
        out.error_message = what + " (" + ec.message() + ")";
      } else if (IsHttpParseError(ec)) {
        out.error = HttpError::kProtocol;
        out.error_message = "malformed HTTP response: " + ec.message();
      } else {
        out.error = HttpError::kIo;
        out.error_message = "connection failed: " + ec.message();
      }
      co_return;
    }
    auto& res = parser.get();
    if (res.body().size() > options.max_body_bytes) {  // the parser's limit does not cover every framing
      out.error = HttpError::kProtocol;
      out.error_message = "response body exceeds " + std::to_string(options.max_body_bytes) + " bytes";
      *keep_alive = false;
      co_return;
    }
    out.status = static_cast<int>(res.result_int());
    out.retry_after = std::string(res[http::field::retry_after]);
    out.body = std::move(res.body());
    *keep_alive = res.keep_alive();
  }

  asio::awaitable<void> Run(HttpRequest req, Callback done) {
    HttpResponse out;
    try {
      const std::string origin = req.url.Origin();
      // At most two rounds: the second only when a reused keep-alive
      // connection turned out to be closed by the server.
      for (int round = 0; round < 2; ++round) {
        out = HttpResponse{};
        std::unique_ptr<Connection> conn = TakeIdle(origin);
        out.reused_connection = conn != nullptr;
        if (!conn) {
          conn = co_await Connect(req.url, out);
          if (!conn) break;
        }
        bool got_bytes = false, keep_alive = false;
        co_await Exchange(*conn, req, out, &got_bytes, &keep_alive);
        if (out.error == HttpError::kNone) {
          if (keep_alive) PutIdle(origin, std::move(conn));
          break;
        }
        const bool stale = out.reused_connection && !got_bytes && out.error == HttpError::kIo;
        if (!stale) break;
      }
    } catch (const std::exception& e) {
      out = HttpResponse{};
      out.error = HttpError::kIo;
      out.error_message = std::string("internal HTTP client error: ") + e.what();
    }
    try {
      done(std::move(out));
    } catch (...) {
      // A throwing callback must not take the IO thread down with it.
    }
  }

  Options options;
  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
  ssl::context tls_ctx{ssl::context::tls_client};
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;  // IO thread only
  std::atomic<size_t> opened{0};
  std::thread thread;
};

HttpClient::HttpClient(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpClient::~HttpClient() = default;

void HttpClient::Send(HttpRequest request, Callback done) {
  asio::co_spawn(impl_->io, impl_->Run(std::move(request), std::move(done)), asio::detached);
}

HttpResponse HttpClient::SendSync(HttpRequest request) {
  std::promise<HttpResponse> promise;
  auto future = promise.get_future();
  Send(std::move(request), [&promise](HttpResponse r) { promise.set_value(std::move(r)); });
  return future.get();
}

size_t HttpClient::connections_opened() const { return impl_->opened.load(std::memory_order_relaxed); }

}  // namespace bhasa::backends

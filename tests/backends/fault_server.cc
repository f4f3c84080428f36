#include "tests/backends/fault_server.h"

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <chrono>
#include <mutex>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace bhasa::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

Reply EchoReply(const SeenRequest& request) {
  nlohmann::json in = nlohmann::json::parse(request.body, nullptr, false);
  std::string text;
  bool chat = true;
  if (in.is_object() && in.contains("prompt") && in["prompt"].is_string()) {
    text = in["prompt"].get<std::string>();
    chat = false;
  } else if (in.is_object() && in.contains("messages") && in["messages"].is_array() && !in["messages"].empty()) {
    text = in["messages"].back().value("content", "");
  }
  nlohmann::json choice = {{"index", 0}, {"finish_reason", "stop"}};
  if (chat) choice["message"] = {{"role", "assistant"}, {"content", "echo: " + text}};
  else choice["text"] = "echo: " + text;
  nlohmann::json out = {{"id", "x"},
                        {"object", chat ? "chat.completion" : "text_completion"},
                        {"choices", nlohmann::json::array({choice})},
                        {"usage", {{"prompt_tokens", text.size()}, {"completion_tokens", 3}}}};
  Reply r;
  r.body = out.dump();
  return r;
}

Reply StatusReply(int status, std::string body) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

struct FaultServer::Impl {
  Impl(Handler h, double lifetime_s, int max_requests)
      : handler(std::move(h)), max_requests(max_requests), lifetime(io) {
    acceptor.open(tcp::v4());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor.listen();
    port = acceptor.local_endpoint().port();
    lifetime.expires_after(std::chrono::milliseconds(static_cast<long>(lifetime_s * 1000)));
    lifetime.async_wait([this](beast::error_code ec) {
      if (!ec) io.stop();
    });
    asio::co_spawn(io, Accept(), asio::detached);
    thread = std::thread([this] { io.run(); });
  }

  ~Impl() {
    io.stop();
    if (thread.joinable()) thread.join();
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      const int id = n_connections.fetch_add(1);
      asio::co_spawn(io, Session(std::move(socket), id), asio::detached);
    }
  }

  asio::awaitable<void> Session(tcp::socket socket, int connection) {
    try {
      beast::flat_buffer buffer;
      for (;;) {
        beast::error_code ec;
        http::request<http::string_body> req;
        co_await http::async_read(socket, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        const int index = n_requests.fetch_add(1);
        if (index >= max_requests) co_return;
        SeenRequest seen;
        seen.method = std::string(req.method_string());
        seen.target = std::string(req.target());
        seen.body = req.body();
        seen.connection = connection;
        for (const auto& field : req) seen.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        {
          std::lock_guard lock(mu);
          log.push_back(seen);
        }
        const int now = ++in_flight;
        for (int m = peak.load(); now > m && !peak.compare_exchange_weak(m, now);) {
        }
        Reply reply = handler(seen, index);
        if (reply.delay_s > 0) {
          asio::steady_timer timer(io, std::chrono::microseconds(static_cast<long>(reply.delay_s * 1e6)));
          co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        if (reply.fault == Reply::Fault::kReset) {
          --in_flight;
          socket.set_option(asio::socket_base::linger(true, 0), ec);
          socket.close(ec);
          co_return;
        }
        if (reply.fault == Reply::Fault::kTruncate || reply.fault == Reply::Fault::kRaw) {
          std::string raw = reply.fault == Reply::Fault::kRaw
                                ? reply.body
                                : "HTTP/1.1 " + std::to_string(reply.status) +
                                      " OK\r\nContent-Type: application/json\r\nContent-Length: " +
                                      std::to_string(reply.body.size()) + "\r\n\r\n" +
                                      reply.body.substr(0, reply.body.size() / 2);
          co_await asio::async_write(socket, asio::buffer(raw), asio::redirect_error(asio::use_awaitable, ec));
          --in_flight;
          socket.shutdown(tcp::socket::shutdown_both, ec);
          socket.close(ec);
          co_return;
        }
        http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
        res.set(http::field::content_type, "application/json");
        for (const auto& [k, v] : reply.headers) res.set(k, v);
        res.body() = std::move(reply.body);
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        co_await http::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
        --in_flight;
        if (ec || !req.keep_alive() || reply.fault == Reply::Fault::kCloseAfter) {
          socket.shutdown(tcp::socket::shutdown_both, ec);
          socket.close(ec);
          co_return;
        }
      }
    } catch (...) {
      // A handler that throws drops its connection; the test sees the failure.
    }
  }

  Handler handler;
  int max_requests;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer lifetime;
  int port = 0;
  std::atomic<int> n_requests{0}, n_connections{0}, in_flight{0}, peak{0};
  mutable std::mutex mu;
  std::vector<SeenRequest> log;
  std::thread thread;
};

FaultServer::FaultServer(Handler handler, double lifetime_s, int max_requests)
    : impl_(std::make_unique<Impl>(std::move(handler), lifetime_s, max_requests)) {}
FaultServer::~FaultServer() = default;

int FaultServer::port() const { return impl_->port; }
std::string FaultServer::url() const { return "http://127.0.0.1:" + std::to_string(impl_->port); }
std::vector<SeenRequest> FaultServer::seen() const {
  std::lock_guard lock(impl_->mu);
  return impl_->log;
}
int FaultServer::requests() const { return impl_->n_requests.load(); }
int FaultServer::connections() const { return impl_->n_connections.load(); }
int FaultServer::max_in_flight() const { return impl_->peak.load(); }

}  // namespace bhasa::testing

// Throughput of the openai backend against an in-process loopback server
// that answers every request at once with a fixed chat completion. Measures
// the client side: request building, the HTTP pool, parsing, delivery.
//   ./openai_client_bench --benchmark_repetitions=5   (reports the median)

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "backends/openai_backend.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr const char* kReply =
    R"({"id":"b","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant",)"
    R"("content":"Jawapan: positif"},"finish_reason":"stop"}],"usage":{"prompt_tokens":42,"completion_tokens":4}})";

// Keep-alive HTTP server on 127.0.0.1 with one IO thread.
class InstantServer {
 public:
  InstantServer() {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen(1024);
    asio::co_spawn(io_, Accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~InstantServer() {
    io_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }

 private:
  asio::awaitable<void> Accept() {
    for (;;) {
      beast::error_code ec;
      tcp::socket s = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      s.set_option(tcp::no_delay(true), ec);
      asio::co_spawn(io_, Session(std::move(s)), asio::detached);
    }
  }
  static asio::awaitable<void> Session(tcp::socket socket) {
    beast::flat_buffer buffer;
    for (;;) {
      beast::error_code ec;
      http::request<http::string_body> req;
      co_await http::async_read(socket, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      http::response<http::string_body> res{http::status::ok, 11};
      res.set(http::field::content_type, "application/json");
      res.body() = kReply;
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      co_await http::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
    }
  }

  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  std::thread thread_;
};

void BM_OpenAiGenerate(benchmark::State& state) {
  InstantServer server;
  bhasa::BackendOptions options;
  options.model = "bench";
  options.values = {{"url", server.url()}, {"concurrency", std::to_string(state.range(0))}};
  auto backend = bhasa::MakeBackend("openai", options);
  std::vector<bhasa::Request> requests(2000);
  for (size_t i = 0; i < requests.size(); ++i) {
    requests[i].id = "sentiment/id/row-" + std::to_string(i);
    requests[i].messages = {{"user", "Apa sentimen kalimat berikut? Makanannya enak sekali. Jawab dengan positif, "
                                     "negatif atau netral. Jawapan: " + std::to_string(i)}};
    requests[i].params.max_tokens = 32;
  }
  size_t failed = 0;
  for (auto _ : state) {
    backend->Generate(requests, [&](bhasa::Response r) { failed += r.status != bhasa::ResponseStatus::kOk; });
  }
  if (failed) state.SkipWithError("some requests failed");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * requests.size()));
}
BENCHMARK(BM_OpenAiGenerate)->Arg(64)->Arg(16)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

#include "backends/http_client.h"

#include <chrono>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include "tests/backends/fault_server.h"

namespace bhasa::backends {
namespace {

using bhasa::testing::EchoReply;
using bhasa::testing::FaultServer;
using bhasa::testing::Reply;
using bhasa::testing::SeenRequest;
using bhasa::testing::StatusReply;

HttpRequest Post(const FaultServer& server, std::string body = R"({"prompt":"hi"})") {
  HttpRequest r;
  r.url = Url::Parse(server.url() + "/v1");
  r.target = "/completions";
  r.headers = {{"Content-Type", "application/json"}};
  r.body = std::move(body);
  return r;
}

HttpClient::Options Fast() {
  HttpClient::Options o;
  o.connect_timeout_s = 2;
  o.request_timeout_s = 5;
  return o;
}

TEST(HttpClientTest, KeepAliveReusesOneConnection) {
  FaultServer server([](const SeenRequest& r, int) { return EchoReply(r); });
  HttpClient client(Fast());
  for (int i = 0; i < 20; ++i) {
    HttpResponse r = client.SendSync(Post(server, R"({"prompt":"n)" + std::to_string(i) + R"("})"));
    ASSERT_EQ(r.error, HttpError::kNone) << r.error_message;
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("echo: n" + std::to_string(i)), std::string::npos);
    EXPECT_EQ(r.reused_connection, i > 0);
  }
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(client.connections_opened(), 1u);
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 20u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/v1/completions");
}

TEST(HttpClientTest, ServerClosedKeepAliveConnectionIsResentOnFreshOne) {
  FaultServer server([](const SeenRequest& r, int) {
    Reply reply = EchoReply(r);
    reply.fault = Reply::Fault::kCloseAfter;
    return reply;
  });
  HttpClient client(Fast());
  for (int i = 0; i < 10; ++i) {
    HttpResponse r = client.SendSync(Post(server));
    ASSERT_EQ(r.error, HttpError::kNone) << i << ": " << r.error_message;
    EXPECT_EQ(r.status, 200);
  }
  EXPECT_EQ(server.requests(), 10);  // every request answered exactly once
  EXPECT_EQ(server.connections(), 10);
}

TEST(HttpClientTest, StatusBodyAndRetryAfterComeBack) {
  FaultServer server([](const SeenRequest&, int) {
    Reply r = StatusReply(429, R"({"error":{"message":"slow down"}})");
    r.headers = {{"Retry-After", "2"}};
    return r;
  });
  HttpClient client(Fast());
  HttpResponse r = client.SendSync(Post(server));
  EXPECT_EQ(r.error, HttpError::kNone);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.retry_after, "2");
  EXPECT_NE(r.body.find("slow down"), std::string::npos);
}

TEST(HttpClientTest, TruncatedBody) {
  FaultServer server([](const SeenRequest& r, int) {
    Reply reply = EchoReply(r);
    reply.fault = Reply::Fault::kTruncate;
    return reply;
  });
  HttpClient client(Fast());
  HttpResponse r = client.SendSync(Post(server));
  EXPECT_EQ(r.error, HttpError::kTruncated) << r.error_message;
  EXPECT_NE(r.error_message.find("truncated"), std::string::npos) << r.error_message;
  EXPECT_EQ(r.status, 0);
}

TEST(HttpClientTest, ResetConnection) {
  FaultServer server([](const SeenRequest&, int) {
    Reply reply;
    reply.fault = Reply::Fault::kReset;
    return reply;
  });
  HttpClient client(Fast());
  HttpResponse r = client.SendSync(Post(server));
  EXPECT_EQ(r.error, HttpError::kIo) << r.error_message;
  EXPECT_FALSE(r.error_message.empty());
}

TEST(HttpClientTest, GarbageInsteadOfHttp) {
  FaultServer server([](const SeenRequest&, int) {
    Reply reply;
    reply.fault = Reply::Fault::kRaw;
    reply.body = "HELLO THERE\r\n\r\n";
    return reply;
  });
  HttpClient client(Fast());
  HttpResponse r = client.SendSync(Post(server));
  EXPECT_EQ(r.error, HttpError::kProtocol) << r.error_message;
  EXPECT_NE(r.error_message.find("malformed"), std::string::npos) << r.error_message;
}

TEST(HttpClientTest, ResponseLargerThanLimit) {
  FaultServer server([](const SeenRequest&, int) { return StatusReply(200, std::string(4096, 'x')); });
  HttpClient::Options o = Fast();
  o.max_body_bytes = 1000;
  HttpClient client(o);
  HttpResponse r = client.SendSync(Post(server));
  EXPECT_EQ(r.error, HttpError::kProtocol) << r.error_message;
  EXPECT_NE(r.error_message.find("exceeds 1000 bytes"), std::string::npos) << r.error_message;
}

TEST(HttpClientTest, RequestTimeout) {
  FaultServer server([](const SeenRequest& r, int) {
    Reply reply = EchoReply(r);
    reply.delay_s = 3;
    return reply;
  });
  HttpClient::Options o = Fast();
  o.request_timeout_s = 0.2;
  HttpClient client(o);
  const auto t0 = std::chrono::steady_clock::now();
  HttpResponse r = client.SendSync(Post(server));
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.error, HttpError::kTimeout) << r.error_message;
  EXPECT_NE(r.error_message.find("0.2 s"), std::string::npos) << r.error_message;
  EXPECT_GE(took, 0.15);
  EXPECT_LT(took, 2.0);
}

TEST(HttpClientTest, ConnectionRefused) {
  // A port that was free a moment ago: bind, note it, close.
  int port;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  HttpClient client(Fast());
  HttpRequest req;
  req.url = Url::Parse("http://127.0.0.1:" + std::to_string(port));
  req.target = "/v1/completions";
  HttpResponse r = client.SendSync(req);
  EXPECT_EQ(r.error, HttpError::kConnect) << r.error_message;
  EXPECT_NE(r.error_message.find("connect failed"), std::string::npos) << r.error_message;
}

TEST(HttpClientTest, HttpsToPlainServerFailsCleanly) {
  FaultServer server([](const SeenRequest& r, int) { return EchoReply(r); });
  HttpClient client(Fast());
  HttpRequest req;
  req.url = Url::Parse("https://127.0.0.1:" + std::to_string(server.port()));
  req.target = "/v1/completions";
  HttpResponse r = client.SendSync(req);
  EXPECT_EQ(r.error, HttpError::kTls) << r.error_message;
}

TEST(HttpClientTest, ManyConcurrentRequestsAllAnswered) {
  FaultServer server([](const SeenRequest& r, int) {
    Reply reply = EchoReply(r);
    reply.delay_s = 0.01;
    return reply;
  });
  HttpClient client(Fast());
  std::mutex mu;
  std::condition_variable cv;
  int ok = 0, done = 0;
  const int n = 200;
  for (int i = 0; i < n; ++i) {
    client.Send(Post(server), [&](HttpResponse r) {
      std::lock_guard lock(mu);
      ok += r.error == HttpError::kNone && r.status == 200;
      ++done;
      cv.notify_one();
    });
  }
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done == n; }));
  EXPECT_EQ(ok, n);
  EXPECT_GT(server.max_in_flight(), 1);
}

}  // namespace
}  // namespace bhasa::backends

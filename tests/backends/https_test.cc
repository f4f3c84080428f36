// HTTPS through HttpClient and the openai backend, against a loopback TLS
// server whose self-signed certificate is generated here (IP SAN 127.0.0.1).

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <fstream>
#include <memory>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "backends/http_client.h"
#include "backends/openai_backend.h"
#include "common/error.h"
#include "common/exit_codes.h"
#include "tests/test_support.h"

namespace bhasa::backends {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct KeyAndCert {
  std::string key_pem;
  std::string cert_pem;
};

std::string ToPem(const std::function<int(BIO*)>& write) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || write(bio.get()) != 1) return "";
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

// A P-256 key and a one-day self-signed certificate for IP 127.0.0.1.
KeyAndCert MakeSelfSigned() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) return {};
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("bhasa test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext) return {};
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return {};
  KeyAndCert out;
  out.key_pem = ToPem([&](BIO* b) { return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });
  out.cert_pem = ToPem([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); });
  return out;
}

constexpr const char* kReply =
    R"({"choices":[{"message":{"role":"assistant","content":"aman"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}})";

// Keep-alive HTTPS server on 127.0.0.1 answering every request with kReply.
class TlsServer {
 public:
  explicit TlsServer(const KeyAndCert& kc) {
    ctx_.use_certificate_chain(asio::buffer(kc.cert_pem));
    ctx_.use_private_key(asio::buffer(kc.key_pem), ssl::context::pem);
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    asio::co_spawn(io_, Accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TlsServer() {
    io_.stop();
    thread_.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  int connections() const { return connections_; }

 private:
  asio::awaitable<void> Accept() {
    for (;;) {
      beast::error_code ec;
      tcp::socket s = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      ++connections_;
      asio::co_spawn(io_, Session(std::move(s)), asio::detached);
    }
  }
  asio::awaitable<void> Session(tcp::socket socket) {
    beast::ssl_stream<tcp::socket> stream(std::move(socket), ctx_);
    beast::error_code ec;
    co_await stream.async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      co_await http::async_read(stream, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      http::response<http::string_body> res{http::status::ok, 11};
      res.set(http::field::content_type, "application/json");
      res.body() = kReply;
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
    }
  }

  asio::io_context io_{1};
  ssl::context ctx_{ssl::context::tls_server};
  tcp::acceptor acceptor_{io_};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

class HttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kc_ = MakeSelfSigned();
    ASSERT_FALSE(kc_.cert_pem.empty()) << "could not generate a test certificate";
    ca_file_ = bhasa::testing::TempDir("https") + "/ca.pem";
    std::ofstream(ca_file_) << kc_.cert_pem;
    server_ = std::make_unique<TlsServer>(kc_);
  }
  HttpRequest Get(const std::string& host = "127.0.0.1") {
    HttpRequest r;
    r.url = Url::Parse("https://" + host + ":" + std::to_string(server_->port()) + "/v1");
    r.target = "/chat/completions";
    r.body = "{}";
    return r;
  }
  HttpClient::Options Options(const std::string& ca_file, bool verify = true) {
    HttpClient::Options o;
    o.connect_timeout_s = 2;
    o.request_timeout_s = 5;
    o.ca_file = ca_file;
    o.verify_tls = verify;
    return o;
  }

  KeyAndCert kc_;
  std::string ca_file_;
  std::unique_ptr<TlsServer> server_;
};

TEST_F(HttpsTest, TrustedCertificateWorksAndKeepsAlive) {
  HttpClient client(Options(ca_file_));
  for (int i = 0; i < 3; ++i) {
    HttpResponse r = client.SendSync(Get());
    ASSERT_EQ(r.error, HttpError::kNone) << r.error_message;
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("aman"), std::string::npos);
  }
  EXPECT_EQ(server_->connections(), 1);
}

TEST_F(HttpsTest, UntrustedCertificateIsRefused) {
  HttpClient client(Options(""));
  HttpResponse r = client.SendSync(Get());
  EXPECT_EQ(r.error, HttpError::kTls) << r.error_message;
  EXPECT_NE(r.error_message.find("certificate verify failed"), std::string::npos) << r.error_message;
}

TEST_F(HttpsTest, HostNameMismatchIsRefused) {
  HttpClient client(Options(ca_file_));
  HttpResponse r = client.SendSync(Get("localhost"));  // the certificate names only 127.0.0.1
  EXPECT_EQ(r.error, HttpError::kTls) << r.error_message;
  EXPECT_NE(r.error_message.find("certificate verify failed"), std::string::npos) << r.error_message;
}

TEST_F(HttpsTest, VerificationCanBeTurnedOff) {
  HttpClient client(Options("", /*verify=*/false));
  HttpResponse r = client.SendSync(Get());
  EXPECT_EQ(r.error, HttpError::kNone) << r.error_message;
}

TEST_F(HttpsTest, OpenAiBackendOverHttps) {
  BackendOptions o;
  o.model = "m";
  o.values = {{"url", "https://127.0.0.1:" + std::to_string(server_->port())}, {"ca_file", ca_file_}};
  auto backend = MakeBackend("openai", o);
  std::vector<Request> requests(4);
  for (size_t i = 0; i < requests.size(); ++i) {
    requests[i].id = "s/" + std::to_string(i);
    requests[i].messages = {{"user", "x"}};
  }
  int ok = 0;
  backend->Generate(requests, [&](Response r) { ok += r.status == ResponseStatus::kOk && r.text == "aman"; });
  EXPECT_EQ(ok, 4);
}

// The bhasa executable carries its own OpenSSL (BHASA_STATIC_DEPS): it still
// reads the trust store OpenSSL's environment names, and refuses a server
// the store does not vouch for.
TEST_F(HttpsTest, TheExecutableTrustsWhatItsTrustStoreHolds) {
  const std::string dir = bhasa::testing::TempDir("https-run");
  auto run = [&](const std::string& trust, const std::string& out, std::string* log) {
    return bhasa::testing::RunCommand("SSL_CERT_FILE=" + trust + " SSL_CERT_DIR=" + dir + "/no-certs " +
                                          bhasa::testing::BhasaBinary() + " run --backend openai --url https://127.0.0.1:" +
                                          std::to_string(server_->port()) +
                                          " --model m --tasks sentiment --languages id --limit 2 --max-retries 0"
                                          " --data-dir " + bhasa::testing::SourceDir() + "/data/samples --output " +
                                          dir + "/" + out + " 2>&1",
                                      log);
  };
  std::string log;
  EXPECT_EQ(run(ca_file_, "trusted", &log), 0) << log;
  EXPECT_GE(server_->connections(), 1);
  EXPECT_EQ(run(dir + "/no-such-ca.pem", "untrusted", &log), kExitRuntime) << log;
  EXPECT_NE(log.find("certificate verify failed"), std::string::npos) << log;
}

TEST(HttpsOptionsTest, UnreadableCaFileIsAnError) {
  HttpClient::Options o;
  o.ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(HttpClient client(o), Error);
}

}  // namespace
}  // namespace bhasa::backends

// `bhasa serve` under hostile and careless clients, over real sockets: the
// API key, each limit and its status code, slow and silent clients dropped
// in time, thousands of connections, a client that hangs up mid-generation,
// the access log and /metrics.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/openai_server.h"
#include "common/fs.h"
#include "tests/test_support.h"

namespace bhasa::backends {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Generates one "t" per 2 ms up to max_tokens, stopping early when the
// request is cancelled; a prompt "hold" first waits until Release().
class TickingBackend : public Backend {
 public:
  std::string name() const override { return "ticking"; }
  BackendCapabilities capabilities() const override {
    BackendCapabilities c;
    c.max_context = 100000;
    return c;
  }
  void Generate(std::span<const Request> requests, const OnResponse& on_response) override {
    GenerateStreaming(requests, [](const std::string&, std::string_view) {}, on_response);
  }
  void GenerateStreaming(std::span<const Request> requests, const OnText& on_text,
                         const OnResponse& on_response) override {
    for (const Request& r : requests) {
      auto cancelled = [&] { return r.cancelled && r.cancelled->load(); };
      Response out;
      out.request_id = r.id;
      out.prompt_tokens = 3;
      out.finish_reason = "length";
      if (r.prompt == "hold") {
        on_text(r.id, "held");
        std::unique_lock lock(mu);
        cv.wait_for(lock, std::chrono::seconds(20), [&] { return released || cancelled(); });
      }
      for (int i = 0; i < r.params.max_tokens; ++i) {
        if (cancelled()) {
          out.finish_reason = "abort";
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        ++generated;
        ++out.completion_tokens;
        out.text += "t";
        on_text(r.id, "t");
      }
      if (cancelled()) saw_cancel = true;
      on_response(std::move(out));
    }
  }
  void Release() {
    std::lock_guard lock(mu);
    released = true;
    cv.notify_all();
  }
  std::atomic<int> generated{0};
  std::atomic<bool> saw_cancel{false};
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
};

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  json Json() const { return json::parse(body); }
};

class ServeLimitsTest : public ::testing::Test {
 protected:
  void Start(ServerOptions so) {
    so.port = 0;
    so.model_name = "tiny";
    if (so.access_log.empty()) so.access_log = testing::TempDir("serve-limits") + "/access.log";
    log_path_ = so.access_log;
    server_ = std::make_unique<OpenAiServer>(backend_, so);
    serving_ = std::thread([&] { server_->Run(); });
  }
  void TearDown() override {
    backend_.Release();
    if (server_) {
      server_->Stop();
      serving_.join();
    }
  }

  tcp::socket Connect() {
    tcp::socket sock(io_);
    sock.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server_->port())});
    return sock;
  }

  void Send(tcp::socket& sock, http::verb method, const std::string& target, const std::string& body,
            const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(sock, req);
  }

  static Reply Read(tcp::socket& sock) {
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    beast::error_code ec;
    http::read(sock, buf, parser, ec);
    Reply r;
    if (ec) return r;  // status 0: no reply
    r.status = parser.get().result_int();
    for (const auto& f : parser.get()) r.headers[std::string(f.name_string())] = std::string(f.value());
    r.body = parser.get().body();
    return r;
  }

  Reply Call(http::verb method, const std::string& target, const std::string& body = "",
             const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    auto sock = Connect();
    Send(sock, method, target, body, headers);
    return Read(sock);
  }

  // True when the server closed `sock` (EOF or reset) within `wait`.
  static bool ClosedWithin(tcp::socket& sock, std::chrono::milliseconds wait) {
    const auto until = Clock::now() + wait;
    sock.non_blocking(true);
    char c[4096];
    for (;;) {
      beast::error_code ec;
      sock.read_some(asio::buffer(c), ec);
      if (ec && ec != asio::error::would_block) return true;
      if (Clock::now() >= until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  std::string Metrics(const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    Reply r = Call(http::verb::get, "/metrics", "", headers);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }

  TickingBackend backend_;
  std::unique_ptr<OpenAiServer> server_;
  std::thread serving_;
  asio::io_context io_;
  std::string log_path_;
};

// Polls `done` for up to 30 s: a request is logged and counted just after its
// reply is written, so the client may see the reply a moment before (a
// moment that grows long on a loaded machine or in a sanitized build).
bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 3000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// Parses Prometheus text exposition format 0.0.4 strictly enough to catch a
// malformed line: every sample belongs to a family declared by # TYPE before
// it, names and labels are well-formed, values are numbers, and histogram
// buckets are cumulative and end with le="+Inf" equal to _count. Returns
// "name{labels}" -> value.
std::map<std::string, double> ParsePrometheus(const std::string& text) {
  static const std::regex kSample(
      R"re(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? ([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf|NaN))$)re");
  static const std::regex kType(R"re(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)re");
  static const std::regex kHelp(R"re(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*$)re");
  std::map<std::string, std::string> types;
  std::map<std::string, double> samples;
  std::map<std::string, double> last_bucket;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::smatch m;
    if (std::regex_match(line, m, kType)) {
      EXPECT_FALSE(types.contains(m[1])) << "family declared twice, line " << n;
      types[m[1]] = m[2];
      continue;
    }
    if (std::regex_match(line, kHelp)) continue;
    if (!std::regex_match(line, m, kSample)) {
      ADD_FAILURE() << "not a Prometheus line " << n << ": " << line;
      continue;
    }
    std::string family = m[1];
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      if (!types.contains(family) && family.ends_with(suffix)) family.resize(family.size() - std::strlen(suffix));
    EXPECT_TRUE(types.contains(family)) << "sample before its # TYPE, line " << n << ": " << line;
    const double value = std::stod(m[m.size() - 1]);
    EXPECT_FALSE(samples.contains(line.substr(0, line.rfind(' ')))) << "duplicate sample, line " << n;
    samples[line.substr(0, line.rfind(' '))] = value;
    if (std::string(m[1]).ends_with("_bucket")) {
      EXPECT_GE(value, last_bucket[family]) << "buckets must be cumulative, line " << n;
      last_bucket[family] = value;
    }
  }
  for (const auto& [family, type] : types)
    if (type == "histogram") {
      EXPECT_EQ(samples[family + "_bucket{le=\"+Inf\"}"], samples[family + "_count"]) << family;
    }
  return samples;
}

TEST(Prometheus, TheCheckerRefusesMalformedText) {
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    ParsePrometheus("# TYPE a counter\na{route=\"x\" 1\n");      // unclosed labels
    ParsePrometheus("b 1\n");                                   // no # TYPE
    ParsePrometheus("# TYPE c gauge\nc one\n");                 // not a number
  }
  EXPECT_EQ(failures.size(), 3);
}

const std::string kChat = R"({"model":"tiny","messages":[{"role":"user","content":"Hai"}],"max_tokens":2})";

TEST_F(ServeLimitsTest, ApiKeyGuardsV1AndMetricsButNotHealth) {
  ServerOptions so;
  so.api_key = "sk-test-kunci";
  Start(so);
  const std::vector<std::pair<std::string, std::string>> right = {{"Authorization", "Bearer sk-test-kunci"}};
  Reply r = Call(http::verb::post, "/v1/chat/completions", kChat, right);
  EXPECT_EQ(r.status, 200) << r.body;
  for (const auto& wrong : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {},                                             // missing
           {{"Authorization", "Bearer sk-test-kuncI"}},    // wrong last character
           {{"Authorization", "Bearer sk-test-kunci2"}},   // longer
           {{"Authorization", "Bearer "}},                 // empty
           {{"Authorization", "Basic sk-test-kunci"}},     // wrong scheme
           {{"Authorization", "sk-test-kunci"}}}) {        // no scheme
    for (const std::string target : {"/v1/chat/completions", "/v1/models", "/v1/embeddings", "/metrics"}) {
      r = Call(target == "/v1/chat/completions" ? http::verb::post : http::verb::get, target, kChat, wrong);
      EXPECT_EQ(r.status, 401) << target << " " << (wrong.empty() ? "(none)" : wrong[0].second);
      const json e = r.Json()["error"];
      EXPECT_EQ(e["code"], "invalid_api_key");
      EXPECT_EQ(e["type"], "invalid_request_error");
      EXPECT_TRUE(e["param"].is_null());
      EXPECT_EQ(r.headers["WWW-Authenticate"], "Bearer");
    }
  }
  EXPECT_EQ(backend_.generated.load(), 2) << "only the authorized request reached the engine";
  EXPECT_EQ(Call(http::verb::get, "/health").status, 200);
  EXPECT_EQ(Call(http::verb::get, "/metrics", "", right).status, 200);
  EXPECT_EQ(Call(http::verb::get, "/v1/models", "", {{"Authorization", "bearer sk-test-kunci"}}).status, 200)
      << "the scheme is case-insensitive";
}

TEST_F(ServeLimitsTest, OversizedBodyIs413AndOversizedHeadIs431) {
  ServerOptions so;
  so.max_body_bytes = 4096;
  so.max_header_bytes = 2048;
  Start(so);
  const std::string big_prompt(10000, 'a');
  Reply r = Call(http::verb::post, "/v1/completions", R"({"prompt":")" + big_prompt + R"("})");
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(r.Json()["error"]["code"], "request_too_large");
  EXPECT_EQ(r.headers["Connection"], "close");

  // Announced far beyond the limit, and only the head sent: refused without waiting for the body.
  auto sock = Connect();
  asio::write(sock, asio::buffer(std::string("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n")));
  r = Read(sock);
  EXPECT_EQ(r.status, 413);

  r = Call(http::verb::get, "/v1/models", "", {{"X-Padding", std::string(4000, 'p')}});
  EXPECT_EQ(r.status, 431) << r.body;
  EXPECT_EQ(r.Json()["error"]["code"], "request_header_fields_too_large");

  // Just under both limits: answered.
  r = Call(http::verb::post, "/v1/completions", R"({"prompt":")" + std::string(3000, 'a') + R"(","max_tokens":1})",
           {{"X-Padding", std::string(1000, 'p')}});
  EXPECT_EQ(r.status, 200) << r.body;

  // Garbage instead of HTTP: 400, never a crash.
  sock = Connect();
  asio::write(sock, asio::buffer(std::string("HELLO THERE\r\n\r\n")));
  r = Read(sock);
  EXPECT_EQ(r.status, 400);
}

TEST_F(ServeLimitsTest, FullQueueIs429WithRetryAfter) {
  ServerOptions so;
  so.max_batch = 1;
  so.max_queue = 1;
  Start(so);
  auto running = Connect();  // held by the backend: the running batch
  Send(running, http::verb::post, "/v1/completions", R"({"prompt":"hold","stream":true,"max_tokens":1})");
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  http::read_header(running, buf, parser);
  std::map<std::string, double> m;
  ASSERT_TRUE(Eventually([&] {
    m = ParsePrometheus(Metrics());
    return m["bhasa_running_requests"] == 1;
  }));
  EXPECT_EQ(m["bhasa_queue_depth"], 0);
  auto queued = Connect();  // waits behind it
  Send(queued, http::verb::post, "/v1/completions", R"({"prompt":"next","max_tokens":1})");
  ASSERT_TRUE(Eventually([&] {
    m = ParsePrometheus(Metrics());
    return m["bhasa_queue_depth"] == 1;
  }));
  EXPECT_EQ(m["bhasa_running_requests"], 1);

  Reply r = Call(http::verb::post, "/v1/completions", R"({"prompt":"third","max_tokens":1})");
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.headers["Retry-After"], "1");
  EXPECT_EQ(r.Json()["error"]["code"], "rate_limit_exceeded");

  backend_.Release();
  EXPECT_EQ(Read(queued).status, 200);
  EXPECT_EQ(Call(http::verb::post, "/v1/completions", R"({"prompt":"later","max_tokens":1})").status, 200)
      << "room again once the queue drained";
  EXPECT_TRUE(Eventually([&] {
    m = ParsePrometheus(Metrics());
    return m["bhasa_requests_total{route=\"/v1/completions\",status=\"429\"}"] == 1;
  }));
  EXPECT_EQ(m["bhasa_queue_depth"], 0);
}

TEST_F(ServeLimitsTest, SilentAndSlowClientsAreDroppedInTime) {
  ServerOptions so;
  so.idle_timeout_s = 0.5;
  so.read_timeout_s = 2;
  Start(so);
  auto silent = Connect();
  auto t0 = Clock::now();
  EXPECT_TRUE(ClosedWithin(silent, std::chrono::milliseconds(3000)));
  const double silent_s = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_GE(silent_s, 0.4);
  EXPECT_LT(silent_s, 1.5) << "idle timeout 0.5 s";

  // Slowloris: a byte per second of a request that never ends, each byte in time for any per-read timeout.
  auto slow = Connect();
  const std::string head = "POST /v1/completions HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  t0 = Clock::now();
  bool dropped = false;
  for (char c : head) {
    beast::error_code ec;
    asio::write(slow, asio::buffer(&c, 1), ec);
    if (ec || ClosedWithin(slow, std::chrono::milliseconds(1000))) {
      dropped = true;
      break;
    }
    slow.non_blocking(false);
  }
  const double slow_s = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_TRUE(dropped);
  EXPECT_GE(slow_s, 1.5);
  EXPECT_LT(slow_s, 4) << "read timeout 2 s for the whole request";
  EXPECT_EQ(Call(http::verb::get, "/health").status, 200);
  EXPECT_GE(ParsePrometheus(Metrics())["bhasa_connections_dropped_total"], 2);
}

TEST_F(ServeLimitsTest, ConnectionsBeyondTheLimitAreRefusedWhenNoneIsIdle) {
  ServerOptions so;
  so.max_connections = 2;
  so.max_batch = 1;
  Start(so);
  std::vector<tcp::socket> busy;
  for (int i = 0; i < 2; ++i) {  // both busy: one generating, one waiting behind it
    busy.push_back(Connect());
    Send(busy.back(), http::verb::post, "/v1/completions", R"({"prompt":"hold","max_tokens":1})");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto third = Connect();
  Reply r = Read(third);
  EXPECT_EQ(r.status, 503) << "refused at once, before it sends anything";
  EXPECT_EQ(r.Json()["error"]["code"], "server_busy");
  backend_.Release();
  for (auto& s : busy) EXPECT_EQ(Read(s).status, 200);
  // A session stays busy a moment after its reply is read (longer on a loaded
  // machine): the metrics request waits until both have ended.
  busy.clear();
  EXPECT_TRUE(Eventually([&] { return server_->open_connections() == 0; }));
  const auto m = ParsePrometheus(Metrics());
  EXPECT_EQ(m.at("bhasa_connections_refused_total"), 1);
}

TEST_F(ServeLimitsTest, TwoThousandSilentConnectionsNeitherExceedTheLimitNorLockClientsOut) {
  constexpr int kSockets = 2000, kLimit = 256;
  rlimit fds{};
  getrlimit(RLIMIT_NOFILE, &fds);
  if (fds.rlim_cur < kSockets + kLimit + 100) {
    fds.rlim_cur = std::min<rlim_t>(fds.rlim_max, kSockets + kLimit + 200);
    setrlimit(RLIMIT_NOFILE, &fds);
  }
  if (fds.rlim_cur < kSockets + kLimit + 100) GTEST_SKIP() << "needs " << kSockets + kLimit + 100 << " descriptors";
  ServerOptions so;
  so.max_connections = kLimit;
  Start(so);
  std::vector<tcp::socket> flood;
  for (int i = 0; i < kSockets; ++i) flood.push_back(Connect());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  const auto t0 = Clock::now();
  Reply r = Call(http::verb::post, "/v1/chat/completions", kChat);
  EXPECT_EQ(r.status, 200) << "a real client still gets in";
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 5.0 * ::bhasa::testing::kTimeScale);

  int open = 0;
  for (auto& s : flood) open += !ClosedWithin(s, std::chrono::milliseconds(0));
  EXPECT_LE(open, kLimit) << "connections held beyond the limit";
  EXPECT_GE(open, kLimit / 2) << "the newest silent connections stay until their idle timeout";
  const auto m = ParsePrometheus(Metrics());
  EXPECT_LE(m.at("bhasa_open_connections"), kLimit);
  EXPECT_GE(m.at("bhasa_connections_dropped_total"), kSockets - kLimit);
}

TEST_F(ServeLimitsTest, ClientThatHangsUpStopsItsGeneration) {
  Start({});
  for (bool stream : {true, false}) {
    backend_.saw_cancel = false;
    const int before = backend_.generated.load();
    {
      auto sock = Connect();
      Send(sock, http::verb::post, "/v1/completions",
           std::string(R"({"prompt":"go","max_tokens":5000,"stream":)") + (stream ? "true" : "false") + "}");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }  // closed mid-generation
    for (int i = 0; i < 200 && !backend_.saw_cancel; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(backend_.saw_cancel) << (stream ? "stream" : "non-stream");
    const int generated = backend_.generated.load() - before;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(backend_.generated.load() - before, generated) << "still generating after the hang-up";
    EXPECT_LT(generated, 1000) << "5000 tokens take 10 s; the client left after 0.2 s";
    EXPECT_GT(generated, 0);
  }
  const auto m = ParsePrometheus(Metrics());
  EXPECT_EQ(m.at("bhasa_generation_tokens_total"), backend_.generated.load());
  EXPECT_EQ(m.at("bhasa_running_requests"), 0);
}

TEST_F(ServeLimitsTest, AccessLogHasOneLinePerRequestWithoutPromptOrKey) {
  ServerOptions so;
  so.api_key = "sk-rahsia-99";
  Start(so);
  const std::vector<std::pair<std::string, std::string>> key = {{"Authorization", "Bearer sk-rahsia-99"}};
  EXPECT_EQ(Call(http::verb::post, "/v1/completions?trace=q-secret",
                 R"({"prompt":"PROMPT-RAHSIA sangat","max_tokens":4})", key)
                .status,
            200);
  EXPECT_EQ(Call(http::verb::post, "/v1/chat/completions", kChat).status, 401);
  EXPECT_EQ(Call(http::verb::get, "/health").status, 200);
  auto count_lines = [&] {
    const std::string text = ReadFile(log_path_);
    return std::count(text.begin(), text.end(), '\n');
  };
  EXPECT_TRUE(Eventually([&] { return count_lines() >= 3; }));
  const std::string log = ReadFile(log_path_);
  std::vector<std::string> lines;
  std::istringstream in(log);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 3u) << log;
  // Each line is written when its reply has gone out, so a request's line may
  // follow the next request's: order them as they were sent.
  auto rank = [](const std::string& l) {
    return l.find("/v1/completions") != std::string::npos ? 0 : l.find("/health") != std::string::npos ? 2 : 1;
  };
  std::stable_sort(lines.begin(), lines.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  const std::regex line(
      R"re(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z 127\.0\.0\.1:\d+ "([A-Z]+) (\S+)" (\d{3}) prompt_tokens=(\d+) completion_tokens=(\d+) \d+\.\d{3}s$)re");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[0], m, line)) << lines[0];
  EXPECT_EQ(m[1], "POST");
  EXPECT_EQ(m[2], "/v1/completions");
  EXPECT_EQ(m[3], "200");
  EXPECT_EQ(m[4], "3");
  EXPECT_EQ(m[5], "4");
  ASSERT_TRUE(std::regex_match(lines[1], m, line)) << lines[1];
  EXPECT_EQ(m[3], "401");
  ASSERT_TRUE(std::regex_match(lines[2], m, line)) << lines[2];
  EXPECT_EQ(m[2], "/health");
  for (const char* secret : {"PROMPT-RAHSIA", "sangat", "sk-rahsia", "q-secret", "Hai"})
    EXPECT_EQ(log.find(secret), std::string::npos) << secret;
}

TEST_F(ServeLimitsTest, MetricsParseAndTheirCountersMove) {
  Start({});
  auto before = ParsePrometheus(Metrics());
  for (const char* family : {"bhasa_prompt_tokens_total", "bhasa_generation_tokens_total", "bhasa_queue_depth",
                             "bhasa_running_requests", "bhasa_open_connections",
                             "bhasa_request_duration_seconds_count"})
    EXPECT_TRUE(before.contains(family)) << family;
  EXPECT_EQ(Call(http::verb::post, "/v1/completions", R"({"prompt":"a","max_tokens":5})").status, 200);
  EXPECT_EQ(Call(http::verb::post, "/v1/chat/completions", kChat).status, 200);
  EXPECT_EQ(Call(http::verb::post, "/v1/completions", R"({"prompt":"a","temperature":-1})").status, 400);
  std::map<std::string, double> after;
  EXPECT_TRUE(Eventually([&] {
    after = ParsePrometheus(Metrics());
    return after["bhasa_request_duration_seconds_count"] - before["bhasa_request_duration_seconds_count"] >= 4;
  }));
  EXPECT_EQ(after["bhasa_requests_total{route=\"/v1/completions\",status=\"200\"}"], 1);
  EXPECT_EQ(after["bhasa_requests_total{route=\"/v1/completions\",status=\"400\"}"], 1);
  EXPECT_EQ(after["bhasa_requests_total{route=\"/v1/chat/completions\",status=\"200\"}"], 1);
  EXPECT_GE(after["bhasa_requests_total{route=\"/metrics\",status=\"200\"}"], 1) << "the first scrape";
  EXPECT_EQ(after["bhasa_prompt_tokens_total"] - before["bhasa_prompt_tokens_total"], 6);
  EXPECT_EQ(after["bhasa_generation_tokens_total"] - before["bhasa_generation_tokens_total"], 7);
  EXPECT_GT(after["bhasa_request_duration_seconds_sum"], 0.01) << "7 tokens at 2 ms each";
  // A path no route knows is counted as "other", so clients cannot grow the label set.
  Call(http::verb::get, "/random-" + std::to_string(std::rand()));
  EXPECT_TRUE(Eventually(
      [&] { return ParsePrometheus(Metrics())["bhasa_requests_total{route=\"other\",status=\"404\"}"] == 1; }));
}

}  // namespace
}  // namespace bhasa::backends

// The pure parts of `bhasa serve`'s operations: key check, exposure rule,
// access-log line, route labels.
#include <chrono>

#include <gtest/gtest.h>

#include "backends/access_log.h"
#include "backends/serve_auth.h"
#include "backends/serve_metrics.h"
#include "common/error.h"

namespace bhasa::backends {
namespace {

TEST(ServeAuth, BearerMatchesOnlyTheExactKey) {
  EXPECT_TRUE(BearerMatches("Bearer sk-abc", "sk-abc"));
  EXPECT_TRUE(BearerMatches("bearer sk-abc", "sk-abc"));
  EXPECT_FALSE(BearerMatches("Bearer sk-abd", "sk-abc"));
  EXPECT_FALSE(BearerMatches("Bearer sk-ab", "sk-abc"));
  EXPECT_FALSE(BearerMatches("Bearer sk-abcd", "sk-abc"));
  EXPECT_FALSE(BearerMatches("Bearer SK-ABC", "sk-abc"));
  EXPECT_FALSE(BearerMatches("sk-abc", "sk-abc"));
  EXPECT_FALSE(BearerMatches("Token sk-abc", "sk-abc"));
  EXPECT_FALSE(BearerMatches("", "sk-abc"));
  EXPECT_FALSE(BearerMatches("Bearer ", "")) << "an empty key never matches";
}

TEST(ServeAuth, NeedsKeyOnV1AndMetricsOnly) {
  for (const char* p : {"/v1/chat/completions", "/v1/models", "/v1/models/x", "/v1/unknown", "/v1", "/metrics"})
    EXPECT_TRUE(NeedsKey(p)) << p;
  for (const char* p : {"/health", "/", "/v10/x", "/metricsx"}) EXPECT_FALSE(NeedsKey(p)) << p;
}

TEST(ServeAuth, ExposureNeedsAKeyOrAnExplicitFlag) {
  EXPECT_NO_THROW(CheckExposure("127.0.0.1", false, false));
  EXPECT_NO_THROW(CheckExposure("::1", false, false));
  EXPECT_NO_THROW(CheckExposure("0.0.0.0", true, false));
  EXPECT_NO_THROW(CheckExposure("0.0.0.0", false, true));
  for (const char* host : {"0.0.0.0", "::", "192.168.1.5"}) {
    try {
      CheckExposure(host, false, false);
      ADD_FAILURE() << host << " was allowed";
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), 2);
      EXPECT_NE(std::string(e.what()).find("--allow-unauthenticated"), std::string::npos);
    }
  }
  EXPECT_THROW(CheckExposure("example.org", true, false), Error);
}

TEST(AccessLog, LineHasTheFieldsAndEscapesOddBytes) {
  AccessRecord r;
  r.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764472365123));
  r.client = "10.0.0.7:50312";
  r.method = "POST";
  r.path = "/v1/chat/completions";
  r.status = 200;
  r.prompt_tokens = 12;
  r.completion_tokens = 30;
  r.seconds = 0.4121;
  EXPECT_EQ(FormatAccessLine(r),
            "2025-11-30T03:12:45.123Z 10.0.0.7:50312 \"POST /v1/chat/completions\" 200 prompt_tokens=12 "
            "completion_tokens=30 0.412s");
  r.path = "/a b\"\x01";
  EXPECT_NE(FormatAccessLine(r).find("\"POST /a\\x20b\\x22\\x01\""), std::string::npos) << FormatAccessLine(r);
}

TEST(ServeMetrics, RouteLabelsAreBounded) {
  EXPECT_EQ(RouteLabel("/v1/chat/completions"), "/v1/chat/completions");
  EXPECT_EQ(RouteLabel("/v1/models/tiny"), "/v1/models/{id}");
  EXPECT_EQ(RouteLabel("/health"), "/health");
  EXPECT_EQ(RouteLabel("/whatever/else"), "other");
}

TEST(ServeMetrics, HistogramBucketsAreCumulative) {
  ServeMetrics m;
  m.Request("/health", 200, 0.001);
  m.Request("/health", 200, 0.3);
  m.Request("/health", 503, 1000);
  const std::string text = m.Render();
  EXPECT_NE(text.find("bhasa_request_duration_seconds_bucket{le=\"0.005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("bhasa_request_duration_seconds_bucket{le=\"0.5\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("bhasa_request_duration_seconds_bucket{le=\"60\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("bhasa_request_duration_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("bhasa_request_duration_seconds_count 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("bhasa_requests_total{route=\"/health\",status=\"503\"} 1\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace bhasa::backends

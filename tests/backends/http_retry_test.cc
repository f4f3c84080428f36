#include "backends/http_retry.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace bhasa::backends {
namespace {

TEST(UrlTest, ParsesSchemeHostPortPath) {
  Url u = Url::Parse("http://127.0.0.1:8000/v1/");
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, "8000");
  EXPECT_EQ(u.path, "/v1");
  EXPECT_EQ(u.ToString("/chat/completions"), "http://127.0.0.1:8000/v1/chat/completions");

  Url s = Url::Parse("HTTPS://api.example.com");
  EXPECT_EQ(s.scheme, "https");
  EXPECT_EQ(s.port, "443");
  EXPECT_EQ(s.path, "");
  EXPECT_EQ(s.Origin(), "https://api.example.com:443");

  Url v6 = Url::Parse("http://[::1]:9000/x");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, "9000");
  EXPECT_EQ(v6.Origin(), "http://[::1]:9000");
}

TEST(UrlTest, RejectsBadUrls) {
  for (const char* bad : {"localhost:8000", "ftp://x", "http://", "http://h:0", "http://h:70000", "http://h:8x",
                          "http://u:p@h/v1", "http://h/v1?q=1", "http://[::1"}) {
    EXPECT_THROW(Url::Parse(bad), Error) << bad;
  }
}

TEST(RetryPolicyTest, RetriableOutcomes) {
  auto status = [](int s) {
    HttpResponse r;
    r.status = s;
    return r;
  };
  auto error = [](HttpError e) {
    HttpResponse r;
    r.error = e;
    return r;
  };
  EXPECT_TRUE(RetryPolicy::IsRetriable(status(429)));
  EXPECT_TRUE(RetryPolicy::IsRetriable(status(500)));
  EXPECT_TRUE(RetryPolicy::IsRetriable(status(503)));
  EXPECT_TRUE(RetryPolicy::IsRetriable(status(408)));
  EXPECT_FALSE(RetryPolicy::IsRetriable(status(200)));
  EXPECT_FALSE(RetryPolicy::IsRetriable(status(400)));
  EXPECT_FALSE(RetryPolicy::IsRetriable(status(401)));
  EXPECT_FALSE(RetryPolicy::IsRetriable(status(404)));
  EXPECT_TRUE(RetryPolicy::IsRetriable(error(HttpError::kConnect)));
  EXPECT_TRUE(RetryPolicy::IsRetriable(error(HttpError::kTimeout)));
  EXPECT_TRUE(RetryPolicy::IsRetriable(error(HttpError::kIo)));
  EXPECT_TRUE(RetryPolicy::IsRetriable(error(HttpError::kTruncated)));
  EXPECT_FALSE(RetryPolicy::IsRetriable(error(HttpError::kTls)));
  EXPECT_FALSE(RetryPolicy::IsRetriable(error(HttpError::kProtocol)));
}

TEST(RetryPolicyTest, ExponentialWithJitterAndCap) {
  RetryPolicy p;
  p.base_delay_s = 1;
  p.max_delay_s = 10;
  // u = 0 gives the lower half-point, u -> 1 the full delay.
  EXPECT_DOUBLE_EQ(p.DelaySeconds(0, "", 0.0), 0.5);
  EXPECT_DOUBLE_EQ(p.DelaySeconds(0, "", 0.5), 0.75);
  EXPECT_DOUBLE_EQ(p.DelaySeconds(1, "", 0.0), 1.0);
  EXPECT_DOUBLE_EQ(p.DelaySeconds(2, "", 0.0), 2.0);
  EXPECT_DOUBLE_EQ(p.DelaySeconds(3, "", 1.0), 8.0);
  EXPECT_DOUBLE_EQ(p.DelaySeconds(4, "", 1.0), 10.0);   // capped
  EXPECT_DOUBLE_EQ(p.DelaySeconds(60, "", 0.0), 5.0);   // no overflow
  EXPECT_DOUBLE_EQ(p.DelaySeconds(1000, "", 1.0), 10.0);
}

TEST(RetryPolicyTest, RetryAfterIsAFloorWithACap) {
  RetryPolicy p;
  p.base_delay_s = 0.01;
  p.max_retry_after_s = 100;
  EXPECT_DOUBLE_EQ(p.DelaySeconds(0, "3", 0.0), 3.0);
  EXPECT_DOUBLE_EQ(p.DelaySeconds(0, "1.5", 0.0), 1.5);
  EXPECT_DOUBLE_EQ(p.DelaySeconds(0, "100000", 0.0), 100.0);
  EXPECT_DOUBLE_EQ(p.DelaySeconds(0, "garbage", 0.0), 0.005);
  p.base_delay_s = 20;
  EXPECT_DOUBLE_EQ(p.DelaySeconds(0, "1", 0.0), 10.0);  // backoff already longer
}

TEST(RetryPolicyTest, ParsesRetryAfterForms) {
  // 2015-10-21T07:28:00Z = 1445412480.
  const std::time_t now = 1445412480 - 90;
  EXPECT_EQ(ParseRetryAfter("120", now), 120.0);
  EXPECT_EQ(ParseRetryAfter(" 7 ", now), 7.0);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now), 90.0);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now + 1000), 0.0);
  EXPECT_FALSE(ParseRetryAfter("", now));
  EXPECT_FALSE(ParseRetryAfter("-1", now));
  EXPECT_FALSE(ParseRetryAfter("soon", now));
  EXPECT_FALSE(ParseRetryAfter("12abc", now));
  EXPECT_FALSE(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT trailing", now));
}

}  // namespace
}  // namespace bhasa::backends

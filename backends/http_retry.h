// RetryPolicy: which HTTP outcomes are worth another attempt, and how long to
// wait before it (exponential backoff with jitter, honouring Retry-After).
// Pure functions of their inputs; safe to share between threads.
#pragma once

#include <ctime>
#include <optional>
#include <string_view>

#include "backends/http_client.h"

namespace bhasa::backends {

struct RetryPolicy {
  int max_retries = 5;             // attempts = max_retries + 1
  double base_delay_s = 1.0;       // delay before the first retry, before jitter
  double max_delay_s = 60.0;       // cap of the exponential delay
  double max_retry_after_s = 300;  // cap on a server's Retry-After, so a typo cannot stall a run for hours

  // Connect errors, timeouts, broken or truncated connections, HTTP 408, 429
  // and 5xx are transient; TLS failures, other 4xx and garbage are not.
  static bool IsRetriable(const HttpResponse& r);

  // Seconds to wait before retry number `retry` (0 = the first retry):
  // d = min(base * 2^retry, max), then uniformly in [d/2, d] using
  // `unit_random` in [0, 1), and never less than the server's Retry-After.
  double DelaySeconds(int retry, std::string_view retry_after, double unit_random,
                      std::time_t now = std::time(nullptr)) const;
};

// Seconds a Retry-After header value asks for: delta-seconds ("120", "1.5")
// or an IMF-fixdate ("Wed, 21 Oct 2015 07:28:00 GMT") relative to `now`.
// nullopt when the value is neither; a date in the past gives 0.
std::optional<double> ParseRetryAfter(std::string_view value, std::time_t now);

}  // namespace bhasa::backends

#include "backends/http_retry.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>

namespace bhasa::backends {

bool RetryPolicy::IsRetriable(const HttpResponse& r) {
  switch (r.error) {
    case HttpError::kConnect:
    case HttpError::kTimeout:
    case HttpError::kIo:
    case HttpError::kTruncated:
      return true;
    case HttpError::kTls:       // a certificate problem does not fix itself
    case HttpError::kProtocol:  // neither does a server speaking something else
      return false;
    case HttpError::kNone:
      break;
  }
  return r.status == 408 || r.status == 429 || (r.status >= 500 && r.status <= 599);
}

double RetryPolicy::DelaySeconds(int retry, std::string_view retry_after, double unit_random,
                                 std::time_t now) const {
  const double exp = base_delay_s * std::pow(2.0, std::clamp(retry, 0, 62));
  const double d = std::min(exp, max_delay_s);
  const double u = std::clamp(unit_random, 0.0, 1.0);
  double delay = d / 2 + u * d / 2;
  if (auto asked = ParseRetryAfter(retry_after, now)) delay = std::max(delay, std::min(*asked, max_retry_after_s));
  return std::max(delay, 0.0);
}

std::optional<double> ParseRetryAfter(std::string_view value, std::time_t now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  const std::string text(value);
  if (std::isdigit(static_cast<unsigned char>(text[0]))) {
    char* end = nullptr;
    const double s = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !std::isfinite(s) || s < 0) return std::nullopt;
    return s;
  }
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const std::time_t at = timegm(&tm);
  if (at == static_cast<std::time_t>(-1)) return std::nullopt;
  return at > now ? static_cast<double>(at - now) : 0.0;
}

}  // namespace bhasa::backends

#include "backends/serve_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace bhasa::backends {
namespace {

// Prometheus numbers: shortest round-trip form, as Go's strconv does.
std::string Number(double v) {
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {  // counts and whole bounds without an exponent
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.17g", v);
  for (int precision = 1; precision < 17; ++precision) {
    char shorter[32];
    std::snprintf(shorter, sizeof shorter, "%.*g", precision, v);
    if (std::strtod(shorter, nullptr) == v) return shorter;
  }
  return buf;
}

void Family(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void Sample(std::string& out, const std::string& name, double value) { out += name + " " + Number(value) + "\n"; }

}  // namespace

void ServeMetrics::Request(std::string_view route, int status, double seconds) {
  size_t bucket = 0;
  while (bucket < kDurationBuckets.size() && seconds > kDurationBuckets[bucket]) ++bucket;
  std::lock_guard lock(mu_);
  ++requests_[{std::string(route), status}];
  ++buckets_[bucket];
  duration_sum_ += seconds;
}

void ServeMetrics::Tokens(int prompt, int generated) {
  prompt_tokens_ += static_cast<uint64_t>(std::max(0, prompt));
  generated_tokens_ += static_cast<uint64_t>(std::max(0, generated));
}

std::string ServeMetrics::Render() const {
  std::string out;
  std::lock_guard lock(mu_);
  Family(out, "bhasa_requests_total", "counter", "HTTP requests answered, by route and status.");
  for (const auto& [key, n] : requests_)
    Sample(out, "bhasa_requests_total{route=\"" + key.first + "\",status=\"" + std::to_string(key.second) + "\"}",
           static_cast<double>(n));
  Family(out, "bhasa_request_duration_seconds", "histogram", "Time from a request's arrival to its last byte.");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    cumulative += buckets_[i];
    const std::string le = i < kDurationBuckets.size() ? Number(kDurationBuckets[i]) : "+Inf";
    Sample(out, "bhasa_request_duration_seconds_bucket{le=\"" + le + "\"}", static_cast<double>(cumulative));
  }
  Sample(out, "bhasa_request_duration_seconds_sum", duration_sum_);
  Sample(out, "bhasa_request_duration_seconds_count", static_cast<double>(cumulative));
  Family(out, "bhasa_prompt_tokens_total", "counter", "Prompt tokens of answered completions.");
  Sample(out, "bhasa_prompt_tokens_total", static_cast<double>(prompt_tokens_.load()));
  Family(out, "bhasa_generation_tokens_total", "counter", "Tokens generated, including those of abandoned requests.");
  Sample(out, "bhasa_generation_tokens_total", static_cast<double>(generated_tokens_.load()));
  Family(out, "bhasa_queue_depth", "gauge", "Completions waiting for the engine.");
  Sample(out, "bhasa_queue_depth", static_cast<double>(queue_depth_.load()));
  Family(out, "bhasa_running_requests", "gauge", "Completions the engine is working on (the running batch).");
  Sample(out, "bhasa_running_requests", static_cast<double>(running_.load()));
  Family(out, "bhasa_open_connections", "gauge", "Client connections open now.");
  Sample(out, "bhasa_open_connections", static_cast<double>(open_connections_.load()));
  Family(out, "bhasa_connections_refused_total", "counter", "Connections closed at once: every slot was busy.");
  Sample(out, "bhasa_connections_refused_total", static_cast<double>(connections_refused_.load()));
  Family(out, "bhasa_connections_dropped_total", "counter",
         "Connections closed by a timeout, or idle ones closed to make room for a new client.");
  Sample(out, "bhasa_connections_dropped_total", static_cast<double>(connections_dropped_.load()));
  return out;
}

std::string RouteLabel(std::string_view path) {
  for (std::string_view known : {"/v1/chat/completions", "/v1/completions", "/v1/models", "/health", "/metrics"})
    if (path == known) return std::string(known);
  if (path.starts_with("/v1/models/")) return "/v1/models/{id}";
  return "other";
}

}  // namespace bhasa::backends

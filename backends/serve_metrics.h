// ServeMetrics: what `bhasa serve` counts, rendered in the Prometheus text
// exposition format (version 0.0.4) for GET /metrics.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace bhasa::backends {

class ServeMetrics {
 public:
  // Upper bounds (seconds) of the request duration histogram's buckets; +Inf follows.
  static constexpr std::array<double, 13> kDurationBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                              1,     2.5,  5,     10,   30,  60};

  // One answered request: its route (RouteLabel), HTTP status and time taken.
  void Request(std::string_view route, int status, double seconds);
  void Tokens(int prompt, int generated);
  void QueueDepth(int64_t n) { queue_depth_ = n; }
  void Running(int64_t delta) { running_ += delta; }
  void OpenConnections(int64_t n) { open_connections_ = n; }
  void ConnectionRefused() { ++connections_refused_; }
  void ConnectionDropped() { ++connections_dropped_; }

  std::string Render() const;

 private:
  mutable std::mutex mu_;  // guards the maps and the histogram
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // (route, status) -> count
  std::array<uint64_t, kDurationBuckets.size() + 1> buckets_{};  // per bucket, not cumulative; last: +Inf
  double duration_sum_ = 0;
  std::atomic<uint64_t> prompt_tokens_{0}, generated_tokens_{0};
  std::atomic<int64_t> queue_depth_{0}, running_{0}, open_connections_{0};
  std::atomic<uint64_t> connections_refused_{0}, connections_dropped_{0};
};

// The route label of a request path: the known routes as themselves
// ("/v1/models/{id}" for one model), anything else "other", so that a client
// cannot make the label set grow.
std::string RouteLabel(std::string_view path);

}  // namespace bhasa::backends

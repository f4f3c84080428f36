// Progress bar on stderr: done/total, rate, ETA. Silent when stderr is not a
// terminal (CI logs stay clean). Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

namespace bhasa {

class Progress {
 public:
  Progress(std::string label, size_t total);
  ~Progress();
  void Tick(size_t n = 1);
  void Finish();
  static bool Enabled();

 private:
  void Draw(bool final);
  std::string label_;
  size_t total_, done_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool enabled_, finished_ = false;
  std::mutex mu_;
};

}  // namespace bhasa

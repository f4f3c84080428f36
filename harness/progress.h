// Progress of a batch of requests on stderr: done/total, rate, ETA, failures.
//
// BHASA_PROGRESS chooses the style: `tty` redraws one bar in place, `lines`
// prints one plain line every ~10 s and a last one at the end (for CI logs),
// `off` prints nothing, and `auto` (the default) is `tty` when stderr is a
// terminal, else `lines`. Thread-safe.
#pragma once

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

namespace bhasa {

enum class ProgressMode { kOff, kTty, kLines };

// Reads BHASA_PROGRESS (see above); an unknown value warns once and means auto.
ProgressMode ProgressModeFromEnv();

class Progress {
 public:
  // With the mode from the environment, lines every 10 s, on stderr.
  Progress(std::string label, size_t total);
  Progress(std::string label, size_t total, ProgressMode mode, std::chrono::milliseconds line_interval, FILE* out);
  ~Progress();
  // `n` more requests finished; `failed` when they did not succeed.
  void Tick(bool failed = false, size_t n = 1);
  void Finish();

 private:
  void Draw(bool final);
  std::string Line() const;  // "<label>: 3/10 (30%), 1.5/s, ETA 5s, 0 failed" (or "4.2/min")

  std::string label_;
  size_t total_, done_ = 0, failed_ = 0;
  ProgressMode mode_;
  std::chrono::milliseconds interval_;
  FILE* out_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool finished_ = false;
  std::mutex mu_;
};

}  // namespace bhasa

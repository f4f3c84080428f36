// Progress of a batch of requests on stderr: done/total, rate, ETA, failures.
//
// BHASA_PROGRESS chooses the style: `tty` redraws one bar in place, `lines`
// prints one plain line at the start, every ~10 s (from a timer thread, so
// the log shows the run is alive between answers) and at the end (CI logs),
// `off` prints nothing, and `auto` (the default) is `tty` when stderr is a
// terminal, else `lines`. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

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
  void Draw(bool final);  // with mu_ held
  std::string Line() const;  // "<label>: 3/10 (30%), 1.5/s, ETA 5s, 0 failed" (or "4.2/min")

  std::string label_;
  size_t total_, done_ = 0, failed_ = 0;
  ProgressMode mode_;
  std::chrono::milliseconds interval_;
  FILE* out_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool finished_ = false;
  std::mutex mu_;
  std::condition_variable wake_;
  std::thread ticker_;  // lines mode: prints every interval_ until Finish
};

}  // namespace bhasa

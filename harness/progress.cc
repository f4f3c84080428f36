#include "harness/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>

namespace bhasa {

ProgressMode ProgressModeFromEnv() {
  const char* e = std::getenv("BHASA_PROGRESS");
  const std::string v = e ? e : "auto";
  if (v == "off") return ProgressMode::kOff;
  if (v == "tty") return ProgressMode::kTty;
  if (v == "lines") return ProgressMode::kLines;
  if (v != "auto" && v != "") {
    static std::once_flag warned;
    std::call_once(warned, [&] {
      std::fprintf(stderr, "bhasa: warning: BHASA_PROGRESS='%s' is not auto, tty, lines or off; using auto\n",
                   v.c_str());
    });
  }
  return isatty(fileno(stderr)) ? ProgressMode::kTty : ProgressMode::kLines;
}

Progress::Progress(std::string label, size_t total)
    : Progress(std::move(label), total, ProgressModeFromEnv(), std::chrono::seconds(10), stderr) {}

Progress::Progress(std::string label, size_t total, ProgressMode mode, std::chrono::milliseconds line_interval,
                   FILE* out)
    : label_(std::move(label)),
      total_(total),
      mode_(total > 0 ? mode : ProgressMode::kOff),
      interval_(mode == ProgressMode::kTty ? std::chrono::milliseconds(100) : line_interval),
      out_(out),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {
  if (mode_ == ProgressMode::kOff) return;
  std::lock_guard lock(mu_);
  Draw(false);
  if (mode_ == ProgressMode::kLines)
    ticker_ = std::thread([this] {
      std::unique_lock lock(mu_);
      while (!wake_.wait_for(lock, interval_, [this] { return finished_; })) Draw(false);
    });
}

Progress::~Progress() { Finish(); }

void Progress::Tick(bool failed, size_t n) {
  std::lock_guard lock(mu_);
  done_ += n;
  if (failed) failed_ += n;
  if (mode_ != ProgressMode::kTty || done_ >= total_) return;  // the last line comes from Finish
  if (std::chrono::steady_clock::now() - last_draw_ >= interval_) Draw(false);
}

void Progress::Finish() {
  {
    std::lock_guard lock(mu_);
    if (finished_) return;
    finished_ = true;
    if (mode_ != ProgressMode::kOff) Draw(true);
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

std::string Progress::Line() const {
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = secs > 0 ? done_ / secs : 0;
  char eta[32] = "--";  // unknown until a request has finished
  if (done_ >= total_) {
    std::snprintf(eta, sizeof eta, "0s");
  } else if (done_ > 0 && rate > 0) {
    const long secs_left = std::lround((total_ - done_) / rate);
    if (secs_left < 60) std::snprintf(eta, sizeof eta, "%lds", secs_left);
    else if (secs_left < 3600) std::snprintf(eta, sizeof eta, "%ldm%02lds", secs_left / 60, secs_left % 60);
    else std::snprintf(eta, sizeof eta, "%ldh%02ldm", secs_left / 3600, secs_left / 60 % 60);
  }
  char speed[32];  // slow requests (long generations on a CPU) per minute
  if (rate > 0 && rate < 1) std::snprintf(speed, sizeof speed, "%.1f/min", rate * 60);
  else std::snprintf(speed, sizeof speed, "%.1f/s", rate);
  char line[512];
  std::snprintf(line, sizeof line, "%s: %zu/%zu (%.0f%%), %s, ETA %s, %zu failed", label_.c_str(), done_, total_,
                100.0 * done_ / total_, speed, eta, failed_);
  return line;
}

void Progress::Draw(bool final) {
  last_draw_ = std::chrono::steady_clock::now();
  if (mode_ == ProgressMode::kLines) {
    std::fprintf(out_, "bhasa: %s\n", Line().c_str());
  } else {
    const int width = 30;
    const int filled = static_cast<int>(width * done_ / total_);
    std::string bar(filled, '#');
    bar.resize(width, '.');
    std::fprintf(out_, "\r[%s] %s\033[K%s", bar.c_str(), Line().c_str(), final ? "\n" : "");
  }
  std::fflush(out_);
}

}  // namespace bhasa

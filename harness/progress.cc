#include "harness/progress.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace bhasa {

bool Progress::Enabled() {
  if (const char* e = std::getenv("BHASA_PROGRESS")) return std::string(e) == "1";
  return isatty(fileno(stderr));
}

Progress::Progress(std::string label, size_t total)
    : label_(std::move(label)), total_(total), start_(std::chrono::steady_clock::now()), enabled_(Enabled()) {
  last_draw_ = start_ - std::chrono::seconds(1);
  if (enabled_ && total_ > 0) Draw(false);
}

Progress::~Progress() { Finish(); }

void Progress::Tick(size_t n) {
  std::lock_guard lock(mu_);
  done_ += n;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ > std::chrono::milliseconds(100) || done_ == total_) Draw(false);
}

void Progress::Finish() {
  std::lock_guard lock(mu_);
  if (finished_) return;
  finished_ = true;
  if (enabled_ && total_ > 0) Draw(true);
}

void Progress::Draw(bool final) {
  last_draw_ = std::chrono::steady_clock::now();
  double secs = std::chrono::duration<double>(last_draw_ - start_).count();
  double rate = secs > 0 ? done_ / secs : 0;
  double eta = rate > 0 ? (total_ - done_) / rate : 0;
  const int width = 30;
  int filled = total_ ? static_cast<int>(width * done_ / total_) : width;
  std::string bar(filled, '#');
  bar.resize(width, '.');
  std::fprintf(stderr, "\r%-22.22s [%s] %zu/%zu %6.1f/s ETA %4.0fs%s", label_.c_str(), bar.c_str(), done_, total_,
               rate, eta, final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace bhasa

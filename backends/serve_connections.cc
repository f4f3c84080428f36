#include "backends/serve_connections.h"

#include <sys/socket.h>

#include <algorithm>

namespace bhasa::backends {

ConnectionTable::ConnectionTable(size_t limit, ServeMetrics& metrics)
    : limit_(std::max<size_t>(1, limit)), metrics_(metrics), watchdog_([this] { Watch(); }) {}

ConnectionTable::~ConnectionTable() {
  Close();
  WaitEmpty();
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  changed_.notify_all();
  watchdog_.join();
}

void ConnectionTable::ShutLocked(int fd, Entry& e) {
  if (e.shut) return;
  ::shutdown(fd, SHUT_RDWR);
  e.shut = true;
  --live_;
  metrics_.OpenConnections(static_cast<int64_t>(live_));
}

bool ConnectionTable::Admit(int fd) {
  std::lock_guard lock(mu_);
  if (closing_) return false;
  if (live_ >= limit_) {
    auto oldest = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->second.idle && !it->second.shut && (oldest == entries_.end() || it->second.since < oldest->second.since))
        oldest = it;
    if (oldest == entries_.end()) {
      metrics_.ConnectionRefused();
      return false;
    }
    ShutLocked(oldest->first, oldest->second);
    metrics_.ConnectionDropped();
  }
  entries_[fd] = Entry{true, false, kNever, Clock::now()};
  ++live_;
  metrics_.OpenConnections(static_cast<int64_t>(live_));
  return true;
}

void ConnectionTable::Remove(int fd) {
  // Notified under the lock: once the last entry is gone, WaitEmpty may return
  // and the table be destroyed, so the condition variable must not be touched
  // after the unlock (ThreadSanitizer found the late broadcast).
  std::lock_guard lock(mu_);
  auto it = entries_.find(fd);
  if (it == entries_.end()) return;
  if (!it->second.shut) --live_;
  entries_.erase(it);
  metrics_.OpenConnections(static_cast<int64_t>(live_));
  changed_.notify_all();
}

void ConnectionTable::Idle(int fd, Clock::time_point deadline) {
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(fd);
    if (it == entries_.end()) return;
    it->second.idle = true;
    it->second.since = Clock::now();
    it->second.deadline = deadline;
  }
  changed_.notify_all();
}

void ConnectionTable::Busy(int fd, Clock::time_point deadline) {
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(fd);
    if (it == entries_.end()) return;
    it->second.idle = false;
    it->second.deadline = deadline;
  }
  changed_.notify_all();
}

void ConnectionTable::Close() {
  std::lock_guard lock(mu_);
  closing_ = true;
  for (auto& [fd, e] : entries_) ShutLocked(fd, e);
}

void ConnectionTable::WaitEmpty() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return entries_.empty(); });
}

size_t ConnectionTable::open() const {
  std::lock_guard lock(mu_);
  return live_;
}

// Sleeps until the earliest deadline (or a change), then shuts down every
// connection past its own.
void ConnectionTable::Watch() {
  std::unique_lock lock(mu_);
  while (!(closing_ && entries_.empty())) {
    const auto now = Clock::now();
    auto next = kNever;
    for (auto& [fd, e] : entries_) {
      if (e.shut) continue;
      if (e.deadline <= now) {
        ShutLocked(fd, e);
        metrics_.ConnectionDropped();
      } else {
        next = std::min(next, e.deadline);
      }
    }
    if (next == kNever) changed_.wait(lock);
    else changed_.wait_until(lock, next);
  }
}

}  // namespace bhasa::backends

// ConnectionTable: the open client connections of `bhasa serve`, bounded in
// number, each with a deadline that a watchdog thread enforces by shutting
// the socket down (on Linux only shutdown(2) wakes a thread blocked on it).
//
// A connection is either idle (waiting for its next request) or busy
// (reading a request, waiting for the engine, writing a reply). When every
// slot is taken, a new connection takes the slot of the connection idle the
// longest, so a flood of silent sockets cannot lock clients out; when none
// is idle, the new one is refused.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <thread>

#include "backends/serve_metrics.h"

namespace bhasa::backends {

class ConnectionTable {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr Clock::time_point kNever = Clock::time_point::max();

  ConnectionTable(size_t limit, ServeMetrics& metrics);
  ~ConnectionTable();
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  // Takes a new connection (idle, without deadline); false when it is refused
  // (every slot busy, or Close was called). The caller then closes it.
  bool Admit(int fd);
  // The connection ended; its descriptor is still open when this is called.
  void Remove(int fd);
  // Waiting for the next request: shut down at `deadline`, or earlier to make room.
  void Idle(int fd, Clock::time_point deadline);
  // At work: shut down at `deadline` (kNever: no limit), never to make room.
  void Busy(int fd, Clock::time_point deadline);
  // Shuts every connection down and refuses new ones.
  void Close();
  // Blocks until every admitted connection has been removed.
  void WaitEmpty();
  size_t open() const;

 private:
  struct Entry {
    bool idle = true;
    bool shut = false;  // shut down by the table; its session is ending
    Clock::time_point deadline = kNever;
    Clock::time_point since;  // when it became idle
  };
  void ShutLocked(int fd, Entry& e);
  void Watch();

  const size_t limit_;
  ServeMetrics& metrics_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<int, Entry> entries_;
  size_t live_ = 0;  // entries not shut
  bool closing_ = false;
  std::thread watchdog_;
};

}  // namespace bhasa::backends

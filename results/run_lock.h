// An exclusive lock on a run directory, so that two processes (`run`,
// `score`) never write the same journal and results.json at once.
#pragma once

#include <string>

#include "results/run_dir.h"

namespace bhasa::results {

// Holds flock(LOCK_EX) on <root>/run.lock from construction to destruction.
// The kernel drops the lock when the process dies, so a killed run never
// leaves a stale lock behind. Throws Error (exit 3) naming the directory
// when another process holds it, or when the lock file cannot be opened.
class RunLock {
 public:
  explicit RunLock(const RunDir& dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  static std::string LockPath(const RunDir& dir) { return dir.root() + "/run.lock"; }

 private:
  int fd_ = -1;
};

}  // namespace bhasa::results

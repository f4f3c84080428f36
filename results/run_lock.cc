#include "results/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "common/exit_codes.h"

namespace bhasa::results {

RunLock::RunLock(const RunDir& dir) {
  const std::string path = LockPath(dir);
  fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(path + ": cannot open the run lock: " + std::strerror(errno), kExitRuntime);
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    close(fd_);
    if (err == EWOULDBLOCK)
      throw Error(dir.root() + ": another bhasa process is writing this run directory (it holds " + path +
                      "); wait for it to finish, or write elsewhere with --output or --run",
                  kExitRuntime);
    throw Error(path + ": cannot lock the run directory: " + std::strerror(err), kExitRuntime);
  }
}

RunLock::~RunLock() {
  if (fd_ >= 0) close(fd_);  // closing releases the lock
}

}  // namespace bhasa::results

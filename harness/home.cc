#include "harness/home.h"

#include <cstdlib>
#include <filesystem>

#include "common/error.h"
#include "common/exit_codes.h"

namespace bhasa {

namespace fs = std::filesystem;

namespace {

bool IsHome(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir / "tasks", ec);
}

fs::path ExecutableDir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

std::string NoHome() {
  const char* env = std::getenv("BHASA_HOME");
  return "cannot find bhasa's task definitions and sample data: looked in " +
         (ExecutableDir() / BHASA_HOME_FROM_BIN).lexically_normal().string() + " (beside the executable) and " +
         (env && *env ? "$BHASA_HOME=" + std::string(env) + " (no tasks/ there)" : std::string("$BHASA_HOME (unset)")) +
         "; set BHASA_HOME to a folder holding tasks/ and data/samples/, or give --tasks-dir and --data-dir";
}

}  // namespace

std::string BhasaHome() {
  if (const fs::path bin = ExecutableDir(); !bin.empty()) {
    for (const char* rel : {BHASA_HOME_FROM_BIN, "share/bhasa"})
      if (IsHome(bin / rel)) return (bin / rel).lexically_normal().string();
  }
  if (const char* h = std::getenv("BHASA_HOME"); h && *h && IsHome(h)) return h;
  return "";
}

std::string DefaultTasksDir() {
  const std::string home = BhasaHome();
  if (home.empty()) throw Error(NoHome(), kExitUsage);
  return home + "/tasks";
}

std::string DefaultDataDir() {
  const std::string home = BhasaHome();
  if (home.empty()) throw Error(NoHome(), kExitUsage);
  return home + "/data/samples";
}

}  // namespace bhasa

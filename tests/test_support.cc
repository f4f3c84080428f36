#include "tests/test_support.h"

#include <sys/wait.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace bhasa::testing {

std::string SharedDir() {
  if (const char* env = std::getenv("BHASA_SHARED_DIR"); env && *env)
    return std::filesystem::exists(env) ? env : "";
  return std::filesystem::exists(BHASA_SHARED_DIR_DEFAULT) ? BHASA_SHARED_DIR_DEFAULT : "";
}

std::string SourceDir() { return BHASA_SOURCE_DIR; }
std::string BhasaBinary() { return BHASA_BINARY; }

std::string TempDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  auto p = std::filesystem::temp_directory_path() /
           ("bhasa-test-" + tag + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

int RunCommand(const std::string& cmd, std::string* output) {
  FILE* pipe = popen((cmd + " 2>&1").c_str(), "r");
  if (!pipe) return -1;
  std::array<char, 4096> buf;
  std::string out;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = pclose(pipe);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace bhasa::testing

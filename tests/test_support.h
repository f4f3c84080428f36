// Helpers shared by the test binaries.
#pragma once

#include <string>

#include <filesystem>

#include <gtest/gtest.h>

namespace bhasa::testing {

// ../shared beside the checkout, or $BHASA_SHARED_DIR; "" when absent.
std::string SharedDir();
std::string SourceDir();
std::string BhasaBinary();
// A fresh empty directory under the system temp dir.
std::string TempDir(const std::string& tag);
// Runs a shell command, returns its exit code; stdout+stderr go to *output.
int RunCommand(const std::string& cmd, std::string* output = nullptr);

// How much longer a time bound may take in this build: ThreadSanitizer slows
// thread creation and every synchronisation several times over.
#if defined(__SANITIZE_THREAD__)
inline constexpr double kTimeScale = 4;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr double kTimeScale = 4;
#else
inline constexpr double kTimeScale = 1;
#endif
#else
inline constexpr double kTimeScale = 1;
#endif

}  // namespace bhasa::testing

// Skips the current test with a message naming the missing path.
#define BHASA_REQUIRE_SHARED(rel)                                                              \
  do {                                                                                        \
    if (::bhasa::testing::SharedDir().empty())                                                \
      GTEST_SKIP() << "../shared is absent (set BHASA_SHARED_DIR); needs " << (rel);          \
    if (!std::filesystem::exists(::bhasa::testing::SharedDir() + "/" + (rel)))                \
      GTEST_SKIP() << "missing fixture " << ::bhasa::testing::SharedDir() + "/" + (rel);      \
  } while (0)

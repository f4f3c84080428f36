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

}  // namespace bhasa::testing

// Skips the current test with a message naming the missing path.
#define BHASA_REQUIRE_SHARED(rel)                                                              \
  do {                                                                                        \
    if (::bhasa::testing::SharedDir().empty())                                                \
      GTEST_SKIP() << "../shared is absent (set BHASA_SHARED_DIR); needs " << (rel);          \
    if (!std::filesystem::exists(::bhasa::testing::SharedDir() + "/" + (rel)))                \
      GTEST_SKIP() << "missing fixture " << ::bhasa::testing::SharedDir() + "/" + (rel);      \
  } while (0)

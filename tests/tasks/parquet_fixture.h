// The parquet fixtures written by a real writer (arrow-rs through
// parquet-wasm, see parquet_fixtures/generate.cjs): generated on first use
// into <build>/parquet_fixtures/files by parquet_fixtures/setup.sh.
#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace bhasa::testing {

// The fixture folder, or "" with *why saying what is missing.
inline std::string ParquetFixtureDir(std::string* why) {
  static std::string dir, reason;
  static bool done = false;
  if (!done) {
    done = true;
    const std::string out = std::filesystem::path(BhasaBinary()).parent_path().string() + "/parquet_fixtures";
    std::string log;
    const int rc = RunCommand("bash " + SourceDir() + "/tests/tasks/parquet_fixtures/setup.sh " + out, &log);
    if (rc == 0) dir = out + "/files";
    else reason = rc == 3 ? "node/npm not found: parquet fixtures cannot be generated"
                          : "parquet fixture generation failed:\n" + log;
  }
  if (why) *why = reason;
  return dir;
}

}  // namespace bhasa::testing

// Skips the test (with the reason) when the fixtures cannot be generated.
#define BHASA_REQUIRE_PARQUET_FIXTURES(dir)                          \
  std::string dir;                                                   \
  do {                                                               \
    std::string why_;                                                \
    dir = ::bhasa::testing::ParquetFixtureDir(&why_);                \
    if (dir.empty()) GTEST_SKIP() << why_;                           \
  } while (0)

// RunLock: one writer per run directory.
#include "results/run_lock.h"

#include <optional>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/exit_codes.h"
#include "tests/test_support.h"

namespace bhasa::results {
namespace {

TEST(RunLock, SecondHolderIsRefusedNamingTheDirectory) {
  RunDir dir(bhasa::testing::TempDir("run-lock"), "m", 0);
  dir.Create();
  std::optional<RunLock> first(std::in_place, dir);
  try {
    RunLock second(dir);
    FAIL() << "a second lock on " << dir.root() << " was granted";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitRuntime);
    EXPECT_NE(std::string(e.what()).find(dir.root() + ": another bhasa process"), std::string::npos) << e.what();
  }
  first.reset();  // released: the next writer gets it
  EXPECT_NO_THROW(RunLock again(dir));
}

}  // namespace
}  // namespace bhasa::results

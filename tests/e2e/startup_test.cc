// What a command loads at start: Highway's runtime waits for the first
// kernel dispatch (its load-time timer calibration cost 5 ms of every
// command; backends/native/cpu/hwy_runtime.cc).
#include <string>

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace bhasa {
namespace {

using testing::BhasaBinary;
using testing::RunCommand;

TEST(Startup, CommandsWithoutKernelsDoNotLoadHighway) {
  std::string out;
  ASSERT_EQ(RunCommand("LD_DEBUG=libs " + BhasaBinary() + " --version", &out), 0) << out;
  EXPECT_NE(out.find("bhasa "), std::string::npos) << out;
  EXPECT_NE(out.find("libtbb"), std::string::npos) << "LD_DEBUG=libs lists no libraries:\n" << out;
  EXPECT_EQ(out.find("libhwy"), std::string::npos) << out;
}

}  // namespace
}  // namespace bhasa
